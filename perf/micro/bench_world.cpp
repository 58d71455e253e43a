// bench_world.cpp: loads and synthesises the benchmarks' tables and frames (main thread, once).
#include "bench_world.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "control/config.hpp"
#include "control/snapshot_builder.hpp"
#include "endpoint_pool.hpp"
#include "rng.hpp"
#include "tables/interval_paint.hpp"
#include "traffic_generator.hpp"

namespace flowsieve::bench {

namespace {

CountryCode jp() { return *parse_country_code("JP"); }

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "perf: %s\n", what.c_str());
    std::exit(1);
}

// Foreign ranges by family with cumulative sizes, for the synthetic indicators: an address is drawn
// uniformly over the foreign address space (a range with probability proportional to its size), as
// real threat addresses are spread over it. (Drawing a range uniformly would crowd the indicators
// into the many small ranges the generator also favours, and turn most of the mix threat-linked.)
struct ForeignRanges {
    std::vector<CountryRange> v4, v6;
    std::vector<double> cum_v4, cum_v6;
};
double range_size(const CountryRange& r) {
    if (r.first.is_v4()) return static_cast<double>(r.last.v4 - r.first.v4) + 1.0;
    return std::ldexp(static_cast<double>(r.last.v6.hi - r.first.v6.hi), 64) +
           static_cast<double>(r.last.v6.lo - r.first.v6.lo) + 1.0;
}
const ForeignRanges& foreign_ranges() {
    static const ForeignRanges f = [] {
        ForeignRanges out;
        for (const auto& r : world_ranges()) {
            if (r.cc == jp()) continue;
            auto& list = r.first.is_v4() ? out.v4 : out.v6;
            auto& cum = r.first.is_v4() ? out.cum_v4 : out.cum_v6;
            list.push_back(r);
            cum.push_back((cum.empty() ? 0.0 : cum.back()) + range_size(r));
        }
        return out;
    }();
    return f;
}

IpAddress draw_foreign(bool v4, gen::Rng& rng) {
    const auto& ranges = v4 ? foreign_ranges().v4 : foreign_ranges().v6;
    const auto& cum = v4 ? foreign_ranges().cum_v4 : foreign_ranges().cum_v6;
    const double x = gen::unit(rng) * cum.back();
    const auto i = std::min<std::size_t>(static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), x) - cum.begin()),
                                         ranges.size() - 1);
    return gen::random_in_range(ranges[i].first, ranges[i].last, rng);
}

Prefix masked(const IpAddress& a, std::uint8_t len) {
    Prefix p{a, len};
    if (a.is_v4()) {
        p.addr.v4 = len == 0 ? 0 : a.v4 & (0xffffffffu << (32 - len));
    } else if (len <= 64) {
        p.addr.v6 = U128{len == 0 ? 0 : a.v6.hi & (~0ull << (64 - len)), 0};
    }
    return p;
}

// The real list's text, then one synthetic entry per line.
void write_list(const std::string& real, const std::vector<Indicator>& extra, const std::string& out) {
    std::ifstream in(real, std::ios::binary);
    std::ofstream o(out, std::ios::binary | std::ios::trunc);
    if (!in || !o) die("cannot copy " + real + " to " + out);
    o << in.rdbuf() << "\n# synthetic (perf/micro/bench_world.cpp)\n";
    for (const auto& ind : extra) o << ind.id << '\n';
    if (!o.flush()) die("cannot write " + out);
}

}  // namespace

// The build's paths, unless the environment names others (perf/bundle: the benchmarks run on a
// machine where the checkout is elsewhere and there is no build directory).
namespace {
std::string path_from_env(const char* name, const char* built_in) {
    const char* v = std::getenv(name);
    return v && *v ? v : built_in;
}
}  // namespace

