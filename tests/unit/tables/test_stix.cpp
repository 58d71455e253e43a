// test_stix.cpp: the STIX pattern reader on crafted patterns, and the STIX indicator loader on the
// OASIS example bundles and crafted bundles.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "core/record_id.hpp"
#include "core/time_text.hpp"
#include "tables/indicator_table.hpp"
#include "tables/stix_pattern.hpp"

namespace flowsieve {
namespace {

using testing::test_data;

// The addresses a pattern gives, as "4:value" / "6:value", and whether it was complete.
struct Read {
    std::vector<std::string> addresses;
    bool complete = false;
};
Read read(const std::string& pattern) {
    auto r = stix_pattern_addresses(pattern);
    EXPECT_TRUE(r.ok()) << pattern << ": " << (r.ok() ? "" : r.error().message);
    Read out;
    if (!r) return out;
    for (const auto& a : r->addresses) out.addresses.push_back((a.v6 ? "6:" : "4:") + a.value);
    out.complete = r->complete;
    return out;
}
using V = std::vector<std::string>;

TEST(StixPattern, TakesAddressesThatAreADisjunctOfTheWholePattern) {
    EXPECT_EQ(read("[ipv4-addr:value = '198.51.100.1']").addresses, V{"4:198.51.100.1"});
    EXPECT_TRUE(read("[ipv4-addr:value = '198.51.100.1']").complete);
    const Read both = read("[ipv4-addr:value = '198.51.100.0/24' OR ipv6-addr:value = '2001:db8::/32']");
    EXPECT_EQ(both.addresses, (V{"4:198.51.100.0/24", "6:2001:db8::/32"}));
    EXPECT_TRUE(both.complete);
    // Between observations, in parentheses, inside brackets.
    EXPECT_EQ(read("([ipv4-addr:value = '192.0.2.1'] OR [ipv6-addr:value = '2001:db8::1'])").addresses,
              (V{"4:192.0.2.1", "6:2001:db8::1"}));
    EXPECT_EQ(read("[(ipv4-addr:value = '192.0.2.1' OR (ipv4-addr:value = '192.0.2.2'))]").addresses,
              (V{"4:192.0.2.1", "4:192.0.2.2"}));
    // ISSUBSET (the address lies in the CIDR) and IN (any of a set) match on the address alone.
    EXPECT_EQ(read("[ipv4-addr:value ISSUBSET '198.51.100.0/24']").addresses, V{"4:198.51.100.0/24"});
    EXPECT_EQ(read("[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]").addresses, (V{"4:192.0.2.1", "4:192.0.2.2"}));
    // Escapes in strings.
    EXPECT_EQ(read(R"([ipv4-addr:value = 'it\'s\\'])").addresses, V{R"(4:it's\)"});
}

TEST(StixPattern, OtherObjectsAreLeftOutAndMakeItIncomplete) {
    const Read r = read("[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1']");
    EXPECT_EQ(r.addresses, V{"4:192.0.2.1"});
    EXPECT_FALSE(r.complete);
    // Quoted path components and list indexes are part of an object path.
    EXPECT_EQ(read("[file:hashes.'SHA-256' = 'ab' OR email-message:to_refs[*].value = 'x@y' OR ipv4-addr:value = '192.0.2.3']")
                  .addresses,
              V{"4:192.0.2.3"});
    const Read domains = read("[domain-name:value = 'a.example']");
    EXPECT_TRUE(domains.addresses.empty());
    EXPECT_FALSE(domains.complete);
}

TEST(StixPattern, AnAddressThatIsOnlyPartOfAConditionIsNotTaken) {
    // Taking any of these addresses alone would select traffic the indicator does not name.
    for (const char* p : {"[ipv4-addr:value = '192.0.2.1' AND network-traffic:dst_port = 443]",
                          "[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'a.example']",
                          "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.2']",
                          "[ipv4-addr:value = '192.0.2.1'] WITHIN 60 SECONDS",
                          "[ipv4-addr:value = '192.0.2.1'] REPEATS 3 TIMES",
                          "[ipv4-addr:value = '192.0.2.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
                          "([ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.2']) WITHIN 5 SECONDS",
                          "[ipv4-addr:value NOT = '192.0.2.1']", "[ipv4-addr:value != '192.0.2.1']",
                          "[ipv4-addr:value MATCHES '^192']", "[ipv4-addr:value LIKE '192.%']",
                          "[ipv4-addr:value ISSUPERSET '192.0.2.1']", "[EXISTS ipv4-addr:value]",
                          "[ipv4-addr:value = 3]"}) {
        const Read r = read(p);
        EXPECT_TRUE(r.addresses.empty()) << p;
        EXPECT_FALSE(r.complete) << p;
    }
    // AND binds tighter than OR: the first address is a disjunct, the second only half of one.
    const Read r = read("[ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = '192.0.2.2' AND network-traffic:dst_port = 22]");
    EXPECT_EQ(r.addresses, V{"4:192.0.2.1"});
    EXPECT_FALSE(r.complete);
    EXPECT_EQ(read("[ipv4-addr:value = '192.0.2.1'] OR ([a-b:c = 'x'] AND [ipv4-addr:value = '192.0.2.9'])").addresses,
              V{"4:192.0.2.1"});
    // OR binds tighter than FOLLOWEDBY: nothing here matches on one address.
    EXPECT_TRUE(read("[ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.2'] FOLLOWEDBY [a-b:c = 'x']")
                    .addresses.empty());
}

// A network-traffic end's address is traffic to or from it; MISP writes every ip-dst / ip-src
// indicator with a check of the end's type beside it, which the address alone already meets.
TEST(StixPattern, TakesANetworkTrafficEndsAddress) {
    const char* const dst_v4 = "network-traffic:dst_ref.type = 'ipv4-addr'";
    const char* const dst_is = "network-traffic:dst_ref.value = '198.51.100.1'";
    for (const std::string& p : {std::string("[") + dst_is + "]", std::string("[") + dst_v4 + " AND " + dst_is + "]",
                                 std::string("[") + dst_is + " AND " + dst_v4 + "]",
                                 std::string("[(") + dst_v4 + ") AND (" + dst_is + ")]",
                                 std::string("[") + dst_v4 + " AND " + dst_is + " AND " + dst_v4 + "]"}) {
        const Read r = read(p);
        EXPECT_EQ(r.addresses, V{"4:198.51.100.1"}) << p;
        EXPECT_TRUE(r.complete) << p;
    }
    EXPECT_EQ(read("[network-traffic:src_ref.type = 'ipv6-addr' AND network-traffic:src_ref.value = '2001:db8::1']").addresses,
              V{"6:2001:db8::1"});
    const Read either = read("[network-traffic:src_ref.value = '192.0.2.7' OR network-traffic:dst_ref.value = '192.0.2.7']");
    EXPECT_EQ(either.addresses, (V{"4:192.0.2.7", "4:192.0.2.7"}));
    EXPECT_TRUE(either.complete);
    EXPECT_EQ(read("[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']").addresses, V{"4:198.51.100.0/24"});
    auto paths = stix_pattern_addresses("[network-traffic:dst_ref.value IN ('192.0.2.1', '2001:db8::2')]");
    ASSERT_TRUE(paths.ok());
    ASSERT_EQ(paths->addresses.size(), 2u);
    EXPECT_FALSE(paths->addresses[0].v6);
    EXPECT_TRUE(paths->addresses[1].v6);
    EXPECT_EQ(paths->addresses[1].path, "network-traffic:dst_ref.value");
    // Conditions still: a port, the other end's type, a type the address does not have, a negation,
    // a type check alone. A type check as a disjunct is true of every address of the type: the
    // address beside it is taken, but the pattern is not complete.
    for (const char* p : {"[network-traffic:dst_ref.value = '198.51.100.1' AND network-traffic:dst_port = 443]",
                          "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.1']",
                          "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = '198.51.100.1']",
                          "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.type = 'ipv4-addr']",
                          "[network-traffic:dst_ref.type != 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.1']",
                          "[network-traffic:dst_ref.value NOT = '198.51.100.1']", "[network-traffic:dst_ref.type = 'ipv4-addr']",
                          "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = '198.51.100.1']",
                          "[network-traffic:dst_ref.type = 'ipv4-addr'] AND [network-traffic:dst_ref.value = '198.51.100.1']",
                          "[network-traffic:dst_ref.value.x = '198.51.100.1']", "[network-traffic:dst.value = '198.51.100.1']",
                          // An end that is a domain name or a MAC address names no IP address.
                          "[network-traffic:dst_ref.value = 'evil.example']", "[network-traffic:dst_ref.value = 'dead.beef']",
                          "[network-traffic:src_ref.value = '00:11:22:33:44:55']",
                          "[network-traffic:src_ref.value = '00-11-22-33-44-55']"}) {
        const Read r = read(p);
        EXPECT_TRUE(r.addresses.empty()) << p;
        EXPECT_FALSE(r.complete) << p;
    }
    const Read mixed = read("[network-traffic:dst_ref.value IN ('evil.example', '198.51.100.2')]");
    EXPECT_EQ(mixed.addresses, V{"4:198.51.100.2"});
    EXPECT_FALSE(mixed.complete);
    // A typo of an address stays an address value, for the loader to report.
    EXPECT_EQ(read("[network-traffic:dst_ref.value = '198.51.100.300']").addresses, V{"4:198.51.100.300"});
    EXPECT_EQ(read("[network-traffic:dst_ref.value = '2001:db8::g']").addresses, V{});
    EXPECT_EQ(read("[network-traffic:dst_ref.value = '2001:db8:::1']").addresses, V{"6:2001:db8:::1"});
    const Read loose = read("[network-traffic:dst_ref.type = 'ipv4-addr' OR network-traffic:dst_ref.value = '198.51.100.1']");
    EXPECT_EQ(loose.addresses, V{"4:198.51.100.1"});
    EXPECT_FALSE(loose.complete);
}

TEST(StixPattern, ANonPatternIsAnErrorThatSaysWhere) {
    const std::map<std::string, std::string> bad = {
        {"[ipv4-addr:value = '192.0.2.1'", "expected ']' at column 31"},
        {"ipv4-addr:value = '192.0.2.1'", "expected '[' or '(' at column 1"},
        {"[ipv4-addr:value = '192.0.2.1]", "unterminated string starting at column 20"},
        {"", "expected '[' or '(' at column 1"},
        {"[value = 'x']", "expected an object path at column 2"},
        {"[ipv4-addr:value ~ 'x']", "unexpected '~' at column 18"},
        {"[ipv4-addr:value = 'x'] WITHIN SECONDS", "expected a number at column 32"},
        {"[ipv4-addr:value = 'x'] ]", "expected the end of the pattern at column 25"},
        {R"([ipv4-addr:value = 'a\b'])", "bad escape in the string at column 22"},
        // Typographic quotes pasted for ': the whole character and its code point, not one byte of it.
        {"[ipv4-addr:value = \u2019192.0.2.1\u2019]", "unexpected '\u2019' (U+2019) at column 20"},
        {"[ipv4-addr:value = \xff]", "unexpected byte 0xFF (not UTF-8) at column 20"},
        {"[ipv4-addr:value = \xe2\x80]", "unexpected byte 0xE2 (not UTF-8) at column 20"},
    };
    for (const auto& [pattern, message] : bad) {
        auto r = stix_pattern_addresses(pattern);
        ASSERT_FALSE(r.ok()) << pattern;
        EXPECT_EQ(r.error().message, message) << pattern;
    }
}

TEST(StixPattern, ReadsTheWholeGrammarIncludingStix20) {
    // == is =; <> is != (no address); the empty set never holds.
    EXPECT_EQ(read("[ipv4-addr:value == '192.0.2.1']").addresses, V{"4:192.0.2.1"});
    EXPECT_TRUE(read("[ipv4-addr:value <> '192.0.2.1']").addresses.empty());
    EXPECT_TRUE(read("[ipv4-addr:value IN ()]").addresses.empty());
    // Comments, signed and fractional numbers, a quoted first path component.
    EXPECT_EQ(read("/* c2 */ [ipv4-addr:value = '192.0.2.1'] // the end").addresses, V{"4:192.0.2.1"});
    EXPECT_TRUE(read("[ipv4-addr:value = '192.0.2.1'] WITHIN +5 SECONDS").addresses.empty());
    EXPECT_TRUE(read("[ipv4-addr:value = '192.0.2.1'] WITHIN .5 SECONDS").addresses.empty());
    EXPECT_EQ(read("[ipv4-addr:'value' = '192.0.2.1']").addresses, V{"4:192.0.2.1"});
    // STIX 2.0: keywords in lower case, START / STOP with plain strings.
    const Read lower = read("[ipv4-addr:value = '192.0.2.1' or domain-name:value = 'a.example' and x-y:z = 1]");
    EXPECT_EQ(lower.addresses, V{"4:192.0.2.1"});
    EXPECT_TRUE(read("[ipv4-addr:value = '192.0.2.1'] start '2016-06-01T00:00:00Z' stop '2016-07-01T00:00:00Z'")
                    .addresses.empty());
}

TEST(StixPattern, NestingIsBoundedNotAStackOverflow) {
    const auto nested = [](std::size_t depth, bool in_brackets) {
        // Built by appending: "[" + std::string(...) trips a GCC 12 -Wrestrict false positive at -O3.
        const std::string inner = "ipv4-addr:value = '192.0.2.1'";
        if (in_brackets) return std::string("[").append(depth, '(').append(inner).append(depth, ')').append("]");
        return std::string(depth, '(').append("[").append(inner).append("]").append(depth, ')');
    };
    for (const bool in_brackets : {false, true}) {
        EXPECT_EQ(read(nested(64, in_brackets)).addresses, V{"4:192.0.2.1"});
        auto r = stix_pattern_addresses(nested(65, in_brackets));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().message, "parentheses nested deeper than 64 at column " + std::to_string(65 + in_brackets));
        r = stix_pattern_addresses(nested(1'000'000, in_brackets));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().message.rfind("parentheses nested deeper than 64 at column", 0), 0u) << r.error().message;
    }
}

