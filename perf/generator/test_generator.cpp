// test_generator.cpp: the traffic generator's promises: seeded determinism (library and executable),
// payload seed changing payload bytes only, the marker fill, well-formed headers, and every packet
// ending as intended under flowsieve's own parser and classifier with the real test tables.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "intent.hpp"
#include "parse/packet_parser.hpp"
#include "policy/classifier.hpp"
#include "policy/special_blocks.hpp"
#include "traffic_generator.hpp"

namespace flowsieve::gen {
namespace {

const std::string root = FLOWSIEVE_SOURCE_ROOT;
const std::string geo_v4 = root + "/tests/data/geo/world-extract-ipv4.csv";
const std::string geo_v6 = root + "/tests/data/geo/world-extract-ipv6.csv";
const std::string ipsum = root + "/tests/data/indicators/ip/ipsum-level3.txt";
const std::string scanners = root + "/tests/data/indicators/ip/maltrail-mass-scanner-cidr.txt";
// The operator prefixes the demo set-up uses (a Japanese operator's IPv4 and IPv6 blocks).
const char* const operator_prefixes[] = {"27.113.248.0/22", "2001:240:142c::/48"};

GeneratorConfig test_config(std::uint64_t seed = 7) {
    GeneratorConfig c;
    c.endpoints.country_files = {geo_v4, geo_v6};
    c.endpoints.domestic = {*parse_country_code("JP")};
    c.endpoints.indicators = {{"ipsum", ipsum}, {"scanners", scanners}};
    for (const char* p : operator_prefixes) c.endpoints.operators.push_back(parse_prefix(p).value());
    c.seed = seed;
    c.flows = 400;
    c.packets = 4000;
    return c;
}

std::vector<GeneratedPacket> generate(const GeneratorConfig& c, std::size_t n) {
    auto g = TrafficGenerator::create(c);
    if (!g) throw std::runtime_error(g.error().message);
    EXPECT_TRUE(g->notes().empty()) << g->notes().front();
    std::vector<GeneratedPacket> out(n);
    for (auto& p : out) g->next(p);
    return out;
}

ParsedPacket parse(const GeneratedPacket& p) {
    ParsedPacket pp;
    parse_packet(p.bytes, pp);
    return pp;
}

// The classifier's view, built here from the test tables independently of the generator's pool:
// domestic JP, one operator, the two indicator sets, and the demo rules (transit, operator,
// threat-linked over both sets, e-mail ports excluded), authorised from the default start for a year.
Snapshot demo_snapshot() {
    Snapshot s;
    s.domestic.add(*parse_country_code("JP"));
    std::vector<CountryRange> ranges;
    for (const auto& f : {geo_v4, geo_v6}) {
        auto r = load_range_csv(f);
        EXPECT_TRUE(r.ok());
        ranges.insert(ranges.end(), r->begin(), r->end());
    }
    s.countries = CountryTable::build(ranges);
    s.special = build_special_table();
    std::vector<PrefixTable::Entry> ops;
    for (const char* p : operator_prefixes) ops.push_back({parse_prefix(p).value(), 1});
    s.operators = PrefixTable::build(ops);
    std::vector<IndicatorSetSource> sets;
    sets.push_back(load_indicator_list("ipsum", ipsum).value());
    sets.push_back(load_indicator_list("scanners", scanners).value());
    s.indicators = IndicatorTable::build(std::move(sets)).value();

    auto rule = [&](Category c, EndpointKind near, std::uint32_t sets_mask) {
        Rule r;
        r.category = c;
        r.near = near;
        r.required_sets = sets_mask;
        for (std::uint16_t port : default_excluded_ports) r.excluded_ports.set(port);
        r.excludes_ports = true;
        r.authorisation = static_cast<std::uint32_t>(s.rules.size());
        s.rules.push_back(r);
        s.windows.push_back(AuthWindow{default_start_ns, default_start_ns + 365LL * 86400 * 1'000'000'000, true});
    };
    rule(Category::transit, EndpointKind::foreign, 0);
    rule(Category::operator_, EndpointKind::operator_, 0);
    rule(Category::threat_linked, EndpointKind::domestic, 0b11);
    return s;
}

bool same_headers(const GeneratedPacket& a, const GeneratedPacket& b) {
    const std::size_t n = a.layout.payload;
    return a.bytes.size() == b.bytes.size() && a.layout.payload == b.layout.payload &&
           std::equal(a.bytes.begin(), a.bytes.begin() + static_cast<std::ptrdiff_t>(std::min(n, a.bytes.size())),
                      b.bytes.begin());
}

TEST(Generator, SameSeedGivesTheSameFrames) {
    const auto a = generate(test_config(7), 3000), b = generate(test_config(7), 3000), c = generate(test_config(8), 3000);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i].bytes, b[i].bytes) << "packet " << i;
        ASSERT_EQ(a[i].time_ns, b[i].time_ns);
        ASSERT_EQ(a[i].wire_len, b[i].wire_len);
        ASSERT_EQ(a[i].intent, b[i].intent);
        differ += a[i].bytes != c[i].bytes;
    }
    EXPECT_GT(differ, a.size() * 9 / 10) << "another seed must give other frames";
}

// Runs the executable; returns its exit status (-1 when it did not exit normally).
int run_generator(const std::string& args) {
    const std::string cmd = std::string(FLOWSIEVE_GENERATOR_EXE) + " " + args + " >/dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Generator, ExecutableWritesByteIdenticalFilesForTheSameArguments) {
    const auto dir = std::filesystem::temp_directory_path() / ("fs-gen-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string common = " --countries " + geo_v4 + " --countries " + geo_v6 + " --indicators ipsum=" + ipsum +
                               " --operator 27.113.248.0/22 --packets 2000 --flows 200 --payload random";
    ASSERT_EQ(run_generator("--out " + (dir / "a.pcap").string() + common + " --seed 5"), 0);
    ASSERT_EQ(run_generator("--out " + (dir / "b.pcap").string() + common + " --seed 5"), 0);
    ASSERT_EQ(run_generator("--out " + (dir / "c.pcap").string() + common + " --seed 6"), 0);
    const std::string a = slurp(dir / "a.pcap");
    EXPECT_GT(a.size(), 2000u * 60);
    EXPECT_EQ(a, slurp(dir / "b.pcap"));
    EXPECT_NE(a, slurp(dir / "c.pcap"));
    // Nanosecond pcap magic, little-endian as written on this machine, and Ethernet link type.
    EXPECT_EQ(static_cast<unsigned char>(a[0]), 0x4d);
    EXPECT_EQ(static_cast<unsigned char>(a[20]), 1);

    EXPECT_EQ(run_generator("--out " + (dir / "d.pcap").string() + common + " --packets many"), 2);
    EXPECT_EQ(run_generator("--out " + (dir / "d.pcap").string() + common + " --payload loud"), 2);
    EXPECT_EQ(run_generator("--out " + (dir / "d.pcap").string() + common + " --ipv6-share 1.5"), 2);
    EXPECT_EQ(run_generator("--countries " + geo_v4), 2);  // no --out
    EXPECT_EQ(run_generator("--out " + (dir / "d.pcap").string() + " --countries /nonexistent.csv"), 1);
    std::filesystem::remove_all(dir);
}

TEST(Generator, PayloadSeedChangesPayloadBytesOnly) {
    GeneratorConfig c1 = test_config(), c2 = test_config();
    c1.payload = c2.payload = PayloadMode::random;
    c1.payload_seed = 1;
    c2.payload_seed = 2;
    const auto a = generate(c1, 4000), b = generate(c2, 4000);
    std::size_t with_payload = 0, payload_differs = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i].time_ns, b[i].time_ns);
        ASSERT_EQ(a[i].wire_len, b[i].wire_len);
        ASSERT_EQ(a[i].intent, b[i].intent);
        ASSERT_TRUE(same_headers(a[i], b[i])) << "packet " << i;
        const ParsedPacket pa = parse(a[i]), pb = parse(b[i]);
        ASSERT_EQ(pa.outcome, pb.outcome);
        ASSERT_EQ(pa.anomaly, pb.anomaly);
        if (pa.outcome != ParseOutcome::ok) continue;
        // Everything flowsieve may export (up to the end of the L4 header) is identical...
        ASSERT_EQ(pa.header_len, pb.header_len);
        ASSERT_LE(pa.header_len, a[i].layout.payload);
        ASSERT_TRUE(std::equal(a[i].bytes.begin(), a[i].bytes.begin() + pa.header_len, b[i].bytes.begin()));
        // ...and what follows is not.
        if (a[i].bytes.size() - pa.header_len >= 8) {
            ++with_payload;
            payload_differs += !std::equal(a[i].bytes.begin() + pa.header_len, a[i].bytes.end(), b[i].bytes.begin() + pa.header_len);
        }
    }
    EXPECT_GT(with_payload, a.size() / 2);
    EXPECT_EQ(payload_differs, with_payload);
}

