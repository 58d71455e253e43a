// test_decide.cpp: the per-packet decision: every category, every drop reason, the authorisation
// window's exact boundaries, and invariants 2 (nothing without authority) and 3 (never national pairs).
#include <gtest/gtest.h>

#include <filesystem>
#include <iterator>
#include <limits>
#include <set>
#include <tuple>

#include "policy_test_util.hpp"

namespace flowsieve::testing {
namespace {

constexpr auto foreign = EndpointKind::foreign;
constexpr auto domestic = EndpointKind::domestic;
constexpr auto operator_ = EndpointKind::operator_;

IndicatorMatch indicators_of(const char* a) {
    IndicatorMatch m;
    world().base.indicators.lookup(ip(a), m);
    return m;
}

// A foreign address listed in the scanners set only (82.221.105.0/24, IS), not in ipsum.
const char* const is_scanner = "82.221.105.10";

// Decides the packet in both directions, checks they agree and returns the verdict.
Verdict decide_both(const Snapshot& s, const ParsedPacket& p, std::uint64_t t = inside) {
    const Verdict a = decide(s, p, t), b = decide(s, reversed(p), t);
    EXPECT_EQ(a.emit, b.emit) << describe(a) << " / reversed: " << describe(b);
    if (a.emit && b.emit) {
        EXPECT_EQ(a.category, b.category);
        EXPECT_EQ(a.rule, b.rule);
        EXPECT_EQ(a.authorisation, b.authorisation);
        EXPECT_EQ(a.indicator, b.indicator);
    } else {
        EXPECT_EQ(a.reason, b.reason) << describe(a) << " / reversed: " << describe(b);
    }
    EXPECT_EQ(a.src_cc, b.dst_cc);
    EXPECT_EQ(a.dst_cc, b.src_cc);
    return a;
}

void expect_emit(const Verdict& v, Category c, std::uint32_t rule, std::uint32_t authorisation) {
    EXPECT_TRUE(v.emit) << describe(v);
    EXPECT_EQ(v.category, c) << describe(v);
    EXPECT_EQ(v.rule, rule);
    EXPECT_EQ(v.authorisation, authorisation);
}

void expect_drop(const Verdict& v, DropReason r) {
    EXPECT_FALSE(v.emit) << describe(v);
    EXPECT_EQ(v.reason, r) << describe(v) << ", expected " << name_of(r);
}

class Decide : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // Premises taken from the real feeds; the tests below mean nothing if they break.
        ASSERT_EQ(indicators_of(addr::kr_ipsum).set_mask, set_bit("ipsum"));
        ASSERT_EQ(indicators_of(addr::jp_ipsum).set_mask, set_bit("ipsum"));
        ASSERT_EQ(indicators_of(is_scanner).set_mask, set_bit("scanners"));
        ASSERT_EQ(classify_endpoint(world().base, ip(is_scanner)).kind, foreign);
        for (const char* a : {addr::jp, addr::jp2, addr::au, addr::cn, addr::us, addr::power, addr::rail, addr::us6,
                              addr::jp6, addr::de6})
            ASSERT_EQ(indicators_of(a).set_mask, 0u) << a;
    }
};

// --- categories -------------------------------------------------------------------------------

TEST_F(Decide, TransitForeignForeignIsEmitted) {
    const Snapshot s = snapshot_with({make_rule(Category::transit, foreign, 0)}, {valid_window()});
    for (auto [a, b] : {std::pair{addr::au, addr::us}, {addr::cn, addr::kr_ipsum}, {addr::us6, addr::de6},
                        {addr::au6, addr::us6}}) {
        SCOPED_TRACE(std::string(a) + " <-> " + b);
        const Verdict v = decide_both(s, packet(a, b));
        expect_emit(v, Category::transit, 0, 0);
        EXPECT_EQ(v.src_cc, reference_cc(ip(a)));
        EXPECT_EQ(v.dst_cc, reference_cc(ip(b)));
        EXPECT_EQ(v.indicator, no_index) << "a transit rule without sets names no indicator";
    }
    // Transit covers foreign <-> foreign only.
    for (auto [a, b] : {std::pair{addr::au, addr::jp}, {addr::us, addr::power}, {addr::au, addr::unknown},
                        {addr::unknown, addr::unknown6}, {addr::us6, addr::jp6}}) {
        SCOPED_TRACE(std::string(a) + " <-> " + b);
        expect_drop(decide_both(s, packet(a, b)), DropReason::no_rule);
    }
}

