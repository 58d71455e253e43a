// prefix.cpp: IP prefix parsing/printing and minimal CIDR decomposition of ranges. Control plane.
#include "tables/prefix.hpp"

#include <charconv>

#include "tables/uint128.hpp"

namespace flowsieve {

using detail::u128;

namespace {

bool host_bits_clear(const IpAddress& a, int len) {
    if (a.is_v4()) return (a.v4 & detail::host_mask<std::uint32_t>(len)) == 0;
    return (detail::to_u128(a.v6) & detail::host_mask<u128>(len)) == 0;
}

// The network address of `a`/len: host bits cleared.
IpAddress network_of(const IpAddress& a, int len) {
    if (a.is_v4()) return IpAddress::from_v4(a.v4 & ~detail::host_mask<std::uint32_t>(len));
    return IpAddress::from_v6(detail::from_u128(detail::to_u128(a.v6) & ~detail::host_mask<u128>(len)));
}

// `address[/len]` with the length checked against the family; host bits not looked at.
struct AddressAndLength {
    IpAddress addr;
    int len = 0;
};
Result<AddressAndLength> split_prefix(std::string_view text, const std::string& quoted) {
    const std::size_t slash = text.find('/');
    const std::string_view addr_text = text.substr(0, slash);
    const auto addr = parse_ip(addr_text);
    if (!addr) return Error{quoted + " is not an IP address or prefix"};
    const int max_len = addr->is_v4() ? 32 : 128;
    int len = max_len;
    if (slash != std::string_view::npos) {
        const std::string_view len_text = text.substr(slash + 1);
        const char* end = len_text.data() + len_text.size();
        // Digits only: from_chars would accept neither '+' nor spaces, but reject "" and "/-1" explicitly.
        const auto [p, ec] = std::from_chars(len_text.data(), end, len);
        if (len_text.empty() || len_text.size() > 3 || ec != std::errc{} || p != end || len < 0 || len > max_len)
            return Error{quoted + ": prefix length must be 0.." + std::to_string(max_len)};
    }
    return AddressAndLength{*addr, len};
}

}  // namespace

Result<Prefix> parse_prefix(std::string_view text) {
    // Built by appending: "'" + std::string(text) inserts at the front of a temporary, which GCC 12
    // at -O3 reports as an overlapping copy (-Wrestrict, a false positive).
    const std::string quoted = std::string("'").append(text).append("'");
    const auto a = split_prefix(text, quoted);
    if (!a) return a.error();
    const auto len = static_cast<std::uint8_t>(a->len);
    if (!host_bits_clear(a->addr, a->len))
        return Error{quoted + " has host bits set (did you mean " + to_string(Prefix{network_of(a->addr, a->len), len}) + "?)"};
    return Prefix{a->addr, len};
}

std::optional<Prefix> parse_prefix_with_host_bits(std::string_view text) {
    if (text.find('/') == std::string_view::npos) return std::nullopt;
    const auto a = split_prefix(text, {});
    if (!a || host_bits_clear(a->addr, a->len)) return std::nullopt;
    return Prefix{network_of(a->addr, a->len), static_cast<std::uint8_t>(a->len)};
}

std::string to_string(const Prefix& p) { return to_string(p.addr) + "/" + std::to_string(p.len); }

bool prefix_contains(const Prefix& p, const IpAddress& a) {
    if (p.addr.family != a.family) return false;
    if (a.is_v4()) {
        const std::uint32_t net = ~detail::host_mask<std::uint32_t>(p.len);
        return ((a.v4 ^ p.addr.v4) & net) == 0;
    }
    if (a.is_v6()) {
        const u128 net = ~detail::host_mask<u128>(p.len);
        return ((detail::to_u128(a.v6) ^ detail::to_u128(p.addr.v6)) & net) == 0;
    }
    return false;
}

std::vector<Prefix> range_to_prefixes(const IpAddress& first, const IpAddress& last) {
    std::vector<Prefix> out;
    if (first.family != last.family || last < first) return out;
    const auto add = [&out](auto start, int len) {
        out.push_back(Prefix{detail::address_of(start), static_cast<std::uint8_t>(len)});
    };
    if (first.is_v4())
        detail::for_each_cover_prefix<std::uint32_t>(first.v4, last.v4, add);
    else if (first.is_v6())
        detail::for_each_cover_prefix<u128>(detail::to_u128(first.v6), detail::to_u128(last.v6), add);
    return out;
}

}  // namespace flowsieve
