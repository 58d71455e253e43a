// test_indicator_table.cpp: IndicatorTable build and lookup against a naive linear-scan reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "tables/indicator_table.hpp"

namespace flowsieve {
namespace {

using testing::test_data;

IpAddress ip(const char* text) {
    auto a = parse_ip(text);
    EXPECT_TRUE(a.has_value()) << text;
    return a.value_or(IpAddress{});
}

Indicator ind(const char* addr, int len, const char* id) {
    return Indicator{Prefix{ip(addr), static_cast<std::uint8_t>(len)}, id};
}

IndicatorSetSource set_of(const char* name, std::vector<Indicator> v) {
    IndicatorSetSource s;
    s.name = name;
    s.indicators = std::move(v);
    return s;
}

// --- naive reference: a linear scan over every indicator of every set -------------------------

std::uint32_t v4_mask(int len) { return len == 0 ? 0u : 0xffffffffu << (32 - len); }

std::uint64_t word_mask(int bits) { return bits <= 0 ? 0 : bits >= 64 ? ~0ull : ~0ull << (64 - bits); }

U128 v6_and_mask(U128 a, int len) { return {a.hi & word_mask(len), a.lo & word_mask(len - 64)}; }

struct Naive {
    struct E4 { std::uint32_t net, mask; int len; std::uint32_t bit, index; };
    struct E6 { U128 net; int len; std::uint32_t bit, index; };
    std::vector<E4> v4;
    std::vector<E6> v6;

    explicit Naive(const std::vector<IndicatorSetSource>& sets) {
        std::uint32_t index = 0;
        for (std::size_t s = 0; s < sets.size(); ++s) {
            for (const auto& i : sets[s].indicators) {
                const std::uint32_t bit = 1u << s;
                if (i.prefix.addr.is_v4()) v4.push_back({i.prefix.addr.v4 & v4_mask(i.prefix.len), v4_mask(i.prefix.len), i.prefix.len, bit, index});
                else v6.push_back({v6_and_mask(i.prefix.addr.v6, i.prefix.len), i.prefix.len, bit, index});
                ++index;
            }
        }
    }

    // Union of every covering indicator's set; indicator: longest, then lowest index.
    IndicatorMatch lookup(const IpAddress& a) const {
        IndicatorMatch m;
        int best = -1;
        if (a.is_v4()) {
            for (const auto& e : v4) {
                if ((a.v4 & e.mask) != e.net) continue;
                m.set_mask |= e.bit;
                if (e.len > best) {
                    best = e.len;
                    m.indicator = e.index;
                }
            }
        } else if (a.is_v6()) {
            for (const auto& e : v6) {
                if (v6_and_mask(a.v6, e.len) != e.net) continue;
                m.set_mask |= e.bit;
                if (e.len > best) {
                    best = e.len;
                    m.indicator = e.index;
                }
            }
        }
        return m;
    }