TEST_F(Decide, OperatorTrafficNeedsTheConsentOfThatOperator) {
    // Rule for operator 0 ("power") under authorisation 0.
    Snapshot s = snapshot_with({make_rule(Category::operator_, operator_, 0, 0, 0)}, {valid_window()});
    for (auto [a, b] : {std::pair{addr::us, addr::power}, {addr::au, addr::power_cn}, {addr::us6, addr::power6}}) {
        SCOPED_TRACE(std::string(a) + " <-> " + b);
        expect_emit(decide_both(s, packet(a, b)), Category::operator_, 0, 0);
    }
    // Another operator, a plain domestic host, an unknown address: not this rule's pair.
    expect_drop(decide_both(s, packet(addr::us, addr::rail)), DropReason::no_rule);
    expect_drop(decide_both(s, packet(addr::us, addr::jp)), DropReason::no_rule);
    expect_drop(decide_both(s, packet(addr::unknown, addr::power)), DropReason::no_rule);
    // Consent not yet valid, expired, or refused: nothing.
    s.windows[0] = {static_cast<std::int64_t>(inside) + 1, window_until, true};
    expect_drop(decide_both(s, packet(addr::us, addr::power)), DropReason::unauthorised);
    s.windows[0] = {window_from, static_cast<std::int64_t>(inside), true};
    expect_drop(decide_both(s, packet(addr::us, addr::power)), DropReason::unauthorised);
    s.windows[0] = {window_from, window_until, false};
    expect_drop(decide_both(s, packet(addr::us, addr::power)), DropReason::unauthorised);
}

TEST_F(Decide, OperatorRuleSelectsOnlyItsOwnOperator) {
    // Operator 1's rule, valid; operator 0's rule with an expired consent.
    const Snapshot s = snapshot_with({make_rule(Category::operator_, operator_, 0, 0, 1),
                                      make_rule(Category::operator_, operator_, 1, 0, 0)},
                                     {valid_window(), {window_from, window_from + 1, true}});
    expect_emit(decide_both(s, packet(addr::us, addr::rail)), Category::operator_, 0, 0);
    expect_drop(decide_both(s, packet(addr::us, addr::power)), DropReason::unauthorised);
}

