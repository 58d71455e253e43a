// prefix_table.cpp: builds the flattened LPM (control plane, TBB) and looks it up (workers: noexcept,
// no allocation).
#include "tables/prefix_table.hpp"

#include <algorithm>
#include <bit>

#include <tbb/parallel_invoke.h>

#include "tables/compact4.hpp"
#include "tables/interval_paint.hpp"
#include "tables/uint128.hpp"

namespace flowsieve {

using detail::u128;

detail::C4Path detail::c4_path = detail::c4_best_path();

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
// Bulk form of find over the directory: every key descends one level per pass, each pass
// prefetching the slots the next pass reads, so that the burst's cache misses overlap instead of
// queueing one after another (memory-level parallelism, as rte_lpm's bulk lookup gets).
template <class Slot, class S, class K, class KeyAt>
void find_bulk(const Slot* dir, const S* starts, const std::uint32_t* values, KeyAt key_at, std::uint32_t* out,
               std::size_t n) noexcept {
    constexpr std::size_t group = 32;
    K keys[group];
    const Slot* slot[group];
    int shift[group];
    for (std::size_t g = 0; g < n; g += group) {
        const std::size_t m = std::min(group, n - g);
        for (std::size_t i = 0; i < m; ++i) {
            keys[i] = key_at(g + i);
            shift[i] = detail::width<K> - root_bits;
            slot[i] = dir + static_cast<std::uint32_t>(keys[i] >> shift[i]);
            __builtin_prefetch(slot[i]);
        }
        // Each pass visits only the keys still inside the directory (a compacted list).
        std::uint8_t active[group];
        std::size_t n_active = m;
        for (std::size_t i = 0; i < m; ++i) active[i] = static_cast<std::uint8_t>(i);
        while (n_active > 0) {
            std::size_t still = 0;
            for (std::size_t j = 0; j < n_active; ++j) {
                const std::size_t i = active[j];
                const std::uint32_t child = slot[i]->child;
                if (child == 0) continue;
                const std::uint32_t bits = child & 31;
                shift[i] -= static_cast<int>(bits);
                slot[i] = dir + (child >> 5) + (static_cast<std::uint32_t>(keys[i] >> shift[i]) & ((1u << bits) - 1));
                __builtin_prefetch(slot[i]);
                active[still++] = static_cast<std::uint8_t>(i);
            }
            n_active = still;
        }
        for (std::size_t i = 0; i < m; ++i)
            __builtin_prefetch(starts + slot[i][0].first + ((slot[i][1].first - slot[i][0].first + 1) >> 1));
        for (std::size_t i = 0; i < m; ++i) {
            const S* base = starts + slot[i][0].first;
            std::uint32_t len = slot[i][1].first - slot[i][0].first + 1;
            while (len > 1) {
                const std::uint32_t half = len >> 1;
                base = (to_key(base[half]) <= keys[i]) ? base + half : base;
                len -= half;
            }
            out[g + i] = values[base - starts];
        }
    }
}

// One layer of an overlay: a built family's flattened intervals (empty: never built, value 0).
template <class S>
struct Layer {
    const std::vector<S>* starts;
    const std::vector<std::uint32_t>* values;
};

// The elementary intervals of the union of the layers' boundaries, each with combine() of the
// layers' values there. Every built layer starts at address 0, so each cursor is always valid.
template <class K, class S>
std::vector<detail::Segment<K>> overlay_segments(const std::vector<Layer<S>>& layers, const PrefixTable::Combine& combine) {
    std::vector<K> bounds{K{0}};
    for (const auto& l : layers)
        for (const S& st : *l.starts) bounds.push_back(to_key(st));
    detail::sort_maybe_parallel(bounds.begin(), bounds.end(), std::less<K>{});
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());

    std::vector<std::size_t> cursor(layers.size(), 0);
    std::vector<std::uint32_t> vals(layers.size(), 0);
    std::vector<detail::Segment<K>> segs;
    segs.reserve(bounds.size());
    for (std::size_t b = 0; b < bounds.size(); ++b) {
        const K first = bounds[b];
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const auto& starts = *layers[i].starts;
            if (starts.empty()) continue;
            std::size_t& c = cursor[i];
            while (c + 1 < starts.size() && to_key(starts[c + 1]) <= first) ++c;
            vals[i] = (*layers[i].values)[c];
        }
        const K last = b + 1 < bounds.size() ? static_cast<K>(bounds[b + 1] - 1) : detail::all_ones<K>;
        segs.push_back(detail::Segment<K>{first, last, combine(vals)});
    }
    return segs;
}

