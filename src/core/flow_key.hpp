// flow_key.hpp: the 5-tuple (plus fragment state) that the parser yields for one packet.
#pragma once

#include <cstdint>

#include "core/ip_address.hpp"

namespace flowsieve {

// IANA protocol numbers the policy and parser care about.
namespace ipproto {
inline constexpr std::uint8_t icmp = 1, tcp = 6, udp = 17, ah = 51, ipv6_icmp = 58, sctp = 132;
}

enum class Fragment : std::uint8_t {
    none = 0,      // not a fragment (IPv6 atomic fragments count as none)
    first = 1,     // offset 0, more fragments: the L4 header may be present
    non_first = 2, // offset > 0: no L4 header, so no ports
};

struct FlowKey {
    IpAddress src;
    IpAddress dst;
    std::uint16_t src_port = 0;  // host order; 0 when has_ports is false
    std::uint16_t dst_port = 0;
    std::uint8_t proto = 0;      // final upper-layer protocol of the outermost IP packet
    bool has_ports = false;      // true for TCP/UDP/SCTP with a complete L4 header
    Fragment fragment = Fragment::none;
    friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

}  // namespace flowsieve
