// pcapng_writer.cpp: pcapng encoding of header records (SHB, IDB per port, EPB with comment).
// Exporter thread.
#include "export/pcapng_writer.hpp"

#include <cstdio>
#include <cstring>
#include <new>
#include <utility>

namespace flowsieve {

namespace {

constexpr std::uint32_t block_shb = 0x0A0D0D0Au;
constexpr std::uint32_t block_idb = 0x00000001u;
constexpr std::uint32_t block_epb = 0x00000006u;
constexpr std::uint32_t byte_order_magic = 0x1A2B3C4Du;

constexpr std::uint16_t opt_endofopt = 0;
constexpr std::uint16_t opt_comment = 1;
constexpr std::uint16_t shb_userappl = 4;
constexpr std::uint16_t if_name = 2;
constexpr std::uint16_t if_tsresol = 9;

constexpr std::uint16_t linktype_ethernet = 1;
constexpr std::uint32_t snaplen = 65535;
constexpr std::uint8_t tsresol_ns = 9;  // 10^-9 s

constexpr std::size_t pad4(std::size_t n) { return (4 - n % 4) % 4; }
constexpr std::size_t option_size(std::size_t len) { return 4 + len + pad4(len); }

// Fixed-capacity staging area for the small blocks (SHB, IDB, EPB head): blocks are assembled
// here and handed to the file in one append.
class Staging {
public:
    void u16(std::uint16_t v) { raw(&v, 2); }
    void u32(std::uint32_t v) { raw(&v, 4); }
    void u64(std::uint64_t v) { raw(&v, 8); }
    void raw(const void* p, std::size_t n) {
        if (n == 0) return;  // p may be null for an empty option value (memcpy forbids that)
        std::memcpy(data_ + n_, p, n);
        n_ += n;
    }
    void zeros(std::size_t n) {
        std::memset(data_ + n_, 0, n);
        n_ += n;
    }
    void option(std::uint16_t code, const void* p, std::size_t len) {
        u16(code);
        u16(static_cast<std::uint16_t>(len));
        raw(p, len);
        zeros(pad4(len));
    }
    const std::uint8_t* data() const { return data_; }
    std::size_t size() const { return n_; }

private:
    std::uint8_t data_[256];
    std::size_t n_ = 0;
};

// EPB fixed part (28) + the largest header with padding (fits Staging's 256 bytes).
static_assert(28 + HeaderRecord::max_header_bytes + 3 <= 256);

}  // namespace

PcapngWriter::PcapngWriter(std::string path, std::size_t buffer_bytes, std::string section_comment)
    : path_(std::move(path)), buffer_bytes_(buffer_bytes), section_comment_(std::move(section_comment)) {}

Status PcapngWriter::open() {
    if (section_comment_.size() > 0xffff)
        return error_at(path_, 0, "section comment of " + std::to_string(section_comment_.size()) +
                                      " bytes exceeds the pcapng option limit of 65535");
    if (auto s = file_.open(path_, buffer_bytes_); !s) return s;
    written_ = 0;
    ports_.clear();
    last_if_ = 0;
    try {
        ports_.reserve(64);  // so a new port almost never allocates later
    } catch (const std::bad_alloc&) {
        file_.abandon();
        return error_at(path_, 0, "cannot allocate the interface table");
    }

    static constexpr char app[] = "flowsieve";
    const std::size_t app_len = sizeof app - 1;
    const std::size_t comment_len = section_comment_.size();
    const std::size_t comment_option = comment_len ? option_size(comment_len) : 0;
    const auto total = static_cast<std::uint32_t>(12 + 4 + 8 + option_size(app_len) + comment_option + 4 + 4);
    Staging b;
    b.u32(block_shb);
    b.u32(total);
    b.u32(byte_order_magic);
    b.u16(1);  // major version
    b.u16(0);  // minor version
    b.u64(~std::uint64_t{0});  // section length: not specified
    b.option(shb_userappl, app, app_len);
    if (comment_len) {  // the comment may be longer than Staging holds: its bytes go straight to the file
        b.u16(opt_comment);
        b.u16(static_cast<std::uint16_t>(comment_len));
        if (auto s = file_.append(b.data(), b.size()); !s) return s;
        if (auto s = file_.append(section_comment_.data(), comment_len); !s) return s;
        b = Staging{};
        b.zeros(pad4(comment_len));
    }
    b.option(opt_endofopt, nullptr, 0);
    b.u32(total);
    return file_.append(b.data(), b.size());
}

Status PcapngWriter::write_idb(std::string_view name) {
    const auto total = static_cast<std::uint32_t>(8 + 8 + option_size(name.size()) + option_size(1) + 4 + 4);
    Staging b;
    b.u32(block_idb);
    b.u32(total);
    b.u16(linktype_ethernet);
    b.u16(0);  // reserved
    b.u32(snaplen);
    b.option(if_name, name.data(), name.size());
    b.option(if_tsresol, &tsresol_ns, 1);
    b.option(opt_endofopt, nullptr, 0);
    b.u32(total);
    return file_.append(b.data(), b.size());
}

Result<std::uint32_t> PcapngWriter::interface_of(std::uint16_t port) {
    if (last_if_ < ports_.size() && ports_[last_if_] == port) return last_if_;
    for (std::uint32_t i = 0; i < ports_.size(); ++i)
        if (ports_[i] == port) return last_if_ = i;

    char name[16];
    const int name_len = std::snprintf(name, sizeof name, "port%u", static_cast<unsigned>(port));
    try {
        ports_.push_back(port);
    } catch (const std::bad_alloc&) {
        return error_at(path_, 0, "cannot allocate the interface table");
    }
    if (auto s = write_idb(std::string_view(name, static_cast<std::size_t>(name_len))); !s) return s.error();
    return last_if_ = static_cast<std::uint32_t>(ports_.size() - 1);
}

Status PcapngWriter::write(const HeaderRecord& r, std::string_view comment) {
    if (!file_.is_open()) return file_.not_open();
    if (auto s = check_record(r, path_); !s) return s;
    if (comment.size() > 0xffff)
        return error_at(path_, 0, "record refused: comment of " + std::to_string(comment.size()) +
                                      " bytes exceeds the pcapng option limit of 65535");
    auto ifid = interface_of(r.port);
    if (!ifid) return ifid.error();

    const std::size_t options = comment.empty() ? 0 : option_size(comment.size()) + 4;
    const auto total = static_cast<std::uint32_t>(28 + r.header_len + pad4(r.header_len) + options + 4);
    Staging b;
    b.u32(block_epb);
    b.u32(total);
    b.u32(*ifid);
    b.u32(static_cast<std::uint32_t>(r.time_ns >> 32));  // if_tsresol 9: units are nanoseconds
    b.u32(static_cast<std::uint32_t>(r.time_ns));
    b.u32(r.header_len);
    b.u32(r.wire_len);
    // Invariant 1: exactly the valid header bytes; the padding is zeros, never more of r.bytes.
    b.raw(r.bytes, r.header_len);
    b.zeros(pad4(r.header_len));
    if (auto s = file_.append(b.data(), b.size()); !s) return s;

    Staging tail;
    if (!comment.empty()) {
        Staging head;
        head.u16(opt_comment);
        head.u16(static_cast<std::uint16_t>(comment.size()));
        if (auto s = file_.append(head.data(), head.size()); !s) return s;
        if (auto s = file_.append(comment.data(), comment.size()); !s) return s;
        tail.zeros(pad4(comment.size()));
        tail.option(opt_endofopt, nullptr, 0);
    }
    tail.u32(total);
    if (auto s = file_.append(tail.data(), tail.size()); !s) return s;
    ++written_;
    return Ok{};
}

Status PcapngWriter::close() {
    if (!file_.is_open()) return file_.not_open();
    // libpcap (tcpdump, read_capture) refuses a pcapng without any IDB, so a file that got no
    // records still describes one (packet-less) interface and stays readable everywhere.
    if (ports_.empty())
        if (auto s = write_idb("none"); !s) return s;
    return file_.commit();
}

}  // namespace flowsieve
