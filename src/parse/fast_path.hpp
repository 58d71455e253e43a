// fast_path.hpp: the parser's shortcut for the shapes that make up nearly all traffic.
// Runs on worker lcores: noexcept, no allocation. Included by packet_parser.hpp (for its inline
// parse_packet) and the tests.
//
// Why: the full parser (packet_parser.cpp) is general - VLAN stacks, IPv4 options, the IPv6
// extension chain, jumbograms, fragments - and pays for that generality on every packet (issue #6:
// ~276 instructions per packet against a 60-cycle budget for the whole pipeline). Almost every
// packet is Ethernet II, at most two VLAN tags, then IPv4 without options and not a fragment, or
// IPv6 whose next header is directly TCP/UDP/SCTP/ICMP/ICMPv6, with a sound L4 header. For exactly
// those, this reads fixed offsets after one bounds check per layer and fills ParsedPacket with the
// values the full parser would produce. For anything else - or anything the full parser would call
// an anomaly - it declines, and the full parser decides. So the shortcut may only ever return
// `true` with a result equal, field by field, to the full parser's; test_packet_parser_fast_path.cpp
// and the parser fuzz target check that on real, mutated and crafted frames.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "parse/packet_parser.hpp"

namespace flowsieve::detail {

// Unaligned big-endian loads; the caller has checked the bounds.
inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap16(v);
    return v;
}
inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
    return v;
}
inline std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    return v;
}

// The TPIDs the full parser takes as VLAN tags: 802.1Q, 802.1ad and the pre-standard 0x9100.
constexpr bool is_vlan_tpid(std::uint16_t t) { return t == 0x8100 || t == 0x88A8 || t == 0x9100; }

// The upper-layer headers the full parser reads: fixed length (0: none, the header ends with the
// IP header) and whether it carries ports. A table rather than a switch: the protocol of mixed
// traffic is unpredictable, and each mispredicted branch costs about half of this whole path.
struct L4Shape {
    std::uint8_t min_len = 0;
    bool ports = false;
};
inline constexpr std::array<L4Shape, 256> l4_shapes = [] {
    std::array<L4Shape, 256> t{};
    t[ipproto::tcp] = {20, true};
    t[ipproto::udp] = {8, true};
    t[ipproto::sctp] = {12, true};
    t[ipproto::icmp] = {8, false};
    t[ipproto::ipv6_icmp] = {8, false};
    return t;
}();

// The L4 half of the shortcut, shared by both IP versions: checks the upper-layer header at frame
// offset `l4` (at `l4p`) of a packet that is neither a fragment nor a jumbogram, and fills all of
// `out` but the addresses. `promised` is the L4 bytes the IP length announces, `captured` the
// bytes the frame holds from `l4` on. False where the full parser must decide.
inline bool finish_common_shape(const std::uint8_t* l4p, std::size_t l4, std::size_t promised, std::size_t captured,
                                std::uint8_t vlan_count, std::uint8_t proto, bool v6, ParsedPacket& out) noexcept {
    // A length checked against `present` is bounded by both the IP length and the capture.
    const std::size_t present = std::min(promised, captured);
    const L4Shape shape = l4_shapes[proto];
    std::size_t len = 0;  // of the L4 header; 0 when there is none to read
    std::uint16_t src_port = 0, dst_port = 0;
    if (shape.min_len == 0) {
        // IPv6: this may be an extension header, which the full parser walks; so is an IPv4 AH.
        if (v6 || proto == ipproto::ah) return false;
    } else {
        if (present < shape.min_len) return false;  // *_truncated
        // Without branches on the protocol: each check is computed for every protocol and the
        // protocol's own is kept. So every load here must lie inside the first 8 captured L4
        // bytes, except TCP's data offset at 12: for a shorter header its index is clamped (and
        // the value unused). Compilers turn a conditional load back into a branch, so the length
        // loads are unconditional (the port loads may branch: only ICMP lacks ports, which predicts
        // well).
        const bool tcp = proto == ipproto::tcp, udp = proto == ipproto::udp;
        const std::size_t tcp_len = static_cast<std::size_t>(l4p[std::min<std::size_t>(12, present - 1)] >> 4) * 4;
        const std::size_t udp_len = load_be16(l4p + 4);
        const bool bad_tcp = tcp_len < 20 || tcp_len > present;  // tcp_bad_data_offset / tcp_truncated
        const bool bad_udp = udp_len < 8 || udp_len > promised;  // udp_bad_length
        if ((tcp & bad_tcp) | (udp & bad_udp)) return false;
        len = tcp ? tcp_len : shape.min_len;
        src_port = shape.ports ? load_be16(l4p) : 0;
        dst_port = shape.ports ? load_be16(l4p + 2) : 0;
    }
    out.key.src_port = src_port;
    out.key.dst_port = dst_port;
    out.key.proto = proto;
    out.key.has_ports = shape.ports;
    out.key.fragment = Fragment::none;
    // Every offset here is small; only ip_end can pass 65535 (a 65535-byte IP length in a frame
    // longer than that), and it saturates as in the full parser.
    out.header_len = static_cast<std::uint16_t>(l4 + len);
    out.l3_offset = static_cast<std::uint16_t>(14 + 4 * vlan_count);
    out.ip_end = static_cast<std::uint16_t>(std::min<std::size_t>(l4 + present, 0xFFFF));
    out.l4_offset = static_cast<std::uint16_t>(len != 0 ? l4 : 0);
    out.vlan_count = vlan_count;
    out.outcome = ParseOutcome::ok;
    out.anomaly = Anomaly::none;
    out.snapped = promised > captured;
    return true;
}

