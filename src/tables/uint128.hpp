// uint128.hpp: 128-bit unsigned arithmetic and per-family address-width helpers for tables/
// (control plane: prefix decomposition, table builds, loaders; lookups use only the conversions).
#pragma once

#include <bit>
#include <cstdint>

#include "core/ip_address.hpp"

namespace flowsieve::detail {

// GCC/Clang extension; __extension__ keeps -Wpedantic quiet. Only tables/ code sees this type.
__extension__ typedef unsigned __int128 u128;

constexpr u128 to_u128(U128 v) noexcept { return (static_cast<u128>(v.hi) << 64) | v.lo; }
constexpr U128 from_u128(u128 v) noexcept {
    return U128{static_cast<std::uint64_t>(v >> 64), static_cast<std::uint64_t>(v)};
}

// Address keys: std::uint32_t for IPv4, u128 for IPv6. width<K> is the address width in bits.
template <class K> inline constexpr int width = static_cast<int>(sizeof(K) * 8);
template <class K> inline constexpr K all_ones = static_cast<K>(~K{0});

constexpr int count_trailing_zeros(std::uint32_t v) noexcept { return std::countr_zero(v); }
constexpr int count_trailing_zeros(u128 v) noexcept {
    const auto lo = static_cast<std::uint64_t>(v);
    return lo != 0 ? std::countr_zero(lo) : 64 + std::countr_zero(static_cast<std::uint64_t>(v >> 64));
}
constexpr int count_leading_zeros(std::uint32_t v) noexcept { return std::countl_zero(v); }
constexpr int count_leading_zeros(u128 v) noexcept {
    const auto hi = static_cast<std::uint64_t>(v >> 64);
    return hi != 0 ? std::countl_zero(hi) : 64 + std::countl_zero(static_cast<std::uint64_t>(v));
}

// Mask of the host bits of a /len prefix (len in 0..width).
template <class K>
constexpr K host_mask(int len) noexcept {
    return len <= 0 ? all_ones<K> : (len >= width<K> ? K{0} : static_cast<K>((K{1} << (width<K> - len)) - 1));
}

template <class K> K key_of(const IpAddress& a) noexcept;
template <> inline std::uint32_t key_of<std::uint32_t>(const IpAddress& a) noexcept { return a.v4; }
template <> inline u128 key_of<u128>(const IpAddress& a) noexcept { return to_u128(a.v6); }

inline IpAddress address_of(std::uint32_t k) noexcept { return IpAddress::from_v4(k); }
inline IpAddress address_of(u128 k) noexcept { return IpAddress::from_v6(from_u128(k)); }

// Calls f(start, len) for each prefix of the minimal CIDR cover of [first, last] (first <= last),
// in address order. Each step takes the largest block that is aligned at `first` and fits in what
// is left: that greedy choice yields exactly the maximal prefixes inside the range, hence minimal.
template <class K, class F>
void for_each_cover_prefix(K first, K last, F&& f) {
    constexpr int w = width<K>;
    for (;;) {
        const K span = static_cast<K>(last - first);  // block size - 1 that still fits
        const int align_bits = first == 0 ? w : count_trailing_zeros(first);
        // floor(log2(span + 1)), without overflowing when the range is the whole space.
        const int fit_bits = span == all_ones<K> ? w : (w - 1 - count_leading_zeros(static_cast<K>(span + 1)));
        const int bits = align_bits < fit_bits ? align_bits : fit_bits;
        f(first, w - bits);
        if (bits == w) return;
        const K block_last = static_cast<K>(first + ((K{1} << bits) - 1));
        if (block_last == last) return;
        first = static_cast<K>(block_last + 1);
    }
}

template <class K>
std::size_t cover_prefix_count(K first, K last) {
    std::size_t n = 0;
    for_each_cover_prefix(first, last, [&n](K, int) { ++n; });
    return n;
}

}  // namespace flowsieve::detail
