// test_country_table.cpp: CountryTable built from real range CSVs (committed extract, and the full
// world table when present), every range checked against an interval list read independently.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "tables/country_table.hpp"
#include "tables/prefix.hpp"

namespace flowsieve {
namespace {

using testing::test_data;

__extension__ typedef unsigned __int128 wide;
wide wide_of(U128 v) { return (static_cast<wide>(v.hi) << 64) | v.lo; }
U128 u128_of(wide v) { return U128{static_cast<std::uint64_t>(v >> 64), static_cast<std::uint64_t>(v)}; }
wide key(const IpAddress& a) { return a.is_v4() ? wide{a.v4} : wide_of(a.v6); }
IpAddress address(wide k, bool v4) {
    return v4 ? IpAddress::from_v4(static_cast<std::uint32_t>(k)) : IpAddress::from_v6(u128_of(k));
}
wide top(bool v4) { return v4 ? wide{0xffffffffu} : ~wide{0}; }

IpAddress ip(const char* text) { return *parse_ip(text); }
CountryCode cc(const char* text) { return *parse_country_code(text); }

// --- reference: the file's lines as an interval list ------------------------------------------

struct Interval {
    bool v4;
    wide lo, hi;
    std::string cc;
};

// Reads `start,end,CC` lines with iostreams and core's parse_ip (none of the loader's code).
std::vector<Interval> read_intervals(const std::string& path) {
    std::vector<Interval> out;
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << path;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
        const auto a = parse_ip(line.substr(0, c1)), b = parse_ip(line.substr(c1 + 1, c2 - c1 - 1));
        EXPECT_TRUE(a && b && a->family == b->family) << line;
        if (!a || !b) continue;
        out.push_back({a->is_v4(), key(*a), key(*b), line.substr(c2 + 1)});
    }
    return out;
}

// "A later range overrides an earlier one" (CountryTable::build's documented rule), done by brute
// force: cut each family's space at every range edge into elementary pieces, then let every
// range, in file order, overwrite the owner of each piece it covers. Real files are mostly
// disjoint, so each range touches a few pieces.
class IntervalRef {
public:
    explicit IntervalRef(std::vector<Interval> v) : all_(std::move(v)) {
        for (bool v4 : {true, false}) {
            Family& f = v4 ? v4_ : v6_;
            for (const auto& i : all_) {
                if (i.v4 != v4) continue;
                f.cuts.push_back(i.lo);
                if (i.hi != top(v4)) f.cuts.push_back(i.hi + 1);
            }
            std::sort(f.cuts.begin(), f.cuts.end());
            f.cuts.erase(std::unique(f.cuts.begin(), f.cuts.end()), f.cuts.end());
            f.owner.assign(f.cuts.size(), -1);
            for (std::size_t n = 0; n < all_.size(); ++n) {
                const Interval& i = all_[n];
                if (i.v4 != v4) continue;
                auto p = static_cast<std::size_t>(std::lower_bound(f.cuts.begin(), f.cuts.end(), i.lo) - f.cuts.begin());
                for (; p < f.cuts.size() && f.cuts[p] <= i.hi; ++p) {
                    overwritten_ += f.owner[p] >= 0;
                    f.owner[p] = static_cast<long>(n);
                }
            }
        }
    }
    // Pieces a later line took over from an earlier one: non-zero when lines overlap.
    std::size_t overwritten() const { return overwritten_; }
    std::string lookup(const IpAddress& a) const {
        const Family& f = a.is_v4() ? v4_ : v6_;
        const auto it = std::upper_bound(f.cuts.begin(), f.cuts.end(), key(a));
        if (it == f.cuts.begin()) return "--";
        const long n = f.owner[static_cast<std::size_t>(it - f.cuts.begin() - 1)];
        return n < 0 ? "--" : all_[static_cast<std::size_t>(n)].cc;
    }
    // The painted result as disjoint intervals, touching pieces of one country merged.
    std::vector<Interval> painted(bool v4) const {
        const Family& f = v4 ? v4_ : v6_;
        std::vector<Interval> out;
        for (std::size_t p = 0; p < f.cuts.size(); ++p) {
            if (f.owner[p] < 0) continue;
            const wide hi = p + 1 < f.cuts.size() ? f.cuts[p + 1] - 1 : top(v4);
            const std::string& c = all_[static_cast<std::size_t>(f.owner[p])].cc;
            if (!out.empty() && out.back().cc == c && out.back().hi + 1 == f.cuts[p]) out.back().hi = hi;
            else out.push_back({v4, f.cuts[p], hi, c});
        }
        return out;
    }
    const std::vector<Interval>& all() const { return all_; }

private:
    struct Family {
        std::vector<wide> cuts;   // piece p is [cuts[p], cuts[p+1])
        std::vector<long> owner;  // index into all_, -1 = no range
    };
    std::vector<Interval> all_;
    Family v4_, v6_;
    std::size_t overwritten_ = 0;
};

// The literal reading of the rule, for small inputs: the last line covering the address.
std::string last_covering(const std::vector<Interval>& v, const IpAddress& a) {
    for (auto it = v.rbegin(); it != v.rend(); ++it)
        if (it->v4 == a.is_v4() && it->lo <= key(a) && key(a) <= it->hi) return it->cc;
    return "--";
}

// first, last, middle, first-1 and last+1 of every interval.
std::vector<IpAddress> boundary_probes(const std::vector<Interval>& v) {
    std::vector<IpAddress> out;
    out.reserve(v.size() * 5);
    for (const auto& i : v) {
        out.push_back(address(i.lo, i.v4));
        out.push_back(address(i.hi, i.v4));
        out.push_back(address(i.lo + (i.hi - i.lo) / 2, i.v4));
        if (i.lo != 0) out.push_back(address(i.lo - 1, i.v4));
        if (i.hi != top(i.v4)) out.push_back(address(i.hi + 1, i.v4));
    }
    return out;
}

void expect_matches(const CountryTable& t, const IntervalRef& ref, const std::vector<IpAddress>& probes) {
    std::size_t bad = 0;
    for (const auto& a : probes) {
        const std::string want = ref.lookup(a);
        const std::string got = country_code_text(t.lookup(a));
        if (got != want && ++bad <= 10) ADD_FAILURE() << to_string(a) << ": table says " << got << ", file says " << want;
        const CountryCode direct = a.is_v4() ? t.lookup_v4(a.v4) : t.lookup_v6(a.v6);
        if (direct != t.lookup(a) && ++bad <= 10) ADD_FAILURE() << to_string(a) << ": lookup_v* disagrees";
    }
    EXPECT_EQ(bad, 0u) << "of " << probes.size() << " probes";
}

// Minimal-CIDR prefix counts: per file line (what the loader reports) and of the table itself
// (the painted, disjoint result, touching ranges of one country merged).
struct PrefixCounts {
    std::size_t lines_v4 = 0, lines_v6 = 0, table_v4 = 0, table_v6 = 0;
};
std::size_t cover_size(const Interval& r) {
    return range_to_prefixes(address(r.lo, r.v4), address(r.hi, r.v4)).size();
}
PrefixCounts prefix_counts(const IntervalRef& ref) {
    PrefixCounts c;
    for (const auto& r : ref.all()) (r.v4 ? c.lines_v4 : c.lines_v6) += cover_size(r);
    for (const auto& r : ref.painted(true)) c.table_v4 += cover_size(r);
    for (const auto& r : ref.painted(false)) c.table_v6 += cover_size(r);
    return c;
}

// --- the committed extract -------------------------------------------------------------------

TEST(CountryTable, ExtractEveryRangeMatchesTheFile) {
    const std::string f4 = test_data("geo/world-extract-ipv4.csv"), f6 = test_data("geo/world-extract-ipv6.csv");
    CountryTableInfo info;
    auto r4 = load_range_csv(f4, &info);
    ASSERT_TRUE(r4.ok()) << r4.error().message;
    auto r6 = load_range_csv(f6, &info);
    ASSERT_TRUE(r6.ok()) << r6.error().message;
    std::vector<CountryRange> ranges = *r4;
    ranges.insert(ranges.end(), r6->begin(), r6->end());
    const CountryTable t = CountryTable::build(ranges);

    auto lines = read_intervals(f4);
    const auto lines6 = read_intervals(f6);
    lines.insert(lines.end(), lines6.begin(), lines6.end());
    const IntervalRef ref(lines);
    ASSERT_GT(lines.size(), 3000u);
    // Like the published table, the extract has nested and partly overlapping lines.
    EXPECT_GT(ref.overwritten(), 10u);
    expect_matches(t, ref, boundary_probes(lines));

    const PrefixCounts c = prefix_counts(ref);
    EXPECT_EQ(info.ranges_v4 + info.ranges_v6, lines.size());
    EXPECT_EQ(info.prefixes_v4, c.lines_v4);
    EXPECT_EQ(info.prefixes_v6, c.lines_v6);
    EXPECT_EQ(t.lpm().prefix_count_v4(), c.table_v4);
    EXPECT_EQ(t.lpm().prefix_count_v6(), c.table_v6);
    EXPECT_GT(t.memory_bytes(), 0u);
}

TEST(CountryTable, ExtractKnownAllocations) {
    // APNIC's first 1.0.0.0/8 delegations (delegated-apnic-20140214: 1.0.0.0/24 AU, 1.0.16.0/20
    // JP), unchanged in today's table.
    auto r = load_range_csv(test_data("geo/world-extract-ipv4.csv"));
    ASSERT_TRUE(r.ok());
    const CountryTable t = CountryTable::build(*r);
    EXPECT_EQ(t.lookup(ip("1.0.0.1")), cc("AU"));
    EXPECT_EQ(t.lookup(ip("1.0.16.1")), cc("JP"));
    EXPECT_EQ(t.lookup(ip("1.0.31.255")), cc("JP"));
    EXPECT_EQ(t.lookup(ip("10.0.0.1")), no_country);  // private space is in no registry file
    EXPECT_EQ(t.lookup(ip("2001:db8::1")), no_country);  // other family not loaded
}

TEST(CountryTable, EmptyTableKnowsNoCountry) {
    const CountryTable none;
    EXPECT_EQ(none.lookup(ip("1.0.16.1")), no_country);
    const CountryTable empty = CountryTable::build({});
    EXPECT_EQ(empty.lookup(ip("1.0.16.1")), no_country);
    EXPECT_EQ(empty.lookup(ip("2001:200::1")), no_country);
}

// --- overlapping ranges: "a later range overrides an earlier one where they overlap" -----------

CountryRange range(const char* a, const char* b, const char* c) { return {ip(a), ip(b), cc(c)}; }

TEST(CountryTable, LaterRangeOverridesEarlierOne) {
    const CountryTable t = CountryTable::build({
        range("10.0.0.0", "10.255.255.255", "AA"),  // outer first
        range("10.1.0.0", "10.1.255.255", "BB"),    // inner later: wins inside
        range("20.1.0.0", "20.1.255.255", "CC"),    // inner first
        range("20.0.0.0", "20.255.255.255", "DD"),  // outer later: wins everywhere, even though less specific
        range("30.0.0.0", "30.0.0.99", "EE"),
        range("30.0.0.50", "30.0.0.149", "FF"),     // partial overlap
        range("40.0.0.0", "40.0.0.255", "GG"),
        range("40.0.0.0", "40.0.0.255", "HH"),      // identical: the later
    });
    EXPECT_EQ(t.lookup(ip("10.0.255.255")), cc("AA"));
    EXPECT_EQ(t.lookup(ip("10.1.0.0")), cc("BB"));
    EXPECT_EQ(t.lookup(ip("10.1.255.255")), cc("BB"));
    EXPECT_EQ(t.lookup(ip("10.2.0.0")), cc("AA"));
    EXPECT_EQ(t.lookup(ip("20.1.2.3")), cc("DD"));
    EXPECT_EQ(t.lookup(ip("30.0.0.49")), cc("EE"));
    EXPECT_EQ(t.lookup(ip("30.0.0.50")), cc("FF"));
    EXPECT_EQ(t.lookup(ip("30.0.0.149")), cc("FF"));
    EXPECT_EQ(t.lookup(ip("30.0.0.150")), no_country);
    EXPECT_EQ(t.lookup(ip("40.0.0.7")), cc("HH"));
}

TEST(CountryTable, LaterRangeOverridesInIPv6AndAtTheTopOfTheSpace) {
    const CountryTable t = CountryTable::build({
        range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "AA"),
        range("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "BB"),
        range("ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "CC"),
        range("0.0.0.0", "255.255.255.255", "DD"),
        range("255.255.255.0", "255.255.255.255", "EE"),
    });
    EXPECT_EQ(t.lookup(ip("::")), cc("AA"));
    EXPECT_EQ(t.lookup(ip("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")), cc("AA"));
    EXPECT_EQ(t.lookup(ip("2001:db8::")), cc("BB"));
    EXPECT_EQ(t.lookup(ip("2001:db9::")), cc("AA"));
    EXPECT_EQ(t.lookup(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), cc("CC"));
    EXPECT_EQ(t.lookup(ip("0.0.0.0")), cc("DD"));
    EXPECT_EQ(t.lookup(ip("255.255.254.255")), cc("DD"));
    EXPECT_EQ(t.lookup(ip("255.255.255.255")), cc("EE"));
    // 0.0.0.0-255.255.254.255 is /1 + /2 + ... + /24 (24 prefixes), then the /24 of EE.
    EXPECT_EQ(t.lpm().prefix_count_v4(), 25u);
}

TEST(CountryTable, InvalidRangesAreIgnoredByBuild) {
    const CountryTable t = CountryTable::build({
        range("10.0.0.9", "10.0.0.1", "AA"),          // reversed
        CountryRange{ip("10.0.1.0"), ip("2001:db8::"), cc("BB")},  // mixed families
        range("10.0.2.0", "10.0.2.255", "CC"),
    });
    EXPECT_EQ(t.lookup(ip("10.0.0.5")), no_country);
    EXPECT_EQ(t.lookup(ip("10.0.1.0")), no_country);
    EXPECT_EQ(t.lookup(ip("10.0.2.0")), cc("CC"));
}

// Seeded random overlapping ranges (a mix of nested, partial and disjoint) against the
// "last covering range wins" scan.
TEST(CountryTable, RandomOverlappingRangesLaterWins) {
    std::mt19937_64 rng(1985);
    const char* codes[] = {"JP", "US", "CN", "DE", "BR", "AU", "KR", "IN"};
    for (int round = 0; round < 4; ++round) {
        std::vector<CountryRange> ranges;
        std::vector<Interval> lines;
        for (int i = 0; i < 1500; ++i) {
            const bool v4 = (i & 1) == 0;
            const int span_bits = static_cast<int>(rng() % (v4 ? 24 : 90));
            wide lo = v4 ? wide{static_cast<std::uint32_t>(rng()) & 0x0fffffffu}  // dense: 0.0.0.0/4
                         : (wide{0x2001} << 112) | (((static_cast<wide>(rng()) << 64) | rng()) >> 36);
            const wide span = ((static_cast<wide>(rng()) << 64) | rng()) & ((wide{1} << span_bits) - 1);
            if (!lines.empty() && rng() % 3 == 0) {  // start inside an earlier range
                const Interval& p = lines[rng() % lines.size()];
                if (p.v4 == v4) lo = p.lo + (p.hi - p.lo) / 3;
            }
            const wide hi = lo + span > top(v4) ? top(v4) : lo + span;
            const char* c = codes[rng() % 8];
            ranges.push_back({address(lo, v4), address(hi, v4), cc(c)});
            lines.push_back({v4, lo, hi, c});
        }
        const CountryTable t = CountryTable::build(ranges);
        const IntervalRef ref(lines);
        ASSERT_GT(ref.overwritten(), 100u);
        auto probes = boundary_probes(lines);
        for (int i = 0; i < 3000; ++i) probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(rng()) & 0x1fffffffu));
        SCOPED_TRACE("round " + std::to_string(round));
        expect_matches(t, ref, probes);
        // The brute-force painter agrees with the literal rule.
        for (std::size_t i = 0; i < probes.size(); i += 7)
            ASSERT_EQ(ref.lookup(probes[i]), last_covering(lines, probes[i])) << to_string(probes[i]);
        if (HasFailure()) return;
    }
}

