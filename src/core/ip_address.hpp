// ip_address.hpp: IPv4/IPv6 address vocabulary (host byte order) shared by every module.
// Pure values; used by the control plane and the data path alike.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowsieve {

// A 128-bit unsigned value in host order: hi holds the first 8 address bytes.
struct U128 {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    friend constexpr auto operator<=>(const U128&, const U128&) = default;
};

enum class Family : std::uint8_t { none = 0, v4 = 4, v6 = 6 };

// An IP address. v4 lives in `v4` (host order); v6 in `v6`. The other field is zero,
// so defaulted comparison orders all IPv4 before all IPv6 and is a strict total order.
struct IpAddress {
    Family family = Family::none;
    std::uint32_t v4 = 0;
    U128 v6{};

    static constexpr IpAddress from_v4(std::uint32_t host_order) { return {Family::v4, host_order, {}}; }
    static constexpr IpAddress from_v6(U128 host_order) { return {Family::v6, 0, host_order}; }
    // From 4 or 16 network-order bytes.
    static IpAddress from_v4_bytes(const std::uint8_t* p);
    static IpAddress from_v6_bytes(const std::uint8_t* p);

    constexpr bool is_v4() const { return family == Family::v4; }
    constexpr bool is_v6() const { return family == Family::v6; }
    friend constexpr auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

// Text forms: "192.0.2.1", "2001:db8::1" (inet_pton / inet_ntop semantics).
std::optional<IpAddress> parse_ip(std::string_view text);
std::string to_string(const IpAddress& a);

}  // namespace flowsieve