// ---------------------------------------------------------------------------------------------
// The loader.

const std::int64_t now = *parse_time("2026-12-01T00:00:00Z");

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string write_temp(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

std::vector<std::string> loaded(const IndicatorSetSource& src) {
    std::vector<std::string> out;
    for (const auto& i : src.indicators) out.push_back(i.id + " " + to_string(i.prefix));
    std::sort(out.begin(), out.end());
    return out;
}

// An independent reading of the example bundles: their patterns are one bracket each, so a pattern
// gives an address for every `ipv4-addr:value = '...'` term when its terms are joined by OR alone.
// Written with std::regex on each indicator's pattern text, not with the loader's grammar.
struct Expected {
    std::vector<std::string> indicators;  // "id prefix", sorted
    std::size_t indicator_objects = 0, without_address = 0;
};
Expected expected_from(const std::string& path) {
    static const std::regex term(R"(^ipv4-addr:value = '([0-9./]+)'$)");
    Expected e;
    const auto doc = nlohmann::json::parse(slurp(path));
    for (const auto& o : doc["objects"]) {
        if (o["type"] != "indicator") continue;
        ++e.indicator_objects;
        std::string p = o["pattern"];
        EXPECT_EQ(p.front(), '[');
        EXPECT_EQ(p.back(), ']');
        p = p.substr(1, p.size() - 2);
        std::size_t found = 0;
        if (p.find(" AND ") == std::string::npos) {
            std::size_t at = 0;
            while (true) {
                const std::size_t or_at = p.find(" OR ", at);
                const std::string t = p.substr(at, or_at == std::string::npos ? std::string::npos : or_at - at);
                std::smatch m;
                if (std::regex_match(t, m, term)) {
                    std::string v = m[1];
                    if (v.find('/') == std::string::npos) v += "/32";
                    e.indicators.push_back(o["id"].get<std::string>() + " " + v);
                    ++found;
                }
                if (or_at == std::string::npos) break;
                at = or_at + 4;
            }
        }
        e.without_address += found == 0;
    }
    std::sort(e.indicators.begin(), e.indicators.end());
    return e;
}

TEST(StixLoader, ExampleBundlesGiveTheAddressesOfTheirIndicators) {
    for (const char* file : {"indicators/stix/apt1.json", "indicators/stix/poisonivy.json",
                             "indicators/stix/indicator-for-malicious-url.json"}) {
        const std::string path = test_data(file);
        auto src = load_indicator_stix("set", path, now);
        ASSERT_TRUE(src.ok()) << src.error().message;
        const Expected e = expected_from(path);
        EXPECT_EQ(loaded(*src), e.indicators) << file;
        EXPECT_EQ(src->lines, e.indicator_objects) << file;
        EXPECT_EQ(src->unrecognised, e.without_address) << file;
        EXPECT_EQ(src->name, "set");
    }
    // What the reference reads in apt1, checked by hand once: four /15s of one indicator each.
    auto apt1 = load_indicator_stix("apt1", test_data("indicators/stix/apt1.json"), now);
    ASSERT_TRUE(apt1.ok());
    EXPECT_EQ(apt1->indicators.size(), 4u);
    EXPECT_EQ(apt1->lines, 12u);
    EXPECT_EQ(apt1->unrecognised, 8u);
    ASSERT_EQ(apt1->warnings.size(), 1u);
    EXPECT_NE(apt1->warnings[0].find("8 of 12 indicators name no IP address"), std::string::npos) << apt1->warnings[0];
}

TEST(StixLoader, TheLoadedSetMatchesInTheIndicatorTable) {
    auto src = load_indicator_stix("poisonivy", test_data("indicators/stix/poisonivy.json"), now);
    ASSERT_TRUE(src.ok());
    std::vector<IndicatorSetSource> sets;
    sets.push_back(std::move(*src));
    auto table = IndicatorTable::build(std::move(sets));
    ASSERT_TRUE(table.ok()) << table.error().message;
    IndicatorMatch m;
    // 113.10.246.30 is named by several of poisonivy's `domain OR address` patterns.
    ASSERT_TRUE(table->lookup(*parse_ip("113.10.246.30"), m));
    EXPECT_EQ(m.set_mask, 1u);
    EXPECT_EQ(table->indicator_id(m.indicator).rfind("indicator--", 0), 0u) << table->indicator_id(m.indicator);
    EXPECT_FALSE(table->lookup(*parse_ip("113.10.246.31"), m));
}

TEST(StixLoader, ValidityRevocationAndPatternTypeAreJudgedAtLoadTime) {
    const std::string path = write_temp("validity.json", R"({"type": "bundle", "id": "bundle--1", "objects": [
  {"type": "indicator", "id": "indicator--current", "pattern": "[ipv4-addr:value = '192.0.2.1']",
   "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"},
  {"type": "indicator", "id": "indicator--expired", "pattern": "[ipv4-addr:value = '192.0.2.2']",
   "valid_from": "2020-01-01T00:00:00Z", "valid_until": "2026-11-30T23:59:59Z"},
  {"type": "indicator", "id": "indicator--future", "pattern": "[ipv4-addr:value = '192.0.2.3']",
   "valid_from": "2026-12-01T00:00:01Z"},
  {"type": "indicator", "id": "indicator--revoked", "pattern": "[ipv4-addr:value = '192.0.2.4']", "revoked": true},
  {"type": "indicator", "id": "indicator--snort", "pattern": "alert tcp any any -> 192.0.2.5 any", "pattern_type": "snort"},
  {"type": "malware", "id": "malware--x", "name": "not an indicator", "is_family": false}
]})");
    auto src = load_indicator_stix("v", path, now);
    ASSERT_TRUE(src.ok()) << src.error().message;
    EXPECT_EQ(loaded(*src), V{"indicator--current 192.0.2.1/32"});
    EXPECT_EQ(src->lines, 5u);
    EXPECT_EQ(src->unrecognised, 1u);  // snort; the inactive three are counted in their own warning
    ASSERT_EQ(src->warnings.size(), 2u);
    EXPECT_NE(src->warnings[0].find("1 of 5 indicators have a pattern language other than STIX"), std::string::npos)
        << src->warnings[0];
    EXPECT_NE(src->warnings[1].find("3 of 5 indicators are revoked or outside their validity at load time"), std::string::npos)
        << src->warnings[1];
    // A year later the first has expired too.
    auto later = load_indicator_stix("v", path, *parse_time("2027-06-01T00:00:00Z"));
    ASSERT_TRUE(later.ok());
    EXPECT_EQ(loaded(*later), (V{"indicator--future 192.0.2.3/32"}));
}

