// test_prefix.cpp: prefix parsing/printing, containment and range -> minimal CIDR decomposition,
// checked against an independent recursive decomposition on seeded random and edge ranges.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tables/prefix.hpp"

namespace flowsieve {
namespace {

// The test's own 128-bit type and conversions, so the reference shares nothing with tables/.
__extension__ typedef unsigned __int128 wide;
wide wide_of(U128 v) { return (static_cast<wide>(v.hi) << 64) | v.lo; }
U128 u128_of(wide v) { return U128{static_cast<std::uint64_t>(v >> 64), static_cast<std::uint64_t>(v)}; }
IpAddress addr_of(std::uint32_t k) { return IpAddress::from_v4(k); }
IpAddress addr_of(wide k) { return IpAddress::from_v6(u128_of(k)); }
std::uint32_t key_of(const IpAddress& a, std::uint32_t) { return a.v4; }
wide key_of(const IpAddress& a, wide) { return wide_of(a.v6); }

template <class K> constexpr int bits_of = static_cast<int>(sizeof(K) * 8);
template <class K> constexpr K ones = static_cast<K>(~K{0});
// Last address of the /len block starting at net.
template <class K>
K block_last(K net, int len) {
    return len == 0 ? ones<K> : static_cast<K>(net | ((K{1} << (bits_of<K> - len)) - 1));
}

// a with the host bits of a /len cleared.
template <class K>
K len_mask_net(K a, int len) {
    return len == 0 ? K{0} : static_cast<K>(a & ~block_last<K>(0, len));
}

IpAddress ip(const char* text) {
    const auto a = parse_ip(text);
    EXPECT_TRUE(a.has_value()) << text;
    return a.value_or(IpAddress{});
}

::testing::AssertionResult has_text(const std::string& msg, const std::string& part) {
    if (msg.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << msg << "' does not contain '" << part << "'";
}

// --- parsing and printing --------------------------------------------------------------------

TEST(Prefix, CanonicalTextRoundTrips) {
    for (const char* text :
         {"0.0.0.0/0", "1.0.16.0/20", "10.0.0.0/8", "192.0.2.0/24", "203.0.113.7/32", "255.255.255.255/32",
          "128.0.0.0/1", "::/0", "2001:db8::/32", "2001:200::/35", "fe80::/10", "::1/128", "8000::/1",
          "2001:db8:0:1::/64", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"}) {
        const auto p = parse_prefix(text);
        ASSERT_TRUE(p.ok()) << text << ": " << p.error().message;
        EXPECT_EQ(to_string(*p), text);
    }
}

TEST(Prefix, BareAddressIsAHostPrefix) {
    const auto v4 = parse_prefix("198.51.100.9");
    ASSERT_TRUE(v4.ok());
    EXPECT_EQ(v4->len, 32);
    EXPECT_EQ(v4->addr, ip("198.51.100.9"));
    const auto v6 = parse_prefix("2001:db8::9");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6->len, 128);
    EXPECT_EQ(to_string(*v6), "2001:db8::9/128");
}

TEST(Prefix, NonCanonicalTextPrintsCanonically) {
    const auto p = parse_prefix("2001:0DB8:0000:0000::/48");
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(to_string(*p), "2001:db8::/48");
}

TEST(Prefix, RandomPrefixesRoundTripThroughText) {
    std::mt19937_64 rng(20240601);
    for (int i = 0; i < 5000; ++i) {
        const bool v6 = (i & 1) != 0;
        const int len = static_cast<int>(rng() % (v6 ? 129 : 33));
        Prefix p;
        p.len = static_cast<std::uint8_t>(len);
        if (v6) {
            const wide a = (static_cast<wide>(rng()) << 64) | rng();
            const wide net = len == 0 ? 0 : a & ~(block_last<wide>(0, len));
            p.addr = addr_of(net);
        } else {
            const auto a = static_cast<std::uint32_t>(rng());
            p.addr = addr_of(static_cast<std::uint32_t>(len == 0 ? 0 : a & ~block_last<std::uint32_t>(0, len)));
        }
        const std::string text = to_string(p);
        const auto back = parse_prefix(text);
        ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
        EXPECT_EQ(*back, p) << text;
    }
}

TEST(Prefix, BadAddressesAreRefused) {
    for (const char* text : {"", "/24", "1.2.3/24", "1.2.3.256/32", "1.2.3.4.5", "abc", "abc/8", "2001:db8:::/32",
                             "2001:db8::g/64", " 1.2.3.0/24", "1.2.3.0 /24"}) {
        const auto p = parse_prefix(text);
        ASSERT_FALSE(p.ok()) << "'" << text << "' was accepted as " << to_string(*p);
        EXPECT_TRUE(has_text(p.error().message, "is not an IP address or prefix")) << text;
        EXPECT_TRUE(has_text(p.error().message, std::string("'").append(text).append("'")));
    }
}

TEST(Prefix, BadLengthsAreRefused) {
    const std::pair<const char*, const char*> cases[] = {
        {"1.2.3.0/33", "0..32"},   {"0.0.0.0/-1", "0..32"},  {"1.2.3.0/", "0..32"},    {"1.2.3.0/abc", "0..32"},
        {"1.2.3.0/+8", "0..32"},   {"1.2.3.0/ 8", "0..32"},  {"1.2.3.0/24x", "0..32"}, {"1.2.3.0/24/8", "0..32"},
        {"1.2.3.0/0024", "0..32"}, {"1.2.3.0/4294967320", "0..32"},
        {"::/129", "0..128"},      {"::/-1", "0..128"},      {"2001:db8::/", "0..128"}, {"2001:db8::/abc", "0..128"},
        {"2001:db8::/1000", "0..128"},
    };
    for (const auto& [text, range] : cases) {
        const auto p = parse_prefix(text);
        ASSERT_FALSE(p.ok()) << "'" << text << "' was accepted as " << to_string(*p);
        EXPECT_TRUE(has_text(p.error().message, std::string("prefix length must be ") + range)) << text;
    }
}

TEST(Prefix, HostBitsSetSuggestsTheNetworkAddress) {
    const std::pair<const char*, const char*> cases[] = {
        {"1.0.16.9/24", "1.0.16.0/24"},
        {"1.0.17.0/20", "1.0.16.0/20"},
        {"255.255.255.255/0", "0.0.0.0/0"},
        {"10.1.2.3/8", "10.0.0.0/8"},
        {"192.0.2.129/25", "192.0.2.128/25"},
        {"2001:db8::1/32", "2001:db8::/32"},
        {"2001:db8:1234:5678::/32", "2001:db8::/32"},
        {"::1/0", "::/0"},
        {"2001:db8::ffff/127", "2001:db8::fffe/127"},
    };
    for (const auto& [text, network] : cases) {
        const auto p = parse_prefix(text);
        ASSERT_FALSE(p.ok()) << text;
        EXPECT_TRUE(has_text(p.error().message, "has host bits set")) << text;
        EXPECT_TRUE(has_text(p.error().message, std::string("did you mean ") + network + "?")) << text;
        // The suggestion is itself accepted.
        EXPECT_TRUE(parse_prefix(network).ok()) << network;
    }
}

TEST(Prefix, RandomHostBitsSuggestionIsTheMaskedAddress) {
    std::mt19937_64 rng(77);
    int refused = 0;
    for (int i = 0; i < 2000; ++i) {
        const auto a = static_cast<std::uint32_t>(rng());
        const int len = static_cast<int>(rng() % 33);
        const std::uint32_t net = len == 0 ? 0 : a & ~block_last<std::uint32_t>(0, len);
        const std::string text = to_string(addr_of(a)) + "/" + std::to_string(len);
        const auto p = parse_prefix(text);
        if (net == a) {
            EXPECT_TRUE(p.ok()) << text;
            continue;
        }
        ++refused;
        ASSERT_FALSE(p.ok()) << text;
        const std::string want = to_string(addr_of(net)) + "/" + std::to_string(len);
        EXPECT_TRUE(has_text(p.error().message, "did you mean " + want + "?"));
    }
    EXPECT_GT(refused, 1500);  // most random address/length pairs have host bits
}

// --- containment -----------------------------------------------------------------------------

TEST(Prefix, ContainsChecksNetworkBitsAndFamily) {
    const Prefix p = *parse_prefix("1.0.16.0/20");
    EXPECT_TRUE(prefix_contains(p, ip("1.0.16.0")));
    EXPECT_TRUE(prefix_contains(p, ip("1.0.31.255")));
    EXPECT_FALSE(prefix_contains(p, ip("1.0.15.255")));
    EXPECT_FALSE(prefix_contains(p, ip("1.0.32.0")));
    EXPECT_FALSE(prefix_contains(p, ip("::1.0.16.1")));  // same low bits, other family
    const Prefix all4 = *parse_prefix("0.0.0.0/0");
    EXPECT_TRUE(prefix_contains(all4, ip("255.255.255.255")));
    EXPECT_FALSE(prefix_contains(all4, ip("::")));
    const Prefix all6 = *parse_prefix("::/0");
    EXPECT_TRUE(prefix_contains(all6, ip("ffff::1")));
    EXPECT_FALSE(prefix_contains(all6, ip("0.0.0.0")));
    const Prefix p6 = *parse_prefix("2001:db8::/33");
    EXPECT_TRUE(prefix_contains(p6, ip("2001:db8:7fff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(prefix_contains(p6, ip("2001:db8:8000::")));
    EXPECT_FALSE(prefix_contains(p6, IpAddress{}));
}

TEST(Prefix, ContainsMatchesBlockBoundsOnRandomPrefixes) {
    std::mt19937_64 rng(5);
    for (int i = 0; i < 5000; ++i) {
        const int len = static_cast<int>(rng() % 129);
        const wide a = (static_cast<wide>(rng()) << 64) | rng();
        const wide net = len == 0 ? 0 : a & ~block_last<wide>(0, len);
        const Prefix p{addr_of(net), static_cast<std::uint8_t>(len)};
        const wide last = block_last(net, len);
        const wide probe = (static_cast<wide>(rng()) << 64) | rng();
        EXPECT_EQ(prefix_contains(p, addr_of(probe)), probe >= net && probe <= last);
        EXPECT_TRUE(prefix_contains(p, addr_of(net)));
        EXPECT_TRUE(prefix_contains(p, addr_of(last)));
        if (net != 0) {
            EXPECT_FALSE(prefix_contains(p, addr_of(static_cast<wide>(net - 1))));
        }
        if (last != ones<wide>) {
            EXPECT_FALSE(prefix_contains(p, addr_of(static_cast<wide>(last + 1))));
        }
    }
}

// --- range decomposition ---------------------------------------------------------------------

// Reference: walk the binary trie from the root; a node wholly inside the range is one prefix,
// a node that only overlaps it is split in two. The nodes kept are the maximal aligned blocks
// inside the range, in address order: the minimal cover by construction.
template <class K>
void naive_cover(K lo, K hi, K net, int len, std::vector<Prefix>& out) {
    const K last = block_last(net, len);
    if (last < lo || net > hi) return;
    if (lo <= net && last <= hi) {
        out.push_back(Prefix{addr_of(net), static_cast<std::uint8_t>(len)});
        return;
    }
    const K half = static_cast<K>(K{1} << (bits_of<K> - len - 1));
    naive_cover(lo, hi, net, len + 1, out);
    naive_cover(lo, hi, static_cast<K>(net | half), len + 1, out);
}

template <class K>
std::vector<Prefix> naive_cover(K lo, K hi) {
    std::vector<Prefix> out;
    naive_cover<K>(lo, hi, K{0}, 0, out);
    return out;
}

// Properties that hold for any correct answer, whatever the reference says: every prefix is
// well-formed, together they tile [lo, hi] in order (exact cover, disjoint), and no two
// neighbours are buddies that one shorter prefix would replace (which, for a tiling by aligned
// blocks, is equivalent to having the fewest prefixes).
template <class K>
void expect_minimal_tiling(K lo, K hi, const std::vector<Prefix>& got) {
    ASSERT_FALSE(got.empty());
    K expect_next = lo;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const Prefix& p = got[i];
        ASSERT_EQ(p.addr.family, (bits_of<K> == 32 ? Family::v4 : Family::v6));
        ASSERT_LE(p.len, bits_of<K>);
        const K net = key_of(p.addr, K{});
        ASSERT_EQ(net, len_mask_net(net, p.len)) << to_string(p) << " has host bits set";
        ASSERT_EQ(net, expect_next) << "prefix " << i << " " << to_string(p) << " leaves a gap or overlaps";
        const K last = block_last(net, p.len);
        ASSERT_LE(last, hi) << to_string(p) << " runs past the range";
        if (i + 1 < got.size()) {
            const Prefix& q = got[i + 1];
            const bool buddies = q.len == p.len && p.len > 0 && net == len_mask_net(net, p.len - 1);
            EXPECT_FALSE(buddies) << to_string(p) << " and " << to_string(q) << " should be one prefix";
        }
        if (i + 1 == got.size()) {
            EXPECT_EQ(last, hi) << "cover ends before the range does";
        } else {
            ASSERT_NE(last, ones<K>);
            expect_next = static_cast<K>(last + 1);
        }
    }
    // A range needs at most two prefixes per bit below the top (one rising edge, one falling).
    EXPECT_LE(got.size(), static_cast<std::size_t>(2 * bits_of<K> - 2));
}

template <class K>
void check_range(K lo, K hi) {
    SCOPED_TRACE(to_string(addr_of(lo)) + " - " + to_string(addr_of(hi)));
    const auto got = range_to_prefixes(addr_of(lo), addr_of(hi));
    expect_minimal_tiling(lo, hi, got);
    EXPECT_EQ(got, naive_cover<K>(lo, hi));
}

TEST(RangeToPrefixes, EdgeRangesV4) {
    constexpr std::uint32_t max = 0xffffffffu;
    const std::pair<std::uint32_t, std::uint32_t> ranges[] = {
        {0, max},                    // the whole space: one /0
        {0, 0},         {max, max},  // single addresses at both ends
        {0x01000010u, 0x01000010u},  // a single address inside
        {1, max},       {0, max - 1}, {1, max - 1},  // the worst cases: 31 + 31 prefixes
        {0xffffff00u, max}, {0x01020304u, max}, {0x80000000u, max}, {0x7fffffffu, 0x80000000u},
        {0x01000000u, 0x010000ffu},  // 1.0.0.0-1.0.0.255, one /24 from the extract
        {0x01000100u, 0x010003ffu},  // 1.0.1.0-1.0.3.255: a /24 and a /23
    };
    for (const auto& [lo, hi] : ranges) check_range<std::uint32_t>(lo, hi);

    // Counts that follow from the arithmetic, not from the code.
    EXPECT_EQ(range_to_prefixes(addr_of(0u), addr_of(max)), std::vector<Prefix>{*parse_prefix("0.0.0.0/0")});
    EXPECT_EQ(range_to_prefixes(addr_of(1u), addr_of(max - 1)).size(), 62u);
    EXPECT_EQ(range_to_prefixes(addr_of(1u), addr_of(max)).size(), 32u);
    EXPECT_EQ(range_to_prefixes(ip("1.0.1.0"), ip("1.0.3.255")),
              (std::vector<Prefix>{*parse_prefix("1.0.1.0/24"), *parse_prefix("1.0.2.0/23")}));
    EXPECT_EQ(range_to_prefixes(ip("255.255.255.255"), ip("255.255.255.255")),
              std::vector<Prefix>{*parse_prefix("255.255.255.255/32")});
}

TEST(RangeToPrefixes, EdgeRangesV6) {
    const wide max = ones<wide>;
    const wide doc = wide_of(ip("2001:db8::").v6);
    const std::pair<wide, wide> ranges[] = {
        {0, max}, {0, 0}, {max, max}, {1, max}, {0, max - 1}, {1, max - 1},
        {doc, doc | block_last<wide>(0, 32)}, {doc + 1, max}, {wide{1} << 127, max},
        {(wide{1} << 127) - 1, wide{1} << 127}, {0xffffffffu, wide{1} << 32},
    };
    for (const auto& [lo, hi] : ranges) check_range<wide>(lo, hi);
    EXPECT_EQ(range_to_prefixes(addr_of(wide{0}), addr_of(max)), std::vector<Prefix>{*parse_prefix("::/0")});
    EXPECT_EQ(range_to_prefixes(addr_of(wide{1}), addr_of(max - 1)).size(), 254u);
    // From the extract: 2001:200:: - 2001:218:2000:51:ffff:ffff:ffff:ffff (AU).
    check_range<wide>(wide_of(ip("2001:200::").v6), wide_of(ip("2001:218:2000:51:ffff:ffff:ffff:ffff").v6));
}

TEST(RangeToPrefixes, InvalidRangesGiveNothing) {
    EXPECT_TRUE(range_to_prefixes(ip("1.0.0.1"), ip("1.0.0.0")).empty());
    EXPECT_TRUE(range_to_prefixes(ip("2001:db8::1"), ip("2001:db8::")).empty());
    EXPECT_TRUE(range_to_prefixes(ip("1.0.0.0"), ip("2001:db8::")).empty());
    EXPECT_TRUE(range_to_prefixes(IpAddress{}, IpAddress{}).empty());
}

// Random ranges: sizes spread over every magnitude (log-uniform), some snapped to block edges
// so that large aligned blocks and ranges ending at the top of the space occur too.
template <class K>
std::pair<K, K> random_range(std::mt19937_64& rng) {
    const auto draw = [&rng] {
        if constexpr (bits_of<K> == 32) return static_cast<K>(rng());
        else return static_cast<K>((static_cast<wide>(rng()) << 64) | rng());
    };
    const int span_bits = static_cast<int>(rng() % (bits_of<K> + 1));
    const K span = span_bits == 0 ? K{0} : static_cast<K>(draw() & block_last<K>(0, bits_of<K> - span_bits));
    K lo = draw();
    switch (rng() % 4) {
    case 0: lo = len_mask_net(lo, static_cast<int>(rng() % (bits_of<K> + 1))); break;  // aligned start
    case 1: lo = static_cast<K>(ones<K> - span); break;                               // ends at the top
    default: break;
    }
    const K hi = lo > static_cast<K>(ones<K> - span) ? ones<K> : static_cast<K>(lo + span);
    return {lo, hi};
}

TEST(RangeToPrefixes, RandomRangesV4MatchTheReference) {
    std::mt19937_64 rng(4242);
    for (int i = 0; i < 3000; ++i) {
        const auto [lo, hi] = random_range<std::uint32_t>(rng);
        check_range<std::uint32_t>(lo, hi);
        if (HasFailure()) return;
    }
}

TEST(RangeToPrefixes, RandomRangesV6MatchTheReference) {
    std::mt19937_64 rng(6464);
    for (int i = 0; i < 3000; ++i) {
        const auto [lo, hi] = random_range<wide>(rng);
        check_range<wide>(lo, hi);
        if (HasFailure()) return;
    }
}

}  // namespace
}  // namespace flowsieve
