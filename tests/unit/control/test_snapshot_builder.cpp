// test_snapshot_builder.cpp: a Snapshot built from a config on the real test tables: rule binding,
// authorisation scope refusals (invariant 2), unknown/duplicate ids, bad table files, and a refused
// build that leaves the previous snapshot as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "control/snapshot_builder.hpp"
#include "control_test_util.hpp"
#include "core/time_text.hpp"
#include "policy/classifier.hpp"

namespace flowsieve::testing {
namespace {

std::int64_t t(const char* text) { return *parse_time(text); }

const std::int64_t now = t("2026-03-01T00:00:00Z");
const std::uint64_t inside = static_cast<std::uint64_t>(t("2026-06-01T00:00:00Z"));

ParsedPacket packet(const char* src, const char* dst, std::uint16_t dst_port = 443) {
    ParsedPacket p;
    p.outcome = ParseOutcome::ok;
    p.key.src = *parse_ip(src);
    p.key.dst = *parse_ip(dst);
    p.key.proto = ipproto::tcp;
    p.key.has_ports = true;
    p.key.src_port = 40000;
    p.key.dst_port = dst_port;
    return p;
}

// Addresses as the world extract and the feeds classify them (see tests/unit/policy for the checks).
const char* const au = "1.0.0.1";          // AU
const char* const us = "1.32.232.1";       // US
const char* const jp = "1.0.20.1";         // JP
const char* const power = "1.0.16.9";      // operator "power"
const char* const kr_ipsum = "61.73.27.69";  // KR, in ipsum
const char* const scanner = "82.221.105.10"; // IS, in the scanners set

const char* const config_head = R"(domestic: [JP]
countries:
  files: ['@DATA@/geo/world-extract-ipv4.csv', '@DATA@/geo/world-extract-ipv6.csv']
indicators:
  - name: ipsum
    file: '@DATA@/indicators/ip/ipsum-level3.txt'
  - name: scanners
    file: '@DATA@/indicators/ip/maltrail-mass-scanner-cidr.txt'
operators:
  - id: power
    prefixes: [1.0.16.0/24]
  - id: rail
    prefixes: [1.0.17.0/24]
authorisations: [auth/transit.yaml, auth/power.yaml, auth/threat.yaml]
)";

const char* const rules_good = R"(rules:
  - id: transit
    category: transit
    between: [foreign, foreign]
    authorisation: A-T
  - id: power
    category: operator
    between: [foreign, operator:power]
    authorisation: C-P
  - id: threat
    category: threat-linked
    between: [foreign, domestic]
    indicator_sets: [ipsum, scanners]
    authorisation: A-X
)";

const char* const window = "valid_from: 2026-01-01T00:00:00Z\nvalid_until: 2027-01-01T00:00:00Z\n";

std::map<std::string, std::string> good_auths() {
    return {
        {"auth/transit.yaml", std::string("id: A-T\nkind: approval\ncategory: transit\nissuer: commission\n") + window},
        {"auth/power.yaml",
         std::string("id: C-P\nkind: consent\ncategory: operator\nissuer: power\nscope: {operator: power}\n") + window},
        {"auth/threat.yaml", std::string("id: A-X\nkind: approval\ncategory: threat-linked\nissuer: commission\n"
                                         "scope: {indicator_sets: [ipsum, scanners]}\n") +
                                 window},
    };
}

class SnapshotBuilder : public ::testing::Test {
protected:
    // Writes the config and authorisation files, loads the config (which must be valid) and builds.
    Result<std::unique_ptr<Snapshot>> build(const std::string& config_text, const std::map<std::string, std::string>& auths,
                                            std::uint64_t generation = 1) {
        for (const auto& [name, text] : auths) dir_.write(name, text);
        config_path_ = dir_.write("flowsieve.yaml", config_text);
        auto cfg = load_config(config_path_);
        EXPECT_TRUE(cfg.ok()) << cfg.error().message;
        if (!cfg.ok()) return Error{"config refused"};
        config_ = cfg.value();
        report_ = {};
        return build_snapshot(config_, generation, now, report_, SerialRecording::record);
    }
    std::string rule_source(const std::string& config_text, const std::string& marker) const {
        return config_path_ + ":" + std::to_string(line_of(config_text, marker));
    }
    std::size_t window_of(const Snapshot& s, const std::string& id) const {
        for (std::size_t i = 0; i < s.authorisations.size(); ++i)
            if (s.authorisations[i].id == id) return i;
        ADD_FAILURE() << "no authorisation " << id;
        return 0;
    }
    TempDir dir_;
    std::string config_path_;
    Config config_;
    BuildReport report_;
};