    // Each set's most specific covering indicator (length, index; length -1: none), for named_in:
    // the indicator a rule requiring some of the sets names is the most specific among those, ties
    // to the lowest index.
    std::vector<std::pair<int, std::uint32_t>> per_set(const IpAddress& a, std::size_t sets) const {
        std::vector<std::pair<int, std::uint32_t>> best(sets, {-1, 0});
        const auto consider = [&](int len, std::uint32_t bit, std::uint32_t index) {
            auto& b = best[static_cast<std::size_t>(std::countr_zero(bit))];
            if (len > b.first || (len == b.first && index < b.second)) b = {len, index};
        };
        if (a.is_v4()) {
            for (const auto& e : v4)
                if ((a.v4 & e.mask) == e.net) consider(e.len, e.bit, e.index);
        } else if (a.is_v6()) {
            for (const auto& e : v6)
                if (v6_and_mask(a.v6, e.len) == e.net) consider(e.len, e.bit, e.index);
        }
        return best;
    }
    static std::uint32_t named_in(const std::vector<std::pair<int, std::uint32_t>>& per_set, std::uint32_t sets) {
        std::pair<int, std::uint32_t> best{-1, 0};
        for (std::size_t i = 0; i < per_set.size(); ++i) {
            const auto& b = per_set[i];
            if ((sets >> i & 1u) == 0 || b.first < 0) continue;
            if (b.first > best.first || (b.first == best.first && b.second < best.second)) best = b;
        }
        return best.second;
    }
};

U128 add(U128 a, std::int64_t d) {
    U128 r = a;
    if (d >= 0) {
        r.lo = a.lo + static_cast<std::uint64_t>(d);
        if (r.lo < a.lo) ++r.hi;
    } else {
        r.lo = a.lo - static_cast<std::uint64_t>(-d);
        if (r.lo > a.lo) --r.hi;
    }
    return r;
}

// Addresses around a prefix: its first and last address and their neighbours.
void probes_around(const Prefix& p, std::vector<IpAddress>& out) {
    if (p.addr.is_v4()) {
        const std::uint32_t first = p.addr.v4 & v4_mask(p.len), last = first | ~v4_mask(p.len);
        for (std::uint32_t a : {first - 1, first, first + 1, last - 1, last, last + 1}) out.push_back(IpAddress::from_v4(a));
    } else {
        const U128 first = v6_and_mask(p.addr.v6, p.len);
        U128 last = first;
        for (int bit = p.len; bit < 128; ++bit) {
            if (bit < 64) last.hi |= 1ull << (63 - bit);
            else last.lo |= 1ull << (127 - bit);
        }
        const std::pair<U128, int> around[] = {{first, -1}, {first, 0}, {first, 1}, {last, -1}, {last, 0}, {last, 1}};
        for (const auto& [base, d] : around) out.push_back(IpAddress::from_v6(add(base, d)));
    }
}

std::string describe(const IndicatorMatch& m) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "mask=%08x indicator=%u", m.set_mask, m.indicator);
    return buf;
}

void expect_same_as_naive(const IndicatorTable& t, const Naive& naive, const std::vector<IpAddress>& probes) {
    // lookup_bulk must agree with lookup, burst by burst (odd sizes included).
    std::vector<IndicatorMatch> bulk(probes.size());
    for (std::size_t i = 0; i < probes.size(); i += 29) t.lookup_bulk(&probes[i], &bulk[i], std::min<std::size_t>(29, probes.size() - i));
    // And bursts longer than the bulk lookup's internal group (several groups per call).
    std::vector<IndicatorMatch> long_bulk(probes.size());
    for (std::size_t i = 0; i < probes.size(); i += 150)
        t.lookup_bulk(&probes[i], &long_bulk[i], std::min<std::size_t>(150, probes.size() - i));
    for (std::size_t i = 0; i < probes.size(); ++i) {
        IndicatorMatch one;
        t.lookup(probes[i], one);
        ASSERT_EQ(bulk[i].set_mask, one.set_mask) << to_string(probes[i]);
        ASSERT_EQ(bulk[i].indicator, one.indicator) << to_string(probes[i]);
        ASSERT_EQ(long_bulk[i].set_mask, one.set_mask) << to_string(probes[i]);
        ASSERT_EQ(long_bulk[i].indicator, one.indicator) << to_string(probes[i]);
    }
    std::size_t hits = 0;
    for (const auto& a : probes) {
        IndicatorMatch got;
        const bool found = t.lookup(a, got);
        const IndicatorMatch want = naive.lookup(a);
        ASSERT_EQ(found, want.set_mask != 0) << to_string(a);
        ASSERT_EQ(got.set_mask, want.set_mask) << to_string(a) << " got " << describe(got) << " want " << describe(want);
        ASSERT_EQ(got.indicator, want.indicator) << to_string(a) << " got " << describe(got) << " want " << describe(want);
        hits += found ? 1 : 0;
    }
    // The probe mix must exercise both outcomes, or the comparison proves little.
    EXPECT_GT(hits, probes.size() / 10);
    EXPECT_LT(hits, probes.size());
}

