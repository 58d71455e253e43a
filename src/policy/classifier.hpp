// classifier.hpp: the policy decision for one parsed packet against one Snapshot.
// Runs on worker lcores: noexcept, no allocation.
#pragma once

#include <cstdint>
#include <vector>

#include "core/drop_reason.hpp"
#include "parse/packet_parser.hpp"
#include "policy/endpoint_cache.hpp"
#include "policy/flow_cache.hpp"
#include "policy/snapshot.hpp"
#include "policy/verdict.hpp"

namespace flowsieve {

// Control plane, after the tables and rules of `s` are final: builds s.index (one combined
// endpoint LPM, rule candidates per endpoint-kind pair, hot copies of the rules with their
// authorisation windows). Any later change to the tables, rules or windows needs another call. Decisions are the same with or without it; only their cost differs.
// Returns, for a warning, the operators (indices) some of whose prefixes hold addresses the country
// tables give to a foreign country (they count as the operator all the same): the combined table's
// build is the one walk that sees each operator interval's country.
std::vector<std::uint16_t> prepare_classifier(Snapshot& s);

EndpointClass classify_endpoint(const Snapshot& s, const IpAddress& a) noexcept;
// The reference: three lookups (special blocks, operators, countries), whatever s.index holds.
EndpointClass classify_endpoint_reference(const Snapshot& s, const IpAddress& a) noexcept;

// The whole decision: anomalies, special addresses, domestic-domestic (invariant 3, whatever the
// rules say), rules in order, exclusions, then the authorisation's window at `time_ns` (invariant 2).
Verdict decide(const Snapshot& s, const ParsedPacket& p, std::uint64_t time_ns) noexcept;

// decide() for n packets (out[i] == decide(s, p[i], times[i])), staged over the burst so that the
// cache misses overlap: every endpoint lookup first (bulk, prefetched), then the indicator lookups
// of the endpoints, then the rules per packet. With caches (the calling worker's own), flows whose
// verdict is remembered from the same snapshot skip everything else, and endpoints remembered skip
// their lookups; the verdicts are the same with or without either.
void decide_bulk(const Snapshot& s, const ParsedPacket* p, const std::uint64_t* times, Verdict* out,
                 std::size_t n, EndpointCache* cache = nullptr, FlowCache* flows = nullptr) noexcept;

}  // namespace flowsieve