// "benign" in STIX 2.1's indicator_types (2.0's labels) marks known good activity: no threat.
TEST(StixLoader, BenignIndicatorsAreSkippedAndCounted) {
    const std::string path = write_temp("benign.json", R"({"type": "bundle", "objects": [
  {"type": "indicator", "id": "indicator--good", "indicator_types": ["benign"], "pattern": "[ipv4-addr:value = '192.0.2.1']"},
  {"type": "indicator", "id": "indicator--good20", "labels": ["benign"], "pattern": "[ipv4-addr:value = '192.0.2.2']"},
  {"type": "indicator", "id": "indicator--bad", "indicator_types": ["malicious-activity", "compromised"],
   "labels": ["benign"], "pattern": "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '192.0.2.3']"},
  {"type": "indicator", "id": "indicator--odd", "indicator_types": "benign", "pattern": "[ipv4-addr:value = '192.0.2.4']"},
  {"type": "indicator", "id": "indicator--typo", "pattern": "[network-traffic:src_ref.value = '192.0.2.300']"}
]})");
    auto src = load_indicator_stix("b", path, now);
    ASSERT_TRUE(src.ok()) << src.error().message;
    // "bad": 2.1's labels are free-form tags beside indicator_types, which says what it is; "odd":
    // indicator_types that is not a list says nothing; typo: no address of its type.
    EXPECT_EQ(loaded(*src), (V{"indicator--bad 192.0.2.3/32", "indicator--odd 192.0.2.4/32"}));
    EXPECT_EQ(src->lines, 5u);
    EXPECT_EQ(src->unrecognised, 3u);
    std::string all;
    for (const auto& w : src->warnings) all += w + "\n";
    EXPECT_NE(all.find("2 of 5 indicators are of the type \"benign\" (indicator_types, or STIX 2.0's labels: known good "
                       "activity, not a threat): skipped (the first: indicator--good)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("indicator--typo: network-traffic:src_ref.value '192.0.2.300'"), std::string::npos) << all;
}

TEST(StixLoader, OnlyTheCurrentVersionOfAnIndicatorIsRead) {
    // STIX versions an object by keeping its id and advancing `modified`. Here the revocation of
    // -a comes before its older version in the file, and -b changed its address.
    const std::string path = write_temp("versions.json", R"({"type": "bundle", "objects": [
  {"type": "indicator", "id": "indicator--a", "modified": "2026-02-01T00:00:00Z", "revoked": true,
   "pattern": "[ipv4-addr:value = '192.0.2.1']"},
  {"type": "indicator", "id": "indicator--a", "modified": "2026-01-01T00:00:00Z", "pattern": "[ipv4-addr:value = '192.0.2.1']"},
  {"type": "indicator", "id": "indicator--b", "modified": "2026-01-01T00:00:00.000Z", "pattern": "[ipv4-addr:value = '192.0.2.2']"},
  {"type": "indicator", "id": "indicator--b", "modified": "2026-01-01T00:00:00.001Z", "pattern": "[ipv4-addr:value = '192.0.2.3']"}
]})");
    auto src = load_indicator_stix("v", path, now);
    ASSERT_TRUE(src.ok()) << src.error().message;
    EXPECT_EQ(loaded(*src), V{"indicator--b 192.0.2.3/32"});
    EXPECT_EQ(src->lines, 2u);
    std::string all;
    for (const auto& w : src->warnings) all += w + "\n";
    EXPECT_NE(all.find("2 indicator objects are older versions of another with the same id"), std::string::npos) << all;
    EXPECT_NE(all.find("1 of 2 indicators are revoked"), std::string::npos) << all;
}