TEST_F(Decide, ThreatLinkedNeedsAnIndicatorOfARequiredSet) {
    const std::uint32_t ipsum = set_bit("ipsum"), scanners = set_bit("scanners");
    const Snapshot s = snapshot_with({make_rule(Category::threat_linked, domestic, 0, ipsum)}, {valid_window()});

    // Foreign endpoint in ipsum <-> a domestic host: emitted, naming the indicator that hit.
    Verdict v = decide_both(s, packet(addr::kr_ipsum, addr::jp));
    expect_emit(v, Category::threat_linked, 0, 0);
    ASSERT_NE(v.indicator, no_index);
    EXPECT_EQ(world().base.indicators.indicator_id(v.indicator), addr::kr_ipsum);
    expect_emit(decide_both(s, packet(addr::kr_ipsum, addr::jp2)),
                Category::threat_linked, 0, 0);

    // No indicator at all, or an indicator of a set the rule does not require: no rule.
    expect_drop(decide_both(s, packet(addr::us, addr::jp)), DropReason::no_rule);
    expect_drop(decide_both(s, packet(is_scanner, addr::jp)), DropReason::no_rule);
    // Not a foreign <-> domestic pair, even with the indicator: no rule.
    expect_drop(decide_both(s, packet(addr::kr_ipsum, addr::us)), DropReason::no_rule);
    expect_drop(decide_both(s, packet(addr::kr_ipsum, addr::power)), DropReason::no_rule);
    expect_drop(decide_both(s, packet(addr::kr_ipsum, addr::unknown)), DropReason::no_rule);

    // The scanners set, required by a second rule, selects the scanner under that rule only.
    const Snapshot both = snapshot_with({make_rule(Category::threat_linked, domestic, 0, ipsum),
                                         make_rule(Category::threat_linked, domestic, 1, scanners)},
                                        {valid_window(), valid_window()});
    v = decide_both(both, packet(is_scanner, addr::jp));
    expect_emit(v, Category::threat_linked, 1, 1);
    EXPECT_EQ(world().base.indicators.indicator_id(v.indicator), "82.221.105.0/24");
    expect_emit(decide_both(both, packet(addr::kr_ipsum, addr::jp)), Category::threat_linked, 0, 0);

    // A rule requiring either set.
    const Snapshot either =
        snapshot_with({make_rule(Category::threat_linked, domestic, 0, ipsum | scanners)}, {valid_window()});
    expect_emit(decide_both(either, packet(is_scanner, addr::jp)), Category::threat_linked, 0, 0);
    expect_emit(decide_both(either, packet(addr::kr_ipsum, addr::jp)), Category::threat_linked, 0, 0);
    expect_drop(decide_both(either, packet(addr::us, addr::jp)), DropReason::no_rule);
}

TEST_F(Decide, ThreatLinkedPrefersTheForeignIndicator) {
    const Snapshot s =
        snapshot_with({make_rule(Category::threat_linked, domestic, 0, set_bit("ipsum"))}, {valid_window()});
    // Both endpoints listed: the foreign one is named, in either direction.
    const Verdict v = decide_both(s, packet(addr::jp_ipsum, addr::kr_ipsum));
    expect_emit(v, Category::threat_linked, 0, 0);
    EXPECT_EQ(world().base.indicators.indicator_id(v.indicator), addr::kr_ipsum);
    // Only the domestic endpoint listed (a compromised domestic host talking abroad): still the
    // flow involves an indicator of the required set.
    const Verdict d = decide_both(s, packet(addr::jp_ipsum, addr::us));
    expect_emit(d, Category::threat_linked, 0, 0);
    EXPECT_EQ(world().base.indicators.indicator_id(d.indicator), addr::jp_ipsum);
}