TEST(Generator, MarkerFillsEveryByteAfterTheHeaders) {
    GeneratorConfig c = test_config();
    c.payload = PayloadMode::marker;
    const auto packets = generate(c, 4000);
    std::size_t checked = 0, holding_marker = 0;
    for (const auto& p : packets) {
        const ParsedPacket pp = parse(p);
        if (pp.outcome != ParseOutcome::ok) continue;
        ASSERT_EQ(pp.header_len, p.layout.payload) << "the generator's idea of the header end is the parser's";
        for (std::size_t k = pp.header_len; k < p.bytes.size(); ++k)
            ASSERT_EQ(p.bytes[k], payload_marker[(k - pp.header_len) % payload_marker.size()]) << "byte " << k;
        ++checked;
        const std::string text(p.bytes.begin(), p.bytes.end());
        holding_marker += text.find(payload_marker) != std::string::npos;
    }
    EXPECT_GT(checked, packets.size() * 3 / 4);
    EXPECT_GT(holding_marker, checked / 3);  // a grep for the marker finds it in the file
}

TEST(Generator, HeadersAreWellFormed) {
    GeneratorConfig c = test_config();
    c.l4_checksums = true;
    c.vlan_share = 0.3;
    const auto packets = generate(c, 4000);
    auto sum16 = [](const std::uint8_t* b, std::size_t n, std::uint32_t sum) {
        for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(b[i] << 8 | b[i + 1]);
        if (n % 2) sum += static_cast<std::uint32_t>(b[n - 1] << 8);
        while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
        return sum;
    };
    std::size_t v4 = 0, tcp_options = 0, udp = 0, l4_checked = 0, qinq = 0, dot1q = 0;
    for (const auto& p : packets) {
        const ParsedPacket pp = parse(p);
        if (pp.outcome != ParseOutcome::ok) continue;
        const std::uint8_t* f = p.bytes.data();
        ASSERT_FALSE(pp.snapped);
        ASSERT_EQ(pp.ip_end, p.layout.ip_end);
        ASSERT_GE(p.bytes.size(), 60u);
        qinq += pp.vlan_count == 2;
        dot1q += pp.vlan_count == 1;
        const bool is_v4 = pp.key.src.is_v4();
        if (is_v4) {
            ++v4;
            ASSERT_EQ(sum16(f + pp.l3_offset, std::size_t{f[pp.l3_offset] & 0x0Fu} * 4, 0), 0xFFFFu) << "IPv4 checksum";
            ASSERT_EQ(f[pp.l3_offset + 2] << 8 | f[pp.l3_offset + 3], pp.ip_end - pp.l3_offset) << "IPv4 total length";
        } else {
            ASSERT_EQ(f[pp.l3_offset + 4] << 8 | f[pp.l3_offset + 5], pp.ip_end - pp.l3_offset - 40) << "IPv6 payload length";
        }
        if (pp.l4_offset == 0 || pp.key.fragment != Fragment::none) continue;
        const std::size_t l4 = pp.l4_offset, l4_len = pp.ip_end - l4;
        if (pp.key.proto == ipproto::tcp) tcp_options += pp.header_len - l4 > 20;
        if (pp.key.proto == ipproto::udp) {
            ++udp;
            ASSERT_EQ(f[l4 + 4] << 8 | f[l4 + 5], l4_len) << "UDP length";
        }
        if (pp.key.proto == ipproto::sctp) continue;
        // With --l4-checksums, TCP/UDP/ICMPv6 verify over the pseudo-header, ICMP over itself.
        std::uint32_t pseudo = 0;
        if (pp.key.proto != ipproto::icmp) {
            pseudo = is_v4 ? sum16(f + pp.l3_offset + 12, 8, 0) : sum16(f + pp.l3_offset + 8, 32, 0);
            pseudo += static_cast<std::uint32_t>(l4_len) + pp.key.proto;
        }
        ASSERT_EQ(sum16(f + l4, l4_len, pseudo), 0xFFFFu) << "L4 checksum, protocol " << int(pp.key.proto);
        ++l4_checked;
    }
    EXPECT_GT(v4, 0u);
    EXPECT_GT(tcp_options, 0u);
    EXPECT_GT(udp, 0u);
    EXPECT_GT(l4_checked, packets.size() / 2);
    EXPECT_GT(qinq, 0u);
    EXPECT_GT(dot1q, 0u);
}

