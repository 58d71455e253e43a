// test_prefix_table.cpp: PrefixTable longest-prefix match against naive references, on seeded
// random nested prefixes and on real registry, country-table and scanner-list prefixes.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture_file.hpp"
#include "tables/compact4.hpp"
#include "tables/prefix.hpp"
#include "tables/prefix_table.hpp"

namespace flowsieve {
namespace {

using testing::test_data;

__extension__ typedef unsigned __int128 wide;
wide wide_of(U128 v) { return (static_cast<wide>(v.hi) << 64) | v.lo; }
U128 u128_of(wide v) { return U128{static_cast<std::uint64_t>(v >> 64), static_cast<std::uint64_t>(v)}; }

// Network bits of a /len over a 128-bit key (IPv4 keys sit in the low 32 bits with width 32).
wide all_bits(int width) { return width == 128 ? ~wide{0} : (wide{1} << width) - 1; }
wide net_mask(int len, int width) {
    if (len == 0) return 0;
    return all_bits(width) & ~((wide{1} << (width - len)) - 1);
}
wide host_bits(int len, int width) { return all_bits(width) & ~net_mask(len, width); }
wide key(const IpAddress& a) { return a.is_v4() ? wide{a.v4} : wide_of(a.v6); }
int width(const IpAddress& a) { return a.is_v4() ? 32 : 128; }
IpAddress address(wide k, bool v4) {
    return v4 ? IpAddress::from_v4(static_cast<std::uint32_t>(k)) : IpAddress::from_v6(u128_of(k));
}

// --- references ------------------------------------------------------------------------------

// What the header promises, read literally: scan every entry, keep the longest covering prefix,
// and among equal prefixes the later entry.
std::uint32_t linear_lookup(const std::vector<PrefixTable::Entry>& entries, const IpAddress& a) {
    int best = -1;
    std::uint32_t value = 0;
    for (const auto& e : entries) {
        if (e.value == 0 || e.prefix.addr.family != a.family) continue;
        const wide m = net_mask(e.prefix.len, width(a));
        if ((key(a) & m) != key(e.prefix.addr)) continue;
        if (e.prefix.len >= best) {
            best = e.prefix.len;
            value = e.value;
        }
    }
    return value;
}

// The same rule for big inputs: one map per (family, length), probed from the longest length
// down. A later entry for the same prefix overwrites the earlier one.
class LengthMaps {
public:
    explicit LengthMaps(const std::vector<PrefixTable::Entry>& entries) {
        for (const auto& e : entries) {
            if (e.value == 0) continue;
            maps(e.prefix.addr)[e.prefix.len][key(e.prefix.addr)] = e.value;
        }
    }
    std::uint32_t lookup(const IpAddress& a) const {
        const auto& m = a.is_v4() ? v4_ : v6_;
        for (int len = width(a); len >= 0; --len) {
            const auto& level = m[static_cast<std::size_t>(len)];
            if (level.empty()) continue;
            const auto it = level.find(key(a) & net_mask(len, width(a)));
            if (it != level.end()) return it->second;
        }
        return 0;
    }

private:
    struct Hash {
        std::size_t operator()(wide k) const {
            return std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(k) ^ static_cast<std::uint64_t>(k >> 64) * 31);
        }
    };
    using Level = std::unordered_map<wide, std::uint32_t, Hash>;
    std::vector<Level>& maps(const IpAddress& a) { return a.is_v4() ? v4_ : v6_; }
    std::vector<Level> v4_ = std::vector<Level>(33), v6_ = std::vector<Level>(129);
};

// Probe points around every prefix: first, last, first-1, last+1 (where they exist).
std::vector<IpAddress> boundaries(const std::vector<PrefixTable::Entry>& entries) {
    std::vector<IpAddress> out;
    out.reserve(entries.size() * 4);
    for (const auto& e : entries) {
        const bool v4 = e.prefix.addr.is_v4();
        const wide first = key(e.prefix.addr);
        const wide last = first | host_bits(e.prefix.len, width(e.prefix.addr));
        const wide top = all_bits(width(e.prefix.addr));
        out.push_back(address(first, v4));
        out.push_back(address(last, v4));
        if (first != 0) out.push_back(address(first - 1, v4));
        if (last != top) out.push_back(address(last + 1, v4));
    }
    return out;
}

template <class Ref>
void expect_same_lookups(const PrefixTable& t, const std::vector<IpAddress>& probes, const Ref& ref) {
    std::size_t mismatches = 0;
    for (const auto& a : probes) {
        const std::uint32_t want = ref(a);
        const std::uint32_t got = t.lookup(a);
        if (got != want && ++mismatches <= 10) ADD_FAILURE() << to_string(a) << ": got " << got << ", want " << want;
        // The family-specific entry points agree with the generic one.
        const std::uint32_t direct = a.is_v4() ? t.lookup_v4(a.v4) : t.lookup_v6(a.v6);
        if (direct != got && ++mismatches <= 10) ADD_FAILURE() << to_string(a) << ": lookup_v* " << direct;
        // And the plain search over the flattened intervals (no directory, no compact form).
        const std::uint32_t plain = t.lookup_reference(a);
        if (plain != want && ++mismatches <= 10) ADD_FAILURE() << to_string(a) << ": lookup_reference " << plain;
    }
    EXPECT_EQ(mismatches, 0u) << "of " << probes.size() << " probes";
}

void expect_bulk_agrees_now(const PrefixTable& t, const std::vector<IpAddress>& probes) {
    std::vector<std::uint32_t> v4;
    std::vector<U128> v6;
    for (const auto& a : probes) {
        if (a.is_v4()) v4.push_back(a.v4);
        else v6.push_back(a.v6);
    }
    std::vector<std::uint32_t> out4(v4.size()), out6(v6.size());
    t.lookup_v4_bulk(v4.data(), out4.data(), v4.size());
    t.lookup_v6_bulk(v6.data(), out6.data(), v6.size());
    for (std::size_t i = 0; i < v4.size(); ++i) ASSERT_EQ(out4[i], t.lookup_v4(v4[i])) << i;
    for (std::size_t i = 0; i < v6.size(); ++i) ASSERT_EQ(out6[i], t.lookup_v6(v6[i])) << i;
    // Short and odd burst lengths (the bulk loops work in groups of 32, AVX-512 in vectors of 16).
    for (std::size_t len : {1u, 3u, 15u, 16u, 17u, 31u, 32u, 33u, 47u, 65u}) {
        if (v4.size() >= len) {
            t.lookup_v4_bulk(v4.data() + v4.size() - len, out4.data(), len);
            for (std::size_t i = 0; i < len; ++i) ASSERT_EQ(out4[i], t.lookup_v4(v4[v4.size() - len + i])) << len;
        }
        if (v6.size() >= len) {
            t.lookup_v6_bulk(v6.data() + v6.size() - len, out6.data(), len);
            for (std::size_t i = 0; i < len; ++i) ASSERT_EQ(out6[i], t.lookup_v6(v6[v6.size() - len + i])) << len;
        }
    }
}

// The bulk lookups agree with the single ones on every compact-form path this CPU can run: SSE2
// (the build's baseline), AVX2 and AVX-512.
void expect_bulk_agrees(const PrefixTable& t, const std::vector<IpAddress>& probes) {
    using detail::C4Path;
    const C4Path saved = detail::c4_path;
    for (C4Path path : {C4Path::sse2, C4Path::avx2, C4Path::avx512}) {
        if (!detail::c4_supported(path)) continue;
        SCOPED_TRACE(path == C4Path::sse2 ? "SSE2" : path == C4Path::avx2 ? "AVX2" : "AVX-512");
        detail::c4_path = path;
        expect_bulk_agrees_now(t, probes);
    }
    detail::c4_path = saved;
}

PrefixTable::Entry entry(const char* prefix, std::uint32_t value) {
    const auto p = parse_prefix(prefix);
    EXPECT_TRUE(p.ok()) << prefix;
    return {p.ok() ? *p : Prefix{}, value};
}

IpAddress ip(const char* text) { return *parse_ip(text); }

// --- small hand-made tables ------------------------------------------------------------------

TEST(PrefixTable, EmptyAndDefaultTablesMatchNothing) {
    const PrefixTable none;
    EXPECT_EQ(none.lookup(ip("1.2.3.4")), 0u);
    EXPECT_EQ(none.lookup(ip("2001:db8::1")), 0u);
    EXPECT_EQ(none.lookup(IpAddress{}), 0u);
    const PrefixTable empty = PrefixTable::build({});
    EXPECT_EQ(empty.lookup(ip("0.0.0.0")), 0u);
    EXPECT_EQ(empty.lookup(ip("ffff::")), 0u);
    EXPECT_EQ(empty.prefix_count_v4() + empty.prefix_count_v6(), 0u);
}

TEST(PrefixTable, LongestPrefixWinsWhateverTheOrder) {
    const std::vector<PrefixTable::Entry> entries = {
        entry("10.1.2.0/24", 3), entry("0.0.0.0/0", 9), entry("10.0.0.0/8", 1), entry("10.1.0.0/16", 2),
        entry("10.1.2.3/32", 4), entry("2001:db8::/32", 5), entry("2001:db8:1::/48", 6), entry("::/0", 8),
    };
    const PrefixTable t = PrefixTable::build(entries);
    EXPECT_EQ(t.lookup(ip("10.1.2.3")), 4u);
    EXPECT_EQ(t.lookup(ip("10.1.2.4")), 3u);
    EXPECT_EQ(t.lookup(ip("10.1.3.0")), 2u);
    EXPECT_EQ(t.lookup(ip("10.2.0.0")), 1u);
    EXPECT_EQ(t.lookup(ip("9.255.255.255")), 9u);
    EXPECT_EQ(t.lookup(ip("255.255.255.255")), 9u);
    EXPECT_EQ(t.lookup(ip("2001:db8:1:ffff::1")), 6u);
    EXPECT_EQ(t.lookup(ip("2001:db8:2::")), 5u);
    EXPECT_EQ(t.lookup(ip("2001:db9::")), 8u);
    EXPECT_EQ(t.lookup(ip("::")), 8u);
    EXPECT_EQ(t.prefix_count_v4(), 5u);
    EXPECT_EQ(t.prefix_count_v6(), 3u);
}

TEST(PrefixTable, SamePrefixTwiceTheLaterWins) {
    const PrefixTable t = PrefixTable::build({entry("192.0.2.0/24", 1), entry("192.0.2.0/24", 2),
                                              entry("2001:db8::/64", 7), entry("2001:db8::/64", 5)});
    EXPECT_EQ(t.lookup(ip("192.0.2.77")), 2u);
    EXPECT_EQ(t.lookup(ip("2001:db8::77")), 5u);
}

TEST(PrefixTable, ZeroValuesAreNotEntries) {
    // 0 means "no match", so an entry with value 0 must not hide a shorter prefix.
    const PrefixTable t = PrefixTable::build({entry("10.0.0.0/8", 1), entry("10.1.0.0/16", 0)});
    EXPECT_EQ(t.lookup(ip("10.1.0.1")), 1u);
    EXPECT_EQ(t.prefix_count_v4(), 1u);
}

TEST(PrefixTable, BlocksAtTheEndsOfTheAddressSpace) {
    const std::vector<PrefixTable::Entry> entries = {
        entry("0.0.0.0/32", 1), entry("255.255.255.255/32", 2), entry("255.255.255.0/24", 3), entry("128.0.0.0/1", 4),
        entry("::/128", 5), entry("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 6), entry("ff00::/8", 7),
    };
    const PrefixTable t = PrefixTable::build(entries);
    expect_same_lookups(t, boundaries(entries), [&](const IpAddress& a) { return linear_lookup(entries, a); });
}

// A chain of nested prefixes along one address, every length 0..128 (0..32 for IPv4), each with
// its own value: each boundary exercises a different depth of the lookup directory.
TEST(PrefixTable, EveryLengthNestedAlongOnePath) {
    std::vector<PrefixTable::Entry> entries;
    const wide a6 = wide_of(ip("2001:db8:89ab:cdef:0123:4567:89ab:cdef").v6);
    for (int len = 0; len <= 128; ++len)
        entries.push_back({Prefix{address(a6 & net_mask(len, 128), false), static_cast<std::uint8_t>(len)},
                           static_cast<std::uint32_t>(1000 + len)});
    const wide a4 = ip("203.0.113.77").v4;
    for (int len = 0; len <= 32; ++len)
        entries.push_back({Prefix{address(a4 & net_mask(len, 32), true), static_cast<std::uint8_t>(len)},
                           static_cast<std::uint32_t>(100 + len)});
    const PrefixTable t = PrefixTable::build(entries);
    expect_same_lookups(t, boundaries(entries), [&](const IpAddress& a) { return linear_lookup(entries, a); });
    EXPECT_EQ(t.lookup(address(a6, false)), 1128u);
    EXPECT_EQ(t.lookup(address(a4, true)), 132u);
    EXPECT_EQ(t.lookup(address(a4 ^ 1, true)), 131u);
}

// Thousands of small prefixes packed into one /16 and one /32 (v6): the directory must split
// the crowded root slots into child nodes, several levels deep.
TEST(PrefixTable, CrowdedSlotsSplitCorrectly) {
    std::vector<PrefixTable::Entry> entries;
    std::mt19937_64 rng(16);
    const wide base4 = ip("100.64.0.0").v4;
    const wide base6 = wide_of(ip("2001:db8::").v6);
    for (int i = 0; i < 4096; ++i) {
        const int len4 = 20 + static_cast<int>(rng() % 13);  // /20 .. /32 inside the /16
        const wide k4 = (base4 | (rng() & 0xffff)) & net_mask(len4, 32);
        entries.push_back({Prefix{address(k4, true), static_cast<std::uint8_t>(len4)}, static_cast<std::uint32_t>(1 + rng() % 5)});
        const int len6 = 40 + static_cast<int>(rng() % 89);  // /40 .. /128 inside the /32
        const wide k6 = (base6 | (((static_cast<wide>(rng()) << 64) | rng()) & host_bits(32, 128))) & net_mask(len6, 128);
        entries.push_back({Prefix{address(k6, false), static_cast<std::uint8_t>(len6)}, static_cast<std::uint32_t>(1 + rng() % 5)});
    }
    const PrefixTable t = PrefixTable::build(entries);
    // Few values: IPv4 takes the compact form, whose busy /16 gets a block of /24 entries.
    EXPECT_TRUE(t.compact_v4());
    const LengthMaps ref(entries);
    auto probes = boundaries(entries);
    expect_same_lookups(t, probes, [&](const IpAddress& a) { return ref.lookup(a); });
    expect_bulk_agrees(t, probes);
    // And the slow, literal reference on a sample.
    probes.resize(4000);
    expect_same_lookups(t, probes, [&](const IpAddress& a) { return linear_lookup(entries, a); });
}

// --- random nested prefixes ------------------------------------------------------------------

// Seeded random prefixes where a third are children of earlier ones, so nesting several levels
// deep is common; some exact duplicates with other values test "later wins".
std::vector<PrefixTable::Entry> random_entries(std::mt19937_64& rng, bool v4, std::size_t n) {
    std::vector<PrefixTable::Entry> out;
    const int w = v4 ? 32 : 128;
    for (std::size_t i = 0; i < n; ++i) {
        const auto value = static_cast<std::uint32_t>(1 + rng() % 1000);
        const unsigned kind = static_cast<unsigned>(rng() % 10);
        if (!out.empty() && kind < 1) {  // same prefix again
            out.push_back({out[rng() % out.size()].prefix, value});
            continue;
        }
        wide k = v4 ? wide{static_cast<std::uint32_t>(rng())} : (static_cast<wide>(rng()) << 64) | rng();
        int len = static_cast<int>(rng() % (w + 1));
        if (!out.empty() && kind < 4) {  // a child of an existing prefix
            const Prefix& parent = out[rng() % out.size()].prefix;
            len = parent.len + static_cast<int>(rng() % static_cast<std::uint64_t>(w - parent.len + 1));
            k = key(parent.addr) | (k & host_bits(parent.len, w));
        } else if (v4) {
            len = 8 + static_cast<int>(rng() % 25);  // mostly realistic lengths
        } else {
            len = 16 + static_cast<int>(rng() % 113);
            k = (k & ~net_mask(3, 128)) | (wide{1} << 125);  // inside 2000::/3
        }
        out.push_back({Prefix{address(k & net_mask(len, w), v4), static_cast<std::uint8_t>(len)}, value});
    }
    return out;
}

TEST(PrefixTable, RandomNestedPrefixesMatchTheLinearScan) {
    std::mt19937_64 rng(31337);
    for (int round = 0; round < 6; ++round) {
        auto entries = random_entries(rng, true, 600);
        auto v6 = random_entries(rng, false, 600);
        entries.insert(entries.end(), v6.begin(), v6.end());
        const PrefixTable t = PrefixTable::build(entries);
        auto probes = boundaries(entries);
        for (int i = 0; i < 2000; ++i) {  // and random addresses, mostly uncovered
            probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
            probes.push_back(IpAddress::from_v6(U128{rng(), rng()}));
        }
        SCOPED_TRACE("round " + std::to_string(round));
        expect_same_lookups(t, probes, [&](const IpAddress& a) { return linear_lookup(entries, a); });
        expect_bulk_agrees(t, probes);
        if (HasFailure()) return;
    }
}

TEST(PrefixTable, ManyDistinctValuesStillMatchTheReference) {
    // Past 65536 distinct IPv4 values the compact form cannot hold their 16-bit ids: the
    // directory answers.
    std::mt19937_64 rng(4242);
    std::vector<PrefixTable::Entry> entries;
    for (std::uint32_t i = 0; i < 70000; ++i) {
        const int len = 16 + static_cast<int>(rng() % 17);
        const auto k = static_cast<std::uint32_t>(rng()) & static_cast<std::uint32_t>(net_mask(len, 32));
        entries.push_back({Prefix{IpAddress::from_v4(k), static_cast<std::uint8_t>(len)}, i + 1});
    }
    const PrefixTable t = PrefixTable::build(entries);
    EXPECT_FALSE(t.compact_v4());
    const LengthMaps maps(entries);
    const auto probes = boundaries(entries);
    expect_same_lookups(t, probes, [&](const IpAddress& a) { return maps.lookup(a); });
    expect_bulk_agrees(t, probes);
}

TEST(PrefixTable, CompactFormAtEveryChunkShape) {
    // One /16 with a /24 split into 256 /32s (the longest chunk: 256 intervals), /24s with 2..40
    // intervals, a /16 with exactly 32 intervals (the longest flat chunk) and one with more (a
    // block), values alternating so that no neighbours merge; the top of the space too.
    std::vector<PrefixTable::Entry> entries;
    std::uint32_t v = 0;
    const auto add = [&](std::uint32_t a, int len) {
        entries.push_back({Prefix{IpAddress::from_v4(a), static_cast<std::uint8_t>(len)}, 1 + (v++ % 3)});
    };
    for (std::uint32_t i = 0; i < 256; ++i) add(0x0a000100u | i, 32);
    for (std::uint32_t n = 2; n <= 40; ++n)
        for (std::uint32_t i = 0; i + 1 < n; ++i) add(0x0a000000u | (n << 8) | (i * (256 / n)), 32);
    for (std::uint32_t i = 0; i < 16; ++i) add(0x14000000u | (i << 11), 22);  // 16 /22 + 16 gaps = 32
    for (std::uint32_t i = 0; i < 16; ++i) add(0x15000000u | (i << 11), 22);
    add(0x15000000u | (1u << 15) | (1u << 10), 22);  // and one more: over 32, a block
    add(0xffffff00u, 24);
    add(0xffffffffu, 32);
    const PrefixTable t = PrefixTable::build(entries);
    ASSERT_TRUE(t.compact_v4());
    auto probes = boundaries(entries);
    for (std::uint32_t a = 0x0a000000u; a < 0x0a002c00u; ++a) probes.push_back(IpAddress::from_v4(a));
    expect_same_lookups(t, probes, [&](const IpAddress& a) { return linear_lookup(entries, a); });
    expect_bulk_agrees(t, probes);
}

// Every address of the given IPv4 ranges ([first, last] inclusive), as probes.
void add_every_v4(std::vector<IpAddress>& probes, std::uint32_t first, std::uint32_t last) {
    for (std::uint64_t a = first; a <= last; ++a) probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(a)));
}