TEST(StixLoader, ARevocationIsFinalAndUnorderedVersionsAreMalformed) {
    const std::string path = write_temp("revoked.json", R"({"objects": [
  {"type": "indicator", "id": "indicator--tie", "modified": "2020-01-01T00:00:00Z", "revoked": true,
   "pattern": "[ipv4-addr:value = '192.0.2.1']"},
  {"type": "indicator", "id": "indicator--tie", "modified": "2020-01-01T00:00:00Z", "pattern": "[ipv4-addr:value = '192.0.2.1']"},
  {"type": "indicator", "id": "indicator--old-revoked", "modified": "2020-01-01T00:00:00Z", "revoked": true,
   "pattern": "[ipv4-addr:value = '192.0.2.2']"},
  {"type": "indicator", "id": "indicator--old-revoked", "modified": "2021-01-01T00:00:00Z", "pattern": "[ipv4-addr:value = '192.0.2.2']"},
  {"type": "indicator", "id": "indicator--no-zone", "modified": "2021-01-01T00:00:00", "pattern": "[ipv4-addr:value = '192.0.2.3']"},
  {"type": "indicator", "id": "indicator--no-zone", "modified": "2020-01-01T00:00:00Z", "pattern": "[ipv4-addr:value = '192.0.2.3']"},
  {"type": "indicator", "id": "indicator--for-ever", "valid_until": "9999-12-31T23:59:59Z", "pattern": "[ipv4-addr:value = '192.0.2.4']"},
  {"type": "indicator", "id": "indicator--ends-now", "valid_until": "2026-12-01T00:00:00Z", "pattern": "[ipv4-addr:value = '192.0.2.5']"},
  {"type": "indicator", "id": "indicator--wide", "pattern": "[ipv4-addr:value = '203.0.113.5/0']"}
]})");
    auto src = load_indicator_stix("r", path, now);
    ASSERT_TRUE(src.ok()) << src.error().message;
    // Only the indicator valid "for ever" (a year past 64-bit nanoseconds, which saturates) is kept.
    EXPECT_EQ(loaded(*src), V{"indicator--for-ever 192.0.2.4/32"});
    std::string all;
    for (const auto& w : src->warnings) all += w + "\n";
    EXPECT_NE(all.find("3 of 6 indicators are revoked or outside their validity at load time"), std::string::npos) << all;
    EXPECT_NE(all.find("2 of 6 indicators are malformed: skipped (the first: indicator--no-zone: \"modified\" is not a "
                       "timestamp)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("3 indicator objects are older versions"), std::string::npos) << all;
}

TEST(StixLoader, BadValuesAndBadPatternsAreSkippedAndTheRestKept) {
    const std::string path = write_temp("values.json", R"({"objects": [
  {"type": "indicator", "id": "indicator--a", "pattern": "[ipv4-addr:value = '2001:db8::1' OR ipv4-addr:value = '192.0.2.7/24']"},
  {"type": "indicator", "id": "indicator--b", "pattern": "[ipv6-addr:value = '2001:db8::/32' OR ipv6-addr:value = 'not an address']"},
  {"type": "indicator", "id": "indicator--c", "pattern": "[ipv4-addr:value = '198.51.100.1'"},
  {"type": "indicator", "id": "indicator--d"},
  {"type": "indicator", "pattern": "[ipv4-addr:value = '198.51.100.2']"},
  {"type": "indicator", "id": "indicator--e", "pattern": "[ipv4-addr:value = '198.51.100.3']", "valid_until": "soon"},
  {"type": "indicator", "id": "indicator--f", "pattern": "[ipv4-addr:value = '198.51.100.4']", "valid_from": 2020},
  {"type": "indicator", "id": "indicator--g", "pattern": "[ipv4-addr:value = '198.51.100.5']", "revoked": "yes"}
]})");
    auto src = load_indicator_stix("x", path, now);
    ASSERT_TRUE(src.ok()) << src.error().message;
    // An IPv6 value of an ipv4-addr is not taken, nor a CIDR with host bits set (not widened to its
    // network, as a plain list's would be): a has no address left.
    EXPECT_EQ(loaded(*src), (V{"indicator--b 2001:db8::/32"}));
    EXPECT_EQ(src->normalised, 0u);
    EXPECT_EQ(src->lines, 8u);
    // a (no good value), c (pattern), d (no pattern), the one without an id; e, f and g: a field
    // that is there but unreadable (read as absent, a bad valid_until would keep an indicator for good).
    EXPECT_EQ(src->unrecognised, 7u);
    std::string all;
    for (const auto& w : src->warnings) all += w + "\n";
    EXPECT_NE(all.find("7 of 8 indicators are malformed: skipped (the first: indicator--a: no address value is an address "
                       "or exact CIDR of its type)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("1 of 8 indicators also name things other than addresses"), std::string::npos) << all;
    EXPECT_NE(all.find("3 of 8 indicators hold an address value"), std::string::npos) << all;  // a twice, b once
    EXPECT_NE(all.find("hold an address value that is not an address or CIDR of its type: that value skipped (the first: "
                       "indicator--a: ipv4-addr:value '2001:db8::1')"),
              std::string::npos)
        << all;
}

TEST(StixLoader, AnIdLongerThanTheLimitIsSkipped) {
    const std::string long_id = "indicator--" + std::string(max_id_bytes, 'x');
    const std::string path = write_temp("long-id.json", R"({"objects": [
  {"type": "indicator", "id": ")" + long_id + R"(", "pattern": "[ipv4-addr:value = '198.51.100.1']"},
  {"type": "indicator", "id": "indicator--short", "pattern": "[ipv4-addr:value = '198.51.100.2']"}
]})");
    auto src = load_indicator_stix("x", path, now);
    ASSERT_TRUE(src.ok()) << src.error().message;
    EXPECT_EQ(loaded(*src), (V{"indicator--short 198.51.100.2/32"}));
    std::string all;
    for (const auto& w : src->warnings) all += w + "\n";
    EXPECT_NE(all.find("1 of 2 indicators are malformed: skipped (the first: " + long_id.substr(0, 64) +
                       "...: an \"id\" longer than 256 bytes)"),
              std::string::npos)
        << all;
}

