// packet_builder.cpp: byte-level frame construction (generator packet loop, one thread).
#include "packet_builder.hpp"

#include <algorithm>

#include "core/flow_key.hpp"

namespace flowsieve::gen {
namespace {

constexpr std::uint16_t ethertype_ipv4 = 0x0800, ethertype_ipv6 = 0x86DD, ethertype_arp = 0x0806,
                        ethertype_lldp = 0x88CC, tpid_8021q = 0x8100, tpid_8021ad = 0x88A8;

class Writer {
public:
    explicit Writer(std::vector<std::uint8_t>& b) : b_(b) {}
    void u8(std::uint8_t v) { b_.push_back(v); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void u64(std::uint64_t v) {
        u32(static_cast<std::uint32_t>(v >> 32));
        u32(static_cast<std::uint32_t>(v));
    }
    void bytes(std::span<const std::uint8_t> s) { b_.insert(b_.end(), s.begin(), s.end()); }
    void zeros(std::size_t n) { b_.insert(b_.end(), n, std::uint8_t{0}); }
    std::size_t size() const { return b_.size(); }

private:
    std::vector<std::uint8_t>& b_;
};

void write_ethernet(Writer& w, const L2Spec& l2, std::uint16_t ethertype) {
    w.bytes(l2.dst);
    w.bytes(l2.src);
    for (std::uint8_t i = 0; i < l2.tags; ++i) {
        w.u16(i == 0 && l2.tags > 1 ? tpid_8021ad : tpid_8021q);
        w.u16(static_cast<std::uint16_t>((l2.vid + i) & 0x0FFF));
    }
    w.u16(ethertype);
}

std::size_t l4_header_len(const IpPacketSpec& s) {
    switch (s.proto) {
        case ipproto::tcp:
            return 20 + (s.tcp_options == TcpOptions::syn ? 20 : s.tcp_options == TcpOptions::timestamps ? 12 : 0);
        case ipproto::udp: return 8;
        case ipproto::sctp: return 12;
        case ipproto::icmp:
        case ipproto::ipv6_icmp: return 8;
        default: return 0;
    }
}

void write_l4(Writer& w, const IpPacketSpec& s, std::size_t l4_len) {
    switch (s.proto) {
        case ipproto::tcp: {
            w.u16(s.src_port);
            w.u16(s.dst_port);
            w.u32(s.seq);
            w.u32(s.ack);
            w.u8(static_cast<std::uint8_t>((l4_len / 4) << 4));
            w.u8(s.tcp_flags);
            w.u16(s.window);
            w.u16(0);  // checksum: set_l4_checksum, once the payload is there
            w.u16(0);  // urgent pointer
            if (s.tcp_options == TcpOptions::syn) {
                w.u8(2), w.u8(4), w.u16(1460);             // MSS
                w.u8(4), w.u8(2);                          // SACK permitted
                w.u8(8), w.u8(10), w.u32(s.ts_val), w.u32(0);  // timestamps
                w.u8(1);                                   // NOP
                w.u8(3), w.u8(3), w.u8(7);                 // window scale
            } else if (s.tcp_options == TcpOptions::timestamps) {
                w.u8(1), w.u8(1), w.u8(8), w.u8(10), w.u32(s.ts_val), w.u32(s.ts_val ^ 0x5a5a5a5au);
            }
            return;
        }
        case ipproto::udp: {
            w.u16(s.src_port);
            w.u16(s.dst_port);
            const std::size_t len = s.datagram_l4_len != 0 ? s.datagram_l4_len : l4_len + s.payload_len;
            w.u16(static_cast<std::uint16_t>(len));
            w.u16(0);
            return;
        }
        case ipproto::sctp:
            w.u16(s.src_port);
            w.u16(s.dst_port);
            w.u32(s.sctp_vtag);
            w.u32(0);  // CRC32c: not computed
            return;
        case ipproto::icmp:
        case ipproto::ipv6_icmp:
            w.u8(s.icmp_type);
            w.u8(0);
            w.u16(0);
            w.u16(s.icmp_id);
            w.u16(s.icmp_seq);
            return;
        default: return;
    }
}

// One inert 8-byte extension header (PadN for the option-carrying ones).
void write_v6_ext(Writer& w, std::uint8_t type, std::uint8_t next) {
    w.u8(next);
    w.u8(0);  // 8 bytes: (0 + 1) * 8, or for AH (0 + 2) * 4
    if (type == ext::hop_by_hop || type == ext::dst_opts) {
        w.u8(1), w.u8(4), w.zeros(4);  // PadN
    } else {
        w.zeros(6);
    }
}

std::uint32_t sum16(std::span<const std::uint8_t> b, std::uint32_t sum = 0) {
    std::size_t i = 0;
    for (; i + 1 < b.size(); i += 2) sum += static_cast<std::uint32_t>(b[i] << 8 | b[i + 1]);
    if (i < b.size()) sum += static_cast<std::uint32_t>(b[i] << 8);
    return sum;
}

std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

}  // namespace

FrameLayout build_ip_frame(const IpPacketSpec& s, std::vector<std::uint8_t>& out) {
    out.clear();
    Writer w(out);
    const bool v6 = s.src.is_v6();
    write_ethernet(w, s.l2, v6 ? ethertype_ipv6 : ethertype_ipv4);
    FrameLayout lay;
    lay.l3 = w.size();
    const bool has_l4 = s.frag != FragPart::non_first;
    const std::size_t l4_len = has_l4 ? l4_header_len(s) : 0;

    if (!v6) {
        const std::size_t header_len = 20 + (s.ipv4_router_alert ? 4 : 0);
        const std::size_t total = header_len + l4_len + s.payload_len;
        w.u8(static_cast<std::uint8_t>(0x40 | header_len / 4));
        w.u8(0);
        w.u16(static_cast<std::uint16_t>(total));
        w.u16(s.ip_id);
        std::uint16_t flags = s.dont_fragment ? 0x4000 : 0;
        if (s.frag == FragPart::first) flags = 0x2000;
        if (s.frag == FragPart::non_first)
            flags = static_cast<std::uint16_t>((s.more_fragments ? 0x2000 : 0) | (s.frag_offset & 0x1FFF));
        w.u16(flags);
        w.u8(s.ttl);
        w.u8(s.proto);
        w.u16(0);
        w.u32(s.src.v4);
        w.u32(s.dst.v4);
        if (s.ipv4_router_alert) w.u8(0x94), w.u8(4), w.u16(0);
    } else {
        // Chain: listed extension headers, then a fragment header for fragments, then L4.
        std::array<std::uint8_t, 14> chain{};
        std::size_t n = 0;
        for (std::size_t i = 0; i < s.v6_ext_count && i < s.v6_ext.size(); ++i) chain[n++] = s.v6_ext[i];
        if (s.frag != FragPart::none) chain[n++] = ext::fragment;
        const std::size_t payload = n * 8 + l4_len + s.payload_len;
        w.u32(0x60000000u | (s.ip_id & 0xFFFFFu));  // flow label from the IP id: fixed per packet
        w.u16(static_cast<std::uint16_t>(payload));
        w.u8(n > 0 ? chain[0] : s.proto);
        w.u8(s.ttl);
        w.u64(s.src.v6.hi), w.u64(s.src.v6.lo);
        w.u64(s.dst.v6.hi), w.u64(s.dst.v6.lo);
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint8_t next = i + 1 < n ? chain[i + 1] : s.proto;
            if (chain[i] == ext::fragment) {
                w.u8(next);
                w.u8(0);
                const std::uint16_t off = s.frag == FragPart::non_first ? s.frag_offset : 0;
                const bool more = s.frag == FragPart::first || s.more_fragments;
                w.u16(static_cast<std::uint16_t>(off << 3 | (more ? 1 : 0)));
                w.u32(0x10000u + s.ip_id);  // identification
            } else {
                write_v6_ext(w, chain[i], next);
            }
        }
    }
    lay.l4 = has_l4 && l4_len > 0 ? w.size() : 0;
    if (has_l4) write_l4(w, s, l4_len);
    lay.payload = w.size();
    w.zeros(s.payload_len);
    lay.ip_end = w.size();
    if (!v6) set_ipv4_checksum(out, lay.l3);
    return lay;
}

FrameLayout build_arp_frame(const L2Spec& l2, bool reply, std::uint32_t sender_ip, std::uint32_t target_ip,
                            std::vector<std::uint8_t>& out) {
    out.clear();
    Writer w(out);
    L2Spec eth = l2;
    if (!reply) eth.dst = Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    write_ethernet(w, eth, ethertype_arp);
    FrameLayout lay;
    lay.l3 = w.size();
    w.u16(1), w.u16(ethertype_ipv4), w.u8(6), w.u8(4), w.u16(reply ? 2 : 1);
    w.bytes(l2.src), w.u32(sender_ip);
    if (reply) w.bytes(l2.dst);
    else w.zeros(6);
    w.u32(target_ip);
    lay.payload = lay.ip_end = w.size();
    return lay;
}

FrameLayout build_lldp_frame(const L2Spec& l2, std::uint16_t port_number, std::vector<std::uint8_t>& out) {
    out.clear();
    Writer w(out);
    L2Spec eth = l2;
    eth.dst = Mac{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};  // nearest bridge
    eth.tags = 0;
    write_ethernet(w, eth, ethertype_lldp);
    FrameLayout lay;
    lay.l3 = w.size();
    auto tlv = [&](std::uint8_t type, std::size_t len) { w.u16(static_cast<std::uint16_t>(type << 9 | len)); };
    tlv(1, 7), w.u8(4), w.bytes(l2.src);  // chassis id: MAC address
    const std::string port = "ge-0/0/" + std::to_string(port_number % 48);
    tlv(2, 1 + port.size()), w.u8(5);     // port id: interface name
    for (char c : port) w.u8(static_cast<std::uint8_t>(c));
    tlv(3, 2), w.u16(120);                // TTL
    tlv(0, 0);                            // end of LLDPDU
    lay.payload = lay.ip_end = w.size();
    return lay;
}

void pad_frame(std::vector<std::uint8_t>& frame, std::size_t min_len) {
    if (frame.size() < min_len) frame.resize(min_len, 0);
}

void set_ipv4_checksum(std::span<std::uint8_t> frame, std::size_t l3) {
    const std::size_t header_len = std::size_t{frame[l3] & 0x0Fu} * 4;
    store16(frame, l3 + 10, 0);
    store16(frame, l3 + 10, fold(sum16(frame.subspan(l3, std::min(header_len, frame.size() - l3)))));
}

void set_l4_checksum(std::span<std::uint8_t> frame, const FrameLayout& lay) {
    if (lay.l4 == 0) return;
    const bool v6 = (frame[lay.l3] >> 4) == 6;
    std::uint8_t proto = 0;
    std::size_t checksum_at = 0;
    std::uint32_t sum = 0;
    const std::size_t l4_len = lay.ip_end - lay.l4;
    if (v6) {
        // The protocol is the next-header value that points at the L4 header; a first fragment's
        // checksum covers bytes this frame does not hold, so fragments are left alone.
        std::size_t pos = lay.l3 + 40;
        proto = frame[lay.l3 + 6];
        while (pos < lay.l4) {
            if (proto == ext::fragment) return;
            proto = frame[pos];
            pos += 8;
        }
        sum = sum16(frame.subspan(lay.l3 + 8, 32));
        sum += static_cast<std::uint32_t>(l4_len >> 16) + static_cast<std::uint32_t>(l4_len & 0xFFFF) + proto;
    } else {
        if ((load16(frame, lay.l3 + 6) & 0x3FFF) != 0) return;  // a fragment
        proto = frame[lay.l3 + 9];
        if (proto != ipproto::icmp) {
            sum = sum16(frame.subspan(lay.l3 + 12, 8));
            sum += static_cast<std::uint32_t>(l4_len) + proto;
        }
    }
    switch (proto) {
        case ipproto::tcp: checksum_at = lay.l4 + 16; break;
        case ipproto::udp: checksum_at = lay.l4 + 6; break;
        case ipproto::icmp:
        case ipproto::ipv6_icmp: checksum_at = lay.l4 + 2; break;
        default: return;
    }
    store16(frame, checksum_at, 0);
    std::uint16_t c = fold(sum16(frame.subspan(lay.l4, l4_len), sum));
    if (proto == ipproto::udp && c == 0) c = 0xFFFF;  // 0 means "no checksum" for UDP
    store16(frame, checksum_at, c);
}

}  // namespace flowsieve::gen
