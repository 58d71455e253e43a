// packet_parser.cpp: Ethernet/VLAN -> IPv4 (options) / IPv6 (extension chain) -> TCP/UDP/SCTP/ICMP.
// Runs on worker lcores: noexcept, no allocation; every read of the full parser goes through
// ByteReader, and every length is checked against both the IP length field and the captured bytes
// before it is trusted. parse_packet first tries the common-shape shortcut (fast_path.hpp), which
// yields the same result, only sooner.
#include "parse/packet_parser.hpp"

#include <algorithm>
#include <cstddef>

#include "parse/byte_reader.hpp"

namespace flowsieve {
namespace {

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_ipv6 = 0x86DD;
constexpr std::size_t eth_header_len = 14;
constexpr std::size_t vlan_tag_len = 4;
constexpr std::size_t ipv4_min_header = 20;
constexpr std::size_t ipv6_header_len = 40;
constexpr std::size_t max_ip_packet = 65535;  // a fragment may not reach past this (RFC 791/8200)

// IPv6 next-header values the walk understands: IANA's "IPv6 Extension Header Types" (RFC 8200,
// AH RFC 4302, Mobility RFC 6275, HIP RFC 7401, Shim6 RFC 5533, experimental RFC 3692) except ESP,
// whose contents are encrypted and so end the walk like any upper-layer protocol.
namespace v6ext {
constexpr std::uint8_t hop_by_hop = 0, routing = 43, fragment = 44, ah = 51, no_next = 59,
                       dst_opts = 60, mobility = 135, hip = 139, shim6 = 140, experimental1 = 253,
                       experimental2 = 254;
}

// Length in bytes of an authentication header (RFC 4302) whose length byte is `len_field`: in
// 32-bit words, minus 2 (in both IP versions, unlike IPv6's own 8-octet extension headers).
constexpr std::size_t ah_len(std::uint8_t len_field) { return (std::size_t{len_field} + 2) * 4; }

// Whether that length is one RFC 4302 allows: at least the 12 fixed bytes (next header, length,
// reserved, SPI, sequence number), and in IPv6 a multiple of 8. A shorter one would make the walk
// take the sequence number for the L4 header: wrong ports, and a header_len reaching into payload.
constexpr bool ah_len_ok(std::uint8_t len_field, bool v6) {
    return len_field >= 1 && (!v6 || ah_len(len_field) % 8 == 0);
}

// What the IP layer hands to the L4 layer.
struct IpInfo {
    std::size_t l4 = 0;           // frame offset of the upper-layer header
    std::size_t claimed_end = 0;  // one past the IP packet as its length says (may pass the capture)
    std::size_t end = 0;          // min(claimed_end, captured): the only bytes that may be used
    std::uint8_t proto = 0;       // upper-layer protocol after the extension chain
    Fragment fragment = Fragment::none;
    bool jumbo = false;           // IPv6 jumbogram: UDP length 0 is legal (RFC 2675)
};

constexpr std::uint16_t to_u16(std::size_t v) {
    return static_cast<std::uint16_t>(std::min<std::size_t>(v, 0xFFFF));
}

// ---------------------------------------------------------------------------------------------
// Ethernet II with up to max_vlan_tags stacked tags.
Anomaly parse_ethernet(const ByteReader& r, std::size_t& l3, std::uint16_t& ethertype,
                       std::uint8_t& vlan_count) noexcept {
    if (!r.has(0, eth_header_len)) return Anomaly::eth_truncated;
    std::size_t pos = eth_header_len;
    ethertype = r.be16(12);
    while (detail::is_vlan_tpid(ethertype)) {  // fast_path.hpp: the same TPIDs both ways
        if (vlan_count == max_vlan_tags) return Anomaly::vlan_too_deep;
        if (!r.has(pos, vlan_tag_len)) return Anomaly::vlan_truncated;
        ethertype = r.be16(pos + 2);  // the TCI is skipped: VLAN ids play no part in the key
        pos += vlan_tag_len;
        ++vlan_count;
    }
    l3 = pos;
    return Anomaly::none;
}

// ---------------------------------------------------------------------------------------------
// IPv4 options in [pos, end): EOL stops, NOP is one byte, everything else is type-length-value.
bool ipv4_options_ok(const ByteReader& r, std::size_t pos, std::size_t end) noexcept {
    while (pos < end) {
        const std::uint8_t type = r.u8(pos);
        if (type == 0) return true;  // End of Option List: the rest is padding
        if (type == 1) {             // No-Operation
            ++pos;
            continue;
        }
        if (end - pos < 2) return false;
        const std::size_t len = r.u8(pos + 1);
        if (len < 2 || len > end - pos) return false;
        pos += len;
    }
    return true;
}

// IPv4 transport-mode AH (RFC 4302). Unlike ESP it encrypts nothing: the upper-layer header follows
// in clear, and IPv6's walk already steps over it. Walking it here too gives the same ports - and
// with them the same e-mail exclusion - whichever IP version carries the AH. The AH itself (SPI,
// sequence number, ICV) is header, not content, and is emitted with the rest.
Anomaly walk_ipv4_ah(const ByteReader& r, IpInfo& ip) noexcept {
    if (ip.proto != ipproto::ah || ip.fragment == Fragment::non_first) return Anomaly::none;
    if (ip.l4 > ip.end || ip.end - ip.l4 < 2) return Anomaly::ipv4_ah_truncated;
    if (!ah_len_ok(r.u8(ip.l4 + 1), false)) return Anomaly::ah_bad_length;
    const std::size_t len = ah_len(r.u8(ip.l4 + 1));
    if (len > ip.end - ip.l4) return Anomaly::ipv4_ah_truncated;
    const std::uint8_t next = r.u8(ip.l4);
    // AH in AH is legal but unheard of in transport mode; refusing it keeps the walk one step long.
    if (next == ipproto::ah) return Anomaly::ipv4_ah_repeated;
    ip.l4 += len;
    ip.proto = next;
    return Anomaly::none;
}

Anomaly parse_ipv4(const ByteReader& r, std::size_t l3, FlowKey& key, IpInfo& ip) noexcept {
    if (!r.has(l3, 1)) return Anomaly::ipv4_truncated;
    const std::uint8_t version_ihl = r.u8(l3);
    if ((version_ihl >> 4) != 4) return Anomaly::ip_version_mismatch;
    const std::size_t header_len = std::size_t{version_ihl & 0x0Fu} * 4;
    if (header_len < ipv4_min_header) return Anomaly::ipv4_bad_ihl;
    if (!r.has(l3, header_len)) return Anomaly::ipv4_truncated;
    const std::size_t total_len = r.be16(l3 + 2);
    // A total length above the capture is a snapped packet, not an anomaly; below the header it is.
    if (total_len < header_len) return Anomaly::ipv4_bad_total_length;
    if (!ipv4_options_ok(r, l3 + ipv4_min_header, l3 + header_len)) return Anomaly::ipv4_bad_options;

    const std::uint16_t flags_offset = r.be16(l3 + 6);
    const std::size_t frag_offset = std::size_t{flags_offset & 0x1FFFu} * 8;
    const bool more_fragments = (flags_offset & 0x2000u) != 0;
    if (frag_offset + (total_len - header_len) > max_ip_packet) return Anomaly::fragment_bad;
    ip.fragment = frag_offset > 0 ? Fragment::non_first
                  : more_fragments ? Fragment::first
                                   : Fragment::none;

    key.src = IpAddress::from_v4(r.be32(l3 + 12));
    key.dst = IpAddress::from_v4(r.be32(l3 + 16));
    ip.proto = r.u8(l3 + 9);
    ip.l4 = l3 + header_len;
    ip.claimed_end = l3 + total_len;
    ip.end = std::min(ip.claimed_end, r.size());
    return walk_ipv4_ah(r, ip);
}

// ---------------------------------------------------------------------------------------------
// The Jumbo Payload option (type 0xC2, RFC 2675) in the hop-by-hop header at `pos`, if present.
// Runs before the payload length is known, so it is bounded by the captured bytes only; a
// malformed option list just ends the search (the walk checks the header's own length).
bool find_jumbo_payload(const ByteReader& r, std::size_t pos, std::uint32_t& length) noexcept {
    if (!r.has(pos, 2)) return false;
    const std::size_t end = std::min(pos + (std::size_t{r.u8(pos + 1)} + 1) * 8, r.size());
    std::size_t opt = pos + 2;
    while (opt < end) {
        const std::uint8_t type = r.u8(opt);
        if (type == 0) {  // Pad1
            ++opt;
            continue;
        }
        if (end - opt < 2) return false;
        const std::size_t len = r.u8(opt + 1);
        if (len > end - opt - 2) return false;
        if (type == 0xC2 && len == 4) {
            length = r.be32(opt + 2);
            return true;
        }
        opt += 2 + len;
    }
    return false;
}

// Length in bytes of the extension header of type `type` whose length byte is `len_field`.
constexpr std::size_t ipv6_ext_len(std::uint8_t type, std::uint8_t len_field) {
    if (type == v6ext::fragment) return 8;
    if (type == v6ext::ah) return ah_len(len_field);
    return (std::size_t{len_field} + 1) * 8;                          // 8-octet units, first excluded
}

// Bit of each extension header that may appear at most once (RFC 8200 section 4.1); 0 for the
// others (hop-by-hop is checked by position, destination options may appear twice).
constexpr std::uint32_t ipv6_ext_once_bit(std::uint8_t type) {
    switch (type) {
        case v6ext::routing: return 1u << 0;
        case v6ext::fragment: return 1u << 1;
        case v6ext::ah: return 1u << 2;
        case v6ext::mobility: return 1u << 3;
        case v6ext::hip: return 1u << 4;
        case v6ext::shim6: return 1u << 5;
        case v6ext::experimental1: return 1u << 6;
        case v6ext::experimental2: return 1u << 7;
        default: return 0;
    }
}

constexpr bool is_ipv6_ext(std::uint8_t type) {
    return type == v6ext::hop_by_hop || type == v6ext::dst_opts || ipv6_ext_once_bit(type) != 0;
}

// Walks the extension chain from `pos` (just past the fixed header). Stops at the first
// non-extension value (L4, no-next-header, ESP, unknown) or after a non-first fragment header,
// whose following bytes are fragment data rather than headers. Sets ip.l4, ip.proto, ip.fragment.
Anomaly walk_ipv6_extensions(const ByteReader& r, std::size_t pos, std::uint8_t next,
                             IpInfo& ip) noexcept {
    const std::size_t chain_start = pos;
    int count = 0;
    int dst_opts_seen = 0;
    std::uint32_t seen = 0;
    while (is_ipv6_ext(next)) {
        if (++count > max_ipv6_ext_headers) return Anomaly::ipv6_ext_chain_too_long;
        const std::uint32_t once_bit = ipv6_ext_once_bit(next);
        const bool repeated = next == v6ext::hop_by_hop ? pos != chain_start
                              : next == v6ext::dst_opts ? ++dst_opts_seen > 2
                                                        : (seen & once_bit) != 0;
        if (repeated) return Anomaly::ipv6_ext_duplicate;
        seen |= once_bit;
        // ip.end <= captured bytes and <= the payload length: a header must fit inside both.
        if (pos > ip.end || ip.end - pos < 2) return Anomaly::ipv6_ext_truncated;
        if (next == v6ext::ah && !ah_len_ok(r.u8(pos + 1), true)) return Anomaly::ah_bad_length;
        const std::size_t len = ipv6_ext_len(next, r.u8(pos + 1));
        if (len > ip.end - pos) return Anomaly::ipv6_ext_truncated;
        const std::uint8_t following = r.u8(pos);

        if (next == v6ext::fragment) {
            const std::uint16_t offset_flags = r.be16(pos + 2);
            const std::size_t frag_offset = static_cast<std::size_t>(offset_flags >> 3) * 8;
            const bool more_fragments = (offset_flags & 1u) != 0;
            const std::size_t frag_payload = ip.claimed_end - (pos + len);
            if ((frag_offset > 0 || more_fragments) && frag_offset + frag_payload > max_ip_packet)
                return Anomaly::fragment_bad;
            // Offset 0 without M is an atomic fragment (RFC 6946): a whole packet.
            ip.fragment = frag_offset > 0 ? Fragment::non_first
                          : more_fragments ? Fragment::first
                                           : Fragment::none;
            if (frag_offset > 0) {
                pos += len;
                next = following;
                break;
            }
        }
        pos += len;
        next = following;
    }
    ip.l4 = pos;
    ip.proto = next;
    return Anomaly::none;
}

Anomaly parse_ipv6(const ByteReader& r, std::size_t l3, FlowKey& key, IpInfo& ip) noexcept {
    if (!r.has(l3, 1)) return Anomaly::ipv6_truncated;
    if ((r.u8(l3) >> 4) != 6) return Anomaly::ip_version_mismatch;
    if (!r.has(l3, ipv6_header_len)) return Anomaly::ipv6_truncated;
    key.src = IpAddress::from_v6(U128{r.be64(l3 + 8), r.be64(l3 + 16)});
    key.dst = IpAddress::from_v6(U128{r.be64(l3 + 24), r.be64(l3 + 32)});

    const std::size_t payload_len = r.be16(l3 + 4);
    const std::uint8_t next = r.u8(l3 + 6);
    const std::size_t payload_start = l3 + ipv6_header_len;
    // Payload length 0 is either an empty packet (no next header) or a jumbogram (RFC 2675),
    // whose length is in a hop-by-hop option. A payload length above the capture is a snapped
    // packet, not an anomaly.
    std::uint32_t jumbo_len = 0;
    if (next == v6ext::hop_by_hop &&
        (!r.has(payload_start, 2) || !r.has(payload_start, ipv6_ext_len(next, r.u8(payload_start + 1)))))
        return Anomaly::ipv6_ext_truncated;  // cannot tell a jumbogram without its hop-by-hop header
    if (next == v6ext::hop_by_hop && find_jumbo_payload(r, payload_start, jumbo_len)) {
        if (payload_len != 0 || jumbo_len <= max_ip_packet) return Anomaly::ipv6_bad_payload_length;
        ip.jumbo = true;
        ip.claimed_end = payload_start + jumbo_len;
    } else {
        if (payload_len == 0 && next != v6ext::no_next) return Anomaly::ipv6_bad_payload_length;
        ip.claimed_end = payload_start + payload_len;
    }
    ip.end = std::min(ip.claimed_end, r.size());
    return walk_ipv6_extensions(r, payload_start, next, ip);
}

// ---------------------------------------------------------------------------------------------
// Fixed header length of the L4 protocols the parser reads; 0 for everything else (GRE, ESP,
// OSPF, IP-in-IP...), which is not parsed and not descended.
constexpr std::size_t l4_min_len(std::uint8_t proto) {
    switch (proto) {
        case ipproto::tcp: return 20;
        case ipproto::udp: return 8;
        case ipproto::sctp: return 12;
        case ipproto::icmp:
        case ipproto::ipv6_icmp: return 8;  // an ICMP error's quoted packet is payload, never header
        default: return 0;
    }
}

constexpr Anomaly l4_truncated(std::uint8_t proto) {
    switch (proto) {
        case ipproto::tcp: return Anomaly::tcp_truncated;
        case ipproto::udp: return Anomaly::udp_truncated;
        case ipproto::sctp: return Anomaly::sctp_truncated;
        default: return Anomaly::icmp_truncated;
    }
}

// Parses the L4 header at ip.l4; on success `header_end` is one past it (unchanged when the
// protocol is not one the parser reads).
Anomaly parse_l4(const ByteReader& r, const IpInfo& ip, FlowKey& key, std::size_t& header_end,
                 std::size_t& l4_offset) noexcept {
    const std::size_t min_len = l4_min_len(ip.proto);
    if (min_len == 0) return Anomaly::none;
    const std::size_t promised = ip.claimed_end - ip.l4;  // L4 bytes the IP length announces
    const std::size_t present = ip.end - ip.l4;           // of those, the captured ones
    const bool first_fragment = ip.fragment == Fragment::first;
    if (promised < min_len) return first_fragment ? Anomaly::fragment_too_small : l4_truncated(ip.proto);
    if (present < min_len) return l4_truncated(ip.proto);

    std::size_t len = min_len;
    if (ip.proto == ipproto::tcp) {
        len = static_cast<std::size_t>(r.u8(ip.l4 + 12) >> 4) * 4;
        if (len < 20) return Anomaly::tcp_bad_data_offset;
        if (len > promised) return first_fragment ? Anomaly::fragment_too_small : Anomaly::tcp_bad_data_offset;
        if (len > present) return Anomaly::tcp_truncated;
    } else if (ip.proto == ipproto::udp) {
        // A first fragment's UDP length covers the whole datagram, not this fragment.
        const std::size_t udp_len = r.be16(ip.l4 + 4);
        const bool jumbo_zero = ip.jumbo && udp_len == 0;
        if (!jumbo_zero && (udp_len < 8 || (!first_fragment && udp_len > promised)))
            return Anomaly::udp_bad_length;
    }
    if (ip.proto == ipproto::tcp || ip.proto == ipproto::udp || ip.proto == ipproto::sctp) {
        key.src_port = r.be16(ip.l4);
        key.dst_port = r.be16(ip.l4 + 2);
        key.has_ports = true;
    }
    l4_offset = ip.l4;
    header_end = ip.l4 + len;
    return Anomaly::none;
}

ParseOutcome fail(ParsedPacket& out, Anomaly a) noexcept {
    out.header_len = 0;
    out.l4_offset = 0;
    out.key.has_ports = false;
    out.outcome = ParseOutcome::anomaly;
    out.anomaly = a;
    return out.outcome;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
ParseOutcome detail::parse_packet_full(std::span<const std::uint8_t> frame, ParsedPacket& out) noexcept {
    out = ParsedPacket{};
    const ByteReader r(frame);

    std::size_t l3 = 0;
    std::uint16_t ethertype = 0;
    if (Anomaly a = parse_ethernet(r, l3, ethertype, out.vlan_count); a != Anomaly::none) return fail(out, a);
    out.l3_offset = to_u16(l3);
    if (ethertype != ethertype_ipv4 && ethertype != ethertype_ipv6) {
        out.outcome = ParseOutcome::not_ip;  // ARP, MPLS, LLDP, PPPoE, 802.3/LLC...
        return out.outcome;
    }

    IpInfo ip;
    if (Anomaly a = ethertype == ethertype_ipv4 ? parse_ipv4(r, l3, out.key, ip) : parse_ipv6(r, l3, out.key, ip);
        a != Anomaly::none)
        return fail(out, a);
    out.key.proto = ip.proto;
    out.key.fragment = ip.fragment;
    out.ip_end = to_u16(ip.end);
    out.snapped = ip.claimed_end > r.size();

    // Without a parseable L4 header (non-first fragment, GRE, ESP, no-next...) the L3 header,
    // options and extension headers included, is the whole header.
    std::size_t header_end = ip.l4;
    std::size_t l4_offset = 0;
    if (ip.fragment != Fragment::non_first) {
        if (Anomaly a = parse_l4(r, ip, out.key, header_end, l4_offset); a != Anomaly::none) return fail(out, a);
    }
    // header_end <= ip.end by construction; even the longest legal chain stays far below 65535.
    out.header_len = to_u16(header_end);
    out.l4_offset = to_u16(l4_offset);
    out.outcome = ParseOutcome::ok;
    return out.outcome;
}

}  // namespace flowsieve
