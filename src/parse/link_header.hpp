// link_header.hpp: the link layers an input capture may carry besides Ethernet, and the Ethernet
// header that stands in for each (run by the capture replay's feeder thread, once per frame).
//
// Why: the data path parses Ethernet frames, which is what every DPDK port delivers; captures
// taken on other links are common all the same: Linux "any" interfaces (cooked, SLL and SLL2),
// loopback and tunnel interfaces (BSD null/loop, raw IP), PPP links. Refusing them would lose
// every packet in them. The replay puts a 14-byte Ethernet header in place of the capture's own
// link header: zero destination, the link's source address where it has a 6-byte one (else
// zero), and the EtherType that the link header names. The bytes from the network layer on are
// the capture's own, so the parser, the policy and invariant 1 see exactly what they would
// on an Ethernet link, and the outputs stay Ethernet captures that every tool reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace flowsieve {

// The link types the replay takes, as libpcap's pcap_datalink reports them on Linux (its DLT_*
// values: LINKTYPE_RAW, 101 in a file, is reported as DLT_RAW, 12; capture_replay.cpp checks these
// against <pcap/dlt.h>).
namespace linktype {
inline constexpr int null = 0;        // BSD loopback: 4-byte address family, the writer's byte order
inline constexpr int ethernet = 1;
inline constexpr int ppp = 9;         // PPP, with or without the HDLC-like ff 03 in front
inline constexpr int raw_dlt = 12;    // raw IP, as libpcap names LINKTYPE_RAW (101) on Linux
inline constexpr int raw = 101;       // should a reader report the file's number itself
inline constexpr int loop = 108;      // OpenBSD loopback: the address family in network byte order
inline constexpr int linux_sll = 113;
inline constexpr int ipv4 = 228;
inline constexpr int ipv6 = 229;
inline constexpr int linux_sll2 = 276;
}  // namespace linktype

inline constexpr std::size_t ethernet_header_bytes = 14;

// True for Ethernet and for every link type ethernet_stand_in() converts.
bool link_type_supported(int linktype) noexcept;

// The Ethernet header that replaces `frame`'s link header: `header`'s first `length` bytes followed
// by the frame from `skip` on. `length` is 14, or 0 when the frame is too short to hold its link
// header: the result is then an empty frame (skip is the whole frame), which the parser counts as
// eth_truncated, never a packet it could select. A cooked header's protocol is kept as the
// EtherType (ARP stays 0x0806: not IP); a null family or PPP protocol that is not IP, and the cooked
// frames of FRAD, radiotap and Netlink, get EtherType 0: not IP either. For Ethernet itself skip
// and length are 0: the frame stays as it is.
struct EthernetStandIn {
    std::array<std::uint8_t, ethernet_header_bytes> header{};
    std::size_t length = 0;
    std::size_t skip = 0;
};
EthernetStandIn ethernet_stand_in(int linktype, std::span<const std::uint8_t> frame) noexcept;

// The converted frame's original (wire) length: the capture's, less the link header's bytes and
// plus the stand-in's, and never below the converted frame's own length (`frame_len`).
std::uint32_t stand_in_wire_len(const EthernetStandIn& s, std::uint32_t wire_len, std::uint32_t frame_len) noexcept;

}  // namespace flowsieve