// The /len block at base cut into exactly n intervals of about equal size, each with a value of
// its own (so no two merge, nor with a neighbouring block's).
void cut_into(std::vector<PrefixTable::Entry>& entries, std::uint32_t base, int len, std::uint32_t n,
              std::uint32_t& next) {
    const std::uint64_t size = std::uint64_t{1} << (32 - len);
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto first = static_cast<std::uint32_t>(base + i * size / n);
        const auto last = static_cast<std::uint32_t>(base + (i + 1) * size / n - 1);
        for (const Prefix& p : range_to_prefixes(IpAddress::from_v4(first), IpAddress::from_v4(last)))
            entries.push_back({p, next});
        ++next;
    }
}

TEST(PrefixTable, CompactSearchAtEveryChunkSize) {
    // The compact form's line compare at the sizes where its encoding changes: a chunk of one
    // interval (a shared single-value slot), chunks of 2..31 in one 32-start line (packed
    // several to a line, so at offsets other than the line's start), 32 and more (a /16 turns into
    // a block, a /24 into a table of 256 ids); at the ends of the address space; with values of
    // more than 16 bits (a value table) and without (the ids are the values).
    for (std::uint32_t value_base : {1000u, 0x10000u}) {
        SCOPED_TRACE("values from " + std::to_string(value_base));
        std::vector<PrefixTable::Entry> entries;
        std::uint32_t next = value_base;
        std::vector<IpAddress> probes;
        std::uint32_t mid = 0;
        const std::uint32_t sizes[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 30, 31, 32, 33, 63, 64, 65, 128, 200, 256};
        for (std::uint32_t n : sizes) {  // /24s in 10.1.0.0/16 (a block: it holds over 31 intervals)
            const std::uint32_t base = 0x0a010000u | (mid++ << 8);
            cut_into(entries, base, 24, n, next);
            add_every_v4(probes, base, base + 255);
        }
        std::uint32_t hi = 0x0b00;
        for (std::uint32_t n : {1u, 2u, 8u, 9u, 16u, 17u, 30u, 31u, 32u, 33u, 100u}) {  // whole /16s
            const std::uint32_t base = hi++ << 16;
            cut_into(entries, base, 16, n, next);
            add_every_v4(probes, base, base | 0xffffu);
        }
        // The first and the last /16 of the space, a few intervals each (0xffff compares as the
        // largest start), and 0.0.0.0 and 255.255.255.255 themselves.
        cut_into(entries, 0x00000000u, 16, 5, next);
        cut_into(entries, 0xffff0000u, 16, 31, next);
        entries.push_back(entry("255.255.255.255/32", next++));
        add_every_v4(probes, 0x00000000u, 0x0000ffffu);
        add_every_v4(probes, 0xffff0000u, 0xffffffffu);
        // A /16 of one value, and one /24 of one value inside a block.
        entries.push_back(entry("12.0.0.0/16", next++));
        add_every_v4(probes, 0x0c000000u, 0x0c00ffffu);
        // Over 255 distinct values in all, so ids need more than 8 bits.
        ASSERT_GT(next - value_base, 300u);
        const PrefixTable t = PrefixTable::build(entries);
        ASSERT_TRUE(t.compact_v4());
        expect_same_lookups(t, probes, [&](const IpAddress& a) { return t.lookup_reference(a); });
        expect_bulk_agrees(t, probes);
        // And the reference is right on a sample (the slow literal scan).
        std::vector<IpAddress> sample;
        for (std::size_t i = 0; i < probes.size(); i += 97) sample.push_back(probes[i]);
        expect_same_lookups(t, sample, [&](const IpAddress& a) { return linear_lookup(entries, a); });
        if (HasFailure()) return;
    }
}