// Places chunks of up to one line of starts (their ids in the pair's second line) so that none
// crosses a line: best fit into the pairs already open, else a new pair. Offsets in 16-bit units.
class LinePacker {
public:
    explicit LinePacker(std::vector<detail::Line16>& lines) : lines_(lines) {}
    // The offset of `count` free places (1..c4_chunk_max) in one pair's line of starts.
    std::size_t place(std::uint32_t count) {
        for (std::uint32_t f = count; f < detail::c4_line; ++f) {
            if (open_[f].empty()) continue;
            const std::size_t pair = open_[f].back();
            open_[f].pop_back();
            if (f > count) open_[f - count].push_back(pair);
            return pair * detail::c4_pair + (detail::c4_line - f);
        }
        const std::size_t pair = grow(1);
        if (count < detail::c4_line) open_[detail::c4_line - count].push_back(pair);
        return pair * detail::c4_pair;
    }
    // The offset of `pairs` whole new pairs.
    std::size_t whole(std::size_t pairs) { return grow(pairs) * detail::c4_pair; }
    std::uint16_t& start(std::size_t at) { return lines_[at / detail::c4_line].v[at % detail::c4_line]; }
    std::uint16_t& id(std::size_t at) { return start(at + detail::c4_line); }

private:
    std::size_t grow(std::size_t pairs) {
        const std::size_t first = lines_.size() / 2;
        lines_.resize(lines_.size() + 2 * pairs, detail::Line16{});
        return first;
    }
    std::vector<detail::Line16>& lines_;
    std::vector<std::size_t> open_[detail::c4_line];  // pairs with f free places at their end
};

}  // namespace