// --- the full world table --------------------------------------------------------------------

TEST(CountryTable, FullWorldTableMatchesTheFile) {
    const std::string dir = std::string(FLOWSIEVE_SOURCE_ROOT) + "/data/world/";
    const std::string f4 = dir + "geo-whois-asn-country-ipv4.csv", f6 = dir + "geo-whois-asn-country-ipv6.csv";
    if (!std::filesystem::exists(f4) || !std::filesystem::exists(f6))
        GTEST_SKIP() << "full world table not present (" << f4 << "); scripts/fetch-world-table fetches it";

    using clock = std::chrono::steady_clock;
    const auto ms = [](clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    const auto t0 = clock::now();
    CountryTableInfo info;
    auto r4 = load_range_csv(f4, &info);
    ASSERT_TRUE(r4.ok()) << r4.error().message;
    auto r6 = load_range_csv(f6, &info);
    ASSERT_TRUE(r6.ok()) << r6.error().message;
    std::vector<CountryRange> ranges = std::move(*r4);
    ranges.insert(ranges.end(), r6->begin(), r6->end());
    const auto t1 = clock::now();
    const CountryTable t = CountryTable::build(ranges);
    const auto t2 = clock::now();
    std::printf("world table: %zu + %zu ranges, %zu + %zu prefixes; load %.0f ms, build %.0f ms, %.1f MiB\n",
                info.ranges_v4, info.ranges_v6, t.lpm().prefix_count_v4(), t.lpm().prefix_count_v6(), ms(t1 - t0),
                ms(t2 - t1), static_cast<double>(t.memory_bytes()) / (1 << 20));
    RecordProperty("load_ms", static_cast<int>(ms(t1 - t0)));
    RecordProperty("build_ms", static_cast<int>(ms(t2 - t1)));

    auto lines = read_intervals(f4);
    const auto lines6 = read_intervals(f6);
    lines.insert(lines.end(), lines6.begin(), lines6.end());
    const IntervalRef ref(lines);
    ASSERT_GT(lines.size(), 400000u);
    std::printf("world table: %zu pieces where a later line overrides an earlier one\n", ref.overwritten());
    EXPECT_GT(ref.overwritten(), 0u);
    EXPECT_EQ(info.ranges_v4 + info.ranges_v6, lines.size());

    auto probes = boundary_probes(lines);
    // 100k seeded random addresses: uniform IPv4; IPv6 half inside random ranges, half uniform
    // over 2000::/3 (almost all unallocated there).
    std::mt19937_64 rng(20260617);
    for (int i = 0; i < 50000; ++i) probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
    for (int i = 0; i < 25000; ++i) {
        const Interval& r = lines[rng() % lines.size()];
        const wide off = ((static_cast<wide>(rng()) << 64) | rng()) % (r.hi - r.lo + 1 == 0 ? ~wide{0} : r.hi - r.lo + 1);
        probes.push_back(address(r.lo + off, r.v4));
        const wide u = ((static_cast<wide>(rng()) << 64) | rng()) >> 3 | (wide{1} << 125);
        probes.push_back(address(u, false));
    }
    expect_matches(t, ref, probes);

    const PrefixCounts c = prefix_counts(ref);
    EXPECT_EQ(info.prefixes_v4, c.lines_v4);
    EXPECT_EQ(info.prefixes_v6, c.lines_v6);
    EXPECT_EQ(t.lpm().prefix_count_v4(), c.table_v4);
    EXPECT_EQ(t.lpm().prefix_count_v6(), c.table_v6);
}

// The fast forms (IPv4: the compact DXR-like form; IPv6: the directory, single and bulk with
// prefetch) against the plain binary search over the table's own flattened intervals, on the full
// world table and 2M seeded addresses: every range's edges, addresses inside random ranges (the
// dense regions dominate, as in the benchmark), and uniform ones.
TEST(CountryTable, FullWorldTableFastLookupsEqualTheIntervalSearch) {
    const std::string dir = std::string(FLOWSIEVE_SOURCE_ROOT) + "/data/world/";
    const std::string f4 = dir + "geo-whois-asn-country-ipv4.csv", f6 = dir + "geo-whois-asn-country-ipv6.csv";
    if (!std::filesystem::exists(f4) || !std::filesystem::exists(f6))
        GTEST_SKIP() << "full world table not present (" << f4 << "); scripts/fetch-world-table fetches it";
    auto r4 = load_range_csv(f4);
    ASSERT_TRUE(r4.ok()) << r4.error().message;
    auto r6 = load_range_csv(f6);
    ASSERT_TRUE(r6.ok()) << r6.error().message;
    std::vector<CountryRange> ranges = std::move(*r4);
    ranges.insert(ranges.end(), r6->begin(), r6->end());
    const CountryTable t = CountryTable::build(ranges);
    const PrefixTable& lpm = t.lpm();
    ASSERT_TRUE(lpm.compact_v4()) << "the world table should take the compact IPv4 form";

    std::mt19937_64 rng(6);
    std::vector<std::uint32_t> v4;
    std::vector<U128> v6;
    for (const auto& r : ranges) {
        const bool is4 = r.first.is_v4();
        const wide lo = key(r.first), hi = key(r.last);
        for (wide k : {lo, hi, lo - 1, hi + 1}) {
            if (is4) v4.push_back(static_cast<std::uint32_t>(k));
            else v6.push_back(u128_of(k));
        }
    }
    for (int i = 0; i < 500000; ++i) {
        const CountryRange& r = ranges[rng() % ranges.size()];
        const wide span = key(r.last) - key(r.first) + 1;
        const wide off = ((static_cast<wide>(rng()) << 64) | rng()) % (span == 0 ? ~wide{0} : span);
        if (r.first.is_v4()) v4.push_back(static_cast<std::uint32_t>(key(r.first) + off));
        else v6.push_back(u128_of(key(r.first) + off));
        v4.push_back(static_cast<std::uint32_t>(rng()));
        v6.push_back(U128{(rng() >> 3) | (1ull << 61), rng()});  // 2000::/3
    }
    std::shuffle(v4.begin(), v4.end(), rng);
    std::shuffle(v6.begin(), v6.end(), rng);
    ASSERT_GT(v4.size(), 1500000u);
    ASSERT_GT(v6.size(), 1000000u);

    std::vector<std::uint32_t> out4(v4.size()), out6(v6.size());
    // Bursts of varying length, as workers see them.
    for (std::size_t i = 0, len = 1; i < v4.size(); i += len, len = len % 64 + 1)
        lpm.lookup_v4_bulk(v4.data() + i, out4.data() + i, std::min(len, v4.size() - i));
    for (std::size_t i = 0, len = 1; i < v6.size(); i += len, len = len % 64 + 1)
        lpm.lookup_v6_bulk(v6.data() + i, out6.data() + i, std::min(len, v6.size() - i));
    std::size_t bad = 0, known4 = 0, known6 = 0;
    for (std::size_t i = 0; i < v4.size(); ++i) {
        const IpAddress a = IpAddress::from_v4(v4[i]);
        const std::uint32_t want = lpm.lookup_reference(a);
        known4 += want != 0;
        if ((lpm.lookup_v4(v4[i]) != want || out4[i] != want) && ++bad <= 10)
            ADD_FAILURE() << to_string(a) << ": single " << lpm.lookup_v4(v4[i]) << ", bulk " << out4[i] << ", want " << want;
    }
    for (std::size_t i = 0; i < v6.size(); ++i) {
        const IpAddress a = IpAddress::from_v6(v6[i]);
        const std::uint32_t want = lpm.lookup_reference(a);
        known6 += want != 0;
        if ((lpm.lookup_v6(v6[i]) != want || out6[i] != want) && ++bad <= 10)
            ADD_FAILURE() << to_string(a) << ": single " << lpm.lookup_v6(v6[i]) << ", bulk " << out6[i] << ", want " << want;
    }
    EXPECT_EQ(bad, 0u);
    // Most probes fall inside ranges: the comparison is not between two "no country" answers.
    EXPECT_GT(known4, v4.size() / 2);
    EXPECT_GT(known6, v6.size() / 4);
}

}  // namespace
}  // namespace flowsieve
