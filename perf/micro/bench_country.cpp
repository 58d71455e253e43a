// bench_country.cpp: country lookup on the full world table (IPv4/IPv6, single and bulk of 32) and
// DPDK's rte_lpm built from the same IPv4 prefixes, looking up the same addresses in the same run.
#include <benchmark/benchmark.h>
#include <rte_errno.h>
#include <rte_lpm.h>

#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include "bench_cycles.hpp"
#include "bench_world.hpp"
#include "tables/compact4.hpp"

namespace flowsieve::bench {

namespace {

constexpr std::size_t key_count = 1 << 20;  // 4 MB (IPv4) / 16 MB (IPv6) of keys: not cache-resident
constexpr std::size_t bulk = 32;            // a burst

const CountryTable& world_table() {
    static const CountryTable t = CountryTable::build(world_ranges());
    return t;
}

const std::vector<std::uint32_t>& keys_v4(bool uniform) {
    static const auto ranged = range_addresses_v4(key_count, bench_seed);
    static const auto flat = uniform_addresses_v4(key_count, bench_seed);
    return uniform ? flat : ranged;
}

const std::vector<U128>& keys_v6() {
    static const auto k = range_addresses_v6(key_count, bench_seed);
    return k;
}

// rte_lpm over exactly the prefixes CountryTable answers from; checked against it on every key.
rte_lpm* world_lpm() {
    static rte_lpm* lpm = [] {
        const auto prefixes = world_prefixes_v4(world_ranges());
        std::unordered_set<std::uint32_t> tbl8_blocks;  // one tbl8 per /24 holding a longer prefix
        for (const auto& p : prefixes)
            if (p.len > 24) tbl8_blocks.insert(p.addr >> 8);
        rte_lpm_config cfg{};
        cfg.max_rules = static_cast<std::uint32_t>(prefixes.size());
        cfg.number_tbl8s = static_cast<std::uint32_t>(tbl8_blocks.size() + 256);
        rte_lpm* l = rte_lpm_create("perf_world_v4", 0, &cfg);
        if (!l) {
            std::fprintf(stderr, "perf: rte_lpm_create: %s\n", rte_strerror(rte_errno));
            std::exit(1);
        }
        for (const auto& p : prefixes) {
            if (rte_lpm_add(l, p.addr, p.len, p.cc) != 0) {
                std::fprintf(stderr, "perf: rte_lpm_add failed\n");
                std::exit(1);
            }
        }
        std::size_t mismatches = 0;
        for (bool uniform : {false, true})
            for (std::uint32_t a : keys_v4(uniform)) {
                std::uint32_t hop = 0;
                const CountryCode want = world_table().lookup_v4(a);
                const bool hit = rte_lpm_lookup(l, a, &hop) == 0;
                if ((hit ? static_cast<CountryCode>(hop) : no_country) != want) ++mismatches;
            }
        if (mismatches) {
            std::fprintf(stderr, "perf: rte_lpm and CountryTable disagree on %zu addresses\n", mismatches);
            std::exit(1);
        }
        std::fprintf(stderr, "perf: rte_lpm: %zu IPv4 prefixes, %zu tbl8 groups; agrees with CountryTable on %zu keys\n",
                     prefixes.size(), tbl8_blocks.size(), 2 * key_count);
        return l;
    }();
    return lpm;
}

void country_v4_single(benchmark::State& state, bool uniform) {
    const CountryTable& t = world_table();
    const auto& keys = keys_v4(uniform);
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        for (std::size_t j = 0; j < bulk; ++j) benchmark::DoNotOptimize(t.lookup_v4(keys[i + j]));
        i = (i + bulk) & (key_count - 1);
    }
    cycles.report(state, bulk);
}

// path: the compact form's bulk loop to take (the CPU's best by default; SSE2, the baseline, to
// compare with in the same run).
void country_v4_bulk(benchmark::State& state, bool uniform, detail::C4Path path = detail::c4_best_path()) {
    const PrefixTable& t = world_table().lpm();
    const detail::C4Path saved = detail::c4_path;
    detail::c4_path = path;
    const auto& keys = keys_v4(uniform);
    std::uint32_t out[bulk];
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        t.lookup_v4_bulk(keys.data() + i, out, bulk);
        benchmark::DoNotOptimize(out);
        i = (i + bulk) & (key_count - 1);
    }
    cycles.report(state, bulk);
    detail::c4_path = saved;
}

void country_v6(benchmark::State& state, bool bulk_call) {
    const PrefixTable& t = world_table().lpm();
    const auto& keys = keys_v6();
    std::uint32_t out[bulk];
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        if (bulk_call) {
            t.lookup_v6_bulk(keys.data() + i, out, bulk);
            benchmark::DoNotOptimize(out);
        } else {
            for (std::size_t j = 0; j < bulk; ++j) benchmark::DoNotOptimize(t.lookup_v6(keys[i + j]));
        }
        i = (i + bulk) & (key_count - 1);
    }
    cycles.report(state, bulk);
}

void rte_lpm_v4(benchmark::State& state, bool uniform, bool bulk_call) {
    rte_lpm* l = world_lpm();
    const auto& keys = keys_v4(uniform);
    std::uint32_t out[bulk];
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        if (bulk_call) {
            rte_lpm_lookup_bulk(l, keys.data() + i, out, bulk);
            benchmark::DoNotOptimize(out);
        } else {
            for (std::size_t j = 0; j < bulk; ++j) {
                std::uint32_t hop = 0;
                benchmark::DoNotOptimize(rte_lpm_lookup(l, keys[i + j], &hop));
                benchmark::DoNotOptimize(hop);
            }
        }
        i = (i + bulk) & (key_count - 1);
    }
    cycles.report(state, bulk);
}

void memory(benchmark::State& state) {
    const CountryTable& t = world_table();
    for (auto _ : state) benchmark::DoNotOptimize(t.memory_bytes());
    state.counters["bytes"] = static_cast<double>(t.memory_bytes());
    state.counters["prefixes_v4"] = static_cast<double>(t.lpm().prefix_count_v4());
    state.counters["prefixes_v6"] = static_cast<double>(t.lpm().prefix_count_v6());
}

}  // namespace

// Names are read by perf/run: keep them stable.
BENCHMARK_CAPTURE(country_v4_bulk, ranges, false);
BENCHMARK_CAPTURE(country_v4_bulk, ranges_sse2, false, detail::C4Path::sse2);
BENCHMARK_CAPTURE(country_v4_bulk, ranges_avx2, false, detail::C4Path::avx2);
BENCHMARK_CAPTURE(rte_lpm_v4, bulk_ranges, false, true);
BENCHMARK_CAPTURE(country_v4_single, ranges, false);
BENCHMARK_CAPTURE(rte_lpm_v4, single_ranges, false, false);
BENCHMARK_CAPTURE(country_v4_bulk, uniform, true);
BENCHMARK_CAPTURE(rte_lpm_v4, bulk_uniform, true, true);
BENCHMARK_CAPTURE(country_v6, bulk_ranges, true);
BENCHMARK_CAPTURE(country_v6, single_ranges, false);
BENCHMARK(memory)->Name("country_table_memory")->Iterations(1);

}  // namespace flowsieve::bench
