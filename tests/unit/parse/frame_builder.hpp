// frame_builder.hpp: builds Ethernet/IP/L4 frames byte by byte for the parser tests (test thread).
// Every length field is computed from what was actually appended unless a test overrides it, so a
// crafted anomaly differs from a valid packet in exactly the field the test names.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace flowsieve::testing {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::size_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xFFFF);
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

inline Bytes filler(std::size_t n, std::uint8_t value = 0xAB) { return Bytes(n, value); }

// Ethernet II: fixed MACs, then one (TPID, TCI) pair per tag, then the EtherType.
inline Bytes ethernet(std::uint16_t ethertype, std::initializer_list<std::uint16_t> tpids = {}) {
    Bytes b = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
    std::uint16_t vid = 100;
    for (std::uint16_t tpid : tpids) {
        put16(b, tpid);
        put16(b, vid++);
    }
    put16(b, ethertype);
    return b;
}

// Addresses of crafted packets: 192.0.2.1 -> 198.51.100.2, 2001:db8::1 -> 2001:db8::2.
inline constexpr std::uint32_t v4_src = 0xC0000201, v4_dst = 0xC6336402;

struct V4 {
    std::uint8_t proto = 6;
    std::uint8_t version = 4;
    std::uint8_t ihl = 0;                    // 0: from the options (5 + options/4)
    std::optional<std::size_t> total_len;    // default: header + payload
    std::uint16_t flags_frag = 0;            // flags (MF = 0x2000) | offset in 8-byte units
    Bytes options;                           // appended after the fixed header, as given
};

inline Bytes ipv4(const V4& h, const Bytes& payload) {
    const std::size_t header_len = 20 + h.options.size();
    const std::uint8_t ihl = h.ihl ? h.ihl : static_cast<std::uint8_t>(header_len / 4);
    Bytes b;
    b.push_back(static_cast<std::uint8_t>(h.version << 4 | (ihl & 0x0F)));
    b.push_back(0);
    put16(b, h.total_len.value_or(header_len + payload.size()));
    put16(b, 0x1234);  // identification
    put16(b, h.flags_frag);
    b.push_back(64);
    b.push_back(h.proto);
    put16(b, 0);  // checksum: the parser does not verify it
    put32(b, v4_src);
    put32(b, v4_dst);
    b.insert(b.end(), h.options.begin(), h.options.end());
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

struct V6 {
    std::uint8_t next = 6;
    std::uint8_t version = 6;
    std::optional<std::size_t> payload_len;  // default: payload.size()
};

inline Bytes ipv6(const V6& h, const Bytes& payload) {
    Bytes b;
    b.push_back(static_cast<std::uint8_t>(h.version << 4));
    b.push_back(0);
    put16(b, 0);
    put16(b, h.payload_len.value_or(payload.size()));
    b.push_back(h.next);
    b.push_back(64);
    const Bytes src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    Bytes dst = src;
    dst[15] = 2;
    b.insert(b.end(), src.begin(), src.end());
    b.insert(b.end(), dst.begin(), dst.end());
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

// A generic extension header (hop-by-hop, routing, destination options, mobility...) of `len`
// bytes (a multiple of 8), its options area filled with PadN.
inline Bytes ext(std::uint8_t next, std::size_t len = 8) {
    Bytes b(len, 0);
    b[0] = next;
    b[1] = static_cast<std::uint8_t>(len / 8 - 1);
    b[2] = 1;  // PadN over the rest
    b[3] = static_cast<std::uint8_t>(len - 4);
    return b;
}

// Hop-by-hop header with a Jumbo Payload option (RFC 2675).
inline Bytes hop_by_hop_jumbo(std::uint8_t next, std::uint32_t jumbo_len) {
    Bytes b = {next, 0, 0xC2, 4};
    put32(b, jumbo_len);
    return b;
}

inline Bytes fragment6(std::uint8_t next, std::uint16_t offset_units, bool more) {
    Bytes b = {next, 0};
    put16(b, static_cast<std::size_t>(offset_units << 3 | (more ? 1 : 0)));
    put32(b, 0xCAFE);
    return b;
}

// Authentication Header: (len_field + 2) * 4 bytes.
inline Bytes ah(std::uint8_t next, std::uint8_t len_field = 4) {
    Bytes b((std::size_t{len_field} + 2) * 4, 0);
    b[0] = next;
    b[1] = len_field;
    return b;
}

// TCP header with data offset `doff` (the bytes past 20 are NOP options) followed by payload.
inline Bytes tcp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload = {}, std::uint8_t doff = 5,
                 std::optional<std::size_t> actual_header_len = {}) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put32(b, 1000);
    put32(b, 0);
    b.push_back(static_cast<std::uint8_t>(doff << 4));
    b.push_back(0x02);  // SYN
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
    b.resize(actual_header_len.value_or(std::size_t{doff} * 4 < 20 ? 20 : std::size_t{doff} * 4), 1);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

inline Bytes udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload = {},
                 std::optional<std::size_t> length = {}) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put16(b, length.value_or(8 + payload.size()));
    put16(b, 0);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

inline Bytes sctp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload = {}) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put32(b, 0xDEADBEEF);  // verification tag
    put32(b, 0);           // checksum
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

inline Bytes icmp(std::uint8_t type, std::uint8_t code = 0, const Bytes& payload = {}) {
    Bytes b(8 + payload.size(), 0);
    b[0] = type;
    b[1] = code;
    b[5] = b[7] = 1;  // identifier and sequence number
    std::copy(payload.begin(), payload.end(), b.begin() + 8);
    return b;
}

}  // namespace flowsieve::testing