bool PrefixTable::build_compact_v4() {
    using namespace detail;
    c4_ = Compact4{};
    const std::vector<std::uint32_t>& starts = starts_v4_;
    const std::size_t n = starts.size();
    if (n <= small_max) return false;  // a search over a few starts beats a 256 KiB directory
    Compact4 c;
    c.values = values_v4_;
    std::sort(c.values.begin(), c.values.end());
    c.values.erase(std::unique(c.values.begin(), c.values.end()), c.values.end());
    if (c.values.size() > 0x10000) return false;  // ids are 16 bits
    std::vector<std::uint16_t> ids(n);
    for (std::size_t i = 0; i < n; ++i)
        ids[i] = static_cast<std::uint16_t>(std::lower_bound(c.values.begin(), c.values.end(), values_v4_[i]) -
                                            c.values.begin());
    // Values that fit 16 bits (country codes, endpoint classes) are stored as their own ids: no
    // value table (empty `values`), one load less per lookup.
    const bool direct = c.values.back() <= 0xffffu;
    const auto stored = [&](std::size_t interval) {
        return static_cast<std::uint16_t>(direct ? values_v4_[interval] : ids[interval]);
    };

    std::size_t j = 0;  // the interval holding the current slot's first address (slots go up)
    const auto first_of = [&](std::uint32_t base) {
        while (j + 1 < n && starts[j + 1] <= base) ++j;
        return j;
    };
    // The interval holding `last` (>= the slot's first interval j).
    const auto last_of = [&](std::uint32_t last) {
        return static_cast<std::size_t>(std::upper_bound(starts.begin() + static_cast<std::ptrdiff_t>(j), starts.end(), last) -
                                        starts.begin() - 1);
    };
    LinePacker pack(c.lines);
    bool fits = true;
    const auto chunk_entry = [&](std::size_t off, std::size_t count) -> std::uint32_t {
        if (off + 6 * c4_pair > c4_offset_mask) fits = false;
        return static_cast<std::uint32_t>(count << c4_count_shift | (off & c4_offset_mask));
    };
    // A single-value slot: a chunk of one interval starting at 0, shared by every slot of that id.
    constexpr std::uint32_t not_made = ~std::uint32_t{0};
    std::vector<std::uint32_t> single(c.values.size(), not_made);
    const auto single_entry = [&](std::size_t interval) -> std::uint32_t {
        const std::uint16_t id = ids[interval];
        if (single[id] == not_made) {
            const std::size_t off = pack.place(1);
            pack.start(off) = c4_bias(0);
            pack.id(off) = stored(interval);
            single[id] = chunk_entry(off, 1);
        }
        return single[id];
    };
    // Entry for the slot [base, base | low_mask] whose intervals are first..end (inclusive).
    const auto entry = [&](std::uint32_t base, std::uint32_t low_mask, std::size_t first, std::size_t end) -> std::uint32_t {
        if (first == end) return single_entry(first);
        const std::size_t count = end - first + 1;
        if (count <= c4_chunk_max) {
            const std::size_t off = pack.place(static_cast<std::uint32_t>(count));
            for (std::size_t m = first; m <= end; ++m) {
                pack.start(off + (m - first)) = c4_bias(m == first ? base & 0xffffu : starts[m] & 0xffffu);
                pack.id(off + (m - first)) = stored(m);
            }
            return chunk_entry(off, count);
        }
        // A /24 of many intervals: its 256 ids (a /16 of many gets a block instead).
        if (low_mask != 0xffu) {
            fits = false;
            return 0;
        }
        const std::size_t off = pack.whole((c4_line + 256 + c4_pair - 1) / c4_pair);  // ids from off + c4_line
        pack.start(off) = c4_bias(0);  // its search, a chunk of one interval, finds slot 0 (c4_slot)
        std::size_t m = first;
        for (std::uint32_t low = 0; low <= low_mask; ++low) {
            while (m < end && starts[m + 1] <= (base | low)) ++m;
            pack.id(off + low) = stored(m);
        }
        return chunk_entry(off, 1) | c4_table;
    };
    c.dir.resize(c4_dir_size);
    for (std::uint32_t hi = 0; hi < (1u << 16) && fits; ++hi) {
        const std::uint32_t base = hi << 16;
        const std::size_t first = first_of(base), end = last_of(base | 0xffffu);
        if (end - first + 1 <= c4_chunk_max) {
            c.dir[hi] = entry(base, 0xffffu, first, end);
            continue;
        }
        const std::size_t block = c.dir.size();
        if (block - hi + 255 >= c4_block) fits = false;  // distance + bits 15..8 must stay below bit 31
        c.dir[hi] = c4_block | static_cast<std::uint32_t>(block - hi);
        c.dir.resize(block + 256);
        for (std::uint32_t mid = 0; mid < 256; ++mid) {
            const std::uint32_t b = base | (mid << 8);
            const std::size_t f = first_of(b);
            c.dir[block + mid] = entry(b, 0xffu, f, last_of(b | 0xffu));
        }
    }
    if (!fits) return false;
    pack.whole(1);  // a spare id slot past the last (c4_find_bulk_avx512 gathers 32 bits per id)
    if (direct) c.values.clear();
    c.dir.shrink_to_fit();
    c.lines.shrink_to_fit();
    c4_ = std::move(c);
    dir_v4_.clear();  // the compact form answers every IPv4 lookup
    dir_v4_.shrink_to_fit();
    return true;
}

template <class K>
void PrefixTable::install(const std::vector<detail::Segment<K>>& segments) {
    if constexpr (std::is_same_v<K, std::uint32_t>) {
        c4_ = Compact4{};
        flatten(segments, starts_v4_, values_v4_, dir_v4_);
        build_compact_v4();
    } else {
        flatten(segments, starts_v6_, values_v6_, dir_v6_);
    }
}
template void PrefixTable::install<std::uint32_t>(const std::vector<detail::Segment<std::uint32_t>>&);
template void PrefixTable::install<u128>(const std::vector<detail::Segment<u128>>&);

PrefixTable PrefixTable::build(std::vector<Entry> entries) {
    PrefixTable t;
    tbb::parallel_invoke([&] { t.install(paint_entries<std::uint32_t>(entries, Family::v4, t.prefixes_v4_)); },
                         [&] { t.install(paint_entries<u128>(entries, Family::v6, t.prefixes_v6_)); });
    return t;
}

PrefixTable PrefixTable::overlay(std::span<const PrefixTable* const> layers, const Combine& combine) {
    std::vector<Layer<std::uint32_t>> v4;
    std::vector<Layer<U128>> v6;
    for (const PrefixTable* l : layers) {
        v4.push_back({&l->starts_v4_, &l->values_v4_});
        v6.push_back({&l->starts_v6_, &l->values_v6_});
    }
    PrefixTable t;
    // combine may keep state (e.g. a dictionary of distinct results): the families run one after
    // the other, never concurrently.
    t.install(overlay_segments<std::uint32_t>(v4, combine));
    t.install(overlay_segments<u128>(v6, combine));
    for (const PrefixTable* l : layers) {
        t.prefixes_v4_ += l->prefixes_v4_;
        t.prefixes_v6_ += l->prefixes_v6_;
    }
    return t;
}

