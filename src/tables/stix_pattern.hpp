// stix_pattern.hpp: the IP addresses a STIX 2.1 indicator pattern names on their own. Control plane
// (the STIX indicator loader, stix_loader.cpp).
//
// A pattern is a Boolean expression over observations ("[ipv4-addr:value = '198.51.100.1' OR
// domain-name:value = 'a.example']", joined by OR, AND, FOLLOWEDBY, with qualifiers such as
// WITHIN 600 SECONDS). flowsieve matches addresses only, so what it can take from a pattern is the
// addresses that are enough by themselves for the pattern to match: the `ipv4-addr:value` /
// `ipv6-addr:value` comparisons (`=`, or `ISSUBSET` for a CIDR) that are a disjunct of the whole
// pattern, reached through OR alone. An address joined to anything by AND or FOLLOWEDBY, or under a
// qualifier, is only part of a condition: taking it alone would select traffic the indicator does
// not name, so it is not taken.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace flowsieve {

struct StixAddress {
    bool v6 = false;    // from an ipv6-addr comparison (else ipv4-addr)
    std::string value;  // the literal, unescaped: an address or a CIDR, not yet checked
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
