// bench_cycles.hpp: cycles per item for Google Benchmark runs, from the TSC and from thread CPU time.
#pragma once

#include <benchmark/benchmark.h>
#include <rte_cycles.h>

#include <cstdint>
#include <ctime>

namespace flowsieve::bench {

inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Started right before `for (auto _ : state)`; report() after it. The counters are the last run's,
// i.e. the one with the iteration count Google Benchmark settled on:
//   tsc_cycles_per_item  TSC ticks (wall time at the nominal clock), which count time the thread
//                        lost to other processes on a busy machine;
//   cycles_per_item      thread CPU time in TSC ticks: the same work without the time stolen.
class CycleCounter {
public:
    CycleCounter() : start_(rte_rdtsc()), cpu_start_(thread_cpu_seconds()) {}
    void report(benchmark::State& state, std::uint64_t items_per_iteration) const {
        const std::uint64_t cycles = rte_rdtsc() - start_;
        const double cpu = thread_cpu_seconds() - cpu_start_;
        const auto items = static_cast<double>(state.iterations()) * static_cast<double>(items_per_iteration);
        state.counters["tsc_cycles_per_item"] = static_cast<double>(cycles) / items;
        state.counters["cycles_per_item"] = cpu * static_cast<double>(rte_get_tsc_hz()) / items;
        state.SetItemsProcessed(static_cast<std::int64_t>(items));
    }

private:
    std::uint64_t start_;
    double cpu_start_;
};

}  // namespace flowsieve::bench
