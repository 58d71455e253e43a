// pcap_writer.cpp: classic pcap encoding of header records. Exporter thread.
#include "export/pcap_writer.hpp"

#include <cstring>
#include <utility>

namespace flowsieve {

namespace {

// The on-disk structures of the pcap format (all fields in the writer's byte order, which the
// magic number tells readers).
struct PcapFileHeader {
    std::uint32_t magic;
    std::uint16_t version_major;
    std::uint16_t version_minor;
    std::int32_t thiszone;
    std::uint32_t sigfigs;
    std::uint32_t snaplen;
    std::uint32_t linktype;
};
static_assert(sizeof(PcapFileHeader) == 24);

struct PcapRecordHeader {
    std::uint32_t ts_sec;
    std::uint32_t ts_nsec;  // nanoseconds, because of the 0xa1b23c4d magic
    std::uint32_t caplen;
    std::uint32_t len;
};
static_assert(sizeof(PcapRecordHeader) == 16);

constexpr std::uint32_t pcap_magic_ns = 0xa1b23c4du;
constexpr std::uint32_t snaplen = 65535;
constexpr std::uint32_t linktype_ethernet = 1;

}  // namespace

PcapWriter::PcapWriter(std::string path, std::size_t buffer_bytes)
    : path_(std::move(path)), buffer_bytes_(buffer_bytes) {}

Status PcapWriter::open() {
    if (auto s = file_.open(path_, buffer_bytes_); !s) return s;
    written_ = 0;
    const PcapFileHeader h{pcap_magic_ns, 2, 4, 0, 0, snaplen, linktype_ethernet};
    return file_.append(&h, sizeof h);
}

Status PcapWriter::write(const HeaderRecord& r, std::string_view /*comment: not representable*/) {
    if (!file_.is_open()) return file_.not_open();
    if (auto s = check_record(r, path_); !s) return s;
    const std::uint64_t sec = r.time_ns / 1'000'000'000u;
    if (sec > 0xffffffffu) return error_at(path_, 0, "record refused: time beyond the pcap range (2106)");
    const PcapRecordHeader h{static_cast<std::uint32_t>(sec),
                             static_cast<std::uint32_t>(r.time_ns % 1'000'000'000u), r.header_len,
                             r.wire_len};
    if (auto s = file_.append(&h, sizeof h); !s) return s;
    // Invariant 1: exactly the valid header bytes, never the rest of the record's buffer.
    if (auto s = file_.append(r.bytes, r.header_len); !s) return s;
    ++written_;
    return Ok{};
}

Status PcapWriter::close() {
    if (!file_.is_open()) return file_.not_open();
    return file_.commit();
}

}  // namespace flowsieve