TEST(PrefixTable, CompactSearchOnRandomDenseSlots) {
    // Many /24s and /16s with random interval counts (1..40) and random cut points, so chunks of
    // every size share lines at every offset; every address of them probed.
    std::mt19937_64 rng(424242);
    std::vector<PrefixTable::Entry> entries;
    std::vector<IpAddress> probes;
    for (std::uint32_t hi = 0x2000; hi < 0x2008; ++hi) {
        for (std::uint32_t mid = 0; mid < 256; ++mid) {
            const std::uint32_t base = hi << 16 | mid << 8;
            const auto cuts = static_cast<std::uint32_t>(rng() % 41);
            entries.push_back({Prefix{IpAddress::from_v4(base), 24}, 1 + static_cast<std::uint32_t>(rng() % 600)});
            for (std::uint32_t i = 0; i < cuts; ++i) {
                const int len = 25 + static_cast<int>(rng() % 8);
                const auto a = (base | static_cast<std::uint32_t>(rng() & 0xff)) & static_cast<std::uint32_t>(net_mask(len, 32));
                entries.push_back({Prefix{IpAddress::from_v4(a), static_cast<std::uint8_t>(len)},
                                   1 + static_cast<std::uint32_t>(rng() % 600)});
            }
        }
        add_every_v4(probes, hi << 16, hi << 16 | 0xffffu);
    }
    for (std::uint32_t hi = 0x3000; hi < 0x3100; ++hi) {  // /16s of 1..40 intervals at any bits
        const auto cuts = static_cast<std::uint32_t>(rng() % 20);
        for (std::uint32_t i = 0; i < cuts; ++i) {
            const int len = 17 + static_cast<int>(rng() % 16);
            const auto a = (hi << 16 | static_cast<std::uint32_t>(rng() & 0xffff)) & static_cast<std::uint32_t>(net_mask(len, 32));
            entries.push_back({Prefix{IpAddress::from_v4(a), static_cast<std::uint8_t>(len)}, 1 + static_cast<std::uint32_t>(rng() % 600)});
        }
    }
    for (const auto& b : boundaries(entries)) probes.push_back(b);
    const PrefixTable t = PrefixTable::build(entries);
    ASSERT_TRUE(t.compact_v4());
    const LengthMaps ref(entries);
    expect_same_lookups(t, probes, [&](const IpAddress& a) { return ref.lookup(a); });
    expect_bulk_agrees(t, probes);
}

