// prefix_table.hpp: longest-prefix match, IPv4 and IPv6, prefix -> 32-bit value (0 = no match).
// Built once in the control plane, then immutable and shared read-only by all workers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/ip_address.hpp"
#include "tables/prefix.hpp"

namespace flowsieve {

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
    // Flattened to sorted, disjoint intervals: starts_[i] begins interval i, which maps to
    // values_[i] until starts_[i+1]. A direct index on the top 16 bits narrows the search.
    std::vector<std::uint32_t> starts_v4_, values_v4_;
    std::vector<std::uint32_t> index_v4_;  // 65537 entries: first interval of each /16 bucket
    std::vector<U128> starts_v6_;
    std::vector<std::uint32_t> values_v6_;
    std::vector<std::uint32_t> index_v6_;  // 65537 entries on the top 16 bits
    std::size_t prefixes_v4_ = 0, prefixes_v6_ = 0;
};

}  // namespace flowsieve