// named_in against the naive scan for every probe that matches, under rules requiring each set
// alone, every set but one, and all of them. Returns how many answers differ from the overall most
// specific indicator (the cases named_in exists for).
std::size_t expect_named_as_naive(const IndicatorTable& t, const Naive& naive, const std::vector<IpAddress>& probes) {
    const auto n = static_cast<std::uint32_t>(t.set_count());
    const std::uint32_t all = n == 32 ? ~0u : (1u << n) - 1;
    std::vector<std::uint32_t> masks{all};
    for (std::uint32_t i = 0; i < n; ++i) masks.insert(masks.end(), {1u << i, all & ~(1u << i)});
    std::size_t differs = 0;
    for (const auto& a : probes) {
        IndicatorMatch m;
        if (!t.lookup(a, m)) continue;
        const auto per_set = naive.per_set(a, n);
        for (const std::uint32_t sets : masks) {
            if ((m.set_mask & sets) == 0) continue;
            const std::uint32_t got = t.named_in(a, m, sets);
            EXPECT_EQ(got, Naive::named_in(per_set, sets)) << to_string(a) << " sets " << sets << " " << describe(m);
            differs += got != m.indicator;
        }
    }
    return differs;
}

// --- tests -------------------------------------------------------------------------------------

// A rule names an indicator of the sets it requires, even where another set lists the same address
// (or a prefix around it) more specifically: the record must not name an indicator outside the
// authorisation's scope.
TEST(IndicatorTable, NamedIndicatorComesFromTheRequiredSets) {
    const std::vector<IndicatorSetSource> sets = {
        set_of("a", {ind("11.0.0.1", 32, "A-1"), ind("10.1.0.0", 16, "A-16"), ind("2001:db8::1", 128, "A-v6")}),
        set_of("b", {ind("11.0.0.1", 32, "B-1"), ind("11.0.0.0", 8, "B-8"), ind("10.0.0.0", 8, "B-8b"),
                     ind("2001:db8::", 32, "B-v6")}),
        set_of("c", {ind("10.1.2.0", 24, "C-24"), ind("11.0.0.0", 16, "C-16")})};
    auto t = IndicatorTable::build(sets);
    ASSERT_TRUE(t.ok()) << t.error().message;
    const auto named = [&](const char* addr, std::uint32_t rule_sets) {
        IndicatorMatch m;
        EXPECT_TRUE(t->lookup(ip(addr), m)) << addr;
        return t->indicator_id(t->named_in(ip(addr), m, rule_sets));
    };
    // The same address in a and b: each set's own entry; both sets: the lower index (a's).
    EXPECT_EQ(named("11.0.0.1", 0b010), "B-1");
    EXPECT_EQ(named("11.0.0.1", 0b001), "A-1");
    EXPECT_EQ(named("11.0.0.1", 0b011), "A-1");
    EXPECT_EQ(named("11.0.0.1", 0b100), "C-16");  // c holds only a covering prefix
    // Not an exact entry: c's /16 is the most specific overall, b's /8 within b.
    EXPECT_EQ(named("11.0.9.9", 0b100), "C-16");
    EXPECT_EQ(named("11.0.9.9", 0b010), "B-8");
    EXPECT_EQ(named("11.0.9.9", 0b110), "C-16");
    // Nested prefixes of three sets: /24 (c) in /16 (a) in /8 (b).
    EXPECT_EQ(named("10.1.2.3", 0b111), "C-24");
    EXPECT_EQ(named("10.1.2.3", 0b011), "A-16");
    EXPECT_EQ(named("10.1.2.3", 0b010), "B-8b");
    EXPECT_EQ(named("10.1.9.9", 0b010), "B-8b");
    EXPECT_EQ(named("2001:db8::1", 0b010), "B-v6");
    EXPECT_EQ(named("2001:db8::1", 0b001), "A-v6");
    EXPECT_EQ(named("2001:db8::2", 0b010), "B-v6");
}


