// cache_epoch.hpp: what ties a worker's caches (endpoint_cache.hpp, flow_cache.hpp) to one prepared
// snapshot. Every cache entry carries the epoch it was written in; the epoch changes whenever a burst
// comes with a different snapshot (another object, or another ClassifierIndex::serial, unique per
// prepare_classifier), so an entry of an older generation can never answer (invariant 4).
#pragma once

#include <cstdint>

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

}  // namespace flowsieve