TEST_F(SnapshotBuilder, GoodConfigBuildsAndSelects) {
    const std::string text = std::string(config_head) + rules_good;
    auto r = build(text, good_auths(), 7);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Snapshot& s = *r.value();
    EXPECT_EQ(s.generation, 7u);
    EXPECT_TRUE(s.refusals.empty());
    EXPECT_TRUE(report_.warnings.empty()) << report_.warnings.front();
    ASSERT_EQ(s.rules.size(), 3u);
    ASSERT_EQ(s.authorisations.size(), 3u);
    ASSERT_EQ(s.windows.size(), 3u);
    for (const auto& w : s.windows) {
        EXPECT_TRUE(w.usable);
        EXPECT_EQ(w.from_ns, t("2026-01-01T00:00:00Z"));
        EXPECT_EQ(w.until_ns, t("2027-01-01T00:00:00Z"));
    }
    EXPECT_EQ(s.rules[1].operator_index, 0);
    EXPECT_EQ(s.rules[2].required_sets, 0b11u);
    EXPECT_EQ(s.rules[0].source, rule_source(text, "id: transit"));
    for (std::uint16_t p : default_excluded_ports) EXPECT_TRUE(s.rules[0].excluded_ports.test(p)) << p;
    EXPECT_EQ(s.rules[0].excluded_ports.count(), std::size(default_excluded_ports));
    EXPECT_EQ(s.operator_info.size(), 2u);

    Verdict v = decide(s, packet(au, us), inside);
    EXPECT_TRUE(v.emit);
    EXPECT_EQ(v.category, Category::transit);
    EXPECT_EQ(s.authorisations[v.authorisation].id, "A-T");
    v = decide(s, packet(us, power), inside);
    EXPECT_TRUE(v.emit);
    EXPECT_EQ(v.category, Category::operator_);
    EXPECT_EQ(s.authorisations[v.authorisation].id, "C-P");
    for (const char* threat : {kr_ipsum, scanner}) {
        v = decide(s, packet(threat, jp), inside);
        EXPECT_TRUE(v.emit) << threat;
        EXPECT_EQ(v.category, Category::threat_linked);
        EXPECT_EQ(s.indicators.indicator_id(v.indicator), threat == scanner ? "82.221.105.0/24" : kr_ipsum);
    }
    EXPECT_EQ(decide(s, packet(us, jp), inside).reason, DropReason::no_rule);
    EXPECT_EQ(decide(s, packet(kr_ipsum, jp), static_cast<std::uint64_t>(t("2027-01-01T00:00:00Z"))).reason,
              DropReason::unauthorised);
    EXPECT_EQ(decide(s, packet(au, us, 25), inside).reason, DropReason::excluded_port);
}

TEST_F(SnapshotBuilder, AStixIndicatorSetSelectsThreatLinkedTraffic) {
    // The OASIS APT1 bundle as a set: its indicator of 223.166.0.0/15 (CN) selects traffic with a
    // domestic end; the rest of the bundle (domains, hashes, certificates) is reported, not used.
    std::string text = std::string(config_head) + rules_good;
    text.replace(text.find("  - name: scanners\n    file: '@DATA@/indicators/ip/maltrail-mass-scanner-cidr.txt'"),
                 std::string("  - name: scanners\n    file: '@DATA@/indicators/ip/maltrail-mass-scanner-cidr.txt'").size(),
                 "  - name: scanners\n    file: '@DATA@/indicators/stix/apt1.json'\n    format: stix");
    auto r = build(text, good_auths());
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Snapshot& s = *r.value();
    const Verdict v = decide(s, packet("223.167.1.1", jp), inside);
    EXPECT_TRUE(v.emit);
    EXPECT_EQ(v.category, Category::threat_linked);
    EXPECT_EQ(s.indicators.indicator_id(v.indicator), "indicator--031778a4-057f-48e6-9db9-c8d72b81ccd5");
    EXPECT_EQ(decide(s, packet(scanner, jp), inside).reason, DropReason::no_rule);  // the list it replaced
    ASSERT_EQ(report_.warnings.size(), 1u);
    EXPECT_EQ(report_.warnings[0].rfind("indicator set scanners: 8 of 12 indicators name no IP address", 0), 0u)
        << report_.warnings[0];
}

