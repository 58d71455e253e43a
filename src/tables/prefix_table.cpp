// prefix_table.cpp: builds the flattened LPM (control plane, TBB) and looks it up (workers: noexcept,
// no allocation).
#include "tables/prefix_table.hpp"

#include <algorithm>
#include <bit>

#include <tbb/parallel_invoke.h>

#include "tables/interval_paint.hpp"
#include "tables/uint128.hpp"

namespace flowsieve {

using detail::u128;

namespace {

constexpr int root_bits = 16;
// A slot with more intervals than this gets a child node. Eight 4-byte (IPv4) or 16-byte (IPv6)
// starts span one or two cache lines, so the final search costs about one miss.
constexpr std::uint32_t leaf_max = 8;
// A table with at most this many intervals (the special blocks, operator prefixes) gets no
// directory: its 65537-slot root (512 KiB) would cost a cache miss per lookup, while a binary
// search over its few starts stays within a few cache lines.
constexpr std::size_t small_max = 64;

std::uint32_t to_stored(std::uint32_t k) { return k; }
U128 to_stored(u128 k) { return detail::from_u128(k); }
inline std::uint32_t to_key(std::uint32_t s) noexcept { return s; }
inline u128 to_key(U128 s) noexcept { return detail::to_u128(s); }

template <class S, class K>
std::uint32_t interval_containing(const std::vector<S>& starts, K key, std::uint32_t lo, std::uint32_t hi) {
    // Last i in [lo, hi] with starts[i] <= key; starts[lo] <= key holds.
    const auto it = std::upper_bound(starts.begin() + lo, starts.begin() + hi + 1, key,
                                     [](K k, const S& s) { return k < to_key(s); });
    return static_cast<std::uint32_t>(it - starts.begin() - 1);
}

template <class Slot, class S, class K>
void expand(std::vector<Slot>& dir, const std::vector<S>& starts, std::uint32_t node, std::uint32_t j, K base,
            int shift) {
    const std::uint32_t lo = dir[node + j].first, hi = dir[node + j + 1].first;
    const std::uint32_t count = hi - lo + 1;
    if (count <= leaf_max || shift == 0) return;
    // About two intervals per child slot, at most 16 bits per level.
    const int bits = std::clamp(static_cast<int>(std::bit_width(count - 1)) - 1, 1, std::min(16, shift));
    const int child_shift = shift - bits;
    const std::uint32_t slots = 1u << bits;
    const auto child = static_cast<std::uint32_t>(dir.size());
    dir.resize(dir.size() + slots + 1);
    for (std::uint32_t k = 0; k < slots; ++k) {
        const K b = static_cast<K>(base + (static_cast<K>(k) << child_shift));
        dir[child + k] = Slot{interval_containing(starts, b, lo, hi), 0};
    }
    dir[child + slots] = Slot{hi, 0};  // the interval holding the next slot's first address
    dir[node + j].child = (child << 5) | static_cast<std::uint32_t>(bits);
    for (std::uint32_t k = 0; k < slots; ++k)
        expand(dir, starts, child, k, static_cast<K>(base + (static_cast<K>(k) << child_shift)), child_shift);
}

// Turns segments into interval starts covering the whole address space from 0 (gaps get value 0,
// equal neighbours merge) and builds the directory.
template <class K, class S, class Slot>
void flatten(const std::vector<detail::Segment<K>>& segs, std::vector<S>& starts, std::vector<std::uint32_t>& values,
             std::vector<Slot>& dir) {
    starts.clear();
    values.clear();
    starts.reserve(2 * segs.size() + 1);
    values.reserve(2 * segs.size() + 1);
    const auto add = [&](K start, std::uint32_t value) {
        if (!values.empty() && values.back() == value) return;
        starts.push_back(to_stored(start));
        values.push_back(value);
    };
    K next{};
    bool covered_to_end = false;
    for (const auto& s : segs) {
        if (s.first != next) add(next, 0);
        add(s.first, s.value);
        if (s.last == detail::all_ones<K>) {
            covered_to_end = true;
            break;
        }
        next = static_cast<K>(s.last + 1);
    }
    if (!covered_to_end) add(next, 0);
    starts.shrink_to_fit();
    values.shrink_to_fit();
    if (starts.size() <= small_max) {
        dir.clear();
        dir.shrink_to_fit();
        return;
    }

    constexpr int root_shift = detail::width<K> - root_bits;
    constexpr std::uint32_t root_slots = 1u << root_bits;
    dir.assign(root_slots + 1, Slot{0, 0});
    const auto last = static_cast<std::uint32_t>(starts.size() - 1);
    std::uint32_t j = 0;
    for (std::uint32_t b = 0; b < root_slots; ++b) {
        const K base = static_cast<K>(static_cast<K>(b) << root_shift);
        while (j < last && to_key(starts[j + 1]) <= base) ++j;
        dir[b].first = j;
    }
    dir[root_slots].first = last;
    for (std::uint32_t b = 0; b < root_slots; ++b)
        expand(dir, starts, 0, b, static_cast<K>(static_cast<K>(b) << root_shift), root_shift);
    dir.shrink_to_fit();
}

template <class K>
std::vector<detail::Segment<K>> paint_entries(const std::vector<PrefixTable::Entry>& entries, Family family,
                                              std::size_t& count) {
    std::vector<detail::PaintItem<K>> items;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        if (e.prefix.addr.family != family || e.value == 0) continue;
        const K first = detail::key_of<K>(e.prefix.addr);
        // Longer prefix first; for the same prefix the later entry (higher index) wins.
        items.push_back(detail::PaintItem<K>{first, static_cast<K>(first | detail::host_mask<K>(e.prefix.len)),
                                             (std::uint64_t{e.prefix.len} << 32) | i, e.value});
    }
    count = items.size();
    return detail::paint_intervals(items);
}

// Walks the directory to the leaf slot holding key, then searches its few intervals for the last
// start <= key. The search loop count depends only on the leaf size (branch-free halving).
template <class Slot, class S, class K>
inline std::uint32_t find(const Slot* dir, const S* starts, const std::uint32_t* values, K key) noexcept {
    std::uint32_t node = 0, mask = (1u << root_bits) - 1;
    int shift = detail::width<K> - root_bits;
    const Slot* slot;
    for (;;) {
        slot = dir + node + (static_cast<std::uint32_t>(key >> shift) & mask);
        if (slot->child == 0) break;
        const std::uint32_t bits = slot->child & 31;
        node = slot->child >> 5;
        mask = (1u << bits) - 1;
        shift -= static_cast<int>(bits);
    }
    const S* base = starts + slot[0].first;
    std::uint32_t len = slot[1].first - slot[0].first + 1;
    while (len > 1) {
        const std::uint32_t half = len >> 1;
        base = (to_key(base[half]) <= key) ? base + half : base;
        len -= half;
    }
    return values[base - starts];
}

// Small tables (no directory): the last start <= key over all intervals; starts[0] is 0, so one exists.
template <class S, class K>
inline std::uint32_t find_small(const S* starts, const std::uint32_t* values, std::size_t n, K key) noexcept {
    const S* base = starts;
    auto len = static_cast<std::uint32_t>(n);
    while (len > 1) {
        const std::uint32_t half = len >> 1;
        base = (to_key(base[half]) <= key) ? base + half : base;
        len -= half;
    }
    return values[base - starts];
}

}  // namespace