// An address two feeds list (each under its own id), one of them also listing a wider prefix
// around another: a rule requiring one set names that set's indicator, in the reference path and
// through the prepared index and both caches, never the other set's (outside the authorisation's
// scope), even where that one is the most specific.
TEST_F(Decide, ThreatLinkedNamesAnIndicatorOfTheRulesOwnSets) {
    IndicatorSetSource a, b;
    a.name = "a";
    a.indicators = {{prefix(std::string(addr::kr_ipsum) + "/32"), "A-1"}, {prefix("61.73.27.70/32"), "A-2"}};
    b.name = "b";
    b.indicators = {{prefix(std::string(addr::kr_ipsum) + "/32"), "B-1"}, {prefix(std::string(addr::us) + "/32"), "B-2"},
                    {prefix("61.73.0.0/16"), "B-16"}};
    const std::string us_in_a = std::string(addr::us) + "/32";
    a.indicators.push_back({prefix(us_in_a), "A-us"});
    auto table = IndicatorTable::build({a, b});
    ASSERT_TRUE(table.ok()) << table.error().message;
    const auto rules_on = [&](std::uint32_t sets) {
        Snapshot s = snapshot_with({make_rule(Category::threat_linked, domestic, 0, sets)}, {valid_window()});
        s.indicators = *table;
        return s;
    };
    const auto id = [&](const Verdict& v) { return v.indicator == no_index ? "" : table->indicator_id(v.indicator); };
    // Per rule: what it names for kr_ipsum (in both sets), 61.73.27.70 (a; b's /16 around it) and
    // us (in both; a's entry has the lower index).
    for (const auto& [sets, kr, kr2, us] : {std::tuple{0b10u, "B-1", "B-16", "B-2"}, std::tuple{0b01u, "A-1", "A-2", "A-us"},
                                            std::tuple{0b11u, "A-1", "A-2", "A-us"}}) {
        Snapshot s = rules_on(sets);
        const std::vector<ParsedPacket> burst = {packet(addr::kr_ipsum, addr::jp), packet(addr::jp, addr::kr_ipsum),
                                                 packet("61.73.27.70", addr::jp2), packet(addr::us, addr::jp),
                                                 packet(addr::jp, addr::us)};
        const std::vector<std::string> want = {kr, kr, kr2, us, us};
        for (std::size_t i = 0; i < burst.size(); ++i) {
            const Verdict v = decide(s, burst[i], inside);
            expect_emit(v, Category::threat_linked, 0, 0);
            EXPECT_EQ(id(v), want[i]) << "sets " << sets << " packet " << i;
        }
        prepare_classifier(s);
        EndpointCache cache;
        FlowCache flows;
        const std::vector<std::uint64_t> times(burst.size(), inside);
        for (int round = 0; round < 3; ++round) {  // the later rounds answered by the caches
            std::vector<Verdict> got(burst.size());
            decide_bulk(s, burst.data(), times.data(), got.data(), burst.size(), &cache, &flows);
            for (std::size_t i = 0; i < burst.size(); ++i) {
                EXPECT_EQ(id(decide(s, burst[i], inside)), want[i]) << "sets " << sets << " packet " << i;
                EXPECT_EQ(id(got[i]), want[i]) << "sets " << sets << " round " << round << " packet " << i;
            }
        }
        EXPECT_GT(flows.hits(), 0u);
    }
}

TEST_F(Decide, FirstEmittingRuleWinsAndFirstMatchingFailureIsReported) {
    Rule no_https = make_rule(Category::transit, foreign, 0);
    set_excluded_ports(no_https, {443});
    const Rule plain = make_rule(Category::transit, foreign, 1);
    // Rule 0 excludes the port, rule 1 (its own approval) allows it.
    const Snapshot s = snapshot_with({no_https, plain}, {valid_window(), valid_window()});
    expect_emit(decide_both(s, packet(addr::au, addr::us)), Category::transit, 1, 1);
    // Neither can: rule 0's reason is reported.
    const Snapshot t = snapshot_with({no_https, plain}, {valid_window(), {window_from, window_from + 1, true}});
    expect_drop(decide_both(t, packet(addr::au, addr::us)), DropReason::excluded_port);
}

// --- drops ------------------------------------------------------------------------------------

// A snapshot where every category has a valid rule; the sets cover every indicator.
Snapshot everything_allowed() {
    const std::uint32_t all_sets = set_bit("ipsum") | set_bit("scanners");
    return snapshot_with({make_rule(Category::transit, foreign, 0), make_rule(Category::operator_, operator_, 0, 0, 0),
                          make_rule(Category::operator_, operator_, 0, 0, 1),
                          make_rule(Category::threat_linked, domestic, 0, all_sets)},
                         {valid_window()});
}

TEST_F(Decide, SpecialAddressIsNeverEmitted) {
    const Snapshot s = everything_allowed();
    for (auto [a, b] : {std::pair{"10.0.0.1", addr::us}, {"192.168.1.1", addr::jp}, {"10.1.2.3", addr::au},
                        {"224.0.0.251", addr::us}, {"255.255.255.255", addr::au}, {"fe80::1", addr::us6},
                        {"2001:db8::1", addr::de6}, {"ff02::1", addr::jp6}, {"::ffff:1.0.0.1", addr::us6},
                        {"127.0.0.1", "10.0.0.1"}}) {
        SCOPED_TRACE(std::string(a) + " <-> " + b);
        expect_drop(decide_both(s, packet(a, b)), DropReason::special_address);
    }
}

