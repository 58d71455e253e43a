// endpoint_cache.hpp: a worker's memo of what one prepared snapshot says about the addresses it saw
// recently: the endpoint class (combined LPM) and the indicator match. Owned by one worker lcore,
// never shared; filled and read inside decide_bulk only.
//
// Why: border traffic repeats its endpoints (a few servers and clients carry most packets), and the
// answers are pure functions of the snapshot, so a small two-way table that stays in L2 answers
// most lookups in a few cycles instead of two LPM descents and an indicator probe in tables of tens
// of MiB. Policy is unchanged: the rules, exclusions and the authorisation windows (which depend on
// the packet's time) are still evaluated per packet; only the address -> answer part is remembered.
//
// Binding: every entry carries the epoch (cache_sets.hpp) it was written in, so an entry of an older
// snapshot can never answer (invariant 4: one snapshot per burst).
#pragma once

#include <cstdint>

#include "core/ip_address.hpp"
#include "policy/cache_sets.hpp"
#include "tables/indicator_table.hpp"

namespace flowsieve {

class EndpointCache {
public:
    static constexpr std::size_t default_slots = 32768;  // 1 MiB: the L2 of the CPUs measured (perf/RESULTS.md)
    static constexpr std::size_t max_slots = cache_max_slots;

    // Allocates (control plane, at worker set-up). slots: a power of two from 2 to max_slots, or 0
    // for no cache (decide_bulk then looks every endpoint up: the benchmarks' baseline); other values
    // are rounded down to one (the config refuses them before they get here).
    explicit EndpointCache(std::size_t slots = default_slots) : sets_(slots) {}

    // Called once per burst with the snapshot (its address and its index's serial): a change of
    // either retires every entry.
    void bind(const void* snapshot, std::uint64_t serial) noexcept { sets_.bind(snapshot, serial); }

    // Where a's entry would be (its set), prefetched: the burst's sets are located first so that
    // their cache misses overlap, then find/store at the set (the hash is computed once).
    std::uint32_t locate(const IpAddress& a) const noexcept {
        const std::uint32_t set = set_of(a);
        __builtin_prefetch(&sets_[set]);
        return set;
    }

    bool find(std::uint32_t set_index, const IpAddress& a, std::uint32_t& cls, IndicatorMatch& ind) noexcept {
        const std::uint64_t hi = address_hi(a), lo = address_lo(a);
        const std::uint32_t tag = tag_of(a);
        const Set& set = sets_[set_index];
        // Both ways compared, then one selected without a branch: which way holds a hit is as
        // unpredictable as the traffic, and a mispredicted branch costs more than the compares.
        const bool in0 = ((set.way[0].hi ^ hi) | (set.way[0].lo ^ lo) | (set.way[0].tag ^ tag)) == 0;
        const bool in1 = ((set.way[1].hi ^ hi) | (set.way[1].lo ^ lo) | (set.way[1].tag ^ tag)) == 0;
        const Entry& e = set.way[in0 ? 0 : 1];
        cls = e.cls;
        ind = e.ind;
        return sets_.count(in0 || in1);
    }
    bool find(const IpAddress& a, std::uint32_t& cls, IndicatorMatch& ind) noexcept { return find(set_of(a), a, cls, ind); }

    // The newest entry goes to way 0 and the set's older one moves to way 1 (the oldest leaves): a
    // one-off visitor evicts at most one of the two addresses that share the set.
    void store(std::uint32_t set_index, const IpAddress& a, std::uint32_t cls, const IndicatorMatch& ind) noexcept {
        Set& set = sets_[set_index];
        set.way[1] = set.way[0];
        set.way[0] = Entry{address_hi(a), address_lo(a), cls, ind, tag_of(a)};
    }
    void store(const IpAddress& a, std::uint32_t cls, const IndicatorMatch& ind) noexcept { store(set_of(a), a, cls, ind); }

    std::uint64_t hits() const noexcept { return sets_.hits(); }
    std::uint64_t misses() const noexcept { return sets_.misses(); }
    std::size_t slots() const noexcept { return sets_.slots(); }

private:
    static constexpr std::size_t ways = 2;
    struct Entry {
        std::uint64_t hi = 0, lo = 0;  // the address (IPv4: lo only)
        std::uint32_t cls = 0;         // index into ClassifierIndex::classes
        IndicatorMatch ind;
        std::uint32_t tag = 0;         // epoch << 1 | is IPv6; 0: empty
    };
    struct alignas(64) Set {  // one cache line: a lookup reads one line
        Entry way[ways];
    };
    static_assert(sizeof(Set) == 64, "a set is one cache line");

    std::uint32_t tag_of(const IpAddress& a) const noexcept { return sets_.epoch() << 1 | (a.is_v6() ? 1u : 0u); }
    std::uint32_t set_of(const IpAddress& a) const noexcept {
        // Multiplicative hashing (Knuth): the high bits of the product mix every address bit.
        const std::uint64_t x = (address_hi(a) * 0x9e3779b97f4a7c15ull) ^ address_lo(a);
        return static_cast<std::uint32_t>((x * 0xbf58476d1ce4e5b9ull) >> 40) & sets_.mask();
    }

    CacheSets<Set, ways> sets_;
};

}  // namespace flowsieve