TEST(PrefixTable, OverlayCombinesEveryLayerAtEveryBoundary) {
    std::mt19937_64 rng(777);
    std::vector<std::vector<PrefixTable::Entry>> entries;
    std::vector<PrefixTable> tables;
    for (std::size_t n : {3000u, 40u, 5u}) {  // a big layer, then two small ones (no directory)
        auto e = random_entries(rng, true, n);
        auto v6 = random_entries(rng, false, n);
        e.insert(e.end(), v6.begin(), v6.end());
        tables.push_back(PrefixTable::build(e));
        entries.push_back(std::move(e));
    }
    tables.push_back(PrefixTable{});  // a layer never built matches nothing
    const PrefixTable* layers[] = {&tables[0], &tables[1], &tables[2], &tables[3]};
    // Values are at most 1000: the combination keeps every layer's value recoverable.
    const auto combine = [](std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
        return a * 1'000'000u + b * 1000u + c + d * 7u;
    };
    const PrefixTable t = PrefixTable::overlay(
        layers, [&](std::span<const std::uint32_t> v) { return combine(v[0], v[1], v[2], v[3]); });
    std::vector<IpAddress> probes;
    for (const auto& e : entries) {
        const auto b = boundaries(e);
        probes.insert(probes.end(), b.begin(), b.end());
    }
    for (int i = 0; i < 2000; ++i) {
        probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
        probes.push_back(IpAddress::from_v6(U128{rng(), rng()}));
    }
    expect_same_lookups(t, probes, [&](const IpAddress& a) {
        return combine(tables[0].lookup(a), tables[1].lookup(a), tables[2].lookup(a), 0);
    });
    expect_bulk_agrees(t, probes);
}