// Invariant 3: with a valid rule of every kind, an indicator on both sides and every port allowed,
// no pair of national endpoints (domestic or operator, any mix) is ever emitted.
TEST_F(Decide, NationalPairsAreNeverEmittedWhateverTheRules) {
    Snapshot s = everything_allowed();
    // Extra rules that name the national side in every way a Rule can, with no exclusions at all.
    for (auto near : {domestic, operator_, foreign, EndpointKind::unknown, EndpointKind::special}) {
        for (std::uint32_t sets : {0u, set_bit("ipsum")}) {
            Rule r = make_rule(Category::threat_linked, near, 0, sets);
            set_excluded_ports(r, {});
            s.rules.push_back(r);
        }
    }
    s.windows[0] = {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), true};
    const char* national[] = {addr::jp, addr::jp2, addr::jp_ipsum, addr::power, addr::power_cn, addr::rail, "17.87.8.10"};
    for (const char* a : national) {
        for (const char* b : national) {
            SCOPED_TRACE(std::string(a) + " <-> " + b);
            for (std::uint64_t t : {std::uint64_t{0}, inside}) {
                for (std::uint8_t proto : {ipproto::tcp, ipproto::udp, ipproto::icmp}) {
                    expect_drop(decide(s, packet(a, b, proto), t), DropReason::domestic_domestic);
                }
            }
        }
    }
    expect_drop(decide_both(s, packet(addr::jp6, addr::power6)), DropReason::domestic_domestic);
    // The same snapshot does emit foreign traffic, so the drops above are not for want of a rule.
    expect_emit(decide_both(s, packet(addr::kr_ipsum, addr::jp)), Category::threat_linked, 3, 0);
}

TEST_F(Decide, EveryDefaultEmailPortIsExcludedEitherWayForTcpUdpSctp) {
    const Snapshot s = snapshot_with({make_rule(Category::transit, foreign, 0)}, {valid_window()});
    const std::uint16_t mail[] = {25, 110, 143, 465, 587, 993, 995};
    ASSERT_EQ(std::size(default_excluded_ports), std::size(mail));
    for (std::uint8_t proto : {ipproto::tcp, ipproto::udp, ipproto::sctp}) {
        for (std::uint16_t port : mail) {
            SCOPED_TRACE("proto " + std::to_string(proto) + " port " + std::to_string(port));
            expect_drop(decide_both(s, packet(addr::au, addr::us, proto, 50000, port)), DropReason::excluded_port);
            expect_drop(decide_both(s, packet(addr::au, addr::us, proto, port, 50000)), DropReason::excluded_port);
            expect_drop(decide_both(s, packet(addr::au6, addr::us6, proto, 50000, port)), DropReason::excluded_port);
            // A first fragment carries its ports: the exclusion applies to it too.
            expect_drop(decide_both(s, packet(addr::au, addr::us, proto, 50000, port, Fragment::first)),
                        DropReason::excluded_port);
            // The neighbouring ports are not e-mail.
            expect_emit(decide_both(s, packet(addr::au, addr::us, proto, 50000, static_cast<std::uint16_t>(port + 1))),
                        Category::transit, 0, 0);
            expect_emit(decide_both(s, packet(addr::au, addr::us, proto, static_cast<std::uint16_t>(port - 1), 50000)),
                        Category::transit, 0, 0);
        }
    }
    // Ports mean nothing to ICMP: an ICMP packet is not excluded.
    expect_emit(decide_both(s, packet(addr::au, addr::us, ipproto::icmp)), Category::transit, 0, 0);
}

