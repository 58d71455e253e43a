// bench_packet.cpp: per-packet work on 64-byte `mix` frames: the parser, indicator lookups (1M IP +
// 100k CIDR), endpoint classification, and the whole classification (decide) of a burst.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "bench_cycles.hpp"
#include "bench_world.hpp"
#include "parse/packet_parser.hpp"
#include "policy/classifier.hpp"

namespace flowsieve::bench {

namespace {

constexpr std::size_t frame_count = 1 << 16;
constexpr std::size_t burst = 32;

const Frames& frames() {
    static const Frames f = [] {
        auto r = mix_frames(frame_count);
        if (!r) {
            std::fprintf(stderr, "perf: %s\n", r.error().message.c_str());
            std::exit(1);
        }
        return std::move(r.value());
    }();
    return f;
}

const std::vector<ParsedPacket>& parsed() {
    static const std::vector<ParsedPacket> p = [] {
        std::vector<ParsedPacket> out(frame_count);
        for (std::size_t i = 0; i < frame_count; ++i) parse_packet({frames().data(i), frames().size(i)}, out[i]);
        return out;
    }();
    return p;
}

// Both endpoints of every IP frame, in frame order (what the classifier looks up).
const std::vector<IpAddress>& endpoints() {
    static const std::vector<IpAddress> e = [] {
        std::vector<IpAddress> out;
        for (const auto& p : parsed())
            if (p.outcome == ParseOutcome::ok) out.insert(out.end(), {p.key.src, p.key.dst});
        out.resize(out.size() & ~(burst - 1));
        return out;
    }();
    return e;
}

void parse(benchmark::State& state) {
    const Frames& f = frames();
    ParsedPacket out[burst];
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        for (std::size_t j = 0; j < burst; ++j) parse_packet({f.data(i + j), f.size(i + j)}, out[j]);
        benchmark::DoNotOptimize(out);
        i = (i + burst) & (frame_count - 1);
    }
    cycles.report(state, burst);
}

void indicators(benchmark::State& state, bool bulk_call) {
    const IndicatorTable& t = bench_snapshot().indicators;
    const auto& keys = endpoints();
    IndicatorMatch out[burst];
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        if (bulk_call) {
            t.lookup_bulk(keys.data() + i, out, burst);
        } else {
            for (std::size_t j = 0; j < burst; ++j) t.lookup(keys[i + j], out[j]);
        }
        benchmark::DoNotOptimize(out);
        i += burst;
        if (i == keys.size()) i = 0;
    }
    cycles.report(state, burst);
    state.counters["indicators"] = static_cast<double>(t.indicator_count());
}

void endpoint_classes(benchmark::State& state) {
    const Snapshot& s = bench_snapshot();
    const auto& keys = endpoints();
    EndpointClass out[burst];
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        for (std::size_t j = 0; j < burst; ++j) out[j] = classify_endpoint(s, keys[i + j]);
        benchmark::DoNotOptimize(out);
        i += burst;
        if (i == keys.size()) i = 0;
    }
    cycles.report(state, burst);
}

void decide_burst(benchmark::State& state) {
    const Snapshot& s = bench_snapshot();
    const auto& p = parsed();
    const Frames& f = frames();
    Verdict out[burst];
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        for (std::size_t j = 0; j < burst; ++j) out[j] = decide(s, p[i + j], f.time_ns[i + j]);
        benchmark::DoNotOptimize(out);
        i = (i + burst) & (frame_count - 1);
    }
    cycles.report(state, burst);
}

void parse_and_decide_burst(benchmark::State& state) {
    const Snapshot& s = bench_snapshot();
    const Frames& f = frames();
    ParsedPacket p[burst];
    Verdict out[burst];
    std::size_t i = 0;
    CycleCounter cycles;
    for (auto _ : state) {
        for (std::size_t j = 0; j < burst; ++j) parse_packet({f.data(i + j), f.size(i + j)}, p[j]);
        for (std::size_t j = 0; j < burst; ++j) out[j] = decide(s, p[j], f.time_ns[i + j]);
        benchmark::DoNotOptimize(out);
        i = (i + burst) & (frame_count - 1);
    }
    cycles.report(state, burst);
}

}  // namespace

BENCHMARK(parse);
BENCHMARK_CAPTURE(indicators, single, false);
BENCHMARK_CAPTURE(indicators, bulk, true);
BENCHMARK(endpoint_classes);
BENCHMARK(decide_burst);
BENCHMARK(parse_and_decide_burst);

}  // namespace flowsieve::bench
