// drop_reason.hpp: the one table of drop reasons and parser anomalies (VPP-style).
// Stats, summary tables, tests and README are all generated from these X-macros.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flowsieve {

// Parser anomalies: malformed or truncated headers. Each is also a drop reason.
#define FLOWSIEVE_ANOMALIES(X)                                                                   \
    X(eth_truncated, "frame shorter than an Ethernet header")                                   \
    X(vlan_truncated, "VLAN tag cut short")                                                     \
    X(vlan_too_deep, "more than 4 stacked VLAN tags (a bound on hostile input)")                 \
    X(ip_version_mismatch, "IP version field disagrees with the EtherType")                     \
    X(ipv4_truncated, "IPv4 header cut short")                                                  \
    X(ipv4_bad_ihl, "IPv4 IHL below 5")                                                         \
    X(ipv4_bad_total_length, "IPv4 total length below the header length") \
    X(ipv4_bad_options, "IPv4 option overruns the header")                                      \
    X(ipv4_ah_truncated, "IPv4 authentication header (AH) cut short")                           \
    X(ipv4_ah_repeated, "IPv4 AH directly behind another AH: a nesting the parser does not walk") \
    X(ipv6_truncated, "IPv6 header cut short")                                                  \
    X(ipv6_bad_payload_length, "IPv6 payload length 0 without a valid jumbogram")                 \
    X(ipv6_ext_truncated, "IPv6 extension header cut short")                                    \
    X(ipv6_ext_chain_too_long, "more than 8 IPv6 extension headers (a bound on hostile input)")   \
    X(ipv6_ext_duplicate, "IPv6 extension header repeated where RFC 8200 forbids it")           \
    X(ah_bad_length, "AH length below its 12 fixed bytes, or in IPv6 not a multiple of 8 (RFC 4302)") \
    X(fragment_bad, "fragment with an impossible offset or length")                             \
    X(fragment_too_small, "first fragment too short to hold the L4 header")                     \
    X(tcp_truncated, "TCP header cut short")                                                    \
    X(tcp_bad_data_offset, "TCP data offset below 5 or beyond the IP payload")                  \
    X(udp_truncated, "UDP header cut short")                                                    \
    X(udp_bad_length, "UDP length disagrees with the IP payload")                               \
    X(sctp_truncated, "SCTP common header cut short")                                           \
    X(icmp_truncated, "ICMP header cut short")

enum class Anomaly : std::uint8_t {
    none = 0,
#define FLOWSIEVE_X(name, text) name,
    FLOWSIEVE_ANOMALIES(FLOWSIEVE_X)
#undef FLOWSIEVE_X
};

// Every way a received packet can end without being emitted. Anomalies come first, with the same
// numbering as Anomaly (so drop_reason_of(anomaly) is an addition).
#define FLOWSIEVE_POLICY_DROPS(X)                                                          \
    X(not_ip, "not an IPv4 or IPv6 packet (ARP, LLDP, ...)")                              \
    X(special_address, "an endpoint in a special-purpose block (RFC 6890)")              \
    X(domestic_domestic, "both endpoints domestic: never in scope")                      \
    X(excluded_port, "e-mail or another excluded protocol/port")                         \
    X(fragment_no_ports, "non-first fragment: ports unknown, cannot pass port exclusions") \
    X(no_rule, "no rule covers this pair of endpoint classes and indicators")            \
    X(unauthorised, "a rule matched but its authorisation is not valid at the packet's time") \
    X(ring_full, "the record ring towards the exporter was full")

enum class DropReason : std::uint8_t {
#define FLOWSIEVE_X(name, text) anomaly_##name,
    FLOWSIEVE_ANOMALIES(FLOWSIEVE_X)
#undef FLOWSIEVE_X
#define FLOWSIEVE_X(name, text) name,
    FLOWSIEVE_POLICY_DROPS(FLOWSIEVE_X)
#undef FLOWSIEVE_X
    count_
};

inline constexpr std::size_t drop_reason_count = static_cast<std::size_t>(DropReason::count_);
inline constexpr std::size_t anomaly_count = static_cast<std::size_t>(DropReason::not_ip);

constexpr DropReason drop_reason_of(Anomaly a) {
    return static_cast<DropReason>(static_cast<std::uint8_t>(a) - 1);
}

// Stable names ("anomaly_tcp_truncated", "unauthorised", ...) and one-line descriptions.
inline constexpr std::array<std::string_view, drop_reason_count> drop_reason_names = {
#define FLOWSIEVE_X(name, text) "anomaly_" #name,
    FLOWSIEVE_ANOMALIES(FLOWSIEVE_X)
#undef FLOWSIEVE_X
#define FLOWSIEVE_X(name, text) #name,
    FLOWSIEVE_POLICY_DROPS(FLOWSIEVE_X)
#undef FLOWSIEVE_X
};
inline constexpr std::array<std::string_view, drop_reason_count> drop_reason_texts = {
#define FLOWSIEVE_X(name, text) text,
    FLOWSIEVE_ANOMALIES(FLOWSIEVE_X) FLOWSIEVE_POLICY_DROPS(FLOWSIEVE_X)
#undef FLOWSIEVE_X
};

constexpr std::string_view name_of(DropReason r) { return drop_reason_names[static_cast<std::size_t>(r)]; }
constexpr std::string_view name_of(Anomaly a) {
    return a == Anomaly::none ? std::string_view{"none"} : name_of(drop_reason_of(a)).substr(8);
}

}  // namespace flowsieve