TEST_F(Decide, ExcludedProtocolIsDropped) {
    Rule r = make_rule(Category::transit, foreign, 0);
    r.excluded_protocols.set(47);  // GRE
    r.excluded_protocols.set(ipproto::udp);
    const Snapshot s = snapshot_with({r}, {valid_window()});
    expect_drop(decide_both(s, packet(addr::au, addr::us, 47)), DropReason::excluded_port);
    expect_drop(decide_both(s, packet(addr::au, addr::us, ipproto::udp, 5000, 53)), DropReason::excluded_port);
    expect_drop(decide_both(s, packet(addr::au, addr::us, 47, 0, 0, Fragment::non_first)), DropReason::excluded_port);
    expect_emit(decide_both(s, packet(addr::au, addr::us, ipproto::tcp)), Category::transit, 0, 0);
    expect_emit(decide_both(s, packet(addr::au, addr::us, 50)), Category::transit, 0, 0);
}

TEST_F(Decide, NonFirstFragmentCannotPassPortExclusions) {
    Rule with_ports = make_rule(Category::transit, foreign, 0);
    const Snapshot s = snapshot_with({with_ports}, {valid_window()});
    for (std::uint8_t proto : {ipproto::tcp, ipproto::udp, ipproto::sctp}) {
        const ParsedPacket p = packet(addr::au, addr::us, proto, 0, 0, Fragment::non_first);
        ASSERT_FALSE(p.key.has_ports);
        expect_drop(decide_both(s, p), DropReason::fragment_no_ports);
    }
    // The first fragment has its ports and passes.
    expect_emit(decide_both(s, packet(addr::au, addr::us, ipproto::tcp, 40000, 443, Fragment::first)),
                Category::transit, 0, 0);
    // A rule that excludes no port takes non-first fragments.
    Rule no_ports = make_rule(Category::transit, foreign, 0);
    set_excluded_ports(no_ports, {});
    const Snapshot t = snapshot_with({no_ports}, {valid_window()});
    expect_emit(decide_both(t, packet(addr::au, addr::us, ipproto::udp, 0, 0, Fragment::non_first)),
                Category::transit, 0, 0);
}

TEST_F(Decide, NoRuleWhenNothingCoversThePair) {
    const Snapshot none = snapshot_with({}, {});
    expect_drop(decide_both(none, packet(addr::au, addr::us)), DropReason::no_rule);
    expect_drop(decide_both(none, packet(addr::kr_ipsum, addr::jp)), DropReason::no_rule);
    const Snapshot s = everything_allowed();
    expect_drop(decide_both(s, packet(addr::unknown, addr::jp)), DropReason::no_rule);
    expect_drop(decide_both(s, packet(addr::unknown6, addr::us6)), DropReason::no_rule);
    expect_drop(decide_both(s, packet(addr::us, addr::jp)), DropReason::no_rule);
}