TEST(Generator, EveryPacketEndsAsIntendedUnderTheClassifier) {
    const Snapshot s = demo_snapshot();
    const auto packets = generate(test_config(11), 6000);
    std::array<std::size_t, intent_count> seen{};
    std::array<std::size_t, anomaly_count + 1> anomalies{};
    std::set<std::pair<IpAddress, IpAddress>> pairs;
    std::size_t v6 = 0, reversed = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        const GeneratedPacket& p = packets[i];
        const ParsedPacket pp = parse(p);
        if (pp.outcome == ParseOutcome::anomaly) ++anomalies[static_cast<std::size_t>(pp.anomaly)];
        const Verdict v = decide(s, pp, p.time_ns);
        const std::string what = "packet " + std::to_string(i) + " meant as " + std::string(intent_name(p.intent));
        if (is_emitted(p.intent)) {
            ASSERT_TRUE(v.emit) << what << ", dropped as " << name_of(v.reason);
            ASSERT_EQ(v.category, category_of(p.intent)) << what;
        } else {
            ASSERT_FALSE(v.emit) << what << ", emitted as " << name_of(v.category);
            ASSERT_EQ(v.reason, drop_reason_of_intent(p.intent)) << what;
        }
        ++seen[p.intent];
        if (pp.outcome == ParseOutcome::ok) {
            v6 += pp.key.src.is_v6();
            pairs.insert({pp.key.src, pp.key.dst});
            reversed += pairs.count({pp.key.dst, pp.key.src});
        }
    }
    for (std::size_t i = 0; i < intent_count; ++i) {
        if (static_cast<Intent>(i) == intent_of(DropReason::ring_full)) continue;  // not a packet's doing
        EXPECT_GT(seen[i], 0u) << intent_name(static_cast<Intent>(i));
    }
    // Each anomaly the parser knows shows up at least once, as the parser itself reports it.
    for (std::size_t a = 1; a <= anomaly_count; ++a)
        EXPECT_GT(anomalies[a], 0u) << name_of(static_cast<Anomaly>(a));
    EXPECT_GT(v6, packets.size() / 10);
    EXPECT_GT(reversed, packets.size() / 10) << "both directions of flows appear";
}

