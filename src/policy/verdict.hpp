// verdict.hpp: what the classifier says about one packet (classifier.hpp) and what a flow cache
// entry remembers of it (flow_cache.hpp).
#pragma once

#include <cstdint>

#include "core/country_code.hpp"
#include "core/drop_reason.hpp"
#include "policy/rule.hpp"

namespace flowsieve {

struct Verdict {
    bool emit = false;
    // Why it is dropped when !emit. Always a valid DropReason, emitted or not (then whatever the
    // rules left there): the worker counts every packet against its reason, adding 0 when emitted.
    DropReason reason = DropReason::no_rule;
    Category category = Category::transit;   // valid when emit
    std::uint32_t rule = no_index;
    std::uint32_t authorisation = no_index;
    std::uint32_t indicator = no_index;
    CountryCode src_cc = no_country;
    CountryCode dst_cc = no_country;
};

}  // namespace flowsieve