TEST(IndicatorTable, UnionOfEveryCoveringIndicatorAcrossSets) {
    std::vector<IndicatorSetSource> sets;
    sets.push_back(set_of("a", {ind("10.0.0.0", 8, "a/8"), ind("2001:db8::", 32, "a/32")}));
    sets.push_back(set_of("b", {ind("10.1.0.0", 16, "b/16"), ind("2001:db8:1::", 48, "b/48")}));
    sets.push_back(set_of("c", {ind("10.1.2.3", 32, "c/32"), ind("2001:db8:1::5", 128, "c/128")}));
    sets.push_back(set_of("d", {ind("10.1.2.0", 24, "d/24"), ind("10.1.0.0", 16, "d/16"), ind("2001:db8:1::", 48, "d/48")}));
    auto t = IndicatorTable::build(sets);
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_EQ(t->indicator_count(), 9u);
    const auto idx = [&](const char* id) {
        for (std::uint32_t i = 0; i < t->indicator_count(); ++i) {
            if (t->indicator_id(i) == id) return i;
        }
        return 0xffffffffu;
    };
    struct Case { const char* addr; std::uint32_t mask; const char* most_specific; };
    const Case cases[] = {
        {"10.1.2.3", 0b1111, "c/32"},       // exact entry: its own set plus every covering CIDR
        {"10.1.2.4", 0b1011, "d/24"},       // /8 of a, /16 of b and d, /24 of d
        {"10.1.3.1", 0b1011, "b/16"},       // same /16 in b and d: both bits, lowest index
        {"10.200.0.1", 0b0001, "a/8"},
        {"2001:db8:1::5", 0b1111, "c/128"},     // inside a/32, b/48 and d/48 as well
        {"2001:db8:1::6", 0b1011, "b/48"},
        {"2001:db8:2::1", 0b0001, "a/32"},
    };
    for (const auto& c : cases) {
        IndicatorMatch m;
        ASSERT_TRUE(t->lookup(ip(c.addr), m)) << c.addr;
        EXPECT_EQ(m.set_mask, c.mask) << c.addr;
        EXPECT_EQ(m.indicator, idx(c.most_specific)) << c.addr;
    }
    IndicatorMatch m{0x55, 7};
    EXPECT_FALSE(t->lookup(ip("11.0.0.1"), m));
    EXPECT_EQ(m.set_mask, 0u);
    EXPECT_EQ(m.indicator, 0xffffffffu);
    EXPECT_FALSE(t->lookup(ip("2001:db9::"), m));
    EXPECT_FALSE(t->lookup(IpAddress{}, m));  // Family::none
    EXPECT_EQ(t->set_index("c"), 2);
    EXPECT_EQ(t->set_index("zzz"), -1);
    EXPECT_EQ(t->set_name(3), "d");
    EXPECT_EQ(t->exact_count(), 2u);
    EXPECT_EQ(t->cidr_count(), 5u);  // d's /16 and /48 merged with b's
}

TEST(IndicatorTable, DefaultRoutesCoverTheirFamilyOnly) {
    auto t = IndicatorTable::build({set_of("all4", {ind("0.0.0.0", 0, "v4-any")}),
                                    set_of("all6", {ind("::", 0, "v6-any"), ind("::ffff:192.0.2.1", 128, "mapped")}),
                                    set_of("host", {ind("192.0.2.1", 32, "h")})});
    ASSERT_TRUE(t.ok()) << t.error().message;
    IndicatorMatch m;
    ASSERT_TRUE(t->lookup(ip("255.255.255.255"), m));
    EXPECT_EQ(m.set_mask, 0b001u);
    EXPECT_EQ(t->indicator_id(m.indicator), "v4-any");
    ASSERT_TRUE(t->lookup(ip("192.0.2.1"), m));
    EXPECT_EQ(m.set_mask, 0b101u);  // a v4-mapped v6 entry is not the v4 address
    EXPECT_EQ(t->indicator_id(m.indicator), "h");
    ASSERT_TRUE(t->lookup(ip("::ffff:192.0.2.1"), m));
    EXPECT_EQ(m.set_mask, 0b010u);
    EXPECT_EQ(t->indicator_id(m.indicator), "mapped");
    ASSERT_TRUE(t->lookup(ip("ffff::"), m));
    EXPECT_EQ(t->indicator_id(m.indicator), "v6-any");
}