std::string source_root() { return path_from_env("FLOWSIEVE_SOURCE_ROOT", FLOWSIEVE_SOURCE_ROOT); }
std::string world_file_v4() { return source_root() + "/data/world/geo-whois-asn-country-ipv4.csv"; }
std::string world_file_v6() { return source_root() + "/data/world/geo-whois-asn-country-ipv6.csv"; }
std::string demo_config() { return source_root() + "/config/demo.yaml"; }

const std::vector<CountryRange>& world_ranges() {
    static const std::vector<CountryRange> all = [] {
        std::vector<CountryRange> out;
        for (const auto& f : {world_file_v4(), world_file_v6()}) {
            auto r = load_country_file(f);
            if (!r) die(r.error().message + " (scripts/fetch-world-table fetches the world table)");
            out.insert(out.end(), r->begin(), r->end());
        }
        return out;
    }();
    return all;
}

std::vector<PrefixValue> world_prefixes_v4(const std::vector<CountryRange>& ranges) {
    // The same painting CountryTable::build does (a later range overrides an earlier one).
    std::vector<detail::PaintItem<std::uint32_t>> items;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        const auto& r = ranges[i];
        if (!r.first.is_v4() || !r.last.is_v4() || r.last < r.first) continue;
        items.push_back({r.first.v4, r.last.v4, i, r.cc});
    }
    std::vector<PrefixValue> out;
    for (const auto& s : detail::paint_intervals(items)) {
        if (s.value == no_country) continue;
        for (const Prefix& p : range_to_prefixes(IpAddress::from_v4(s.first), IpAddress::from_v4(s.last)))
            out.push_back({p.addr.v4, p.len, static_cast<CountryCode>(s.value)});
    }
    return out;
}

std::vector<Indicator> synthetic_ips(std::size_t n, std::uint64_t seed) {
    gen::Rng rng(seed);
    std::vector<Indicator> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const bool v4 = gen::chance(rng, 0.8);
        const IpAddress a = draw_foreign(v4, rng);
        out.push_back({Prefix{a, static_cast<std::uint8_t>(v4 ? 32 : 128)}, to_string(a)});
    }
    return out;
}

std::vector<Indicator> synthetic_cidrs(std::size_t n, std::uint64_t seed) {
    gen::Rng rng(seed);
    std::vector<Indicator> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const bool v4 = gen::chance(rng, 0.8);
        const IpAddress a = draw_foreign(v4, rng);
        const auto len = static_cast<std::uint8_t>(v4 ? gen::between(rng, 22, 30) : gen::between(rng, 40, 64));
        const Prefix p = masked(a, len);
        out.push_back({p, to_string(p)});
    }
    return out;
}

IndicatorFiles write_indicator_files(const std::string& dir, const std::string& tag) {
    IndicatorFiles f;
    f.ipsum_plus = dir + "/ipsum-plus-1m" + tag + ".txt";
    f.scanners_plus = dir + "/scanners-plus-100k" + tag + ".txt";
    const std::string ind = source_root() + "/tests/data/indicators/ip/";
    write_list(ind + "ipsum-level3.txt", synthetic_ips(indicator_ips, bench_seed), f.ipsum_plus);
    write_list(ind + "maltrail-mass-scanner-cidr.txt", synthetic_cidrs(indicator_cidrs, bench_seed + 1),
               f.scanners_plus);
    return f;
}

const IndicatorFiles& indicator_files() {
    static const IndicatorFiles files = [] {
        const IndicatorFiles f = write_indicator_files(path_from_env("FLOWSIEVE_PERF_WORK_DIR", FLOWSIEVE_PERF_WORK_DIR), std::string("-").append(std::to_string(::getpid())));
        // Removed at exit: 20 MB per run is not worth keeping.
        static struct Cleanup {
            std::string a, b;
            ~Cleanup() {
                std::remove(a.c_str());
                std::remove(b.c_str());
            }
        } cleanup{f.ipsum_plus, f.scanners_plus};
        return f;
    }();
    return files;
}

