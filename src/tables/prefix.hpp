// prefix.hpp: an IP prefix (address/length) and range-to-prefix decomposition. Control plane.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.hpp"
#include "core/result.hpp"

namespace flowsieve {

struct Prefix {
    IpAddress addr;       // host bits are zero
    std::uint8_t len = 0; // 0..32 for IPv4, 0..128 for IPv6
    friend constexpr auto operator<=>(const Prefix&, const Prefix&) = default;
};

// "192.0.2.0/24", "2001:db8::/32", or a bare address (a /32 or /128). Host bits set -> error.
Result<Prefix> parse_prefix(std::string_view text);
// "192.0.2.7/24", an address with host bits set and its length: the network it names (192.0.2.0/24),
// as third-party feeds write them. nullopt for anything else, including what parse_prefix takes.
std::optional<Prefix> parse_prefix_with_host_bits(std::string_view text);
std::string to_string(const Prefix& p);
bool prefix_contains(const Prefix& p, const IpAddress& a);

// The minimal list of prefixes covering exactly [first, last] (same family, first <= last).
std::vector<Prefix> range_to_prefixes(const IpAddress& first, const IpAddress& last);

}  // namespace flowsieve
