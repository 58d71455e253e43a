// bench_build.cpp: control-plane scale: the world country table and the 1M IP + 100k CIDR indicator
// table built serial (one TBB thread) and TBB-parallel (every core), from memory and from files;
// the whole demo snapshot; the memory each holds.
#include "bench_build.hpp"

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/parallel_invoke.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "bench_world.hpp"

namespace flowsieve::bench {

namespace {

template <class T>
T must(Result<T> r) {
    if (!r) {
        std::fprintf(stderr, "perf: %s\n", r.error().message.c_str());
        std::exit(1);
    }
    return std::move(r.value());
}

std::vector<IndicatorSetSource> indicator_sources() {
    return {must(load_indicator_list("ipsum", indicator_files().ipsum_plus)),
            must(load_indicator_list("scanners", indicator_files().scanners_plus))};
}

void world_table_build(benchmark::State& state) {
    const auto& ranges = world_ranges();
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) bytes = CountryTable::build(ranges).memory_bytes();
    state.counters["bytes"] = static_cast<double>(bytes);
}

void world_table_load_build(benchmark::State& state) {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        std::vector<CountryRange> v4, v6;
        tbb::parallel_invoke([&] { v4 = must(load_country_file(world_file_v4())); },
                             [&] { v6 = must(load_country_file(world_file_v6())); });
        v4.insert(v4.end(), v6.begin(), v6.end());
        benchmark::DoNotOptimize(CountryTable::build(v4).memory_bytes());
    }
}

void indicators_build(benchmark::State& state) {
    const auto sources = indicator_sources();
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(state.range(0)));
    std::size_t bytes = 0, count = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto copy = sources;
        state.ResumeTiming();
        auto t = must(IndicatorTable::build(std::move(copy)));
        bytes = t.memory_bytes();
        count = t.indicator_count();
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.counters["indicators"] = static_cast<double>(count);
}

void indicators_load_build(benchmark::State& state) {
    indicator_files();  // written before timing
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(must(IndicatorTable::build(indicator_sources())).indicator_count());
}

void snapshot_build(benchmark::State& state) {
    indicator_files();
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(state.range(0)));
    std::size_t bytes = 0, countries = 0, indicators = 0;
    for (auto _ : state) {
        auto s = must(build_bench_snapshot());
        bytes = s->memory_bytes();
        countries = s->countries.memory_bytes();
        indicators = s->indicators.memory_bytes();
        state.PauseTiming();
        s.reset();  // freeing is not building
        state.ResumeTiming();
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.counters["country_bytes"] = static_cast<double>(countries);
    state.counters["indicator_bytes"] = static_cast<double>(indicators);
}

}  // namespace

void register_build_benchmarks(int iterations) {
    const auto cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    auto add = [&](const char* name, void (*fn)(benchmark::State&)) {
        benchmark::RegisterBenchmark(name, fn)
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(cores)
            ->Iterations(iterations)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    };
    add("world_table_build", world_table_build);
    add("world_table_load_build", world_table_load_build);
    add("indicators_1m_build", indicators_build);
    add("indicators_1m_load_build", indicators_load_build);
    add("snapshot_build", snapshot_build);
}

}  // namespace flowsieve::bench