template <class K>
void PrefixTable::install(const std::vector<detail::Segment<K>>& segments) {
    if constexpr (std::is_same_v<K, std::uint32_t>)
        flatten(segments, starts_v4_, values_v4_, dir_v4_);
    else
        flatten(segments, starts_v6_, values_v6_, dir_v6_);
}
template void PrefixTable::install<std::uint32_t>(const std::vector<detail::Segment<std::uint32_t>>&);
template void PrefixTable::install<u128>(const std::vector<detail::Segment<u128>>&);

PrefixTable PrefixTable::build(std::vector<Entry> entries) {
    PrefixTable t;
    tbb::parallel_invoke([&] { t.install(paint_entries<std::uint32_t>(entries, Family::v4, t.prefixes_v4_)); },
                         [&] { t.install(paint_entries<u128>(entries, Family::v6, t.prefixes_v6_)); });
    return t;
}

std::uint32_t PrefixTable::lookup_v4(std::uint32_t a) const noexcept {
    if (dir_v4_.empty())  // small, or default-constructed (never built: no starts)
        return starts_v4_.empty() ? 0 : find_small(starts_v4_.data(), values_v4_.data(), starts_v4_.size(), a);
    return find(dir_v4_.data(), starts_v4_.data(), values_v4_.data(), a);
}

std::uint32_t PrefixTable::lookup_v6(U128 a) const noexcept {
    if (dir_v6_.empty())
        return starts_v6_.empty() ? 0
                                  : find_small(starts_v6_.data(), values_v6_.data(), starts_v6_.size(), detail::to_u128(a));
    return find(dir_v6_.data(), starts_v6_.data(), values_v6_.data(), detail::to_u128(a));
}

std::uint32_t PrefixTable::lookup(const IpAddress& a) const noexcept {
    if (a.is_v4()) return lookup_v4(a.v4);
    if (a.is_v6()) return lookup_v6(a.v6);
    return 0;
}

void PrefixTable::lookup_v4_bulk(const std::uint32_t* a, std::uint32_t* out, std::size_t n) const noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = lookup_v4(a[i]);
}

void PrefixTable::lookup_v6_bulk(const U128* a, std::uint32_t* out, std::size_t n) const noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = lookup_v6(a[i]);
}

std::size_t PrefixTable::memory_bytes() const {
    return (starts_v4_.capacity() + values_v4_.capacity() + values_v6_.capacity()) * sizeof(std::uint32_t) +
           starts_v6_.capacity() * sizeof(U128) + (dir_v4_.capacity() + dir_v6_.capacity()) * sizeof(Slot);
}

}  // namespace flowsieve
