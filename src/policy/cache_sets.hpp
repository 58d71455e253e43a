// cache_sets.hpp: the storage of a worker's caches (endpoint_cache.hpp, flow_cache.hpp) and what ties
// it to one prepared snapshot. Every cache entry carries the epoch it was written in; the epoch changes whenever a burst
// comes with a different snapshot (another object, or another ClassifierIndex::serial, unique per
// prepare_classifier), so an entry of an older generation can never answer (invariant 4).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/ip_address.hpp"

namespace flowsieve {

class CacheEpoch {
public:
    static constexpr std::uint32_t mask = 0x7fffffffu;  // 31 bits: entry tags keep one bit for themselves

    // Once per burst. Returns true when the epoch wrapped (after 2^31 rebinds): old tags could then
    // collide with new ones, so the caller must empty its entries.
    bool bind(const void* snapshot, std::uint64_t serial) noexcept {
        if (snapshot == snapshot_ && serial == serial_ && epoch_ != 0) return false;
        snapshot_ = snapshot;
        serial_ = serial;
        epoch_ = (epoch_ + 1) & mask;
        if (epoch_ != 0) return false;
        epoch_ = 1;
        return true;
    }
    std::uint32_t value() const noexcept { return epoch_; }  // 0 before the first bind: no entry has it

private:
    const void* snapshot_ = nullptr;
    std::uint64_t serial_ = 0;
    std::uint32_t epoch_ = 0;
};

inline constexpr std::size_t cache_max_slots = std::size_t{1} << 24;  // the caches' hashes give 24 bits of set index

// An address as the two 64-bit words the caches key and hash it by (IPv4: the low word only; the
// family is kept beside them, so ::a.b.c.d and a.b.c.d stay apart). An IpAddress keeps the field
// of its other family zero (ip_address.hpp; its factories, the only way the parser makes one, see
// to it), so neither the family nor a select is needed: compilers turned selects into branches on
// the family, which mixed traffic mispredicts, and masks cost four instructions per address.
inline std::uint64_t address_hi(const IpAddress& a) noexcept { return a.v6.hi; }
inline std::uint64_t address_lo(const IpAddress& a) noexcept { return a.v6.lo | a.v4; }

// A power-of-two array of sets (each a cache's own Set of `Ways` entries) with the epoch its entries
// are tagged with, and the count of lookups it answered and missed. Allocated at worker set-up
// (control plane); everything else is noexcept.
template <class Set, std::size_t Ways>
class CacheSets {
public:
    // slots: 0 for none, else a power of two from Ways to max_slots (others are rounded down to
    // one; the config refuses them before they get here).
    explicit CacheSets(std::size_t slots) {
        slots = std::bit_floor(std::min(slots, cache_max_slots));
        if (slots < Ways) return;
        sets_ = std::make_unique<Set[]>(slots / Ways);
        mask_ = static_cast<std::uint32_t>(slots / Ways - 1);
    }

    // Once per burst with the snapshot (its address and its index's serial): a change of either
    // retires every entry (a new epoch; after a wrap, the sets emptied too).
    void bind(const void* snapshot, std::uint64_t serial) noexcept {
        if (epoch_.bind(snapshot, serial))
            for (std::size_t i = 0; i <= mask_; ++i) sets_[i] = Set{};
    }

    Set& operator[](std::uint32_t set) noexcept { return sets_[set]; }
    const Set& operator[](std::uint32_t set) const noexcept { return sets_[set]; }
    const Set* data() const noexcept { return sets_.get(); }  // null when there are no slots
    std::uint32_t mask() const noexcept { return mask_; }  // a hash's bits & mask() is a set index
    std::uint32_t epoch() const noexcept { return epoch_.value(); }
    std::size_t slots() const noexcept { return sets_ ? (std::size_t{mask_} + 1) * Ways : 0; }

    // One lookup's outcome, counted (published by the worker as its cache figures).
    bool count(bool hit) noexcept {
        hits_ += hit;
        misses_ += !hit;
        return hit;
    }
    std::uint64_t hits() const noexcept { return hits_; }
    std::uint64_t misses() const noexcept { return misses_; }

private:
    std::unique_ptr<Set[]> sets_;
    std::uint32_t mask_ = 0;
    CacheEpoch epoch_;
    std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace flowsieve