TEST(IndicatorTable, SameExactAddressInSeveralSets) {
    std::vector<IndicatorSetSource> sets;
    sets.push_back(set_of("x", {ind("192.0.2.1", 32, "x1"), ind("192.0.2.1", 32, "x1-again")}));
    sets.push_back(set_of("y", {ind("192.0.2.2", 32, "y2"), ind("192.0.2.1", 32, "y1")}));
    auto t = IndicatorTable::build(sets);
    ASSERT_TRUE(t.ok());
    IndicatorMatch m;
    ASSERT_TRUE(t->lookup(ip("192.0.2.1"), m));
    EXPECT_EQ(m.set_mask, 0b11u);
    EXPECT_EQ(t->indicator_id(m.indicator), "x1");
    ASSERT_TRUE(t->lookup(ip("192.0.2.2"), m));
    EXPECT_EQ(m.set_mask, 0b10u);
    EXPECT_EQ(t->indicator_id(m.indicator), "y2");
    EXPECT_EQ(t->exact_count(), 2u);
}

TEST(IndicatorTable, EmptyTablesMatchNothing) {
    IndicatorMatch m;
    EXPECT_FALSE(IndicatorTable{}.lookup(ip("192.0.2.1"), m));
    auto t = IndicatorTable::build({});
    ASSERT_TRUE(t.ok());
    EXPECT_FALSE(t->lookup(ip("192.0.2.1"), m));
    auto e = IndicatorTable::build({set_of("empty", {})});
    ASSERT_TRUE(e.ok());
    EXPECT_FALSE(e->lookup(ip("::1"), m));
    EXPECT_EQ(e->set_count(), 1u);
}

TEST(IndicatorTable, AtMost32Sets) {
    std::vector<IndicatorSetSource> sets;
    for (int i = 0; i < 32; ++i) {
        sets.push_back(set_of(std::string("s").append(std::to_string(i)).c_str(), {ind("198.51.100.0", 24 + (i % 8), "n")}));
    }
    auto ok = IndicatorTable::build(sets);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    IndicatorMatch m;
    ASSERT_TRUE(ok->lookup(ip("198.51.100.0"), m));
    EXPECT_EQ(m.set_mask, 0xffffffffu);  // bit 31 included
    sets.push_back(set_of("s32", {}));
    auto too_many = IndicatorTable::build(sets);
    ASSERT_FALSE(too_many.ok());
    EXPECT_EQ(too_many.error().message, "indicator sets: 33 given, at most 32");
}

TEST(IndicatorTable, DuplicateOrEmptySetNamesAreRefused) {
    auto dup = IndicatorTable::build({set_of("a", {}), set_of("b", {}), set_of("a", {})});
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().message, "indicator sets: duplicate set name \"a\" (sets 0 and 2)");
    auto unnamed = IndicatorTable::build({set_of("a", {}), set_of("", {})});
    ASSERT_FALSE(unnamed.ok());
    EXPECT_EQ(unnamed.error().message, "indicator sets: set 1 has no name");
}