TEST_F(SnapshotBuilder, ExpiredAndFutureAuthorisationsAreReported) {
    auto auths = good_auths();
    auths["auth/transit.yaml"] =
        "id: A-T\nkind: approval\ncategory: transit\nissuer: commission\n"
        "valid_from: 2025-01-01T00:00:00Z\nvalid_until: 2026-01-01T00:00:00Z\n";
    auths["auth/power.yaml"] = "id: C-P\nkind: consent\ncategory: operator\nissuer: power\nscope: {operator: power}\n"
                               "valid_from: 2026-03-01T00:00:00.000000001Z\nvalid_until: 2027-01-01T00:00:00Z\n";
    auto r = build(std::string(config_head) + rules_good, auths);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const std::string a = dir_.file("auth/transit.yaml"), c = dir_.file("auth/power.yaml");
    EXPECT_EQ(report_.warnings,
              (std::vector<std::string>{a + ":1: authorisation A-T expired at 2026-01-01T00:00:00Z: nothing live runs under it",
                                        c + ":1: authorisation C-P is not valid before 2026-03-01T00:00:00.000000001Z"}));
    // Not refusals: the windows stay usable and each packet is judged at its own time.
    EXPECT_TRUE(r.value()->refusals.empty());
    EXPECT_TRUE(decide(*r.value(), packet(au, us), static_cast<std::uint64_t>(t("2025-06-01T00:00:00Z"))).emit);
}

struct Refusal {
    const char* name;
    std::string rules;
    std::map<std::string, std::string> auth_changes;
    const char* rule_marker;  // the refused rule's first line
    std::string why;
    std::vector<std::pair<const char*, const char*>> blocked;  // packets that must now be unauthorised
    std::vector<std::pair<const char*, const char*>> still;    // packets still emitted
};

std::vector<Refusal> refusals() {
    return {
        {"approval does not cover an indicator set", rules_good,
         {{"auth/threat.yaml", std::string("id: A-X\nkind: approval\ncategory: threat-linked\nissuer: commission\n"
                                           "scope: {indicator_sets: [ipsum]}\n") + window}},
         "id: threat", "rule threat refused: approval A-X does not cover indicator set 'scanners' used by rule threat",
         {{kr_ipsum, jp}, {scanner, jp}},
         {{au, us}, {us, power}}},
        {"consent from another operator", rules_good,
         {{"auth/power.yaml", std::string("id: C-P\nkind: consent\ncategory: operator\nissuer: rail\nscope: {operator: rail}\n") + window}},
         "- id: power\n    category", "rule power refused: consent C-P is from operator 'rail', rule power covers 'power'",
         {{us, power}},
         {{au, us}, {kr_ipsum, jp}}},
        {"category mismatch",
         R"(rules:
  - id: transit
    category: transit
    between: [foreign, foreign]
    authorisation: A-X
  - id: power
    category: operator
    between: [foreign, operator:power]
    authorisation: C-P
)",
         {}, "id: transit", "rule transit refused: authorisation A-X covers category threat-linked, rule transit is transit",
         {{au, us}},
         {{us, power}}},
        {"transit rule with a set its approval does not name",
         R"(rules:
  - id: transit
    category: transit
    between: [foreign, foreign]
    indicator_sets: [ipsum]
    authorisation: A-T
)",
         {{"auth/transit.yaml",
           std::string("id: A-T\nkind: approval\ncategory: transit\nissuer: commission\nscope: {indicator_sets: [scanners]}\n") +
               window}},
         "id: transit", "rule transit refused: approval A-T does not cover indicator set 'ipsum' used by rule transit",
         {{kr_ipsum, us}},
         {}},
        // The approval covers transit with an ipsum address only; the rule would take all transit.
        {"transit rule without the sets its approval is limited to", rules_good,
         {{"auth/transit.yaml",
           std::string("id: A-T\nkind: approval\ncategory: transit\nissuer: commission\nscope: {indicator_sets: [ipsum]}\n") +
               window}},
         "id: transit", "rule transit refused: approval A-T covers only indicator sets (ipsum), rule transit names none",
         {{au, us}, {kr_ipsum, us}},
         {{us, power}, {kr_ipsum, jp}}},
        {"consent limited to sets, rule without them", rules_good,
         {{"auth/power.yaml", std::string("id: C-P\nkind: consent\ncategory: operator\nissuer: power\n"
                                          "scope: {operator: power, indicator_sets: [ipsum, scanners]}\n") +
                                  window}},
         "- id: power\n    category", "rule power refused: consent C-P covers only indicator sets (ipsum, ...), rule power names none",
         {{us, power}},
         {{au, us}, {kr_ipsum, jp}}},
    };
}

