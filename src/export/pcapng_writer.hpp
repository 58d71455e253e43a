// pcapng_writer.hpp: RecordSink writing a pcapng file with one interface per DPDK port and a
// comment per packet. Run by the exporter thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "export/atomic_file.hpp"
#include "export/record_sink.hpp"

namespace flowsieve {

// pcapng in host byte order (the Section Header's byte-order magic declares it):
//  - SHB with shb_userappl "flowsieve" and, when given, an opt_comment (the section comment: the
//    output's label with its expiry, see output_label.hpp);
//  - one IDB per DPDK port id, written when the port is first seen (interface ids count up in
//    order of appearance): linktype 1 (Ethernet), snaplen 65535, if_name "port<N>",
//    if_tsresol 9 (nanoseconds);
//  - one EPB per record: captured length = header_len, original length = wire_len, exactly
//    r.bytes[0, header_len) zero-padded to 4, and opt_comment = `comment` when not empty
//    (a comment longer than 65535 bytes cannot be encoded: the record is refused).
// A file closed without any record holds one IDB named "none", because libpcap refuses a pcapng
// without interfaces. The file appears under `path` only after a successful close() (AtomicFile).
class PcapngWriter final : public RecordSink {
public:
    explicit PcapngWriter(std::string path, std::size_t buffer_bytes = AtomicFile::default_buffer_bytes,
                          std::string section_comment = {});

    Status open() override;
    Status write(const HeaderRecord& r, std::string_view comment) override;
    Status close() override;
    std::uint64_t written() const override { return written_; }

    const std::string& path() const { return path_; }
    // Every byte of the file, in order, as it is written (AtomicFile::set_observer). Before open().
    void observe_bytes(AtomicFile::ByteObserver f) { file_.set_observer(std::move(f)); }
    // Never replace an earlier file at `path` on close() (AtomicFile::keep_earlier). Before close().
    void keep_earlier(KeepEarlier keep) { file_.keep_earlier(std::move(keep)); }
    const CommitReport* commit_report() const override { return &file_.committed(); }
    // Interfaces (ports) described so far.
    std::size_t interfaces() const { return ports_.size(); }

private:
    // Interface id of `port`, writing its IDB first if it is new.
    Result<std::uint32_t> interface_of(std::uint16_t port);
    Status write_idb(std::string_view name);

    std::string path_;
    std::size_t buffer_bytes_;
    std::string section_comment_;
    AtomicFile file_;
    std::uint64_t written_ = 0;
    std::vector<std::uint16_t> ports_;  // index = interface id; a handful of ports, linear search
    std::uint32_t last_if_ = 0;         // cache: consecutive records mostly share a port
};

}  // namespace flowsieve