// Real feeds plus overlapping synthetic sets, compared with the naive scan at every indicator's
// edges and at seeded random addresses.
TEST(IndicatorTable, MatchesNaiveScanOnRealFeedsWithOverlaps) {
    std::vector<IndicatorSetSource> sets;
    const std::pair<const char*, const char*> feeds[] = {
        {"ipsum-level3", "indicators/ip/ipsum-level3.txt"},
        {"mass-scanner", "indicators/ip/maltrail-mass-scanner-cidr.txt"},
        {"lazarus", "indicators/trails/maltrail-apt_lazarus.txt"},
        {"mixed", "indicators/crafted/mixed-list.txt"}};
    for (const auto& [name, file] : feeds) {
        auto s = load_indicator_list(name, test_data(file));
        ASSERT_TRUE(s.ok()) << s.error().message;
        sets.push_back(std::move(*s));
    }
    std::mt19937_64 rng(20240601);
    // "wide": the /8, /16 and /20 around some ipsum addresses and mass-scanner blocks (CIDRs that
    // cover exact entries and each other), plus some of their exact addresses and blocks again.
    IndicatorSetSource wide;
    wide.name = "wide";
    for (std::size_t i = 0; i < sets[0].indicators.size(); i += 97) {
        const std::uint32_t a = sets[0].indicators[i].prefix.addr.v4;
        for (int len : {8, 16, 20}) wide.indicators.push_back({{IpAddress::from_v4(a & v4_mask(len)), static_cast<std::uint8_t>(len)}, "w"});
        wide.indicators.push_back({{IpAddress::from_v4(a), 32}, "w-exact"});
    }
    for (std::size_t i = 0; i < sets[1].indicators.size(); i += 13) {
        const auto& p = sets[1].indicators[i].prefix;
        wide.indicators.push_back({p, "w-same"});
        wide.indicators.push_back({{IpAddress::from_v4(p.addr.v4 & v4_mask(20)), 20}, "w20"});
    }
    sets.push_back(std::move(wide));
    // "random": seeded random prefixes of every length, v4 anywhere and v6 inside 2001:db8::/32
    // so that they nest.
    IndicatorSetSource random;
    random.name = "random";
    for (int i = 0; i < 3000; ++i) {
        const int len = 1 + static_cast<int>(rng() % 32);  // no /0 here: it would cover every probe
        const auto a = static_cast<std::uint32_t>(rng());
        random.indicators.push_back({{IpAddress::from_v4(a & v4_mask(len)), static_cast<std::uint8_t>(len)}, "r4"});
    }
    for (int i = 0; i < 1500; ++i) {
        const int len = 32 + static_cast<int>(rng() % 97);
        const U128 a{0x20010db800000000ull | (rng() & 0x7ull) << 29 | (rng() & 0xffffull), rng() & 0xffull};
        random.indicators.push_back({{IpAddress::from_v6(v6_and_mask(a, len)), static_cast<std::uint8_t>(len)}, "r6"});
    }
    sets.push_back(std::move(random));
    // "v6": a few hand-placed nested v6 prefixes.
    sets.push_back(set_of("v6", {ind("2001:db8::", 29, "v6/29"), ind("2001:db8::", 64, "v6/64"), ind("2001:db8::1", 128, "v6/128"),
                                 ind("2000::", 3, "v6/3"), ind("2001:db8:0:1::", 64, "v6/64-b")}));

    const Naive naive(sets);
    auto t = IndicatorTable::build(sets);
    ASSERT_TRUE(t.ok()) << t.error().message;
    std::size_t total = 0;
    for (const auto& s : sets) total += s.indicators.size();
    ASSERT_EQ(t->indicator_count(), total);
    ASSERT_EQ(t->set_count(), sets.size());

    std::vector<IpAddress> probes;
    for (const auto& s : sets) {
        for (const auto& i : s.indicators) probes_around(i.prefix, probes);
    }
    for (int i = 0; i < 20000; ++i) probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
    for (int i = 0; i < 5000; ++i) probes.push_back(IpAddress::from_v6({0x20010db800000000ull | (rng() & 0x3fffffffffull), rng() & 0x1ff}));
    for (int i = 0; i < 1000; ++i) probes.push_back(IpAddress::from_v6({rng(), rng()}));
    expect_same_as_naive(*t, naive, probes);
    EXPECT_GT(expect_named_as_naive(*t, naive, probes), 100u);  // addresses that several sets list
    EXPECT_GT(t->memory_bytes(), t->indicator_count() * sizeof(std::string));
}

