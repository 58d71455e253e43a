// bench_classify.cpp: the staged classification of a burst (decide_bulk: bulk endpoint lookups
// over the combined endpoint table, bulk indicator lookups, then the rules) on 64-byte `mix`
// frames, and the combined endpoint lookup alone, beside the per-packet forms in bench_packet.cpp.
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdio>
#include <cstdlib>

#include "bench_cycles.hpp"
#include "bench_world.hpp"
#include "control/config.hpp"
#include "parse/packet_parser.hpp"
#include "policy/classifier.hpp"

namespace flowsieve::bench {

namespace {

constexpr std::size_t frame_count = 1 << 16;
constexpr std::size_t burst = default_burst;  // the worker's (control/config.hpp)
static_assert(std::has_single_bit(burst), "the frames are walked in whole bursts by a mask");

struct Burst {
    std::vector<ParsedPacket> parsed;
    std::vector<std::uint64_t> time_ns;
    std::vector<std::uint32_t> v4;  // the IPv4 endpoints, in frame order
    std::vector<U128> v6;
};

const Burst& input() {
    static const Burst b = [] {
        auto f = mix_frames(frame_count);
        if (!f) {
            std::fprintf(stderr, "perf: %s\n", f.error().message.c_str());
            std::exit(1);
        }
        Burst out;
        out.parsed.resize(frame_count);
        out.time_ns = f->time_ns;
        for (std::size_t i = 0; i < frame_count; ++i) {
            parse_packet({f->data(i), f->size(i)}, out.parsed[i]);
            if (out.parsed[i].outcome != ParseOutcome::ok) continue;
            for (const IpAddress& a : {out.parsed[i].key.src, out.parsed[i].key.dst}) {
                if (a.is_v4()) out.v4.push_back(a.v4);
                else out.v6.push_back(a.v6);
            }
        }
        out.v4.resize(out.v4.size() & ~(burst - 1));
        out.v6.resize(out.v6.size() & ~(burst - 1));
        if (!bench_snapshot().index.ready) {
            std::fprintf(stderr, "perf: the bench snapshot has no classifier index\n");
            std::exit(1);
        }
        return out;
    }();
    return b;
}

// With the worker's caches (kept across iterations, as a worker keeps them across bursts): none
// (every endpoint looked up in the tables), the endpoint cache, or both it and the flow cache.
void decide_bulk_burst(benchmark::State& state, bool cached, bool flows) {
    const Snapshot& s = bench_snapshot();
    const Burst& b = input();
    Verdict out[burst];
    std::size_t i = 0;
    EndpointCache cache(cached ? EndpointCache::default_slots : 0);
    FlowCache flow_cache(flows ? FlowCache::default_slots : 0);
    CycleCounter cycles;
    for (auto _ : state) {
        decide_bulk(s, b.parsed.data() + i, b.time_ns.data() + i, out, burst, &cache, &flow_cache);
        benchmark::DoNotOptimize(out);
        i = (i + burst) & (frame_count - 1);
    }
    cycles.report(state, burst);
}

// One combined lookup per endpoint (class id), bulk, on the traffic's own endpoints.
void endpoint_index_bulk(benchmark::State& state, bool v6) {
    const PrefixTable& t = bench_snapshot().index.endpoints;
    const Burst& b = input();
    std::uint32_t out[burst];
    std::size_t i = 0;
    const std::size_t n = v6 ? b.v6.size() : b.v4.size();
    CycleCounter cycles;
    for (auto _ : state) {
        if (v6) t.lookup_v6_bulk(b.v6.data() + i, out, burst);
        else t.lookup_v4_bulk(b.v4.data() + i, out, burst);
        benchmark::DoNotOptimize(out);
        i += burst;
        if (i == n) i = 0;
    }
    cycles.report(state, burst);
}

}  // namespace

BENCHMARK_CAPTURE(decide_bulk_burst, no_cache, false, false);
BENCHMARK_CAPTURE(decide_bulk_burst, cached, true, false);
BENCHMARK_CAPTURE(decide_bulk_burst, flow_cached, true, true);
BENCHMARK_CAPTURE(endpoint_index_bulk, v4, false);
BENCHMARK_CAPTURE(endpoint_index_bulk, v6, true);

}  // namespace flowsieve::bench