// Invariant 2 through the builder: a refused authorisation is named in a refusal and nothing runs
// under it, at any time; the rest of the config keeps working.
TEST_F(SnapshotBuilder, ScopeRefusalsStopTheRule) {
    for (const Refusal& f : refusals()) {
        SCOPED_TRACE(f.name);
        auto auths = good_auths();
        for (const auto& [file, text] : f.auth_changes) auths[file] = text;
        const std::string text = std::string(config_head) + f.rules;
        auto r = build(text, auths);
        ASSERT_TRUE(r.ok()) << r.error().message;
        const Snapshot& s = *r.value();
        const std::string expected = rule_source(text, f.rule_marker) + ": " + f.why;
        ASSERT_EQ(s.refusals, std::vector<std::string>{expected});
        EXPECT_EQ(report_.warnings, std::vector<std::string>{expected});
        for (const auto& [a, b] : f.blocked) {
            for (std::uint64_t when : {inside, static_cast<std::uint64_t>(t("2026-01-01T00:00:00Z"))}) {
                const Verdict v = decide(s, packet(a, b), when);
                EXPECT_FALSE(v.emit) << a << " <-> " << b;
                EXPECT_EQ(v.reason, DropReason::unauthorised) << a << " <-> " << b;
            }
        }
        for (const auto& [a, b] : f.still) EXPECT_TRUE(decide(s, packet(a, b), inside).emit) << a << " <-> " << b;
    }
}

// An authorisation without indicator sets covers its whole category, so rules narrowed to sets
// under it are covered: neither refused nor turning it off for the rule beside them that is not.
TEST_F(SnapshotBuilder, UnscopedAuthorisationCoversRulesNarrowedToSets) {
    const std::string text = std::string(config_head) + R"(rules:
  - id: transit-ipsum
    category: transit
    between: [foreign, foreign]
    indicator_sets: [ipsum]
    authorisation: A-T
  - id: transit
    category: transit
    between: [foreign, foreign]
    authorisation: A-T
  - id: power-scanners
    category: operator
    between: [foreign, operator:power]
    indicator_sets: [scanners]
    authorisation: C-P
)";
    auto r = build(text, good_auths());
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Snapshot& s = *r.value();
    EXPECT_TRUE(s.refusals.empty()) << s.refusals.front();
    EXPECT_TRUE(report_.warnings.empty()) << report_.warnings.front();
    const auto rule_id = [&](const Verdict& v) { return v.emit ? s.rules.at(v.rule).id : std::string("-"); };
    EXPECT_EQ(rule_id(decide(s, packet(kr_ipsum, us), inside)), "transit-ipsum");
    EXPECT_EQ(rule_id(decide(s, packet(au, us), inside)), "transit");
    EXPECT_EQ(rule_id(decide(s, packet(scanner, power), inside)), "power-scanners");
    const Verdict unlisted = decide(s, packet(us, power), inside);  // the operator rule needs a scanner
    EXPECT_FALSE(unlisted.emit);
    EXPECT_EQ(unlisted.reason, DropReason::no_rule);
}

// One refused rule refuses its authorisation for every rule under it: nothing runs under an
// authorisation that was found not to fit.
TEST_F(SnapshotBuilder, RefusedAuthorisationBindsNoOtherRuleEither) {
    const std::string text = std::string(config_head) + R"(rules:
  - id: threat
    category: threat-linked
    between: [foreign, domestic]
    indicator_sets: [ipsum]
    authorisation: A-X
  - id: misfiled
    category: transit
    between: [foreign, foreign]
    authorisation: A-X
)";
    auto r = build(text, good_auths());
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Snapshot& s = *r.value();
    ASSERT_EQ(s.refusals.size(), 1u);
    EXPECT_FALSE(s.windows[window_of(s, "A-X")].usable);
    EXPECT_EQ(decide(s, packet(kr_ipsum, jp), inside).reason, DropReason::unauthorised);
    EXPECT_EQ(decide(s, packet(au, us), inside).reason, DropReason::unauthorised);
}