TEST(StixLoader, ASingleIndicatorObjectIsASet) {
    const std::string path = write_temp("single.json",
                                        R"({"type": "indicator", "spec_version": "2.1", "id": "indicator--one",
                                            "pattern": "[ipv6-addr:value = '2001:db8:1::/48']", "pattern_type": "stix"})");
    auto src = load_indicator_stix("one", path, now);
    ASSERT_TRUE(src.ok()) << src.error().message;
    EXPECT_EQ(loaded(*src), V{"indicator--one 2001:db8:1::/48"});
    EXPECT_TRUE(src->warnings.empty());
}

// The loader keeps only the fields it reads (stix_document.hpp): a field it reads that holds an
// object or array is still there and still of the wrong type, and what it drops never changes a
// result. Each case against the same bundle with the dropped fields removed by hand.
TEST(StixLoader, FieldsNotReadAreDroppedWithoutChangingTheResult) {
    const std::string body = R"("spec_version": "2.1", "created": "2024-01-01T00:00:00Z",
        "description": {"nested": [1, 2, {"pattern": "[ipv4-addr:value = '192.0.2.99']"}]},
        "external_references": [{"source_name": "x", "objects": [{"type": "indicator"}]}],
        "labels": ["a"], "x_custom": {"id": "indicator--evil", "revoked": true})";
    const std::string with = write_temp("with.json", R"({"type": "bundle", "id": "bundle--1", "x_meta": {"objects": []},
        "objects": [
          {"type": "indicator", "id": "indicator--a", "pattern": "[ipv4-addr:value = '198.51.100.7']",
           "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z", )" + body + R"(},
          {"type": "indicator", "id": "indicator--b", "pattern": ["[ipv4-addr:value = '198.51.100.8']"],
           "pattern_type": "stix", )" + body + R"(},
          {"type": "indicator", "id": "indicator--c", "pattern": "[ipv4-addr:value = '198.51.100.9']",
           "pattern_type": "stix", "revoked": {"value": true}, )" + body + R"(},
          {"type": "malware", "id": "malware--m", )" + body + R"(}]})");
    const std::string without = write_temp("without.json", R"({"type": "bundle", "objects": [
          {"type": "indicator", "id": "indicator--a", "pattern": "[ipv4-addr:value = '198.51.100.7']",
           "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
          {"type": "indicator", "id": "indicator--b", "pattern": ["[ipv4-addr:value = '198.51.100.8']"],
           "pattern_type": "stix"},
          {"type": "indicator", "id": "indicator--c", "pattern": "[ipv4-addr:value = '198.51.100.9']",
           "pattern_type": "stix", "revoked": {"value": true}},
          {"type": "malware", "id": "malware--m"}]})");
    auto a = load_indicator_stix("s", with, now), b = load_indicator_stix("s", without, now);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(loaded(*a), V{"indicator--a 198.51.100.7/32"});  // b: a pattern that is not a string; c: a bad revoked
    EXPECT_EQ(loaded(*a), loaded(*b));
    EXPECT_EQ(a->warnings, b->warnings);
    EXPECT_EQ(a->lines, b->lines);
    EXPECT_EQ(a->lines, 3u);
}