Result<std::unique_ptr<Snapshot>> build_bench_snapshot(double* build_s) {
    auto cfg = load_config(demo_config());
    if (!cfg) return cfg.error();
    bool ipsum = false, scanners = false;
    for (auto& set : cfg->indicator_sets) {
        if (set.name == "ipsum") set.path = indicator_files().ipsum_plus, ipsum = true;
        if (set.name == "scanners") set.path = indicator_files().scanners_plus, scanners = true;
    }
    if (!ipsum || !scanners) return Error{demo_config() + ": expected the indicator sets ipsum and scanners"};
    BuildReport report;
    const auto t0 = std::chrono::steady_clock::now();
    auto snap = build_snapshot(*cfg, 1, bench_start_ns, report, SerialRecording::judge_only);
    if (build_s) *build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return snap;
}

const Snapshot& bench_snapshot() {
    static const std::unique_ptr<Snapshot> snap = [] {
        auto s = build_bench_snapshot();
        if (!s) die(s.error().message);
        return std::move(s.value());
    }();
    return *snap;
}

Result<Frames> mix_frames(std::size_t n, std::uint64_t seed) {
    gen::GeneratorConfig c;
    c.endpoints.country_files = {world_file_v4(), world_file_v6()};
    c.endpoints.domestic = {jp()};
    const std::string ind = source_root() + "/tests/data/indicators/";
    c.endpoints.indicators = {{"ipsum", ind + "ip/ipsum-level3.txt"},
                              {"scanners", ind + "ip/maltrail-mass-scanner-cidr.txt"},
                              {"lazarus", ind + "trails/maltrail-apt_lazarus.txt"}};
    for (const char* p : {"27.113.248.0/22", "2001:240:142c::/48"}) c.endpoints.operators.push_back(*parse_prefix(p));
    c.profile = gen::Profile::mix;
    c.size = gen::SizeModel::min64;
    c.seed = seed;
    c.packets = n;
    c.start_ns = bench_start_ns;
    auto g = gen::TrafficGenerator::create(c);
    if (!g) return g.error();
    Frames f;
    f.offset.push_back(0);
    gen::GeneratedPacket p;
    for (std::size_t i = 0; i < n; ++i) {
        g->next(p);
        f.bytes.insert(f.bytes.end(), p.bytes.begin(), p.bytes.end());
        f.offset.push_back(static_cast<std::uint32_t>(f.bytes.size()));
        f.time_ns.push_back(static_cast<std::uint64_t>(p.time_ns));
    }
    return f;
}

std::vector<std::uint32_t> range_addresses_v4(std::size_t n, std::uint64_t seed) {
    std::vector<const CountryRange*> v4;
    for (const auto& r : world_ranges())
        if (r.first.is_v4()) v4.push_back(&r);
    gen::Rng rng(seed);
    std::vector<std::uint32_t> out(n);
    for (auto& a : out) {
        const CountryRange& r = *v4[gen::below(rng, v4.size())];
        a = gen::random_in_range(r.first, r.last, rng).v4;
    }
    return out;
}

std::vector<U128> range_addresses_v6(std::size_t n, std::uint64_t seed) {
    std::vector<const CountryRange*> v6;
    for (const auto& r : world_ranges())
        if (r.first.is_v6()) v6.push_back(&r);
    gen::Rng rng(seed);
    std::vector<U128> out(n);
    for (auto& a : out) {
        const CountryRange& r = *v6[gen::below(rng, v6.size())];
        a = gen::random_in_range(r.first, r.last, rng).v6;
    }
    return out;
}

std::vector<std::uint32_t> uniform_addresses_v4(std::size_t n, std::uint64_t seed) {
    gen::Rng rng(seed);
    std::vector<std::uint32_t> out(n);
    for (auto& a : out) a = static_cast<std::uint32_t>(rng() >> 32);
    return out;
}

}  // namespace flowsieve::bench
