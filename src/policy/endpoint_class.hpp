// endpoint_class.hpp: what one endpoint of a flow is, for the policy (domestic, foreign, operator...).
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/country_code.hpp"

namespace flowsieve {

enum class EndpointKind : std::uint8_t {
    unknown = 0,   // no country known for the address (unallocated, or absent from the table)
    domestic = 1,  // its country is one of the configured domestic codes
    foreign = 2,   // any other country
    operator_ = 3, // inside the prefixes of a critical-infrastructure operator (a domestic party)
    special = 4,   // RFC 6890 special-purpose block: neither domestic nor foreign
};

std::string_view name_of(EndpointKind k);

struct EndpointClass {
    EndpointKind kind = EndpointKind::unknown;
    std::uint16_t operator_index = 0;  // valid when kind == operator_
    CountryCode cc = no_country;
};

// Domestic endpoints and operators are the national side: a pair of them is out of scope (invariant 3).
constexpr bool is_national(EndpointKind k) { return k == EndpointKind::domestic || k == EndpointKind::operator_; }

// The configured domestic country codes, as a bitmap over the 26x26 letter pairs.
class DomesticSet {
public:
    void add(CountryCode cc) { bits_.set(slot(cc)); }
    bool contains(CountryCode cc) const noexcept { return cc != no_country && bits_.test(slot(cc)); }
    bool empty() const { return bits_.none(); }

private:
    static std::size_t slot(CountryCode cc) noexcept {
        std::size_t a = static_cast<std::size_t>((cc >> 8) - 'A') % 26, b = static_cast<std::size_t>((cc & 0xff) - 'A') % 26;
        return a * 26 + b;
    }
    std::bitset<26 * 26> bits_;
};

}  // namespace flowsieve
