// pcap_writer.hpp: RecordSink writing a classic pcap file (nanosecond timestamps, Ethernet).
// Run by the exporter thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "export/atomic_file.hpp"
#include "export/record_sink.hpp"

namespace flowsieve {

// Classic libpcap format, host byte order, magic 0xa1b23c4d (nanosecond resolution), snaplen
// 65535, linktype 1 (Ethernet). Each packet record has caplen = header_len and len = wire_len and
// carries exactly r.bytes[0, header_len). Comments and port ids are not representable and are
// dropped. The file appears under `path` only after a successful close() (see AtomicFile).
class PcapWriter final : public RecordSink {
public:
    explicit PcapWriter(std::string path, std::size_t buffer_bytes = AtomicFile::default_buffer_bytes);

    Status open() override;
    Status write(const HeaderRecord& r, std::string_view comment) override;
    bool needs_comment(const HeaderRecord&) const override { return false; }  // no place for one
    Status close() override;
    std::uint64_t written() const override { return written_; }

    const std::string& path() const { return path_; }
    // Every byte of the file, in order, as it is written (AtomicFile::set_observer). Before open().
    void observe_bytes(AtomicFile::ByteObserver f) { file_.set_observer(std::move(f)); }
    // Never replace an earlier file at `path` on close() (AtomicFile::keep_earlier). Before close().
    void keep_earlier(KeepEarlier keep) { file_.keep_earlier(std::move(keep)); }
    const CommitReport* commit_report() const override { return &file_.committed(); }

private:
    std::string path_;
    std::size_t buffer_bytes_;
    AtomicFile file_;
    std::uint64_t written_ = 0;
};

}  // namespace flowsieve