// The prefilter (a bitmap per /24 and per hashed /48) answers "no match" on its own for most
// addresses; here no IPv6 indicator is shorter than /32, so the IPv6 bitmap is in use too (a /3,
// as in the test above, turns it off). Probes sit next to every indicator: in the same /24 or /48,
// and in the neighbouring ones, where a wrong bit or range end would show.
TEST(IndicatorTable, PrefilterKeepsTheSameAnswers) {
    std::mt19937_64 rng(99);
    IndicatorSetSource a, b;
    a.name = "a";
    b.name = "b";
    for (int i = 0; i < 4000; ++i) {
        const auto addr = static_cast<std::uint32_t>(rng());
        a.indicators.push_back({{IpAddress::from_v4(addr), 32}, "a4"});
        // CIDRs of every length from /9 (many /24s, word-unaligned ends) to /31.
        const int len = 9 + static_cast<int>(rng() % 23);
        if (i % 8 == 0) b.indicators.push_back({{IpAddress::from_v4(addr & v4_mask(len)), static_cast<std::uint8_t>(len)}, "b4"});
    }
    for (int i = 0; i < 3000; ++i) {
        const U128 addr{0x20010db800000000ull | (rng() & 0xffffffull) << 8, rng()};
        a.indicators.push_back({{IpAddress::from_v6(addr), 128}, "a6"});
        const int len = 32 + static_cast<int>(rng() % 96);  // /32 .. /127
        if (i % 50 == 0 || len >= 40) b.indicators.push_back({{IpAddress::from_v6(v6_and_mask(addr, len)), static_cast<std::uint8_t>(len)}, "b6"});
    }
    const std::vector<IndicatorSetSource> sets{a, b};
    const Naive naive(sets);
    auto t = IndicatorTable::build(sets);
    ASSERT_TRUE(t.ok()) << t.error().message;
    std::vector<IpAddress> probes;
    for (const auto& s : sets) {
        for (const auto& i : s.indicators) {
            probes_around(i.prefix, probes);
            if (i.prefix.addr.is_v4()) {
                const std::uint32_t x = i.prefix.addr.v4;
                for (std::uint32_t d : {0x80u, 0xffu, 0x100u, 0x101u, 0x10000u}) {
                    probes.push_back(IpAddress::from_v4(x ^ d));
                    probes.push_back(IpAddress::from_v4(x - d));
                }
            } else {
                const U128 x = i.prefix.addr.v6;
                for (std::uint64_t d : {1ull, 0xffffull, 0x10000ull, 0x1000000ull})
                    probes.push_back(IpAddress::from_v6({x.hi ^ d, x.lo ^ rng()}));
            }
        }
    }
    for (int i = 0; i < 20000; ++i) probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
    for (int i = 0; i < 20000; ++i) probes.push_back(IpAddress::from_v6({0x20010db800000000ull | (rng() & 0xffffffffull), rng()}));
    expect_same_as_naive(*t, naive, probes);
}