TEST(PrefixTable, ReferencesAgreeWithEachOther) {
    // The map reference stands in for the linear scan on the big real inputs below.
    std::mt19937_64 rng(99);
    auto entries = random_entries(rng, true, 800);
    auto v6 = random_entries(rng, false, 800);
    entries.insert(entries.end(), v6.begin(), v6.end());
    const LengthMaps maps(entries);
    for (const auto& a : boundaries(entries)) ASSERT_EQ(maps.lookup(a), linear_lookup(entries, a)) << to_string(a);
}

// --- real data -------------------------------------------------------------------------------

// Country ranges from a range CSV (start,end,CC), decomposed into prefixes with the
// country packed as the value, plus `offset` to tell sources apart.
void add_csv_prefixes(const std::string& path, std::uint32_t offset, std::vector<PrefixTable::Entry>& out) {
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path;
    std::string line;
    while (std::getline(in, line)) {
        std::stringstream ss(line);
        std::string a, b, cc;
        std::getline(ss, a, ',');
        std::getline(ss, b, ',');
        std::getline(ss, cc, ',');
        ASSERT_EQ(cc.size(), 2u) << line;
        const auto value = offset + static_cast<std::uint32_t>((cc[0] << 8) | cc[1]);
        for (const Prefix& p : range_to_prefixes(*parse_ip(a), *parse_ip(b))) out.push_back({p, value});
    }
}

