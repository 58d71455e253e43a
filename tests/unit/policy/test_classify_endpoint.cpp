// test_classify_endpoint.cpp: endpoint classes (domestic, foreign, operator, special, unknown) over the
// real world extract, checked against a linear-scan reference and the IANA special-purpose registries.
#include <gtest/gtest.h>

#include <map>

#include "policy_test_util.hpp"

namespace flowsieve::testing {
namespace {

EndpointClass classify(const char* a) { return classify_endpoint(world().base, ip(a)); }

// What the class of `a` must be, from the reference lookups alone.
EndpointKind expected_kind(const IpAddress& a) {
    if (in_special_list(a)) return EndpointKind::special;
    if (reference_operator(a) >= 0) return EndpointKind::operator_;
    const CountryCode c = reference_cc(a);
    if (c == no_country) return EndpointKind::unknown;
    return c == cc("JP") ? EndpointKind::domestic : EndpointKind::foreign;
}

U128 step(U128 a, int d) {
    U128 r = a;
    if (d > 0) {
        if (++r.lo == 0) ++r.hi;
    } else if (d < 0) {
        if (r.lo-- == 0) --r.hi;
    }
    return r;
}

IpAddress last_address(const Prefix& p) {
    IpAddress last = p.addr;
    if (last.is_v4()) {
        if (p.len < 32) last.v4 |= ~0u >> p.len;
        return last;
    }
    for (int bit = p.len; bit < 128; ++bit) {
        if (bit < 64) last.v6.hi |= 1ull << (63 - bit);
        else last.v6.lo |= 1ull << (127 - bit);
    }
    return last;
}

IpAddress step(const IpAddress& a, int d) {
    if (a.is_v4()) return IpAddress::from_v4(a.v4 + static_cast<std::uint32_t>(d));
    return IpAddress::from_v6(step(a.v6, d));
}

TEST(ClassifyEndpoint, NamedAddressesHaveTheirClass) {
    struct Case {
        const char* address;
        EndpointKind kind;
        const char* country;  // as the world extract maps it
    };
    const Case cases[] = {
        {addr::jp, EndpointKind::domestic, "JP"},     {addr::jp2, EndpointKind::domestic, "JP"},
        {addr::au, EndpointKind::foreign, "AU"},      {addr::cn, EndpointKind::foreign, "CN"},
        {addr::us, EndpointKind::foreign, "US"},      {addr::kr_ipsum, EndpointKind::foreign, "KR"},
        {addr::jp_ipsum, EndpointKind::domestic, "JP"}, {addr::jp6, EndpointKind::domestic, "JP"},
        {addr::au6, EndpointKind::foreign, "AU"},     {addr::us6, EndpointKind::foreign, "US"},
        {addr::de6, EndpointKind::foreign, "DE"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.address);
        ASSERT_EQ(reference_cc(ip(c.address)), cc(c.country)) << "test premise: the extract maps it so";
        const EndpointClass e = classify(c.address);
        EXPECT_EQ(e.kind, c.kind) << name_of(e.kind);
        EXPECT_EQ(e.cc, cc(c.country)) << country_code_text(e.cc);
    }
}

TEST(ClassifyEndpoint, NestedRangeOverridesItsParent) {
    // 17.87.0.0-17.87.31.255 is CN and 17.87.8.0/24 inside it is JP (a later, more specific line):
    // a JP host there is domestic, its CN neighbours foreign.
    ASSERT_EQ(reference_cc(ip("17.87.8.10")), cc("JP"));
    ASSERT_EQ(reference_cc(ip("17.87.7.255")), cc("CN"));
    EXPECT_EQ(classify("17.87.8.10").kind, EndpointKind::domestic);
    EXPECT_EQ(classify("17.87.7.255").kind, EndpointKind::foreign);
    EXPECT_EQ(classify("17.87.9.0").kind, EndpointKind::foreign);
}

TEST(ClassifyEndpoint, OperatorPrefixWinsOverCountry) {
    for (const char* a : {addr::power, addr::power_cn, addr::power6}) {
        SCOPED_TRACE(a);
        ASSERT_NE(reference_cc(ip(a)), no_country) << "premise: the address has a country";
        const EndpointClass e = classify(a);
        EXPECT_EQ(e.kind, EndpointKind::operator_);
        EXPECT_EQ(e.operator_index, 0);
        EXPECT_EQ(e.cc, reference_cc(ip(a))) << "the country is still reported";
    }
    ASSERT_EQ(reference_cc(ip(addr::power_cn)), cc("CN"));
    const EndpointClass rail = classify(addr::rail);
    EXPECT_EQ(rail.kind, EndpointKind::operator_);
    EXPECT_EQ(rail.operator_index, 1);
    // Just outside operator 0's /24 in JP space: an ordinary domestic host.
    EXPECT_EQ(classify("1.0.18.0").kind, EndpointKind::domestic);
    EXPECT_EQ(classify("1.0.15.255").kind, EndpointKind::foreign);  // CN, before the JP range
}

TEST(ClassifyEndpoint, SpecialWinsOverOperatorPrefix) {
    // Operator 0 lists 10.1.0.0/16 (private space): it stays special, never national.
    EXPECT_EQ(classify("10.1.2.3").kind, EndpointKind::special);
}

TEST(ClassifyEndpoint, AddressInNoRangeIsUnknown) {
    for (const char* a : {addr::unknown, addr::unknown6}) {
        SCOPED_TRACE(a);
        ASSERT_EQ(reference_cc(ip(a)), no_country);
        const EndpointClass e = classify(a);
        EXPECT_EQ(e.kind, EndpointKind::unknown);
        EXPECT_EQ(e.cc, no_country);
    }
    // The first address after the gap is in a range again (IS).
    EXPECT_EQ(classify("2.56.174.0").kind, EndpointKind::foreign);
    // An empty snapshot knows no country at all.
    Snapshot empty;
    EXPECT_EQ(classify_endpoint(empty, ip(addr::jp)).kind, EndpointKind::unknown);
}

// Every range of the world extract, at its edges and just outside them, against the reference.
TEST(ClassifyEndpoint, EveryRangeEdgeMatchesTheReference) {
    std::map<EndpointKind, std::size_t> seen;
    std::size_t probes = 0;
    for (const auto& r : world().ranges) {
        std::vector<IpAddress> around = {r.first, r.last};
        if (r.first != IpAddress::from_v4(0) && !(r.first.is_v6() && r.first.v6 == U128{})) around.push_back(step(r.first, -1));
        if (!(r.last.is_v4() && r.last.v4 == ~0u) && !(r.last.is_v6() && r.last.v6 == U128{~0ull, ~0ull}))
            around.push_back(step(r.last, +1));
        for (const auto& a : around) {
            const EndpointClass e = classify_endpoint(world().base, a);
            const EndpointKind want = expected_kind(a);
            ASSERT_EQ(e.kind, want) << to_string(a) << ": " << name_of(e.kind) << " != " << name_of(want);
            ASSERT_EQ(e.cc, reference_cc(a)) << to_string(a);
            ++seen[e.kind];
            ++probes;
        }
    }
    EXPECT_GT(probes, 10000u);
    // The data exercises every class but special (its blocks are tested below).
    EXPECT_GT(seen[EndpointKind::domestic], 100u);
    EXPECT_GT(seen[EndpointKind::foreign], 1000u);
    EXPECT_GT(seen[EndpointKind::unknown], 100u);
    EXPECT_GT(seen[EndpointKind::operator_], 0u);
}

// Every built-in special block, first and last address, in a snapshot whose country table maps
// most of the address space: special wins over any country.
TEST(ClassifyEndpoint, EverySpecialBlockIsSpecialAtBothEnds) {
    std::size_t v4 = 0, v6 = 0;
    for (const auto& b : special_blocks()) {
        SCOPED_TRACE(std::string(b.prefix) + " " + std::string(b.what));
        auto p = parse_prefix(b.prefix);
        ASSERT_TRUE(p) << "the built-in list must parse: " << p.error().message;
        const IpAddress first = p->addr, last = last_address(p.value());
        ++(first.is_v4() ? v4 : v6);
        std::vector<IpAddress> inside_block = {first, last};
        if (first != last) inside_block.insert(inside_block.end(), {step(first, +1), step(last, -1)});
        for (const auto& a : inside_block) {
            const EndpointClass e = classify_endpoint(world().base, a);
            EXPECT_EQ(e.kind, EndpointKind::special) << to_string(a);
        }
        // Just outside, the address is special only if another block holds it.
        for (const auto& a : {step(first, -1), step(last, +1)}) {
            if (p->len == 0 || (a.is_v4() && (a.v4 == 0 || a.v4 == ~0u))) continue;
            const bool special = classify_endpoint(world().base, a).kind == EndpointKind::special;
            EXPECT_EQ(special, in_special_list(a)) << to_string(a);
        }
    }
    EXPECT_GE(v4, 17u);
    EXPECT_GE(v6, 14u);
}

// The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and updates), multicast and
// IPv4 class E, written out here independently of special_blocks.cpp: each must be covered.
TEST(ClassifyEndpoint, IanaSpecialPurposeRegistriesAreCovered) {
    const char* const registry[] = {
        // IPv4
        "0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32",
        "192.0.0.170/32", "192.0.0.171/32", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
        // IPv6
        "::1/128", "::/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64",
        "2001::/23", "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:2::/48", "2001:3::/32", "2001:4:112::/48",
        "2001:10::/28", "2001:20::/28", "2001:30::/28", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48",
        "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "ff00::/8",
    };
    for (const char* text : registry) {
        const Prefix p = prefix(text);
        const IpAddress last = last_address(p);
        EXPECT_EQ(classify_endpoint(world().base, p.addr).kind, EndpointKind::special) << text << " first";
        EXPECT_EQ(classify_endpoint(world().base, last).kind, EndpointKind::special) << text << " last";
    }
    // Ordinary global unicast next to special blocks stays ordinary.
    EXPECT_NE(classify("100.63.255.255").kind, EndpointKind::special);
    EXPECT_NE(classify("100.128.0.0").kind, EndpointKind::special);
    EXPECT_NE(classify("172.32.0.0").kind, EndpointKind::special);
    EXPECT_NE(classify("2001:200::1").kind, EndpointKind::special);  // just past 2001::/23
    EXPECT_NE(classify("223.255.255.255").kind, EndpointKind::special);
}

}  // namespace
}  // namespace flowsieve::testing