// Parses `frame` if it has one of the common shapes and the full parser would accept it (outcome
// ok). Otherwise returns false, possibly having written some of `out`: the full parser, which
// runs next, rewrites all of it.
inline bool parse_common_shape(std::span<const std::uint8_t> frame, ParsedPacket& out) noexcept {
    const std::uint8_t* const p = frame.data();
    const std::size_t size = frame.size();
    if (size < 22 + 20) return false;  // Ethernet, two tags, the smallest IP header: shorter ones are rare

    // Up to two VLAN tags (802.1Q, or QinQ: 802.1ad/0x9100 then 802.1Q); a third tag leaves a TPID
    // as the EtherType, which takes the full path below. Without branches: the compiler would
    // otherwise duplicate everything below for each offset.
    const bool tag1 = is_vlan_tpid(load_be16(p + 12));
    const bool tag2 = tag1 && is_vlan_tpid(load_be16(p + 16));
    const std::uint8_t vlan_count = static_cast<std::uint8_t>(tag1 + tag2);
    const std::size_t l3 = 14 + 4 * std::size_t{vlan_count};
    const std::uint16_t ethertype = load_be16(p + l3 - 2);
    const std::uint8_t* const ip = p + l3;

    if (ethertype == 0x0800) {
        if (ip[0] != 0x45) return false;  // version 4, IHL 5: no options to check
        const std::size_t total_len = load_be16(ip + 2);
        if (total_len < 20) return false;                      // ipv4_bad_total_length
        if ((load_be16(ip + 6) & 0x3FFFu) != 0) return false;  // MF or an offset: a fragment
        out.key.src = IpAddress::from_v4(load_be32(ip + 12));
        out.key.dst = IpAddress::from_v4(load_be32(ip + 16));
        return finish_common_shape(ip + 20, l3 + 20, total_len - 20, size - (l3 + 20), vlan_count, ip[9], false, out);
    }
    if (ethertype == 0x86DD) {
        if (size < l3 + 40) return false;
        if ((ip[0] >> 4) != 6) return false;
        const std::size_t payload_len = load_be16(ip + 4);
        // Payload length 0 is an anomaly or a jumbogram; both take the full path.
        if (payload_len == 0) return false;
        out.key.src = IpAddress::from_v6(U128{load_be64(ip + 8), load_be64(ip + 16)});
        out.key.dst = IpAddress::from_v6(U128{load_be64(ip + 24), load_be64(ip + 32)});
        return finish_common_shape(ip + 40, l3 + 40, payload_len, size - (l3 + 40), vlan_count, ip[6], true, out);
    }
    return false;  // further VLAN tags, not IP (ARP, LLDP...)
}

}  // namespace flowsieve::detail