// An operator's prefix that reaches into a foreign country's addresses (by the registry-derived
// tables) counts as the operator all the same (the config names the operator's servers), but the
// builder warns, naming the operator's line: it may be a typo that lets a consent select traffic of
// foreign hosts. Operators wholly in domestic space draw no warning (the other tests).
TEST_F(SnapshotBuilder, OperatorPrefixInForeignSpaceIsWarnedAbout) {
    std::string head = config_head;
    const std::string narrow = "prefixes: [1.0.16.0/24]";
    ASSERT_NE(head.find(narrow), std::string::npos);
    head.replace(head.find(narrow), narrow.size(), "prefixes: [1.0.16.0/24, 1.32.232.0/24]");  // + US space
    const std::string text = head + rules_good;
    auto r = build(text, good_auths());
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Snapshot& s = *r.value();
    for (const EndpointClass& c : {classify_endpoint(s, *parse_ip(us)), classify_endpoint_reference(s, *parse_ip(us))}) {
        EXPECT_EQ(c.kind, EndpointKind::operator_);
        EXPECT_EQ(c.cc, parse_country_code("US"));
    }
    EXPECT_EQ(decide(s, packet(au, us), inside).category, Category::operator_);
    ASSERT_EQ(report_.warnings.size(), 1u);
    EXPECT_EQ(report_.warnings[0], rule_source(text, "- id: power\n    prefixes") +
                                       ": operator power: some of its prefixes hold addresses the country tables "
                                       "give to a country not in `domestic`; they count as the operator (national), "
                                       "so traffic between them and foreign hosts runs under its consent: check the "
                                       "prefixes (`flowsieve lookup ADDRESS` shows an address's country and class)");
}

TEST_F(SnapshotBuilder, WidenedAndVeryWideIndicatorsAreWarnedAbout) {
    // A list's CIDR with host bits is taken as its network, and was counted but never reported; an
    // indicator as wide as 0.0.0.0/0 lets a rule requiring its set select nearly everything.
    const std::string sloppy = dir_.write("sloppy.txt", "192.0.2.7/24\n198.51.100.0/24\n0.0.0.0/0\n2001:db8::/32\n::/0\n10.0.0.0/8\n");
    std::string text = config_head;
    text.replace(text.find("operators:"), 0, "  - name: sloppy\n    file: " + sloppy + "\n");
    auto r = build(text + "rules: []\n", good_auths());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(report_.warnings, (std::vector<std::string>{
                                    "indicator set sloppy: 1 CIDRs have host bits set and were taken as the networks they "
                                    "name (as 192.0.2.7/24 is taken as 192.0.2.0/24)",
                                    "indicator set sloppy: 2 indicators are wider than a /8 (IPv4) or a /16 (IPv6), "
                                    "0.0.0.0/0 the first: a rule requiring this set selects every flow they cover"}));
}

TEST_F(SnapshotBuilder, UnknownAuthorisationIdIsAnError) {
    const std::string text = std::string(config_head) +
                             "rules:\n  - id: transit\n    category: transit\n    between: [foreign, foreign]\n"
                             "    authorisation: A-NONE\n";
    auto r = build(text, good_auths());
    // At the key's own line, by its full name.
    EXPECT_EQ(error_of(r), rule_source(text, "authorisation: A-NONE") +
                               ": rules[0].authorisation: no authorisation with id 'A-NONE' among the authorisation files");
}

TEST_F(SnapshotBuilder, ADomesticCountryNoTableNamesIsWarnedAbout) {
    // A real code the tables lack (a registry file of another region alone) leaves nothing domestic:
    // said, not refused. Typos of codes are refused by the config (ConfigFile tests).
    std::string text = std::string(config_head) + "rules: []\n";
    text.replace(text.find("[JP]"), 4, "[JP, TV]");
    auto r = build(text, good_auths());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(report_.warnings, (std::vector<std::string>{rule_source(text, "domestic:") +
                                                          ": domestic: TV is named by no country table (countries.files): "
                                                          "no address is domestic by it"}));
    // The default (JP) is checked too: here against a table of one Australian range.
    const std::string au_only = dir_.write("au-only.csv", "1.0.0.0,1.0.0.255,AU\n");
    ASSERT_TRUE(build("countries:\n  files: ['" + au_only + "']\nauthorisations: []\nrules: []\n", {}).ok());
    EXPECT_EQ(report_.warnings, (std::vector<std::string>{config_path_ + ": domestic: JP is named by no country table "
                                                                          "(countries.files): no address is domestic by it"}));
}