// APNIC delegated statistics: ipv4 start|count, ipv6 start|length.
void add_apnic_prefixes(const std::string& path, std::uint32_t offset, std::vector<PrefixTable::Entry>& out) {
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path;
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string x; std::getline(ss, x, '|');) f.push_back(x);
        if (f.size() < 7 || (f[2] != "ipv4" && f[2] != "ipv6") || f[1].size() != 2) continue;
        const auto value = offset + static_cast<std::uint32_t>((f[1][0] << 8) | f[1][1]);
        const IpAddress first = *parse_ip(f[3]);
        if (f[2] == "ipv6") {
            out.push_back({Prefix{first, static_cast<std::uint8_t>(std::stoi(f[4]))}, value});
        } else {
            const IpAddress last = IpAddress::from_v4(first.v4 + static_cast<std::uint32_t>(std::stoul(f[4]) - 1));
            for (const Prefix& p : range_to_prefixes(first, last)) out.push_back({p, value});
        }
    }
}

// A plain CIDR list (first token of each line, '#' comments).
void add_cidr_list(const std::string& path, std::uint32_t offset, std::vector<PrefixTable::Entry>& out) {
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path;
    std::string line;
    std::uint32_t n = 0;
    while (std::getline(in, line)) {
        std::stringstream ss(line);
        std::string tok;
        if (!(ss >> tok) || tok[0] == '#') continue;
        const auto p = parse_prefix(tok);
        ASSERT_TRUE(p.ok()) << p.error().message;
        out.push_back({*p, offset + ++n});
    }
}