TEST(Generator, TimesStepFromTheStartAndUnauthorisedOnesAreAYearEarlier) {
    const auto packets = generate(test_config(), 4000);
    std::uint64_t last = static_cast<std::uint64_t>(default_start_ns);
    std::size_t early = 0;
    for (const auto& p : packets) {
        if (p.intent == intent_of(DropReason::unauthorised)) {
            ++early;
            EXPECT_LT(p.time_ns, static_cast<std::uint64_t>(default_start_ns) - 364ULL * 86400 * 1'000'000'000);
            continue;
        }
        EXPECT_GT(p.time_ns, last);
        EXPECT_LT(p.time_ns - last, 10'000u);
        last = p.time_ns;
    }
    EXPECT_GT(early, packets.size() * 3 / 100);
    EXPECT_LT(early, packets.size() * 8 / 100);
}

TEST(Generator, MixProfileHasNoAnomaliesAndKeeps64ByteFrames) {
    GeneratorConfig c = test_config();
    c.profile = Profile::mix;
    c.size = SizeModel::min64;
    c.vlan_share = 0;
    std::size_t at_minimum = 0;
    for (const auto& p : generate(c, 3000)) {
        const ParsedPacket pp = parse(p);
        ASSERT_EQ(pp.outcome, ParseOutcome::ok) << intent_name(p.intent);
        EXPECT_NE(p.intent, intent_of(DropReason::unauthorised));
        // Headers up to 60 bytes give a 60-byte frame (64 on the wire); longer headers, no payload.
        if (pp.header_len <= 60 && pp.key.fragment == Fragment::none) {
            EXPECT_EQ(p.bytes.size(), 60u);
            ++at_minimum;
        }
    }
    EXPECT_GT(at_minimum, 1000u);
}

}  // namespace
}  // namespace flowsieve::gen