TEST_F(SnapshotBuilder, DuplicateAuthorisationIdIsAnError) {
    auto auths = good_auths();
    auths["auth/threat.yaml"] = "# the same id again\nid: A-T\nkind: approval\ncategory: transit\nissuer: commission\n" +
                                std::string(window);
    auto r = build(std::string(config_head) + "rules: []\n", auths);
    EXPECT_EQ(error_of(r), dir_.file("auth/threat.yaml") + ":2: id: authorisation 'A-T' is defined twice");
}

TEST_F(SnapshotBuilder, BadFilesAreErrorsNamingFileAndLine) {
    // A country file with a bad third line.
    const std::string bad_cc = dir_.write("tables/bad.csv", "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.3.255,CN\nnot-an-ip,1.0.4.255,AU\n");
    std::string text = std::string(config_head) + rules_good;
    text.replace(text.find("'@DATA@/geo/world-extract-ipv4.csv'"), std::string("'@DATA@/geo/world-extract-ipv4.csv'").size(),
                 "tables/bad.csv");
    std::string e = error_of(build(text, good_auths()));
    EXPECT_EQ(e.rfind(bad_cc + ":3: ", 0), 0u) << e;

    // A curated indicator CSV with a bad address on line 4.
    text = std::string(config_head) + rules_good;
    text.replace(text.find("    file: '@DATA@/indicators/ip/maltrail-mass-scanner-cidr.txt'"),
                 std::string("    file: '@DATA@/indicators/ip/maltrail-mass-scanner-cidr.txt'").size(),
                 "    file: '@DATA@/indicators/crafted/bad-address.csv'\n    format: csv\n    id_column: ref\n"
                 "    value_column: address");
    e = error_of(build(text, good_auths()));
    const std::string bad_ind = TempDir::expand("@DATA@/indicators/crafted/bad-address.csv");
    EXPECT_EQ(e.rfind(bad_ind + ":4: ", 0), 0u) << e;
    EXPECT_NE(e.find("not-an-ip"), std::string::npos) << e;

    // A missing country file, a missing and a bad authorisation file.
    text = std::string(config_head) + rules_good;
    text.replace(text.find("'@DATA@/geo/world-extract-ipv6.csv'"), std::string("'@DATA@/geo/world-extract-ipv6.csv'").size(),
                 "tables/absent.csv");
    e = error_of(build(text, good_auths()));
    EXPECT_EQ(e.rfind(dir_.file("tables/absent.csv") + ": ", 0), 0u) << e;
    // Where the config names it, which the loader cannot say (its line errors, above, need no more).
    EXPECT_NE(e.find(" (countries.files[1] at " + rule_source(text, "tables/absent.csv") + ")"), std::string::npos) << e;

    // A missing feed: at its `file` line, not the set's first.
    text = std::string(config_head) + rules_good;
    text.replace(text.find("'@DATA@/indicators/ip/maltrail-mass-scanner-cidr.txt'"),
                 std::string("'@DATA@/indicators/ip/maltrail-mass-scanner-cidr.txt'").size(), "absent-feed.txt");
    e = error_of(build(text, good_auths()));
    EXPECT_EQ(e.rfind(dir_.file("absent-feed.txt") + ": ", 0), 0u) << e;
    EXPECT_NE(e.find(" (indicators[1].file at " + rule_source(text, "file: absent-feed.txt") + ")"), std::string::npos) << e;

    auto auths = good_auths();
    auths["auth/power.yaml"] = "id: C-P\nkind: consent\ncategory: operator\nissuer: power\n" + std::string(window);
    e = error_of(build(std::string(config_head) + rules_good, auths));
    EXPECT_EQ(e, dir_.file("auth/power.yaml") + ":1: scope.operator: a consent must name the consenting operator");

    std::filesystem::remove(dir_.file("auth/power.yaml"));
    for (auto it = auths.begin(); it != auths.end();) it = it->first == "auth/power.yaml" ? auths.erase(it) : std::next(it);
    e = error_of(build(std::string(config_head) + rules_good, auths));
    EXPECT_EQ(e, dir_.file("auth/power.yaml") + ": cannot open file: No such file or directory (authorisations[1] at " +
                     rule_source(std::string(config_head), "auth/power.yaml") + ")");
}