TEST(PrefixTable, RealPrefixesMatchTheReferenceAtEveryBoundary) {
    // Three real sources that overlap: the 2014 APNIC allocations, today's country table extract
    // (which splits and re-assigns many of them) and /24s of known scanners inside both.
    std::vector<PrefixTable::Entry> entries;
    add_apnic_prefixes(test_data("geo/delegated-apnic-20140214.txt"), 0x10000, entries);
    add_csv_prefixes(test_data("geo/world-extract-ipv4.csv"), 0x20000, entries);
    add_csv_prefixes(test_data("geo/world-extract-ipv6.csv"), 0x20000, entries);
    add_cidr_list(test_data("indicators/ip/maltrail-mass-scanner-cidr.txt"), 0x30000, entries);
    ASSERT_GT(entries.size(), 30000u);

    const PrefixTable t = PrefixTable::build(entries);
    const LengthMaps ref(entries);
    auto probes = boundaries(entries);
    std::mt19937_64 rng(2014);
    for (int i = 0; i < 50000; ++i) probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
    expect_same_lookups(t, probes, [&](const IpAddress& a) { return ref.lookup(a); });
    expect_bulk_agrees(t, probes);

    std::size_t v4 = 0;
    for (const auto& e : entries) v4 += e.prefix.addr.is_v4();
    EXPECT_EQ(t.prefix_count_v4(), v4);
    EXPECT_EQ(t.prefix_count_v6(), entries.size() - v4);
    EXPECT_GT(t.memory_bytes(), 0u);

    // Nesting really happens in this data (else the comparison above would prove little):
    // country-table and scanner prefixes that sit inside a 2014 APNIC prefix of another length.
    std::vector<PrefixTable::Entry> apnic;
    for (const auto& e : entries)
        if (e.value < 0x20000) apnic.push_back(e);
    const LengthMaps outer(apnic);
    std::size_t nested_country = 0, nested_scanner = 0;
    for (const auto& e : entries) {
        if (e.value < 0x20000 || outer.lookup(e.prefix.addr) == 0) continue;
        ++(e.value > 0x30000 ? nested_scanner : nested_country);
    }
    std::printf("nested in APNIC prefixes: %zu country-table prefixes, %zu scanner /24s\n", nested_country,
                nested_scanner);
    EXPECT_GT(nested_country, 1000u);
    EXPECT_GT(nested_scanner, 10u);
}

}  // namespace
}  // namespace flowsieve
