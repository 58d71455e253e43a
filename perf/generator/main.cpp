// main.cpp: flowsieve-gen, the seeded traffic generator: arguments -> TrafficGenerator -> pcap file,
// then a summary of packets per intended outcome. One thread.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_text.hpp"
#include "pcap_output.hpp"
#include "tables/prefix.hpp"
#include "traffic_generator.hpp"

namespace {

using namespace flowsieve;
using namespace flowsieve::gen;

constexpr const char* usage_text =
    "usage: flowsieve-gen --out FILE --countries CSV [--countries CSV ...] [--domestic CC ...]\n"
    "         [--indicators NAME=FILE ...] [--operator PREFIX ...] [--seed N] [--packets N] [--flows N]\n"
    "         [--start RFC3339] [--payload zero|marker|random] [--payload-seed N] [--profile demo|mix]\n"
    "         [--ipv6-share F] [--vlan-share F] [--size 64|imix] [--l4-checksums]\n"
    "\n"
    "Writes a nanosecond pcap of Ethernet frames whose endpoints come from the given country range\n"
    "files (domestic: JP unless --domestic), indicator lists and operator prefixes.\n"
    "  --profile demo   every category and every drop reason, anomalies included (default)\n"
    "  --profile mix    a realistic load without deliberate anomalies (for benchmarks)\n"
    "  --payload        zero (default); marker: \"FLOWSIEVE-CANARY!\" repeated; random: from --payload-seed,\n"
    "                   which changes payload bytes only (headers, lengths and times stay the same)\n"
    "  --size           frame sizes: 64 (bytes on the wire) or imix; default: natural (demo), imix (mix)\n"
    "  --l4-checksums   compute TCP/UDP/ICMP checksums (they then depend on the payload)\n"
    "Defaults: --seed 1 --payload-seed 1 --packets 200000 --flows 10000 --start 2026-06-01T00:00:00Z\n"
    "          --ipv6-share 0.3 --vlan-share 0.1\n";

struct UsageError {
    std::string what;
};

template <class T>
T parse_number(std::string_view opt, std::string_view text) {
    T v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw UsageError{std::string(opt) + ": not a number: '" + std::string(text) + "'"};
    return v;
}

double parse_share(std::string_view opt, std::string_view text) {
    const auto v = parse_number<double>(opt, text);
    if (!(v >= 0.0 && v <= 1.0)) throw UsageError{std::string(opt) + ": must be between 0 and 1: '" + std::string(text) + "'"};
    return v;
}

struct Options {
    std::string out;
    GeneratorConfig config;
};

Options parse_args(int argc, char** argv) {
    Options o;
    GeneratorConfig& c = o.config;
    bool domestic_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view value;
        bool has_value = false;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        auto need = [&]() -> std::string_view {
            if (has_value) return value;
            if (i + 1 >= argc) throw UsageError{std::string(arg) + ": needs a value"};
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage_text, stdout);
            std::exit(0);
        } else if (arg == "--out") {
            o.out = need();
        } else if (arg == "--countries") {
            c.endpoints.country_files.emplace_back(need());
        } else if (arg == "--domestic") {
            const std::string_view v = need();
            const auto cc = parse_country_code(v);
            if (!cc) throw UsageError{"--domestic: not a two-letter country code: '" + std::string(v) + "'"};
            if (!domestic_given) c.endpoints.domestic.clear();
            domestic_given = true;
            c.endpoints.domestic.push_back(*cc);
        } else if (arg == "--indicators") {
            const std::string_view v = need();
            const auto eq = v.find('=');
            if (eq == std::string_view::npos || eq == 0 || eq + 1 == v.size())
                throw UsageError{"--indicators: expected NAME=FILE, got '" + std::string(v) + "'"};
            c.endpoints.indicators.emplace_back(std::string(v.substr(0, eq)), std::string(v.substr(eq + 1)));
        } else if (arg == "--operator") {
            const std::string_view v = need();
            auto p = parse_prefix(v);
            if (!p) throw UsageError{"--operator: " + p.error().message};
            c.endpoints.operators.push_back(p.value());
        } else if (arg == "--seed") {
            c.seed = parse_number<std::uint64_t>(arg, need());
        } else if (arg == "--payload-seed") {
            c.payload_seed = parse_number<std::uint64_t>(arg, need());
        } else if (arg == "--packets") {
            c.packets = parse_number<std::uint64_t>(arg, need());
        } else if (arg == "--flows") {
            c.flows = parse_number<std::uint32_t>(arg, need());
            if (c.flows == 0) throw UsageError{"--flows: must be at least 1"};
        } else if (arg == "--start") {
            const std::string_view v = need();
            const auto t = parse_time(v);
            if (!t || *t < 0) throw UsageError{"--start: not an RFC 3339 time after 1970: '" + std::string(v) + "'"};
            c.start_ns = *t;
        } else if (arg == "--payload") {
            const std::string_view v = need();
            const auto m = parse_payload_mode(v);
            if (!m) throw UsageError{"--payload: expected zero, marker or random, got '" + std::string(v) + "'"};
            c.payload = *m;
        } else if (arg == "--profile") {
            const std::string_view v = need();
            const auto p = parse_profile(v);
            if (!p) throw UsageError{"--profile: expected demo or mix, got '" + std::string(v) + "'"};
            c.profile = *p;
        } else if (arg == "--size") {
            const std::string_view v = need();
            const auto s = parse_size_model(v);
            if (!s) throw UsageError{"--size: expected 64 or imix, got '" + std::string(v) + "'"};
            c.size = *s;
        } else if (arg == "--ipv6-share") {
            c.ipv6_share = parse_share(arg, need());
        } else if (arg == "--vlan-share") {
            c.vlan_share = parse_share(arg, need());
        } else if (arg == "--l4-checksums" && !has_value) {
            c.l4_checksums = true;
        } else {
            throw UsageError{"unknown argument '" + std::string(argv[i]) + "'"};
        }
    }
    if (o.out.empty()) throw UsageError{"--out is required"};
    if (c.endpoints.country_files.empty()) throw UsageError{"at least one --countries file is required"};
    // One year before --start must still be after 1970 (unauthorised packets).
    if (c.start_ns < 366LL * 86400 * 1'000'000'000) throw UsageError{"--start: must be at least a year after 1970"};
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        o = parse_args(argc, argv);
        if (o.config.endpoints.domestic.empty()) o.config.endpoints.domestic.push_back(*parse_country_code("JP"));
    } catch (const UsageError& e) {
        std::fprintf(stderr, "flowsieve-gen: %s\n(see flowsieve-gen --help)\n", e.what.c_str());
        return 2;
    }

    const auto started = std::chrono::steady_clock::now();
    auto gen = TrafficGenerator::create(o.config);
    if (!gen) {
        std::fprintf(stderr, "flowsieve-gen: %s\n", gen.error().message.c_str());
        return 1;
    }
    for (const std::string& note : gen->notes()) std::fprintf(stderr, "flowsieve-gen: note: %s\n", note.c_str());
    auto out = PcapOutput::open(o.out);
    if (!out) {
        std::fprintf(stderr, "flowsieve-gen: %s\n", out.error().message.c_str());
        return 1;
    }
    const auto loaded = std::chrono::steady_clock::now();
    GeneratedPacket p;
    for (std::uint64_t i = 0; i < o.config.packets; ++i) {
        gen->next(p);
        out->write(p.bytes, p.wire_len, p.time_ns);
    }
    if (auto st = out->close(); !st) {
        std::fprintf(stderr, "flowsieve-gen: %s\n", st.error().message.c_str());
        return 1;
    }
    const auto done = std::chrono::steady_clock::now();
    auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };

    std::printf("flowsieve-gen: %llu packets -> %s (profile %s, seed %llu); tables %.2f s, packets %.2f s\n",
                static_cast<unsigned long long>(o.config.packets), o.out.c_str(),
                o.config.profile == Profile::demo ? "demo" : "mix", static_cast<unsigned long long>(o.config.seed),
                secs(started, loaded), secs(loaded, done));
    std::printf("  %-34s %10s\n", "intended outcome", "packets");
    for (std::size_t i = 0; i < intent_count; ++i) {
        const std::uint64_t n = gen->counts()[i];
        if (n == 0) continue;
        const auto name = intent_name(static_cast<Intent>(i));
        std::printf("  %-34.*s %10llu\n", static_cast<int>(name.size()), name.data(), static_cast<unsigned long long>(n));
    }
    return 0;
}