// 1M distinct /32s and 100k CIDRs in four sets, checked against std::set/std::map references.
TEST(IndicatorTable, ScaleOneMillionExactAndHundredThousandCidrs) {
    constexpr std::size_t n_exact = 1'000'000, n_cidr = 100'000, n_sets = 4;
    std::mt19937_64 rng(7);
    std::set<std::uint32_t> distinct;
    while (distinct.size() < n_exact) distinct.insert(static_cast<std::uint32_t>(rng()));
    std::vector<std::uint32_t> exact(distinct.begin(), distinct.end());
    std::shuffle(exact.begin(), exact.end(), rng);

    std::vector<IndicatorSetSource> sets(n_sets);
    for (std::size_t s = 0; s < n_sets; ++s) sets[s].name = std::string("set").append(std::to_string(s));
    // Reference: exact address -> (set bit, index); (len, network) -> (set bits, lowest index).
    std::map<std::uint32_t, std::pair<std::uint32_t, std::uint32_t>> ref_exact;
    std::map<std::pair<int, std::uint32_t>, std::pair<std::uint32_t, std::uint32_t>> ref_cidr;
    std::vector<std::pair<std::size_t, Indicator>> all;  // (set, indicator) in arrival order
    all.reserve(n_exact + n_cidr);
    std::vector<std::pair<int, std::uint32_t>> cidrs;
    for (std::size_t i = 0; i < n_exact + n_cidr; ++i) {
        const std::size_t s = rng() % n_sets;
        if (i % 11 == 10 && cidrs.size() < n_cidr) {  // interleave the CIDRs among the hosts
            const int len = 8 + static_cast<int>(rng() % 24);  // /8 .. /31
            const std::uint32_t net = static_cast<std::uint32_t>(rng()) & v4_mask(len);
            cidrs.push_back({len, net});
            all.push_back({s, {{IpAddress::from_v4(net), static_cast<std::uint8_t>(len)}, std::string("c").append(std::to_string(i))}});
        } else {
            const std::uint32_t a = exact[i - cidrs.size()];
            all.push_back({s, {{IpAddress::from_v4(a), 32}, std::string("h").append(std::to_string(i))}});
        }
    }
    ASSERT_EQ(cidrs.size(), n_cidr);
    // Global indices follow set order, then arrival order within a set.
    std::vector<std::vector<Indicator>> per_set(n_sets);
    for (auto& [s, i] : all) per_set[s].push_back(i);
    std::uint32_t index = 0;
    for (std::size_t s = 0; s < n_sets; ++s) {
        for (const auto& i : per_set[s]) {
            const std::uint32_t bit = 1u << s;
            if (i.prefix.len == 32) {
                ref_exact.emplace(i.prefix.addr.v4, std::pair{bit, index});
            } else {
                auto [it, fresh] = ref_cidr.emplace(std::pair{int{i.prefix.len}, i.prefix.addr.v4}, std::pair{bit, index});
                if (!fresh) it->second.first |= bit;
            }
            ++index;
        }
        sets[s].indicators = std::move(per_set[s]);
    }

    const auto t0 = std::chrono::steady_clock::now();
    auto t = IndicatorTable::build(std::move(sets));
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->exact_count(), n_exact);
    EXPECT_EQ(t->cidr_count(), ref_cidr.size());

    const auto reference = [&](std::uint32_t a) {
        IndicatorMatch m;
        auto e = ref_exact.find(a);
        if (e != ref_exact.end()) {
            m.set_mask = e->second.first;
            m.indicator = e->second.second;
        }
        for (int len = 31; len >= 0; --len) {
            auto c = ref_cidr.find({len, a & v4_mask(len)});
            if (c == ref_cidr.end()) continue;
            m.set_mask |= c->second.first;
            if (m.indicator == 0xffffffffu) m.indicator = c->second.second;
        }
        return m;
    };
    std::vector<std::uint32_t> probes;
    for (int i = 0; i < 10000; ++i) {
        switch (i % 3) {
            case 0: probes.push_back(exact[rng() % n_exact]); break;
            case 1: {
                const auto& [len, net] = cidrs[rng() % n_cidr];
                probes.push_back(net | (static_cast<std::uint32_t>(rng()) & ~v4_mask(len)));
                break;
            }
            default: probes.push_back(static_cast<std::uint32_t>(rng()));
        }
    }
    std::size_t hits = 0;
    for (std::uint32_t a : probes) {
        IndicatorMatch got;
        const bool found = t->lookup(IpAddress::from_v4(a), got);
        const IndicatorMatch want = reference(a);
        ASSERT_EQ(found, want.set_mask != 0) << to_string(IpAddress::from_v4(a));
        ASSERT_EQ(got.set_mask, want.set_mask) << to_string(IpAddress::from_v4(a));
        ASSERT_EQ(got.indicator, want.indicator) << to_string(IpAddress::from_v4(a));
        hits += found ? 1 : 0;
    }
    EXPECT_GT(hits, probes.size() * 2 / 3);

    // Rough lookup cost over a mix larger than the caches (printed, not asserted).
    std::vector<IpAddress> mix;
    for (int i = 0; i < 1'000'000; ++i) {
        mix.push_back(IpAddress::from_v4(i % 2 ? exact[rng() % n_exact] : static_cast<std::uint32_t>(rng())));
    }
    std::uint64_t sink = 0;
    const auto t2 = std::chrono::steady_clock::now();
    for (const auto& a : mix) {
        IndicatorMatch m;
        if (t->lookup(a, m)) sink += m.set_mask;
    }
    const auto t3 = std::chrono::steady_clock::now();
    std::vector<IndicatorMatch> bulk(mix.size());
    for (std::size_t i = 0; i < mix.size(); i += 32) t->lookup_bulk(&mix[i], &bulk[i], std::min<std::size_t>(32, mix.size() - i));
    const auto t4 = std::chrono::steady_clock::now();
    std::uint64_t bulk_sink = 0;
    for (const auto& m : bulk) bulk_sink += m.set_mask;
    EXPECT_EQ(bulk_sink, sink);
    const double build_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    const double lookup_ns = std::chrono::duration<double, std::nano>(t3 - t2).count() / static_cast<double>(mix.size());
    const double bulk_ns = std::chrono::duration<double, std::nano>(t4 - t3).count() / static_cast<double>(mix.size());
    std::printf("[ scale    ] build %.1f ms, memory %.1f MiB (%zu exact, %zu cidr), lookup %.1f ns/op, "
                "lookup_bulk(32) %.1f ns/op\n",
                build_ms, static_cast<double>(t->memory_bytes()) / (1024.0 * 1024.0), t->exact_count(), t->cidr_count(),
                lookup_ns, bulk_ns);
}

}  // namespace
}  // namespace flowsieve
