// packet_builder.hpp: writes well-formed Ethernet frames (VLAN/QinQ tags, IPv4 with options, IPv6
// with extension headers, fragments, TCP with options, UDP, SCTP, ICMP/ICMPv6, ARP, LLDP) into a
// byte vector. Every length and the IPv4 header checksum are computed from what was written.
// Payload bytes are left for PayloadFill, so that headers never depend on the payload.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/ip_address.hpp"

namespace flowsieve::gen {

using Mac = std::array<std::uint8_t, 6>;

struct L2Spec {
    Mac src{}, dst{};
    // Stacked VLAN tags: one is 802.1Q (0x8100); with more, the outer one is 802.1ad (0x88A8).
    std::uint8_t tags = 0;
    std::uint16_t vid = 1;  // tag i carries vid + i
};

enum class TcpOptions : std::uint8_t {
    none,
    syn,         // MSS, SACK permitted, timestamps, NOP, window scale (20 bytes)
    timestamps,  // NOP, NOP, timestamps (12 bytes)
};

enum class FragPart : std::uint8_t { none, first, non_first };

// IPv6 extension header types the builder can write (8 bytes each, contents inert).
namespace ext {
inline constexpr std::uint8_t hop_by_hop = 0, routing = 43, fragment = 44, ah = 51, dst_opts = 60,
                              mobility = 135, hip = 139, shim6 = 140, exp1 = 253, exp2 = 254;
}

struct IpPacketSpec {
    L2Spec l2;
    IpAddress src, dst;  // same family
    std::uint8_t proto = 6;
    std::uint16_t src_port = 0, dst_port = 0;
    // TCP
    std::uint8_t tcp_flags = 0x10;
    std::uint32_t seq = 0, ack = 0, ts_val = 0;
    std::uint16_t window = 65535;
    TcpOptions tcp_options = TcpOptions::none;
    // ICMP / ICMPv6 echo; SCTP verification tag
    std::uint8_t icmp_type = 8;
    std::uint16_t icmp_id = 0, icmp_seq = 0;
    std::uint32_t sctp_vtag = 0;
    // IP
    std::uint16_t ip_id = 0;
    std::uint8_t ttl = 64;
    bool dont_fragment = false;
    bool ipv4_router_alert = false;           // a 4-byte IPv4 option (RFC 2113)
    std::array<std::uint8_t, 12> v6_ext{};    // IPv6 extension headers in order (before a fragment header)
    std::uint8_t v6_ext_count = 0;
    FragPart frag = FragPart::none;           // IPv6: a fragment header is appended to the chain
    std::uint16_t frag_offset = 0;            // in 8-byte units (non_first)
    bool more_fragments = false;              // non_first: more follow
    // Bytes after the L4 header (after the L3 headers for a non-first fragment).
    std::uint16_t payload_len = 0;
    // First fragment: the whole datagram's L4 length (UDP length covers it); 0 = this fragment's.
    std::uint16_t datagram_l4_len = 0;
};

// Offsets into the frame; l4 == 0 when there is no L4 header (non-first fragment).
struct FrameLayout {
    std::size_t l3 = 0, l4 = 0, payload = 0, ip_end = 0;
};

// Clears `out` and writes the frame; payload bytes are zero until filled.
FrameLayout build_ip_frame(const IpPacketSpec& spec, std::vector<std::uint8_t>& out);
// ARP request/reply (sender/target IPv4) and an LLDP frame (chassis MAC, port name, TTL).
FrameLayout build_arp_frame(const L2Spec& l2, bool reply, std::uint32_t sender_ip, std::uint32_t target_ip,
                            std::vector<std::uint8_t>& out);
FrameLayout build_lldp_frame(const L2Spec& l2, std::uint16_t port_number, std::vector<std::uint8_t>& out);

// Ethernet minimum without FCS: shorter frames are padded (the padding counts as payload bytes).
inline constexpr std::size_t min_frame_len = 60;
void pad_frame(std::vector<std::uint8_t>& frame, std::size_t min_len = min_frame_len);

// Recomputes the IPv4 header checksum at l3 (after a field was changed).
void set_ipv4_checksum(std::span<std::uint8_t> frame, std::size_t l3);
// TCP/UDP/ICMPv6 (pseudo-header) and ICMP checksums over [l4, ip_end) once the payload is filled.
// Left zero for SCTP (CRC32c), fragments and frames without an L4 header.
void set_l4_checksum(std::span<std::uint8_t> frame, const FrameLayout& layout);

// Big-endian field access used by the builder and the malformer.
inline void store16(std::span<std::uint8_t> f, std::size_t at, std::uint16_t v) {
    f[at] = static_cast<std::uint8_t>(v >> 8);
    f[at + 1] = static_cast<std::uint8_t>(v);
}
inline std::uint16_t load16(std::span<const std::uint8_t> f, std::size_t at) {
    return static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]);
}

}  // namespace flowsieve::gen
