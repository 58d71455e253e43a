// classifier.hpp: the policy decision for one parsed packet against one Snapshot.
// Runs on worker lcores: noexcept, no allocation.
#pragma once

#include <cstdint>

#include "core/drop_reason.hpp"
#include "parse/packet_parser.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

struct Verdict {
    bool emit = false;
    DropReason reason = DropReason::no_rule;  // valid when !emit
    Category category = Category::transit;   // valid when emit
    std::uint32_t rule = no_index;
    std::uint32_t authorisation = no_index;
    std::uint32_t indicator = no_index;
    CountryCode src_cc = no_country;
    CountryCode dst_cc = no_country;
};

EndpointClass classify_endpoint(const Snapshot& s, const IpAddress& a) noexcept;

// The whole decision: anomalies, special addresses, domestic-domestic (invariant 3, whatever the
// rules say), rules in order, exclusions, then the authorisation's window at `time_ns` (invariant 2).
Verdict decide(const Snapshot& s, const ParsedPacket& p, std::uint64_t time_ns) noexcept;

}  // namespace flowsieve
