// output_inspect.cpp: capture magic numbers and the pcapng section header's comment. Control plane.
#include "export/output_inspect.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

namespace flowsieve {

namespace {

constexpr std::uint32_t block_shb = 0x0A0D0D0Au;  // a palindrome: the same in either byte order
constexpr std::uint32_t byte_order_magic = 0x1A2B3C4Du;
constexpr std::uint16_t opt_comment = 1;
constexpr std::size_t shb_max = 1 << 20;  // far beyond any SHB flowsieve writes (comment <= 65535)

std::uint32_t swap32(std::uint32_t v) { return __builtin_bswap32(v); }
std::uint16_t swap16(std::uint16_t v) { return __builtin_bswap16(v); }

}  // namespace

Result<OutputFileFacts> inspect_output_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error_at(path, 0, "cannot read");
    std::uint32_t magic = 0;
    if (!in.read(reinterpret_cast<char*>(&magic), 4)) return error_at(path, 0, "shorter than any capture header");
    OutputFileFacts facts;
    for (std::uint32_t m : {0xa1b2c3d4u, 0xa1b23c4du}) {
        if (magic == m || magic == swap32(m)) {
            facts.format = "pcap";
            return facts;
        }
    }
    if (magic != block_shb) return error_at(path, 0, "not a pcap or pcapng capture (unknown magic number)");
    facts.format = "pcapng";
    std::uint32_t head[2] = {};  // total length, byte-order magic
    if (!in.read(reinterpret_cast<char*>(head), sizeof head)) return error_at(path, 0, "pcapng section header cut short");
    const bool swapped = head[1] == swap32(byte_order_magic);
    if (!swapped && head[1] != byte_order_magic) return error_at(path, 0, "pcapng section header: bad byte-order magic");
    const std::uint32_t total = swapped ? swap32(head[0]) : head[0];
    if (total < 28 || total % 4 != 0 || total > shb_max) return error_at(path, 0, "pcapng section header: bad length");
    std::vector<std::uint8_t> block(total);
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(block.data()), total)) return error_at(path, 0, "pcapng section header cut short");
    // Options run from after the fixed part (type, length, magic, version, section length: 24 bytes)
    // to before the trailing length.
    std::size_t off = 24;
    const std::size_t end = total - 4;
    while (off + 4 <= end) {
        std::uint16_t code, len;
        std::memcpy(&code, block.data() + off, 2);
        std::memcpy(&len, block.data() + off + 2, 2);
        if (swapped) {
            code = swap16(code);
            len = swap16(len);
        }
        off += 4;
        if (code == 0) break;  // opt_endofopt
        if (off + len > end) return error_at(path, 0, "pcapng section header: an option runs past the block");
        if (code == opt_comment && !facts.label)
            facts.label = parse_output_label(std::string_view(reinterpret_cast<const char*>(block.data() + off), len));
        off += len + (4 - len % 4) % 4;
    }
    return facts;
}

}  // namespace flowsieve
