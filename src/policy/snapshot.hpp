// snapshot.hpp: one immutable generation of everything the workers classify against.
// Built by the control plane, published with one atomic pointer store, freed after an RCU grace period.
#pragma once

#include <cstdint>
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

    std::size_t memory_bytes() const;
};

}  // namespace flowsieve