TEST_F(SnapshotBuilder, StaleRegistryDataIsReported) {
    std::string text = std::string(config_head) + rules_good;
    text.replace(text.find("'@DATA@/geo/world-extract-ipv6.csv'"), std::string("'@DATA@/geo/world-extract-ipv6.csv'").size(),
                 "'@DATA@/geo/delegated-apnic-20140214.txt'");
    auto r = build(text, good_auths());
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(report_.warnings.size(), 1u);
    const std::string& w = report_.warnings[0];
    EXPECT_EQ(w.rfind(TempDir::expand("@DATA@/geo/delegated-apnic-20140214.txt: country data is stale: newest record 2014"), 0), 0u) << w;
    EXPECT_NE(w.find("(countries.max_age_days 400)"), std::string::npos) << w;
}

// A refused reload: the new build fails, and the snapshot the workers hold is untouched.
TEST_F(SnapshotBuilder, RefusedRebuildLeavesTheCurrentSnapshotAlone) {
    auto first = build(std::string(config_head) + rules_good, good_auths(), 1);
    ASSERT_TRUE(first.ok()) << first.error().message;
    const std::unique_ptr<Snapshot> current = std::move(first.value());
    const Config current_config = config_;

    const std::vector<std::pair<const char*, const char*>> probes = {{au, us}, {us, power}, {kr_ipsum, jp}, {us, jp}, {jp, power}};
    auto verdicts = [&] {
        std::vector<std::pair<bool, DropReason>> out;
        for (const auto& [a, b] : probes) {
            const Verdict v = decide(*current, packet(a, b), inside);
            out.emplace_back(v.emit, v.emit ? DropReason::no_rule : v.reason);
        }
        return out;
    }();
    const auto windows = current->windows;

    // Reload 1: a rule names an authorisation that does not exist.
    const std::string bad_rules = std::string(config_head) +
                                  "rules:\n  - id: transit\n    category: transit\n    between: [foreign, foreign]\n"
                                  "    authorisation: A-NONE\n";
    EXPECT_FALSE(build(bad_rules, good_auths(), 2).ok());
    // Reload 2: the same config, but a table file went bad.
    dir_.write("tables/bad.csv", "1.0.0.0,1.0.0.255,AU\nrubbish\n");
    std::string bad_table = std::string(config_head) + rules_good;
    bad_table.replace(bad_table.find("'@DATA@/geo/world-extract-ipv4.csv'"),
                      std::string("'@DATA@/geo/world-extract-ipv4.csv'").size(), "tables/bad.csv");
    EXPECT_FALSE(build(bad_table, good_auths(), 3).ok());
    // Rebuilding from the accepted config still works, as a new, separate generation.
    auto again = build_snapshot(current_config, 4, now, report_, SerialRecording::record);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_NE(again.value().get(), current.get());

    EXPECT_EQ(current->generation, 1u);
    EXPECT_TRUE(current->refusals.empty());
    ASSERT_EQ(current->windows.size(), windows.size());
    for (std::size_t i = 0; i < windows.size(); ++i) {
        EXPECT_EQ(current->windows[i].usable, windows[i].usable);
        EXPECT_EQ(current->windows[i].from_ns, windows[i].from_ns);
        EXPECT_EQ(current->windows[i].until_ns, windows[i].until_ns);
    }
    for (std::size_t i = 0; i < probes.size(); ++i) {
        const Verdict v = decide(*current, packet(probes[i].first, probes[i].second), inside);
        EXPECT_EQ(v.emit, verdicts[i].first) << probes[i].first << " <-> " << probes[i].second;
        if (!v.emit) {
            EXPECT_EQ(v.reason, verdicts[i].second);
        }
    }
    EXPECT_TRUE(verdicts[0].first && verdicts[1].first && verdicts[2].first) << "the probes include emitted packets";
}

}  // namespace
}  // namespace flowsieve::testing
