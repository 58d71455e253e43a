// snapshot.hpp: one immutable generation of everything the workers classify against.
// Built by the control plane, published with one atomic pointer store, freed after an RCU grace period.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "policy/authorisation.hpp"
#include "policy/endpoint_class.hpp"
#include "policy/rule.hpp"
#include "tables/country_table.hpp"
#include "tables/indicator_table.hpp"
#include "tables/prefix_table.hpp"

namespace flowsieve {

struct OperatorInfo {
    std::string id;    // config id, e.g. "tokyo-power"
    std::string name;  // human name
};

inline constexpr std::size_t endpoint_kind_count = 5;  // EndpointKind values 0..4

// What the classifier reads of one rule, in one cache line (a Rule is ~8 KiB: its port bitset sits
// between its first fields and its authorisation). Built by prepare_classifier from the Rule and
// its authorisation's window; same decisions as the Rule itself.
struct HotRule {
    static constexpr std::uint16_t none = 0xffff;
    static constexpr std::size_t small_ports_max = 8;
    // The authorisation's window [from, until) in packet time; empty (never valid) when the rule
    // has no usable authorisation.
    std::int64_t from_ns = std::numeric_limits<std::int64_t>::max();
    std::int64_t until_ns = std::numeric_limits<std::int64_t>::min();
    std::uint32_t required_sets = 0;
    std::uint32_t authorisation = no_index;
    std::uint16_t operator_index = 0;
    std::uint16_t protocol_set = none;  // index into ClassifierIndex::protocol_sets, or none excluded
    std::uint16_t port_set = none;      // index into ClassifierIndex::port_sets; none: small_ports
    std::uint16_t small_ports[small_ports_max]{};  // the excluded ports when there are this few
    std::uint8_t small_port_count = 0;
    EndpointKind near = EndpointKind::foreign;
    Category category = Category::transit;
    bool excludes_ports = false;

    // Invariant 2 for the hot path: whether the window holds a packet of time t (the classifier's
    // rule walk and the flow cache's recheck of a remembered verdict ask the same question).
    bool open_at(std::int64_t t) const noexcept { return t >= from_ns && t < until_ns; }
};

// Derived from a snapshot's tables and rules by prepare_classifier() (policy/classifier.hpp), so
// that the data path does per packet only what depends on the packet. Not ready: decide() uses the
// tables and rules directly (the reference path; same decisions).
struct ClassifierIndex {
    bool ready = false;
    // Unique per prepare_classifier call in this process (never 0 once ready): what a worker's
    // EndpointCache binds to, so answers remembered from one snapshot never serve another.
    std::uint64_t serial = 0;
    // special > operator > country, folded into one LPM per endpoint: value = index into classes
    // (0: the default class, unknown without a country).
    PrefixTable endpoints;
    std::vector<EndpointClass> classes;
    // Per (src kind, dst kind) pair p = src * endpoint_kind_count + dst: the rules whose endpoint
    // pair can match (rule order kept), candidates[pair_begin[p] .. pair_begin[p + 1]).
    std::array<std::uint32_t, endpoint_kind_count * endpoint_kind_count + 1> pair_begin{};
    std::vector<std::uint32_t> candidates;
    // Whether any candidate of the pair requires an indicator hit (else decide() looks no indicator
    // up; decide_bulk looks up every endpoint its cache misses, to keep the entry whole).
    std::array<bool, endpoint_kind_count * endpoint_kind_count> pair_needs_indicators{};
    // Whether every candidate of the pair requires indicator sets, and the union of those sets: when
    // neither endpoint is in any of them, no candidate can match (no_rule) and the rules are skipped.
    std::array<bool, endpoint_kind_count * endpoint_kind_count> pair_only_indicator_rules{};
    std::array<std::uint32_t, endpoint_kind_count * endpoint_kind_count> pair_required_sets{};
    // Parallel to Snapshot::rules. The exclusion sets are shared: most rules exclude only the
    // default e-mail ports (held in small_ports) and no protocol.
    std::vector<HotRule> rules;
    std::vector<std::bitset<65536>> port_sets;
    std::vector<std::bitset<256>> protocol_sets;

    std::size_t memory_bytes() const {
        return endpoints.memory_bytes() + classes.capacity() * sizeof(EndpointClass) +
               candidates.capacity() * sizeof(std::uint32_t) + rules.capacity() * sizeof(HotRule) +
               port_sets.capacity() * sizeof(port_sets[0]) + protocol_sets.capacity() * sizeof(protocol_sets[0]);
    }
};

struct Snapshot {
    std::uint64_t generation = 0;
    DomesticSet domestic;
    CountryTable countries;
    PrefixTable special;     // value: 1 + index into special_blocks()
    PrefixTable operators;   // value: 1 + operator index
    IndicatorTable indicators;
    std::vector<OperatorInfo> operator_info;
    std::vector<Rule> rules;
    std::vector<Authorisation> authorisations;
    std::vector<AuthWindow> windows;  // parallel to authorisations
    std::vector<std::string> refusals; // why an authorisation or rule was refused, one line each
    ClassifierIndex index;             // built last, from everything above (prepare_classifier)

    std::size_t memory_bytes() const;
};

}  // namespace flowsieve
