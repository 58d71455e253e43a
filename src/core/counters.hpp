// counters.hpp: per-worker packet accounting (invariant 6: received = emitted + sum of drops).
// One writer (its worker lcore), any number of readers (stats thread): relaxed atomics, no lock prefix
// on the writer side (load + store by the single owner).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "core/category.hpp"
#include "core/drop_reason.hpp"

namespace flowsieve {

struct alignas(64) WorkerCounters {
    std::atomic<std::uint64_t> received{0};
    std::array<std::atomic<std::uint64_t>, category_count> emitted{};
    std::array<std::atomic<std::uint64_t>, drop_reason_count> dropped{};
    // The worker's endpoint cache, published once per burst (not part of invariant 6's sum): how
    // many endpoint lookups it answered and how many went to the tables (dpdk.endpoint_cache).
    std::atomic<std::uint64_t> endpoint_cache_hits{0};
    std::atomic<std::uint64_t> endpoint_cache_misses{0};
    // Its flow cache, likewise: packets whose verdict it gave, and parsed packets decided from the
    // rules and endpoints instead (dpdk.flow_cache).
    std::atomic<std::uint64_t> flow_cache_hits{0};
    std::atomic<std::uint64_t> flow_cache_misses{0};

    static void add(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

// A plain copy for reports and checks.
struct CounterTotals {
    std::uint64_t received = 0;
    std::array<std::uint64_t, category_count> emitted{};
    std::array<std::uint64_t, drop_reason_count> dropped{};
    std::uint64_t endpoint_cache_hits = 0, endpoint_cache_misses = 0;
    std::uint64_t flow_cache_hits = 0, flow_cache_misses = 0;

    void add(const WorkerCounters& w) {
        received += w.received.load(std::memory_order_relaxed);
        endpoint_cache_hits += w.endpoint_cache_hits.load(std::memory_order_relaxed);
        endpoint_cache_misses += w.endpoint_cache_misses.load(std::memory_order_relaxed);
        flow_cache_hits += w.flow_cache_hits.load(std::memory_order_relaxed);
        flow_cache_misses += w.flow_cache_misses.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < category_count; ++i) emitted[i] += w.emitted[i].load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < drop_reason_count; ++i) dropped[i] += w.dropped[i].load(std::memory_order_relaxed);
    }
    std::uint64_t emitted_total() const {
        std::uint64_t s = 0;
        for (auto v : emitted) s += v;
        return s;
    }
    std::uint64_t dropped_total() const {
        std::uint64_t s = 0;
        for (auto v : dropped) s += v;
        return s;
    }
    // Invariant 6.
    bool balanced() const { return received == emitted_total() + dropped_total(); }
};

}  // namespace flowsieve
