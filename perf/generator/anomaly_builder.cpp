// anomaly_builder.cpp: one malformation per parser anomaly (generator packet loop, one thread).
#include "anomaly_builder.hpp"

#include <algorithm>

#include "core/flow_key.hpp"
#include "parse/packet_parser.hpp"

namespace flowsieve::gen {
namespace {

// Nine extension headers (one more than the parser allows), none repeated beyond what RFC 8200
// allows (destination options twice): the chain is too long before it is anything else. No AH:
// the builder writes 8-byte headers, and an 8-byte AH is ah_bad_length.
constexpr std::uint8_t long_chain[] = {ext::hop_by_hop, ext::dst_opts, ext::routing, ext::mobility, ext::hip,
                                       ext::shim6,      ext::exp1,     ext::exp2,    ext::dst_opts};
static_assert(std::size(long_chain) == max_ipv6_ext_headers + 1);
static_assert(max_vlan_tags + 1 <= 8, "the builder writes a handful of tags");

bool is_v6(const std::vector<std::uint8_t>& f, const FrameLayout& lay) { return (f[lay.l3] >> 4) == 6; }

// Ends the IP packet at `end` (a frame offset) and makes its length field say so.
void cut_ip_packet(std::vector<std::uint8_t>& f, FrameLayout& lay, std::size_t end) {
    f.resize(end);
    if (is_v6(f, lay)) {
        store16(f, lay.l3 + 4, static_cast<std::uint16_t>(end - lay.l3 - 40));
    } else {
        store16(f, lay.l3 + 2, static_cast<std::uint16_t>(end - lay.l3));
        set_ipv4_checksum(f, lay.l3);
    }
    lay.ip_end = end;
    lay.payload = std::min(lay.payload, end);
}

void set_chain(IpPacketSpec& s, std::initializer_list<std::uint8_t> types) {
    s.v6_ext_count = 0;
    for (std::uint8_t t : types) s.v6_ext[s.v6_ext_count++] = t;
}

}  // namespace

Family anomaly_family(Anomaly a) {
    switch (a) {
        case Anomaly::ipv4_truncated:
        case Anomaly::ipv4_bad_ihl:
        case Anomaly::ipv4_bad_total_length:
        case Anomaly::ipv4_bad_options:
        case Anomaly::ipv4_ah_truncated:
        case Anomaly::ipv4_ah_repeated:
        case Anomaly::ah_bad_length: return Family::v4;
        case Anomaly::ipv6_truncated:
        case Anomaly::ipv6_bad_payload_length:
        case Anomaly::ipv6_ext_truncated:
        case Anomaly::ipv6_ext_chain_too_long:
        case Anomaly::ipv6_ext_duplicate: return Family::v6;
        default: return Family::none;
    }
}

void prepare_anomaly(Anomaly a, IpPacketSpec& s, Rng& rng) {
    const bool v6 = s.src.is_v6();
    s.ipv4_router_alert = false;
    s.v6_ext_count = 0;
    s.frag = FragPart::none;
    s.tcp_options = TcpOptions::none;
    s.datagram_l4_len = 0;
    switch (a) {
        case Anomaly::vlan_truncated: s.l2.tags = static_cast<std::uint8_t>(1 + below(rng, 2)); break;
        case Anomaly::vlan_too_deep: s.l2.tags = static_cast<std::uint8_t>(max_vlan_tags + 1); break;
        case Anomaly::ipv4_bad_options: s.ipv4_router_alert = true; break;
        case Anomaly::ipv6_bad_payload_length: s.proto = ipproto::tcp; break;
        case Anomaly::ipv6_ext_truncated: set_chain(s, {ext::dst_opts}); break;
        case Anomaly::ipv6_ext_chain_too_long:
            s.v6_ext_count = 0;
            for (std::uint8_t t : long_chain) s.v6_ext[s.v6_ext_count++] = t;
            break;
        case Anomaly::ipv6_ext_duplicate:
            switch (below(rng, 3)) {
                case 0: set_chain(s, {ext::routing, ext::routing}); break;
                case 1: set_chain(s, {ext::dst_opts, ext::dst_opts, ext::dst_opts}); break;
                default: set_chain(s, {ext::hop_by_hop, ext::dst_opts, ext::hop_by_hop}); break;
            }
            break;
        case Anomaly::fragment_bad:
            // The last possible offset (65528) plus at least 8 bytes reaches past 65535.
            s.frag = FragPart::non_first;
            s.frag_offset = 0x1FFF;
            s.payload_len = static_cast<std::uint16_t>(std::max<std::uint16_t>(s.payload_len, 8));
            break;
        case Anomaly::fragment_too_small:
            s.frag = FragPart::first;
            s.proto = ipproto::tcp;
            break;
        case Anomaly::ipv4_ah_truncated:
        case Anomaly::ipv4_ah_repeated:
        case Anomaly::ah_bad_length:
        case Anomaly::tcp_truncated:
        case Anomaly::tcp_bad_data_offset: s.proto = ipproto::tcp; break;
        case Anomaly::udp_truncated:
        case Anomaly::udp_bad_length: s.proto = ipproto::udp; break;
        case Anomaly::sctp_truncated: s.proto = ipproto::sctp; break;
        case Anomaly::icmp_truncated:
            s.proto = v6 ? ipproto::ipv6_icmp : ipproto::icmp;
            s.icmp_type = v6 ? 128 : 8;
            break;
        default: break;
    }
}

// Makes the IPv4 header's protocol an AH whose first two bytes (next header, length in 4-byte
// units less 2) take the place of the L4 header's, as far as the frame still holds them.
void put_ipv4_ah(std::vector<std::uint8_t>& f, std::size_t l3, std::size_t l4, std::uint8_t next, std::uint8_t len) {
    f[l3 + 9] = ipproto::ah;
    if (f.size() > l4) f[l4] = next;
    if (f.size() > l4 + 1) f[l4 + 1] = len;
    set_ipv4_checksum(f, l3);
}

bool apply_anomaly(Anomaly a, std::vector<std::uint8_t>& f, FrameLayout& lay, Rng& rng) {
    const std::size_t l3 = lay.l3, l4 = lay.l4;
    switch (a) {
        case Anomaly::eth_truncated: f.resize(between(rng, 1, 13)); return true;
        case Anomaly::vlan_truncated: f.resize(l3 - 4 + below(rng, 4)); return true;  // inside the last tag
        case Anomaly::ip_version_mismatch:
            f[l3] = static_cast<std::uint8_t>((f[l3] & 0x0F) | (is_v6(f, lay) ? 0x40 : 0x60));
            return false;
        case Anomaly::ipv4_truncated: f.resize(l3 + between(rng, 1, 19)); return true;
        case Anomaly::ipv4_bad_ihl: f[l3] = static_cast<std::uint8_t>(0x40 | below(rng, 5)); return false;
        case Anomaly::ipv4_bad_total_length:
            store16(f, l3 + 2, static_cast<std::uint16_t>(below(rng, 20)));
            set_ipv4_checksum(f, l3);
            return false;
        case Anomaly::ipv4_bad_options:
            // The router-alert option's length byte: below 2, or past the 4 option bytes.
            f[l3 + 21] = static_cast<std::uint8_t>(below(rng, 2) == 0 ? below(rng, 2) : between(rng, 5, 40));
            set_ipv4_checksum(f, l3);
            return false;
        // The TCP header's place taken by an authentication header (RFC 4302): one of 24 bytes
        // with fewer left in the packet, or one of 12 (the smallest) naming another AH next.
        case Anomaly::ipv4_ah_truncated:
            cut_ip_packet(f, lay, l4 + between(rng, 1, 23));
            put_ipv4_ah(f, l3, l4, ipproto::tcp, 4);
            return false;
        case Anomaly::ipv4_ah_repeated: put_ipv4_ah(f, l3, l4, ipproto::ah, 1); return false;
        case Anomaly::ah_bad_length:  // length byte 0: 8 bytes, short of the 12 fixed ones
            put_ipv4_ah(f, l3, l4, ipproto::tcp, 0);
            return false;
        case Anomaly::ipv6_truncated: f.resize(l3 + between(rng, 1, 39)); return true;
        case Anomaly::ipv6_bad_payload_length: store16(f, l3 + 4, 0); return false;
        case Anomaly::ipv6_ext_truncated:
            f[l3 + 41] = static_cast<std::uint8_t>(between(rng, 200, 255));  // (n + 1) * 8 >= 1608 bytes
            return false;
        // At least one L4 byte: an empty IPv6 payload would be a bad payload length first.
        case Anomaly::fragment_too_small:
        case Anomaly::tcp_truncated:
            cut_ip_packet(f, lay, l4 + between(rng, 1, 19));
            return false;
        case Anomaly::tcp_bad_data_offset: f[l4 + 12] = static_cast<std::uint8_t>(below(rng, 5) << 4); return false;
        case Anomaly::udp_truncated: cut_ip_packet(f, lay, l4 + between(rng, 1, 7)); return false;
        case Anomaly::udp_bad_length: {
            const std::size_t promised = lay.ip_end - l4;
            store16(f, l4 + 4,
                    static_cast<std::uint16_t>(below(rng, 2) == 0 ? below(rng, 8) : promised + between(rng, 1, 200)));
            return false;
        }
        case Anomaly::sctp_truncated: cut_ip_packet(f, lay, l4 + between(rng, 1, 11)); return false;
        case Anomaly::icmp_truncated: cut_ip_packet(f, lay, l4 + between(rng, 1, 7)); return false;
        // Made in the spec alone; no default, so that a new anomaly is a compiler warning here.
        case Anomaly::none:
        case Anomaly::vlan_too_deep:
        case Anomaly::ipv6_ext_chain_too_long:
        case Anomaly::ipv6_ext_duplicate:
        case Anomaly::fragment_bad: return false;
    }
    return false;
}

}  // namespace flowsieve::gen
