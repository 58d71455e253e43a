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

// A power-of-two array of sets (each a cache's own Set of `Ways` entries) with the epoch its entries
// are tagged with. Allocated at worker set-up (control plane); indexing and bind() are noexcept.
template <class Set, std::size_t Ways>
class CacheSets {
public:
    static constexpr std::size_t max_slots = std::size_t{1} << 24;  // the caches' hashes give 24 bits of set index

    // slots: 0 for none, else a power of two from Ways to max_slots (others are rounded down to
    // one; the config refuses them before they get here).
    explicit CacheSets(std::size_t slots) {
        slots = std::bit_floor(std::min(slots, max_slots));
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
    std::uint32_t mask() const noexcept { return mask_; }  // a hash's bits & mask() is a set index
    std::uint32_t epoch() const noexcept { return epoch_.value(); }
    std::size_t slots() const noexcept { return sets_ ? (std::size_t{mask_} + 1) * Ways : 0; }

private:
    std::unique_ptr<Set[]> sets_;
    std::uint32_t mask_ = 0;
    CacheEpoch epoch_;
};

}  // namespace flowsieve
