// test_canonical_encoding.cpp: the signed bytes: a golden vector written out by hand from the
// documented layout, every field changes them, length prefixes keep fields apart, domains differ.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/time_text.hpp"
#include "oversight/canonical_encoding.hpp"

namespace flowsieve::testing {
namespace {

using namespace std::string_literals;

Authorisation sample() {
    Authorisation a;
    a.id = "A-1";
    a.kind = AuthKind::approval;
    a.category = Category::threat_linked;
    a.issuer = "oc";
    a.indicator_sets = {"ipsum", "x"};
    a.valid_from_ns = 1;
    a.valid_until_ns = 256;
    a.serial = 3;
    return a;
}

TEST(CanonicalEncoding, GoldenVectorFollowsTheDocumentedLayout) {
    // Written from the layout in canonical_encoding.hpp, not from program output.
    const std::string expected = "flowsieve-authorisation-v1\0"s +
                                 "\0\0\0\3A-1"s +             // id
                                 "\0\0\0\x08" "approval"s +       // kind
                                 "\0\0\0\x0d" "threat-linked"s +  // category
                                 "\0\0\0\2oc"s +              // issuer
                                 "\0\0\0\0"s +                // scope.operator (empty)
                                 "\0\0\0\2"s +                // two indicator sets
                                 "\0\0\0\5ipsum"s + "\0\0\0\1x"s +
                                 "\0\0\0\0\0\0\0\1"s +        // valid_from
                                 "\0\0\0\0\0\0\1\0"s +        // valid_until
                                 "\0\0\0\0\0\0\0\3"s +        // serial
                                 "\0\0\0\x0c" "commission-1"s;  // key id
    EXPECT_EQ(canonical_authorisation(sample(), "commission-1"), expected);
}

TEST(CanonicalEncoding, NegativeTimesAreTwosComplementBigEndian) {
    Authorisation a = sample();
    a.valid_from_ns = -2;
    const std::string e = canonical_authorisation(a, "k");
    const std::size_t at = e.size() - (8 + 8 + 8 + 4 + 1);
    EXPECT_EQ(e.substr(at, 8), "\xff\xff\xff\xff\xff\xff\xff\xfe"s);
}

TEST(CanonicalEncoding, EveryFieldChangesTheEncoding) {
    const Authorisation base = sample();
    std::vector<std::pair<const char*, std::string>> variants;
    auto add = [&](const char* what, auto change, const char* key = "commission-1") {
        Authorisation a = base;
        change(a);
        variants.emplace_back(what, canonical_authorisation(a, key));
    };
    add("base", [](Authorisation&) {});
    add("id", [](Authorisation& a) { a.id = "A-2"; });
    add("kind", [](Authorisation& a) { a.kind = AuthKind::consent; });
    add("category", [](Authorisation& a) { a.category = Category::transit; });
    add("issuer", [](Authorisation& a) { a.issuer = "od"; });
    add("scope.operator", [](Authorisation& a) { a.operator_id = "power"; });
    add("scope.indicator_sets added", [](Authorisation& a) { a.indicator_sets.push_back("y"); });
    add("scope.indicator_sets removed", [](Authorisation& a) { a.indicator_sets.pop_back(); });
    add("scope.indicator_sets reordered", [](Authorisation& a) { std::swap(a.indicator_sets[0], a.indicator_sets[1]); });
    add("scope.indicator_sets joined", [](Authorisation& a) { a.indicator_sets = {"ipsumx"}; });
    add("valid_from", [](Authorisation& a) { a.valid_from_ns += 1; });
    add("valid_until", [](Authorisation& a) { a.valid_until_ns -= 1; });
    add("serial", [](Authorisation& a) { a.serial = 4; });
    add("key id", [](Authorisation&) {}, "commission-2");
    add("source (not signed)", [](Authorisation& a) { a.source = "elsewhere.yaml:9"; });
    std::set<std::string> distinct;
    for (const auto& [what, e] : variants) {
        const bool unsigned_field = std::string(what) == "source (not signed)";
        EXPECT_EQ(distinct.insert(e).second, !unsigned_field) << what;
    }
    EXPECT_EQ(distinct.size(), variants.size() - 1);
}

TEST(CanonicalEncoding, LengthPrefixesKeepAdjacentFieldsApart) {
    Authorisation a = sample(), b = sample();
    // Moved in, not assigned from literals: GCC 12 at -O3 warns on those assignments (a false
    // -Wrestrict positive).
    a.id = std::string("ab");
    a.issuer = std::string("c");
    b.id = std::string("a");
    b.issuer = std::string("bc");
    EXPECT_NE(canonical_authorisation(a, "k"), canonical_authorisation(b, "k"));
    // The key id is the last field: "k" + serial bytes must not pass for another key id either.
    EXPECT_NE(canonical_authorisation(sample(), "k1"), canonical_authorisation(sample(), "k"));
}

TEST(CanonicalEncoding, RevocationHasItsOwnDomainAndCoversEveryField) {
    Revocation r{"A-1", 3, *parse_time("2026-05-01T00:00:00Z"), "r.yaml:1"};
    const std::string e = canonical_revocation(r, "commission-1");
    EXPECT_EQ(e.rfind("flowsieve-revocation-v1\0"s, 0), 0u);
    EXPECT_EQ(canonical_authorisation(sample(), "commission-1").rfind("flowsieve-authorisation-v1\0"s, 0), 0u);
    std::set<std::string> distinct{e};
    Revocation c = r;
    c.id = "A-2";
    distinct.insert(canonical_revocation(c, "commission-1"));
    c = r;
    c.serial = 4;
    distinct.insert(canonical_revocation(c, "commission-1"));
    c = r;
    c.issued_at_ns += 1;
    distinct.insert(canonical_revocation(c, "commission-1"));
    distinct.insert(canonical_revocation(r, "commission-2"));
    c = r;
    c.source = "other.yaml:2";
    distinct.insert(canonical_revocation(c, "commission-1"));  // not signed: same bytes
    EXPECT_EQ(distinct.size(), 5u);
}

TEST(CanonicalEncoding, ContentDigestIgnoresTheKeyButNotTheContent) {
    Authorisation a = sample();
    const std::string d = content_digest(a);
    EXPECT_EQ(d.size(), 64u);
    EXPECT_EQ(d.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(content_digest(sample()), d);
    a.valid_until_ns += 1;
    EXPECT_NE(content_digest(a), d);
}

}  // namespace
}  // namespace flowsieve::testing