// The window is [valid_from, valid_until): from is the first valid nanosecond, until the first invalid.
TEST_F(Decide, AuthorisationWindowIsHalfOpen) {
    const Snapshot s = snapshot_with({make_rule(Category::transit, foreign, 0)}, {valid_window()});
    const auto from = static_cast<std::uint64_t>(window_from), until = static_cast<std::uint64_t>(window_until);
    const ParsedPacket p = packet(addr::au, addr::us);
    expect_drop(decide_both(s, p, 0), DropReason::unauthorised);
    expect_drop(decide_both(s, p, from - 1'000'000'000), DropReason::unauthorised);
    expect_drop(decide_both(s, p, from - 1), DropReason::unauthorised);
    expect_emit(decide_both(s, p, from), Category::transit, 0, 0);
    expect_emit(decide_both(s, p, from + 1), Category::transit, 0, 0);
    expect_emit(decide_both(s, p, until - 1), Category::transit, 0, 0);
    expect_drop(decide_both(s, p, until), DropReason::unauthorised);
    expect_drop(decide_both(s, p, until + 1), DropReason::unauthorised);
    // A packet time beyond int64 (a corrupt clock) is not inside any window.
    expect_drop(decide_both(s, p, ~std::uint64_t{0}), DropReason::unauthorised);
}

// Invariant 2: a rule whose authorisation is refused or missing never emits, at any time.
TEST_F(Decide, RuleWithoutUsableAuthorisationNeverEmits) {
    Rule missing = make_rule(Category::transit, foreign, no_index);
    Rule dangling = make_rule(Category::transit, foreign, 5);  // past the windows
    AuthWindow refused = valid_window();
    refused.usable = false;
    for (const auto& [rules, windows] :
         {std::pair{std::vector<Rule>{missing}, std::vector<AuthWindow>{valid_window()}},
          std::pair{std::vector<Rule>{dangling}, std::vector<AuthWindow>{valid_window()}},
          std::pair{std::vector<Rule>{make_rule(Category::transit, foreign, 0)}, std::vector<AuthWindow>{refused}},
          std::pair{std::vector<Rule>{make_rule(Category::transit, foreign, 0)}, std::vector<AuthWindow>{}}}) {
        const Snapshot s = snapshot_with(rules, windows);
        for (std::uint64_t t : {std::uint64_t{0}, static_cast<std::uint64_t>(window_from), inside,
                                static_cast<std::uint64_t>(window_until) - 1}) {
            expect_drop(decide_both(s, packet(addr::au, addr::us), t), DropReason::unauthorised);
        }
    }
}

TEST_F(Decide, AnomaliesAreNeverEmitted) {
    const Snapshot s = everything_allowed();
    // Every anomaly, on a packet whose addresses and ports would otherwise be emitted.
    for (std::uint8_t i = 1; i < static_cast<std::uint8_t>(anomaly_count) + 1; ++i) {
        const auto a = static_cast<Anomaly>(i);
        ParsedPacket p = packet(addr::au, addr::us);
        ASSERT_TRUE(decide(s, p, inside).emit);
        p.outcome = ParseOutcome::anomaly;
        p.anomaly = a;
        SCOPED_TRACE(std::string(name_of(a)));
        expect_drop(decide_both(s, p), drop_reason_of(a));
    }
    ParsedPacket arp = packet(addr::au, addr::us);
    arp.outcome = ParseOutcome::not_ip;
    expect_drop(decide(s, arp, inside), DropReason::not_ip);
}

// Malformed real captures: whatever their addresses, the parser's anomaly ends the decision. To be
// sure the anomaly (and not the addresses) is what stops them, their keys are moved to a pair the
// snapshot would emit.
TEST_F(Decide, MalformedCapturesAreNeverEmitted) {
    const Snapshot s = everything_allowed();
    std::size_t anomalies = 0;
    std::set<Anomaly> kinds;
    std::vector<std::string> files;
    for (const char* dir : {"pcap/malformed", "pcap/fragments"})
        for (const auto& e : std::filesystem::directory_iterator(test_data(dir))) files.push_back(e.path().string());
    for (const std::string& f : files) {
        const CaptureFile cap = read_capture(f);
        for (std::size_t i = 0; i < cap.packets.size(); ++i) {
            ParsedPacket p;
            parse_packet(cap.packets[i].bytes, p);
            if (p.outcome != ParseOutcome::anomaly) continue;
            ++anomalies;
            kinds.insert(p.anomaly);
            p.key.src = ip(addr::au);
            p.key.dst = ip(addr::us);
            const Verdict v = decide(s, p, inside);
            EXPECT_FALSE(v.emit) << f << " #" << i + 1;
            EXPECT_EQ(v.reason, drop_reason_of(p.anomaly)) << f << " #" << i + 1;
        }
    }
    // 14 anomalies of 10 kinds when written; fewer means the captures or the parser changed.
    EXPECT_GE(anomalies, 10u) << "the malformed captures must hold anomalies";
    EXPECT_GE(kinds.size(), 6u);
}

}  // namespace
}  // namespace flowsieve::testing
