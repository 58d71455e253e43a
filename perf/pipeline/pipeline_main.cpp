// pipeline_main.cpp: the pipeline benchmark: the real worker loop (process_burst) over in-memory
// mbufs filled from the generator's 64-byte `mix` frames, against the demo snapshot with the full
// world table and 1M IP + 100k CIDR indicators. Prints Mpps, cycles per packet and the stage split;
// the last line is one JSON object (read by perf/run).
//
// Usage: pipeline_bench [--packets N] [--frames N] [--burst N] [--workers N] [--endpoint-cache N] [--flow-cache N]
//   --workers N: besides the single-worker figures, the whole loop's throughput with 1, 2, 4, ... and
//   N workers at once (each on its own CPU, from this process's allowed CPUs), to see how it scales.
#include <pthread.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <sched.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "control/config.hpp"
#include "dpdk/eal.hpp"
#include "exporter_run.hpp"
#include "pipeline_run.hpp"

namespace {

using namespace flowsieve;
using namespace flowsieve::bench;

struct Options {
    std::uint64_t packets = 20'000'000;  // per measured pass and worker
    std::size_t frames = 1 << 16;        // distinct frames, replayed in a loop
    unsigned burst = default_burst;  // the filter's (control/config.hpp)
    unsigned workers = 1;
    std::size_t endpoint_cache = EndpointCache::default_slots;  // the measured configuration's caches
    std::size_t flow_cache = FlowCache::default_slots;          // (the baseline has none)
};

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) return false;
        std::uint64_t v = 0;
        const std::string_view s = argv[++i];
        if (std::from_chars(s.data(), s.data() + s.size(), v).ec != std::errc{}) return false;
        if (a == "--endpoint-cache") o.endpoint_cache = v;
        else if (a == "--flow-cache") o.flow_cache = v;
        else if (v == 0) return false;
        else if (a == "--packets") o.packets = v;
        else if (a == "--frames") o.frames = v;
        else if (a == "--burst") o.burst = static_cast<unsigned>(v);
        else if (a == "--workers" && v <= RTE_MAX_LCORE) o.workers = static_cast<unsigned>(v);
        else return false;
    }
    return true;
}

struct LaunchArgs {
    PipelineWorker* worker;
    std::uint64_t packets;
    PipelineCycles result;
};

int run_on_lcore(void* arg) {
    auto* a = static_cast<LaunchArgs*>(arg);
    a->result = a->worker->run(a->packets);
    return 0;
}

// The scaling's control: a chain of dependent 64-bit multiplies (3 core cycles each on current x86
// cores), no memory. Run on the same lcores at once, it gives each core's clock while they are all
// busy, so a drop per worker that the clock also shows is the machine (turbo, shared physical
// cores), not contention in the data path.
struct ClockProbe {
    static constexpr std::uint64_t multiplies = 200'000'000;
    static constexpr double cycles_per_multiply = 3.0;
    std::uint64_t tsc = 0;
    std::uint64_t sink = 0;
    double ghz(double tsc_hz) const { return tsc ? cycles_per_multiply * static_cast<double>(multiplies) / (static_cast<double>(tsc) / tsc_hz) / 1e9 : -1; }
};

int probe_clock(void* arg) {
    auto* p = static_cast<ClockProbe*>(arg);
    std::uint64_t x = p->sink | 1;
    const std::uint64_t t0 = rte_rdtsc();
    for (std::uint64_t i = 0; i < ClockProbe::multiplies; ++i) {
        x *= 0x9E3779B97F4A7C15ULL;
        asm volatile("" : "+r"(x));  // keeps the chain: no unrolling into a closed form
    }
    p->tsc = rte_rdtsc() - t0;
    p->sink = x;
    return 0;
}

double mpps(std::uint64_t packets, double tsc_cycles, double hz) {
    return tsc_cycles > 0 ? static_cast<double>(packets) / (tsc_cycles / hz) / 1e6 : 0.0;
}

// Whole-loop Mpps of `workers` workers at once, by wall time and by on-CPU time.
struct ScalingPoint {
    unsigned workers = 0;
    double wall = -1, cpu = -1;
    double clock_ghz = -1;  // the cores' mean clock with `workers` of them busy (ClockProbe)
};

