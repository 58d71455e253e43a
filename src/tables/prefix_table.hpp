// prefix_table.hpp: longest-prefix match, IPv4 and IPv6, prefix -> 32-bit value (0 = no match).
// Built once in the control plane, then immutable and shared read-only by all workers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/ip_address.hpp"
#include "tables/prefix.hpp"

namespace flowsieve {

namespace detail {
template <class K> struct Segment;  // tables/interval_paint.hpp
// 32 interval starts (or ids): one cache line, compared with a key at once (tables/compact4.hpp).
struct alignas(64) Line16 {
    std::uint16_t v[32];
};
// Raw pointers into PrefixTable's compact IPv4 form, for the lookup loops (tables/compact4.hpp).
struct Compact4Ref {
    const std::uint32_t* dir;  // the directory, then the blocks
    const std::uint16_t* starts;
    const std::uint16_t* ids;     // starts + one line: a start's id, at the start's offset
    const std::uint32_t* values;  // null: the ids are the values
};
}

class PrefixTable {
public:
    struct Entry {
        Prefix prefix;
        std::uint32_t value;  // must be non-zero
    };

    PrefixTable() = default;
    // Longest prefix wins; for the same prefix given twice, the later entry wins.
    static PrefixTable build(std::vector<Entry> entries);

    // Overlays already-built tables into one: every address gets combine(value in layers[0], value
    // in layers[1], ...) (0 where a layer has no match), so several lookups become one. Used at
    // snapshot build time (control plane); the layers are read, never changed.
    using Combine = std::function<std::uint32_t(std::span<const std::uint32_t>)>;
    static PrefixTable overlay(std::span<const PrefixTable* const> layers, const Combine& combine);

    std::uint32_t lookup(const IpAddress& a) const noexcept;
    std::uint32_t lookup_v4(std::uint32_t a) const noexcept;
    std::uint32_t lookup_v6(U128 a) const noexcept;
    void lookup_v4_bulk(const std::uint32_t* a, std::uint32_t* out, std::size_t n) const noexcept;
    void lookup_v6_bulk(const U128* a, std::uint32_t* out, std::size_t n) const noexcept;
    // Pulls the first level a lookup of a reads towards the cache: called ahead of a bulk lookup so
    // that its first misses overlap with other tables' lookups.
    void prefetch(const IpAddress& a) const noexcept;

    // The same answer as lookup() from the flattened intervals alone (a binary search over all of
    // them, no directory, no compact form): the reference the faster forms are tested against.
    std::uint32_t lookup_reference(const IpAddress& a) const noexcept;
    // Whether IPv4 lookups use the compact form (few distinct values; see Compact4 below).
    bool compact_v4() const { return !c4_.dir.empty(); }
    std::size_t prefix_count_v4() const { return prefixes_v4_; }
    std::size_t prefix_count_v6() const { return prefixes_v6_; }
    std::size_t memory_bytes() const;  // heap bytes held by the lookup structures

private:
    friend class CountryTable;  // installs painted, disjoint ranges directly (see install)

    // Flattened to sorted, disjoint intervals covering the whole family's space: starts[i] begins
    // interval i, which maps to values[i] until starts[i+1] (values 0 fill the gaps).
    // The directory narrows a lookup to a handful of intervals: the root has 65536 slots on the top
    // 16 bits (+1 end slot); slot.first is the interval holding the slot's first address; a slot with
    // more than a few intervals gets a child node on the next bits (slot.child = offset << 5 | bits).
    // A family with only a few intervals has no directory (empty dir): a search over all starts.
    struct Slot {
        std::uint32_t first;
        std::uint32_t child;  // 0: leaf
    };
    std::vector<std::uint32_t> starts_v4_, values_v4_;
    std::vector<Slot> dir_v4_;
    // IPv4 tables with few distinct values (countries, endpoint classes: a few hundred) also get a
    // compact form, after DXR (Zec, Rizzo, Mikuc 2012), that answers every IPv4 lookup; it is small
    // enough (about 4 MiB for the world table) to stay in cache where a 64 MiB DIR-24-8 cannot.
    // dir: one 32-bit entry per /16, then blocks of 256 entries on bits 15..8 for the busy /16s
    // (more than 31 intervals). A final entry (tables/compact4.hpp has the bits) names a chunk:
    // up to 31 intervals' starts (low 16 bits, the first clamped to the slot's start) within one
    // 64-byte line of `lines`, their value ids at the same places in the next line (a 128-byte
    // pair, fetched together); a slot of one value is a chunk of one interval, a /24 of more
    // intervals a table of 256 ids. Empty dir: not built (too many values or intervals); the
    // general directory below answers.
    struct Compact4 {
        std::vector<std::uint32_t> dir;
        std::vector<detail::Line16> lines;  // pairs: starts, then their ids
        std::vector<std::uint32_t> values;  // value id -> value; empty: the ids are the values
    };
    Compact4 c4_;
    bool build_compact_v4();
    detail::Compact4Ref compact_ref() const noexcept;
    std::vector<U128> starts_v6_;
    std::vector<std::uint32_t> values_v6_;
    std::vector<Slot> dir_v6_;
    std::size_t prefixes_v4_ = 0, prefixes_v6_ = 0;

    // From sorted, disjoint segments (tables/interval_paint.hpp), K = std::uint32_t or the
    // 128-bit key type; defined and instantiated in prefix_table.cpp.
    template <class K> void install(const std::vector<detail::Segment<K>>& segments);
};

}  // namespace flowsieve
