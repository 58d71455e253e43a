// prefix_table.hpp: longest-prefix match, IPv4 and IPv6, prefix -> 32-bit value (0 = no match).
// Built once in the control plane, then immutable and shared read-only by all workers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/ip_address.hpp"
#include "tables/prefix.hpp"

namespace flowsieve {

namespace detail {
template <class K> struct Segment;  // tables/interval_paint.hpp
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

    std::uint32_t lookup(const IpAddress& a) const noexcept;
    std::uint32_t lookup_v4(std::uint32_t a) const noexcept;
    std::uint32_t lookup_v6(U128 a) const noexcept;
    void lookup_v4_bulk(const std::uint32_t* a, std::uint32_t* out, std::size_t n) const noexcept;
    void lookup_v6_bulk(const U128* a, std::uint32_t* out, std::size_t n) const noexcept;

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
    std::vector<U128> starts_v6_;
    std::vector<std::uint32_t> values_v6_;
    std::vector<Slot> dir_v6_;
    std::size_t prefixes_v4_ = 0, prefixes_v6_ = 0;

    // From sorted, disjoint segments (tables/interval_paint.hpp), K = std::uint32_t or the
    // 128-bit key type; defined and instantiated in prefix_table.cpp.
    template <class K> void install(const std::vector<detail::Segment<K>>& segments);
};

}  // namespace flowsieve
