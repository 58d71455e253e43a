// stix_pattern.hpp: the IP addresses a STIX 2.1 indicator pattern names on their own. Control plane
// (the STIX indicator loader, stix_loader.cpp).
//
// A pattern is a Boolean expression over observations ("[ipv4-addr:value = '198.51.100.1' OR
// domain-name:value = 'a.example']", joined by OR, AND, FOLLOWEDBY, with qualifiers such as
// WITHIN 600 SECONDS). flowsieve matches addresses only, so what it can take from a pattern is the
// addresses that are enough by themselves for the pattern to match: the `ipv4-addr:value` /
// `ipv6-addr:value` comparisons (`=`, or `ISSUBSET` for a CIDR) that are a disjunct of the whole
// pattern, reached through OR alone, and the same comparisons of a network-traffic end
// (`network-traffic:dst_ref.value`, `src_ref.value`: traffic to or from the address). An address
// joined to anything by AND or FOLLOWEDBY, or under a qualifier, is only part of a condition: taking
// it alone would select traffic the indicator does not name, so it is not taken. One exception: a
// check of the same end's type beside it (MISP writes every ip-dst indicator as
// `network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '...'`) is true
// of every address of that family, so the address alone still decides.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace flowsieve {

struct StixAddress {
    bool v6 = false;    // from an ipv6-addr comparison (else ipv4-addr); a network-traffic end's: the
                        // literal's own form (a ':' in it)
    std::string value;  // the literal, unescaped: an address or a CIDR, not yet checked
    std::string path;   // the object path compared: ipv4-addr:value, network-traffic:dst_ref.value...
};

struct StixPatternAddresses {
    std::vector<StixAddress> addresses;  // in pattern order, duplicates kept
    // Every disjunct was such an address comparison: nothing of the pattern was left out (false
    // when it also names domains, URLs, hashes, or has address conditions that were not taken).
    bool complete = true;
};

// Reads a pattern (STIX 2.1 patterning grammar: observation and comparison expressions, all
// comparison operators, NOT, EXISTS, set and typed literals, qualifiers, comments; and STIX 2.0's
// lower-case keywords and plain-string START / STOP). A pattern that does not follow the grammar is
// an error ("expected ']' at column 31"). Parentheses nest at most 64 deep.
Result<StixPatternAddresses> stix_pattern_addresses(std::string_view pattern);

}  // namespace flowsieve
