// packet_parser.hpp: header parser over a byte span (Ethernet frame), bounds-checked reads only.
// Runs on worker lcores: no allocation, no exceptions, no logging. Decode is independent of
// capture: it takes bytes, not mbufs.
#pragma once

#include <cstdint>
#include <span>

#include "core/drop_reason.hpp"
#include "core/flow_key.hpp"

namespace flowsieve {

// Bounds the parser enforces on hostile input.
// The texts of Anomaly::vlan_too_deep and ipv6_ext_chain_too_long (drop_reason.hpp) and the README
// name these numbers.
inline constexpr int max_vlan_tags = 4;
inline constexpr int max_ipv6_ext_headers = 8;

enum class ParseOutcome : std::uint8_t {
    ok = 0,       // key and header_len are valid
    not_ip = 1,   // a well-formed frame that carries no IPv4/IPv6 packet (ARP, LLDP...)
    anomaly = 2,  // malformed; `anomaly` names what
};

struct ParsedPacket {
    FlowKey key;
    // Bytes from the start of the frame that invariant 1 lets leave: up to the end of the
    // outermost L4 header (TCP incl. options, UDP 8, SCTP common header 12, ICMP/ICMPv6 8), or up to
    // the end of the L3 header (with IPv4 options / IPv6 extension headers) when there is no
    // parseable L4 header (non-first fragments, other protocols). Never past the IP length field's
    // end, never past the captured bytes, never into Ethernet padding.
    // Zero unless outcome == ok.
    std::uint16_t header_len = 0;
    std::uint16_t l3_offset = 0;   // where the outermost IP header starts
    // Frame offset one past the IP packet (total/payload length), bounded by the captured bytes
    // (a snapped packet's ip_end is the frame size; saturates at 65535 for jumbograms).
    std::uint16_t ip_end = 0;
    std::uint16_t l4_offset = 0;   // where the L4 header starts; 0 when there is no parsed L4 header
    std::uint8_t vlan_count = 0;
    ParseOutcome outcome = ParseOutcome::anomaly;
    Anomaly anomaly = Anomaly::none;
    // The IP length says more bytes than were captured (snaplen). Not an anomaly: every header
    // needed was captured, and everything is bounded by the captured bytes.
    bool snapped = false;
    friend bool operator==(const ParsedPacket&, const ParsedPacket&) = default;  // every field
};

// Parses one Ethernet II frame. Never reads outside `frame`. Tunnels are not descended: the key
// holds the outermost IP endpoints. Fragments: a non-first fragment has no L4 header (no ports);
// a first fragment's L4 header must fit inside it (else fragment_too_small), and its UDP length
// may exceed the fragment (it covers the whole datagram).
inline ParseOutcome parse_packet(std::span<const std::uint8_t> frame, ParsedPacket& out) noexcept;

namespace detail {
// The general parser alone, without the common-shape shortcut that parse_packet tries first
// (fast_path.hpp). Same contract and, for every input, the same result as parse_packet; exposed so
// that tests and the fuzz target can check exactly that.
ParseOutcome parse_packet_full(std::span<const std::uint8_t> frame, ParsedPacket& out) noexcept;
// The shortcut for the common shapes (fast_path.hpp, included below): true with `out` filled as
// parse_packet_full would, or false where that must decide.
inline bool parse_common_shape(std::span<const std::uint8_t> frame, ParsedPacket& out) noexcept;
}  // namespace detail

// The common shapes take the shortcut; it declines everything else, anomalies included, so the
// result is always the full parser's. Inline, so that the shortcut runs in the caller's loop
// without a call (the worker's parse stage: 3% fewer instructions, callgrind; perf/RESULTS.md Run 13).
inline ParseOutcome parse_packet(std::span<const std::uint8_t> frame, ParsedPacket& out) noexcept {
    if (detail::parse_common_shape(frame, out)) [[likely]]
        return ParseOutcome::ok;
    return detail::parse_packet_full(frame, out);
}

}  // namespace flowsieve

#include "parse/fast_path.hpp"