detail::Compact4Ref PrefixTable::compact_ref() const noexcept {
    const std::uint16_t* starts = c4_.lines.empty() ? nullptr : c4_.lines.front().v;
    return {c4_.dir.data(), starts, starts ? starts + detail::c4_line : nullptr,
            c4_.values.empty() ? nullptr : c4_.values.data()};
}

std::uint32_t PrefixTable::lookup_v4(std::uint32_t a) const noexcept {
    if (!c4_.dir.empty()) return detail::c4_find(compact_ref(), a);
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

std::uint32_t PrefixTable::lookup_reference(const IpAddress& a) const noexcept {
    const auto last_le = [](const auto& starts, const auto& values, auto key) -> std::uint32_t {
        const auto it = std::upper_bound(starts.begin(), starts.end(), key,
                                         [](auto k, const auto& s) { return k < to_key(s); });
        return it == starts.begin() ? 0 : values[static_cast<std::size_t>(it - starts.begin() - 1)];
    };
    if (a.is_v4()) return last_le(starts_v4_, values_v4_, a.v4);
    if (a.is_v6()) return last_le(starts_v6_, values_v6_, detail::to_u128(a.v6));
    return 0;
}

void PrefixTable::lookup_v4_bulk(const std::uint32_t* a, std::uint32_t* out, std::size_t n) const noexcept {
    if (c4_.dir.empty()) {
        if (dir_v4_.empty()) {
            for (std::size_t i = 0; i < n; ++i) out[i] = lookup_v4(a[i]);
            return;
        }
        find_bulk<Slot, std::uint32_t, std::uint32_t>(dir_v4_.data(), starts_v4_.data(), values_v4_.data(),
                                                      [a](std::size_t i) { return a[i]; }, out, n);
        return;
    }
    const detail::Compact4Ref c = compact_ref();
    // The AVX-512 path pays a whole group's gathers whatever n is: few keys (an endpoint cache's
    // misses) go the AVX2 or SSE2 way.
    using detail::C4Path;
    if (detail::c4_path == C4Path::avx512 && n >= detail::c4_lanes) {
        if (c.values) detail::c4_find_bulk_avx512<false>(c, a, out, n);
        else detail::c4_find_bulk_avx512<true>(c, a, out, n);
    } else if (detail::c4_path != C4Path::sse2) {
        if (c.values) detail::c4_find_bulk_avx2<false>(c, a, out, n);
        else detail::c4_find_bulk_avx2<true>(c, a, out, n);
    } else {
        if (c.values) detail::c4_find_bulk_sse2<false>(c, a, out, n);
        else detail::c4_find_bulk_sse2<true>(c, a, out, n);
    }
}

void PrefixTable::prefetch(const IpAddress& a) const noexcept {
    if (a.is_v4() && !c4_.dir.empty()) __builtin_prefetch(c4_.dir.data() + (a.v4 >> 16));
    else if (a.is_v4() && !dir_v4_.empty()) __builtin_prefetch(dir_v4_.data() + (a.v4 >> (32 - root_bits)));
    else if (a.is_v6() && !dir_v6_.empty()) __builtin_prefetch(dir_v6_.data() + (a.v6.hi >> (64 - root_bits)));
}

void PrefixTable::lookup_v6_bulk(const U128* a, std::uint32_t* out, std::size_t n) const noexcept {
    if (dir_v6_.empty()) {
        for (std::size_t i = 0; i < n; ++i) out[i] = lookup_v6(a[i]);
        return;
    }
    find_bulk<Slot, U128, u128>(dir_v6_.data(), starts_v6_.data(), values_v6_.data(),
                                [a](std::size_t i) { return detail::to_u128(a[i]); }, out, n);
}

std::size_t PrefixTable::memory_bytes() const {
    return (starts_v4_.capacity() + values_v4_.capacity() + values_v6_.capacity()) * sizeof(std::uint32_t) +
           starts_v6_.capacity() * sizeof(U128) + (dir_v4_.capacity() + dir_v6_.capacity()) * sizeof(Slot) +
           (c4_.dir.capacity() + c4_.values.capacity()) * sizeof(std::uint32_t) +
           c4_.lines.capacity() * sizeof(detail::Line16);
}

}  // namespace flowsieve