// 1, 2, 4, ... and n itself: enough points to see the curve without a pass per core count.
std::vector<unsigned> worker_counts(unsigned n) {
    std::vector<unsigned> counts;
    for (unsigned k = 1; k < n; k *= 2) counts.push_back(k);
    counts.push_back(n);
    return counts;
}

// Lcores 0..n-1 on the first `n` CPUs this process may run on, as an EAL --lcores list
// ("0@3,1@5": lcore ids stay below RTE_MAX_LCORE whatever the CPU numbers); empty if there are fewer.
std::string lcore_map(const cpu_set_t& cpus, unsigned n) {
    std::string list;
    for (unsigned cpu = 0, taken = 0; cpu < CPU_SETSIZE && taken < n; ++cpu) {
        if (!CPU_ISSET(cpu, &cpus)) continue;
        if (taken) list += ',';
        list += std::to_string(taken++) + "@" + std::to_string(cpu);
        if (taken == n) return list;
    }
    return {};
}

std::string json_number(double v, int decimals = 3) {
    if (v < 0) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

double per_packet(std::uint64_t cycles, std::uint64_t packets) {
    return packets ? static_cast<double>(cycles) / static_cast<double>(packets) : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse_args(argc, argv, o)) {
        std::fprintf(stderr, "usage: pipeline_bench [--packets N] [--frames N] [--burst N] [--workers N] "
                             "[--endpoint-cache N] [--flow-cache N]\n");
        return 2;
    }
    cpu_set_t all_cpus, lcore_cpus;
    CPU_ZERO(&all_cpus);
    CPU_ZERO(&lcore_cpus);
    const bool have_cpus = pthread_getaffinity_np(pthread_self(), sizeof all_cpus, &all_cpus) == 0;
    const std::string cores = have_cpus ? lcore_map(all_cpus, o.workers) : o.workers == 1 ? "0" : "";
    if (cores.empty()) {
        std::fprintf(stderr, "pipeline_bench: --workers %u, but this process may run on %d CPUs\n", o.workers,
                     have_cpus ? CPU_COUNT(&all_cpus) : 1);
        return 2;
    }
    // Each worker has its own mbuf pool (about 10 MiB) and record ring (4 MiB) in EAL memory.
    const std::vector<std::string> eal = {"--no-huge", "--no-pci", "--no-shconf", "-m",
                                          std::to_string(512 + 32 * o.workers), "--lcores", cores,
                                          "--log-level=lib.eal:error", "--file-prefix=perf" + std::to_string(::getpid())};
    if (auto st = Eal::init(eal); !st) {
        std::fprintf(stderr, "pipeline_bench: %s\n", st.error().message.c_str());
        return 1;
    }
    // The tables are built with every CPU (the EAL pinned this thread to lcore 0's CPU, and TBB's
    // threads would inherit that), then the thread goes back to its lcore for the measurements.
    const bool pinned = have_cpus && pthread_getaffinity_np(pthread_self(), sizeof lcore_cpus, &lcore_cpus) == 0 &&
                        pthread_setaffinity_np(pthread_self(), sizeof all_cpus, &all_cpus) == 0;

    double build_s = 0;
    auto snap = build_bench_snapshot(&build_s);
    auto frames = mix_frames(o.frames);
    if (pinned) pthread_setaffinity_np(pthread_self(), sizeof lcore_cpus, &lcore_cpus);
    if (!snap || !frames) {
        std::fprintf(stderr, "pipeline_bench: %s\n", (!snap ? snap.error() : frames.error()).message.c_str());
        return 1;
    }
    auto w0 = PipelineWorker::create(0, *frames, **snap, 0, o.burst);
    if (!w0) {
        std::fprintf(stderr, "pipeline_bench: %s\n", w0.error().message.c_str());
        return 1;
    }
    PipelineWorker& worker = **w0;
    const double hz = static_cast<double>(rte_get_tsc_hz());

    // Baselines first, in the same invocation: the same loop with no cache (every packet decided
    // from the tables, every endpoint looked up), then with the endpoint cache alone, then the
    // measured configuration with fresh caches (their cold start included in the warm-up pass).
    const auto warm_up = [&] { worker.run(std::min<std::uint64_t>(o.packets / 10 + o.burst, 1'000'000)); };
    worker.reset_caches(0, 0);
    warm_up();
    const PipelineCycles uncached = worker.run(o.packets);
    worker.reset_caches(o.endpoint_cache, 0);
    warm_up();
    const PipelineCycles endpoint_only = worker.run(o.packets);
    worker.reset_caches(o.endpoint_cache, o.flow_cache);
    warm_up();
    const std::uint64_t hits0 = worker.endpoint_cache().hits(), misses0 = worker.endpoint_cache().misses();
    const std::uint64_t flow_hits0 = worker.flow_cache().hits(), flow_misses0 = worker.flow_cache().misses();
    const PipelineCycles real = worker.run(o.packets);
    const auto rate = [](std::uint64_t hits, std::uint64_t misses) {
        return hits + misses ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 0.0;
    };
    const double hit_rate = rate(worker.endpoint_cache().hits() - hits0, worker.endpoint_cache().misses() - misses0);
    const double flow_hit_rate = rate(worker.flow_cache().hits() - flow_hits0, worker.flow_cache().misses() - flow_misses0);
    const PipelineCycles staged = worker.run_staged(o.packets);

    CounterTotals totals;
    totals.add(worker.counters());

    // Scaling: the whole loop (driver copy included) of 1, 2, 4, ... workers at once, each on its own
    // lcore with its own pool, ring and part of the frames; both by wall time (what a user sees, but
    // on a shared machine it counts time other processes held the core) and by the time each thread
    // was on a CPU (capacity per core; still sees the cache and memory contention).
    std::vector<ScalingPoint> scaling;
    if (o.workers >= 2) {
        std::vector<std::unique_ptr<PipelineWorker>> others;
        std::vector<unsigned> lcores;
        for (unsigned id = 1, lcore = rte_lcore_id(); id < o.workers; ++id) {
            lcore = rte_get_next_lcore(lcore, 1, 0);
            auto w = PipelineWorker::create(id, *frames, **snap, frames->count() * id / o.workers, o.burst);
            if (!w || lcore >= RTE_MAX_LCORE) {
                std::fprintf(stderr, "pipeline_bench: cannot start worker %u: %s\n", id,
                             w ? "no lcore left" : w.error().message.c_str());
                return 1;
            }
            others.push_back(std::move(*w));
            lcores.push_back(lcore);
        }
        std::vector<LaunchArgs> remote(others.size());
        for (std::size_t i = 0; i < others.size(); ++i) {
            remote[i] = {others[i].get(), std::min<std::uint64_t>(o.packets / 10 + o.burst, 1'000'000), {}};
            rte_eal_remote_launch(run_on_lcore, &remote[i], lcores[i]);  // their warm-up, in parallel
        }
        rte_eal_mp_wait_lcore();
        for (const unsigned k : worker_counts(o.workers)) {
            const std::uint64_t t0 = rte_rdtsc();  // before the first launch: wall time from the first start
            for (unsigned i = 0; i + 1 < k; ++i) {
                remote[i].packets = o.packets;
                rte_eal_remote_launch(run_on_lcore, &remote[i], lcores[i]);
            }
            const PipelineCycles local = worker.run(o.packets);
            rte_eal_mp_wait_lcore();
            const std::uint64_t wall = rte_rdtsc() - t0;
            ScalingPoint p{k, 0, mpps(local.packets, static_cast<double>(local.loop) * local.on_cpu, hz)};
            std::uint64_t packets = local.packets;
            for (unsigned i = 0; i + 1 < k; ++i) {
                const PipelineCycles& r = remote[i].result;
                packets += r.packets;
                p.cpu += mpps(r.packets, static_cast<double>(r.loop) * r.on_cpu, hz);
            }
            // One worker alone: its own loop time (as before); several: from the first start to the last end.
            p.wall = mpps(packets, static_cast<double>(k == 1 ? local.loop : wall), hz);
            std::vector<ClockProbe> probes(k);
            for (unsigned i = 0; i + 1 < k; ++i) rte_eal_remote_launch(probe_clock, &probes[i + 1], lcores[i]);
            probe_clock(&probes[0]);
            rte_eal_mp_wait_lcore();
            p.clock_ghz = 0;
            for (const ClockProbe& c : probes) p.clock_ghz += c.ghz(hz) / k;
            scaling.push_back(p);
        }
        for (const auto& w : others) totals.add(w->counters());
    }
    const auto point = [&](unsigned k) {
        for (const ScalingPoint& p : scaling)
            if (p.workers == k) return p;
        return ScalingPoint{};
    };
    const ScalingPoint s1 = point(1), s2 = point(2), sn = scaling.empty() ? ScalingPoint{} : scaling.back();
    const auto ratio = [](double a, double b) { return a >= 0 && b > 0 ? a / b : -1.0; };

    // The exporter's capacity, with records the worker selected from the mix (after the scaling,
    // so that its thread does not share the CPUs with the workers').
    const auto export_records = worker.collect_records(1 << 16);
    auto exported = measure_exporter(export_records, **snap, std::max<std::uint64_t>(o.packets / 4, 100'000));
    if (!exported) {
        std::fprintf(stderr, "pipeline_bench: exporter: %s\n", exported.error().message.c_str());
        return 1;
    }

    // Headline: cycles the work itself took (TSC scaled by the share of time on a CPU); the raw TSC
    // figures are printed too. On an idle machine the two agree.
    const auto cyc = [](std::uint64_t c, const PipelineCycles& p) { return per_packet(c, p.packets) * p.on_cpu; };
    const double own = cyc(real.own, real), loop = cyc(real.loop, real);
    const double mpps_own = hz / own / 1e6, mpps_loop = hz / loop / 1e6;
    std::printf("pipeline: %llu packets/pass, %zu distinct 64-byte mix frames, burst %u, TSC %.0f MHz, snapshot built in %.2f s (%.1f MiB)\n",
                static_cast<unsigned long long>(real.packets), frames->count(), o.burst, hz / 1e6, build_s,
                static_cast<double>((*snap)->memory_bytes()) / (1 << 20));
    std::printf("  on a CPU %.0f%% of the measured pass (cycles below are scaled by it; raw TSC in brackets)\n",
                100 * real.on_cpu);
    std::printf("  %-44s %10s %10s %10s\n", "", "cyc/pkt", "Mpps", "[tsc]");
    std::printf("  %-44s %10.1f %10.2f %10.1f\n", "process_burst (flowsieve's own work)", own, mpps_own,
                per_packet(real.own, real.packets));
    std::printf("  %-44s %10.1f %10.2f %10.1f\n", "whole loop (+ mbuf alloc, frame copy, drain)", loop, mpps_loop,
                per_packet(real.loop, real.packets));
    const double own_uncached = cyc(uncached.own, uncached);
    std::printf("  %-44s %10.1f %10.2f %10.1f\n", "process_burst, no cache (baseline)", own_uncached,
                hz / own_uncached / 1e6, per_packet(uncached.own, uncached.packets));
    const double own_endpoint_only = cyc(endpoint_only.own, endpoint_only);
    std::printf("  %-44s %10.1f %10.2f %10.1f\n", "process_burst, endpoint cache only", own_endpoint_only,
                hz / own_endpoint_only / 1e6, per_packet(endpoint_only.own, endpoint_only.packets));
    std::printf("  flow cache: %zu slots, %.1f%% of packets' verdicts answered by it in the measured pass\n",
                worker.flow_cache().slots(), 100 * flow_hit_rate);
    std::printf("  endpoint cache: %zu slots, %.1f%% of the other packets' endpoint lookups answered by it\n",
                worker.endpoint_cache().slots(), 100 * hit_rate);
    std::printf("  %-44s %10.1f\n", "staged replica, total", cyc(staged.own, staged));
    std::printf("  %-44s %10.1f\n", "  parse (+ packet time)", cyc(staged.parse, staged));
    std::printf("  %-44s %10.1f\n", "  decide (endpoints, indicators, rules)", cyc(staged.decide, staged));
    std::printf("  %-44s %10.1f\n", "  header records + ring enqueue", cyc(staged.records, staged));
    std::printf("  %-44s %10.1f\n", "  mbuf free + counters", cyc(staged.free, staged));
    if (!scaling.empty()) {
        std::printf("  scaling, whole loop, Mpps (wall / on-CPU), x one worker (wall / on-CPU), and the cores' clock\n"
                    "  with that many busy (a multiply chain on the same cores, right after), %u CPUs usable:\n",
                    have_cpus ? static_cast<unsigned>(CPU_COUNT(&all_cpus)) : 1U);
        for (const ScalingPoint& p : scaling)
            std::printf("    %3u worker%s %8.2f / %8.2f   x%5.2f / x%5.2f   %.2f GHz\n", p.workers,
                        p.workers == 1 ? " " : "s", p.wall, p.cpu, ratio(p.wall, s1.wall), ratio(p.cpu, s1.cpu),
                        p.clock_ghz);
    }
    const double emitted_share = static_cast<double>(totals.emitted_total()) / static_cast<double>(totals.received);
    std::printf("  exporter (one thread, pcapng with comments, provenance hash): %.2f M records/s (%llu in %.2f s),\n"
                "    all the records of %.1f Mpps of this mix (%.1f%% of its packets selected)\n",
                exported->per_s() / 1e6, static_cast<unsigned long long>(exported->records), exported->seconds,
                exported->per_s() / emitted_share / 1e6, 100 * emitted_share);
    std::printf("  outcomes (share of %llu packets):", static_cast<unsigned long long>(totals.received));
    const auto share = [&](std::uint64_t n) { return 100.0 * static_cast<double>(n) / static_cast<double>(totals.received); };
    for (std::size_t i = 0; i < category_count; ++i)
        if (totals.emitted[i])
            std::printf(" %s %.1f%%", std::string(name_of(static_cast<Category>(i))).c_str(), share(totals.emitted[i]));
    for (std::size_t i = 0; i < drop_reason_count; ++i)
        if (totals.dropped[i])
            std::printf(" %s %.1f%%", std::string(name_of(static_cast<DropReason>(i))).c_str(), share(totals.dropped[i]));
    std::printf("\n  accounting balanced (invariant 6): %s\n", totals.balanced() ? "yes" : "NO");

    std::printf("{\"own_cycles_per_packet\": %.2f, \"own_cycles_per_packet_tsc\": %.2f, \"own_mpps\": %.3f, "
                "\"loop_cycles_per_packet\": %.2f, \"loop_mpps\": %.3f, \"on_cpu\": %.3f, \"stage_parse\": %.2f, "
                "\"stage_decide\": %.2f, \"stage_records\": %.2f, \"stage_free\": %.2f, \"mpps_1_worker\": %s, "
                "\"mpps_2_workers\": %s, \"scaling_2_vs_1\": %s, \"mpps_1_worker_on_cpu\": %s, "
                "\"mpps_2_workers_on_cpu\": %s, \"scaling_2_vs_1_on_cpu\": %s, \"scaling_max_workers\": %s, "
                "\"mpps_max_workers\": %s, \"scaling_max_vs_1\": %s, \"scaling_max_vs_1_on_cpu\": %s, "
                "\"clock_ghz_1_worker\": %s, \"clock_ghz_max_workers\": %s, "
                "\"own_cycles_per_packet_no_cache\": %.2f, \"own_cycles_per_packet_endpoint_cache_only\": %.2f, "
                "\"flow_cache_hit_rate\": %.4f, \"endpoint_cache_hit_rate\": %.4f, "
                "\"emitted_share\": %.4f, \"exporter_mrecords_per_s\": %.3f, \"exporter_mpps_of_mix\": %.3f, \"tsc_mhz\": %.1f, \"snapshot_build_s\": %.3f, \"snapshot_bytes\": %zu}\n",
                own, per_packet(real.own, real.packets), mpps_own, loop, mpps_loop, real.on_cpu,
                cyc(staged.parse, staged), cyc(staged.decide, staged), cyc(staged.records, staged),
                cyc(staged.free, staged), json_number(s1.wall).c_str(), json_number(s2.wall).c_str(),
                json_number(ratio(s2.wall, s1.wall)).c_str(), json_number(s1.cpu).c_str(), json_number(s2.cpu).c_str(),
                json_number(ratio(s2.cpu, s1.cpu)).c_str(), json_number(sn.workers ? static_cast<double>(sn.workers) : -1.0, 0).c_str(), json_number(sn.wall).c_str(),
                json_number(ratio(sn.wall, s1.wall)).c_str(), json_number(ratio(sn.cpu, s1.cpu)).c_str(),
                json_number(s1.clock_ghz, 2).c_str(), json_number(sn.clock_ghz, 2).c_str(),
                own_uncached, own_endpoint_only, flow_hit_rate, hit_rate, emitted_share, exported->per_s() / 1e6,
                exported->per_s() / emitted_share / 1e6, hz / 1e6,
                build_s, (*snap)->memory_bytes());
    w0->reset();
    Eal::cleanup();
    return totals.balanced() ? 0 : 1;
}
