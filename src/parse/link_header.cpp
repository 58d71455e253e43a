// link_header.cpp: the Ethernet header standing in for another link layer's (replay feeder thread).
// Formats as tcpdump's link-layer header types page (tcpdump.org/linktypes.html) describes them.
#include "parse/link_header.hpp"

#include <algorithm>
#include <cstdint>

#include "parse/byte_reader.hpp"

namespace flowsieve {
namespace {

constexpr std::uint16_t ethertype_ipv4 = 0x0800, ethertype_ipv6 = 0x86DD;

// BSD address families in a null/loop header. AF_INET is 2 everywhere; AF_INET6 differs by system:
// 24 (NetBSD, OpenBSD), 28 (FreeBSD, DragonFly), 30 (macOS).
std::uint16_t ethertype_of_family(std::uint32_t family) noexcept {
    if (family == 2) return ethertype_ipv4;
    if (family == 24 || family == 28 || family == 30) return ethertype_ipv6;
    return 0;
}

// A raw IP packet says its version in its first nibble. Anything else is given IPv4's EtherType,
// so the parser counts it as the malformed IP packet it is (ip_version_mismatch, or ipv4_truncated
// when empty) rather than as a well-formed frame of another protocol.
std::uint16_t ethertype_of_version(const ByteReader& r) noexcept {
    return r.has(0, 1) && (r.u8(0) >> 4) == 6 ? ethertype_ipv6 : ethertype_ipv4;
}

EthernetStandIn stand_in(std::size_t skip, std::uint16_t ethertype, const std::uint8_t* mac = nullptr) noexcept {
    EthernetStandIn s;
    s.length = ethernet_header_bytes;
    s.skip = skip;
    if (mac)
        for (std::size_t i = 0; i < 6; ++i) s.header[6 + i] = mac[i];
    s.header[12] = static_cast<std::uint8_t>(ethertype >> 8);
    s.header[13] = static_cast<std::uint8_t>(ethertype & 0xff);
    return s;
}

// A frame too short to hold its link header: nothing of it is passed on (an empty frame, which the
// parser counts as eth_truncated).
EthernetStandIn cut_short(std::size_t size) noexcept {
    EthernetStandIn s;
    s.skip = size;
    return s;
}

// A cooked header's protocol field is an EtherType but for these ARPHRD types, where it is ignored
// (FRAD, radiotap) or a Netlink family: none of those frames is an IP packet.
std::uint16_t cooked_ethertype(std::uint16_t arphrd, std::uint16_t protocol) noexcept {
    return arphrd == 770 || arphrd == 803 || arphrd == 824 ? 0 : protocol;
}

// Linux cooked headers: the link-layer address, where it is a 6-byte (Ethernet) one, becomes the
// source address. For SLL, libpcap puts a VLAN tag the kernel stripped back behind the header,
// with the protocol 0x8100, which is where an Ethernet frame has it too (for SLL2 it does not:
// the protocol is the packet's own).
EthernetStandIn sll(std::span<const std::uint8_t> f) noexcept {
    const ByteReader r(f);
    constexpr std::size_t len = 16;  // packet type, ARPHRD type, address length, address (8), protocol
    if (!r.has(0, len)) return cut_short(f.size());
    return stand_in(len, cooked_ethertype(r.be16(2), r.be16(14)), r.be16(4) == 6 ? f.data() + 6 : nullptr);
}
EthernetStandIn sll2(std::span<const std::uint8_t> f) noexcept {
    const ByteReader r(f);
    constexpr std::size_t len = 20;  // protocol, reserved, ifindex (4), ARPHRD type, packet type, address length, address (8)
    if (!r.has(0, len)) return cut_short(f.size());
    return stand_in(len, cooked_ethertype(r.be16(8), r.be16(0)), r.u8(11) == 6 ? f.data() + 12 : nullptr);
}

// PPP: the HDLC-like address and control bytes (ff 03) when present, then the protocol, one byte
// when compressed (RFC 1661 6.5: an odd first byte).
EthernetStandIn ppp(const ByteReader& r, std::size_t size) noexcept {
    std::size_t pos = r.has(0, 2) && r.u8(0) == 0xff && r.u8(1) == 0x03 ? 2 : 0;
    if (!r.has(pos, 1)) return cut_short(size);
    std::uint16_t protocol = r.u8(pos);
    if (protocol & 1) {
        pos += 1;
    } else {
        if (!r.has(pos, 2)) return cut_short(size);
        protocol = r.be16(pos);
        pos += 2;
    }
    return stand_in(pos, protocol == 0x0021 ? ethertype_ipv4 : protocol == 0x0057 ? ethertype_ipv6 : 0);
}

EthernetStandIn null_header(const ByteReader& r, std::size_t size, bool network_order) noexcept {
    if (!r.has(0, 4)) return cut_short(size);
    std::uint32_t family = r.be32(0);
    // The null header is in the byte order of the machine that wrote it, which the file does not
    // say: a family is a small number, so a value past 16 bits was written the other way round.
    if (!network_order && family > 0xffff) family = __builtin_bswap32(family);
    return stand_in(4, ethertype_of_family(family));
}

}  // namespace

bool link_type_supported(int t) noexcept {
    switch (t) {
    case linktype::ethernet: case linktype::null: case linktype::loop: case linktype::ppp:
    case linktype::raw_dlt: case linktype::raw: case linktype::ipv4: case linktype::ipv6:
    case linktype::linux_sll: case linktype::linux_sll2:
        return true;
    default:
        return false;
    }
}

EthernetStandIn ethernet_stand_in(int t, std::span<const std::uint8_t> frame) noexcept {
    const ByteReader r(frame);
    switch (t) {
    case linktype::null: return null_header(r, frame.size(), false);
    case linktype::loop: return null_header(r, frame.size(), true);
    case linktype::ppp: return ppp(r, frame.size());
    case linktype::raw_dlt: case linktype::raw: return stand_in(0, ethertype_of_version(r));
    case linktype::ipv4: return stand_in(0, ethertype_ipv4);
    case linktype::ipv6: return stand_in(0, ethertype_ipv6);
    case linktype::linux_sll: return sll(frame);
    case linktype::linux_sll2: return sll2(frame);
    default: return {};  // Ethernet (and, should a caller skip link_type_supported, the frame as it is)
    }
}

std::uint32_t stand_in_wire_len(const EthernetStandIn& s, std::uint32_t wire_len, std::uint32_t frame_len) noexcept {
    const std::uint64_t w = std::uint64_t{wire_len} - std::min<std::uint64_t>(wire_len, s.skip) + s.length;
    return static_cast<std::uint32_t>(std::max<std::uint64_t>(frame_len, std::min<std::uint64_t>(w, UINT32_MAX)));
}

}  // namespace flowsieve
