// special_blocks.hpp: the RFC 6890 special-purpose address blocks (IANA registries), built in.
// Addresses inside them are class `special`: never domestic, never foreign.
#pragma once

#include <string_view>
#include <vector>

#include "tables/prefix_table.hpp"

namespace flowsieve {

struct SpecialBlock {
    std::string_view prefix;
    std::string_view what;
};

// IPv4 and IPv6 special-purpose blocks, from the IANA special-purpose address registries
// (RFC 6890 and its updates) plus multicast (RFC 5771, RFC 4291) and IPv4 class E.
const std::vector<SpecialBlock>& special_blocks();

// A PrefixTable whose value is 1 + index into special_blocks().
PrefixTable build_special_table();

}  // namespace flowsieve