// The message a refused file gets, its path replaced by "F" ("" when it was not refused).
std::string refusal(const std::string& name, const std::string& text) {
    const std::string path = write_temp(name, text);
    auto r = load_indicator_stix("b", path, now);
    if (r.ok()) return "";
    const std::string& m = r.error().message;
    if (m.rfind(path, 0) != 0) return m;
    std::string out = "F";  // appended, not "F" + ...: GCC 12 warns -Wrestrict on that falsely
    out.append(m, path.size());
    return out;
}

TEST(StixLoader, AFileThatIsNotABundleIsRefusedWithWhere) {
    EXPECT_EQ(refusal("broken.json", "{\"objects\": [\n  {\"type\": \"indicator\",\n  \"id\": }\n]}\n").rfind("F:3: not valid JSON: ", 0), 0u);
    EXPECT_EQ(refusal("array.json", "[{\"type\": \"indicator\"}]"),
              "F: not a STIX bundle: expected an object with an \"objects\" array, or an indicator");
    EXPECT_EQ(refusal("notlist.json", "{\"type\": \"bundle\", \"objects\": {}}"), "F: \"objects\" is not an array");
    EXPECT_EQ(refusal("scalar.json", "{\"objects\": [1]}"), "F: objects[0] is not an object");
    EXPECT_EQ(refusal("nested.json", "{\"objects\": [[{\"type\": \"indicator\"}]]}"), "F: objects[0] is not an object");
    // A number too large for a double: nlohmann reports it as out_of_range, not as a parse error,
    // and it once went past the loader and aborted the process.
    EXPECT_EQ(refusal("huge.json", "{\"objects\": [\n{\"type\": \"indicator\", \"x_score\": 1e999}]}"),
              "F:2: not valid JSON: number overflow parsing '1e999'");
    // The JSON reader stops at a NUL byte: a valid document followed by one and anything at all was
    // taken whole.
    EXPECT_EQ(refusal("nul.json", std::string("{\"objects\": []}\n\0junk", 20)), "F:2: not valid JSON: a NUL byte");
    // Fields the loader does not read are still parsed: their syntax errors are the file's.
    EXPECT_EQ(refusal("dropped.json", "{\"objects\": [{\"type\": \"indicator\",\n\"description\": {\"a\": [1, }}]}")
                  .rfind("F:2: not valid JSON: ", 0),
              0u);

    auto r = load_indicator_stix("b", ::testing::TempDir() + "no-such-file.json", now);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("no-such-file.json: cannot open"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace flowsieve
