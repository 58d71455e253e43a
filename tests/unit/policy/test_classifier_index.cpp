// test_classifier_index.cpp: prepare_classifier (one combined endpoint LPM, rule candidates per
// kind pair) must give exactly the decisions of the reference path, on the real test world.
#include <filesystem>
#include <memory>
#include <random>
#include <set>

#include "policy_test_util.hpp"
#include "tables/prefix.hpp"

namespace flowsieve::testing {
namespace {

// Addresses at and next to every boundary of the three tables the index folds together (range
// edges of the world extract, operator prefixes, special blocks), plus seeded random ones.
std::vector<IpAddress> probe_addresses() {
    std::set<IpAddress> out;
    const auto near = [&out](const IpAddress& a) {
        out.insert(a);
        if (a.is_v4()) {
            out.insert(IpAddress::from_v4(a.v4 - 1));
            out.insert(IpAddress::from_v4(a.v4 + 1));
        } else {
            out.insert(IpAddress::from_v6(U128{a.v6.hi, a.v6.lo - 1}));
            out.insert(IpAddress::from_v6(U128{a.v6.hi, a.v6.lo + 1}));
        }
    };
    const auto prefix_edges = [&near](const Prefix& p) {
        near(p.addr);
        if (p.addr.is_v4()) {
            const std::uint32_t host = p.len == 0 ? ~0u : (p.len >= 32 ? 0u : (1u << (32 - p.len)) - 1);
            near(IpAddress::from_v4(p.addr.v4 | host));
        } else if (p.len >= 64) {
            const std::uint64_t host = p.len >= 128 ? 0 : (p.len == 64 ? ~0ull : (1ull << (128 - p.len)) - 1);
            near(IpAddress::from_v6(U128{p.addr.v6.hi, p.addr.v6.lo | host}));
        } else {
            const std::uint64_t host = p.len == 0 ? ~0ull : (1ull << (64 - p.len)) - 1;
            near(IpAddress::from_v6(U128{p.addr.v6.hi | host, ~0ull}));
        }
    };
    for (const auto& r : world().ranges) {
        near(r.first);
        near(r.last);
    }
    for (const auto& op : test_operators)
        for (const char* p : op.prefixes) prefix_edges(prefix(p));
    for (const auto& b : special_blocks()) prefix_edges(prefix(std::string(b.prefix)));
    std::mt19937_64 rng(2026);
    for (int i = 0; i < 20000; ++i) {
        out.insert(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
        // IPv6 draws inside 2000::/4, where the world extract has its ranges.
        out.insert(IpAddress::from_v6(U128{(rng() >> 4) | 0x2000000000000000ull, rng()}));
    }
    return {out.begin(), out.end()};
}

Snapshot prepared(Snapshot s) {
    prepare_classifier(s);
    return s;
}

// Up to `count` single-address indicators of the snapshot's sets in `sets` that it classifies
// foreign, taking every `step`-th indicator in order.
std::vector<IpAddress> foreign_indicators(const Snapshot& s, std::uint32_t sets, std::size_t count, std::uint32_t step) {
    std::vector<IpAddress> out;
    for (std::uint32_t i = 0; i < s.indicators.indicator_count() && out.size() < count; i += step) {
        const auto a = parse_ip(s.indicators.indicator_id(i));
        if (!a) continue;
        IndicatorMatch m;
        s.indicators.lookup(*a, m);
        if ((m.set_mask & sets) && classify_endpoint(s, *a).kind == EndpointKind::foreign) out.push_back(*a);
    }
    return out;
}

TEST(ClassifierIndex, EndpointClassesEqualTheReferenceAtEveryTableBoundary) {
    const Snapshot s = prepared(world().base);
    ASSERT_TRUE(s.index.ready);
    const auto probes = probe_addresses();
    ASSERT_GT(probes.size(), 40000u);
    std::size_t kinds[endpoint_kind_count] = {};
    for (const IpAddress& a : probes) {
        const EndpointClass want = classify_endpoint_reference(s, a), got = classify_endpoint(s, a);
        ASSERT_EQ(got.kind, want.kind) << to_string(a);
        ASSERT_EQ(got.cc, want.cc) << to_string(a);
        ASSERT_EQ(got.operator_index, want.operator_index) << to_string(a);
        ++kinds[static_cast<std::size_t>(want.kind)];
    }
    // The probes reach every kind, so the precedence between the folded tables was exercised.
    for (std::size_t k = 0; k < endpoint_kind_count; ++k)
        EXPECT_GT(kinds[k], 0u) << name_of(static_cast<EndpointKind>(k));
}

TEST(ClassifierIndex, OperatorSpaceAbroadAndInsideSpecialBlocksKeepsItsPrecedence) {
    const Snapshot s = prepared(world().base);
    const EndpointClass power_cn = classify_endpoint(s, ip(addr::power_cn));
    EXPECT_EQ(power_cn.kind, EndpointKind::operator_);
    EXPECT_EQ(power_cn.cc, cc("CN")) << "the country is still reported for an operator address";
    EXPECT_EQ(classify_endpoint(s, ip(addr::rail)).operator_index, 1);
    EXPECT_EQ(classify_endpoint(s, ip("10.1.2.3")).kind, EndpointKind::special) << "special wins over an operator";
    EXPECT_EQ(classify_endpoint(s, ip(addr::unknown)).kind, EndpointKind::unknown);
    EXPECT_EQ(classify_endpoint(s, ip(addr::jp6)).kind, EndpointKind::domestic);
}

TEST(ClassifierIndex, DecisionsEqualTheReferenceForEveryFieldOfTheVerdict) {
    const std::uint32_t ipsum = set_bit("ipsum"), scanners = set_bit("scanners");
    Rule no_dns = make_rule(Category::transit, EndpointKind::foreign, 0);
    no_dns.excluded_protocols.set(ipproto::udp);
    // More excluded ports than the hot rule holds inline (a shared port set), and a rule whose
    // authorisation index is past the windows. many_ports never emits (expired window), so the
    // rules after it keep their outcomes while its own failure reasons show in the verdicts.
    Rule many_ports = make_rule(Category::threat_linked, EndpointKind::domestic, 1, ipsum | scanners);
    set_excluded_ports(many_ports, {25, 443, 40000, 40001, 40002, 40003, 40004, 40005, 40006, 40007});
    std::vector<Rule> rules = {
        many_ports,
        make_rule(Category::threat_linked, EndpointKind::domestic, 2, ipsum),
        make_rule(Category::operator_, EndpointKind::operator_, 1, 0, 1),
        // Between two foreign ends the sender's indicator is named: a verdict that differs by
        // direction (the flow cache shares an entry between directions only where none does).
        make_rule(Category::threat_linked, EndpointKind::foreign, 0, ipsum),
        no_dns,
        make_rule(Category::transit, EndpointKind::foreign, 3),
        make_rule(Category::operator_, EndpointKind::operator_, 0, 0, 0),
        make_rule(Category::threat_linked, EndpointKind::domestic, 0, scanners),
        make_rule(Category::threat_linked, EndpointKind::operator_, 0, ipsum | scanners),
        make_rule(Category::transit, EndpointKind::unknown, 9),
    };
    // Window 1 expired, window 3 unusable: unauthorised outcomes happen too.
    const Snapshot ref = snapshot_with(rules, {valid_window(), {window_from, window_from + 1, true}, valid_window(),
                                               {window_from, window_until, false}});
    const Snapshot fast = prepared(ref);

    std::vector<IpAddress> pool;
    for (const char* a : {addr::jp, addr::jp2, addr::au, addr::cn, addr::us, addr::power, addr::power_cn, addr::rail,
                          addr::unknown, addr::kr_ipsum, addr::jp_ipsum, addr::jp6, addr::power6, addr::au6, addr::us6,
                          addr::de6, addr::unknown6, "10.1.2.3", "192.168.1.1"})
        pool.push_back(ip(a));
    for (std::uint32_t i = 0; i < ref.indicators.indicator_count(); i += 97) {
        const std::string& id = ref.indicators.indicator_id(i);
        if (auto p = parse_prefix(id)) pool.push_back(p->addr);
        else if (auto a = parse_ip(id)) pool.push_back(*a);
    }
    // Foreign ipsum addresses, so that both ends of a flow are in it often (rule 3).
    for (const IpAddress& a : foreign_indicators(fast, ipsum, 300, 13)) pool.push_back(a);
    const auto probes = probe_addresses();
    std::mt19937_64 rng(7);
    for (int i = 0; i < 3000; ++i) pool.push_back(probes[rng() % probes.size()]);

    const std::uint8_t protos[] = {ipproto::tcp, ipproto::udp, ipproto::icmp};
    const std::uint16_t ports[] = {443, 25, 53, 993, 40000};
    std::vector<ParsedPacket> packets;
    std::vector<std::uint64_t> times;
    // Times at and next to the windows' edges (window 1 is open for one nanosecond only), so that
    // flows are seen on both sides of a window opening and closing.
    const std::uint64_t from = static_cast<std::uint64_t>(window_from), until = static_cast<std::uint64_t>(window_until);
    const std::uint64_t edges[] = {from - 1, from, from + 1, inside, until - 1, until};
    for (int i = 0; i < 200000; ++i) {
        if (!packets.empty() && rng() % 2 == 0) {  // an earlier flow again (what flow caches remember)
            const ParsedPacket& earlier = packets[rng() % packets.size()];
            // Half of them in the other direction (both share a flow cache entry).
            packets.push_back(rng() % 2 == 0 ? reversed(earlier) : earlier);
            times.push_back(edges[rng() % std::size(edges)]);
            continue;
        }
        const IpAddress& a = pool[rng() % pool.size()];
        const IpAddress& b = pool[rng() % pool.size()];
        if (a.family != b.family) continue;
        ParsedPacket p = packet("192.0.2.1", "192.0.2.2", protos[rng() % 3], ports[rng() % 5], ports[rng() % 5],
                                rng() % 10 == 0 ? Fragment::non_first : Fragment::none);
        p.key.src = a;
        p.key.dst = b;
        if (rng() % 50 == 0) {  // the parser's other outcomes, mixed into the bursts
            p.outcome = rng() % 2 ? ParseOutcome::not_ip : ParseOutcome::anomaly;
            p.anomaly = Anomaly::vlan_truncated;
        }
        packets.push_back(p);
        times.push_back(edges[rng() % std::size(edges)]);
    }
    // decide_bulk on both snapshots, in bursts of varying length (the prepared one is staged), and
    // on the prepared one with caches: a large endpoint cache (mostly hits) and a tiny one (sets
    // evicted all the time), a flow cache alone, both large, both tiny; each kept across all bursts
    // as a worker keeps its own.
    const std::size_t n = packets.size();
    std::vector<Verdict> bulk_ref(n), bulk_fast(n), bulk_cached(n), bulk_tiny(n), bulk_flows(n), bulk_both(n), bulk_both_tiny(n);
    EndpointCache cache, tiny(8), cache2, tiny2(8);
    FlowCache flows, flows2, flows_tiny(8);
    for (std::size_t i = 0, len = 1; i < n; i += len, len = len % 97 + 1) {
        const std::size_t k = std::min(len, n - i);
        decide_bulk(ref, &packets[i], &times[i], &bulk_ref[i], k);
        decide_bulk(fast, &packets[i], &times[i], &bulk_fast[i], k);
        decide_bulk(fast, &packets[i], &times[i], &bulk_cached[i], k, &cache);
        decide_bulk(fast, &packets[i], &times[i], &bulk_tiny[i], k, &tiny);
        decide_bulk(fast, &packets[i], &times[i], &bulk_flows[i], k, nullptr, &flows);
        decide_bulk(fast, &packets[i], &times[i], &bulk_both[i], k, &cache2, &flows2);
        decide_bulk(fast, &packets[i], &times[i], &bulk_both_tiny[i], k, &tiny2, &flows_tiny);
    }
    // The cached runs were answered mostly from the caches (else they proved nothing about them):
    // half the packets repeat a flow, and most of those were seen on the window's same side.
    EXPECT_GT(cache.hits(), 10 * cache.misses());
    EXPECT_GT(tiny.misses(), tiny.hits());
    EXPECT_GT(flows.hits(), n / 5);
    EXPECT_EQ(flows.hits(), flows2.hits());
    EXPECT_GT(flows_tiny.misses(), 10 * flows_tiny.hits());
    std::size_t emitted = 0, direction_dependent = 0, by_reason[drop_reason_count] = {};
    for (std::size_t i = 0; i < packets.size(); ++i) {
        const ParsedPacket& p = packets[i];
        const IpAddress& a = p.key.src;
        const IpAddress& b = p.key.dst;
        const Verdict want = decide(ref, p, times[i]);
        for (const Verdict& got : {decide(fast, p, times[i]), bulk_ref[i], bulk_fast[i], bulk_cached[i], bulk_tiny[i],
                                   bulk_flows[i], bulk_both[i], bulk_both_tiny[i]}) {
            ASSERT_EQ(got.emit, want.emit) << to_string(a) << " -> " << to_string(b);
            ASSERT_EQ(got.reason, want.reason) << to_string(a) << " -> " << to_string(b);
            ASSERT_EQ(got.category, want.category);
            ASSERT_EQ(got.rule, want.rule);
            ASSERT_EQ(got.authorisation, want.authorisation);
            ASSERT_EQ(got.indicator, want.indicator);
            ASSERT_EQ(got.src_cc, want.src_cc);
            ASSERT_EQ(got.dst_cc, want.dst_cc);
        }
        if (want.emit) ++emitted;
        else ++by_reason[static_cast<std::size_t>(want.reason)];
        direction_dependent += want.emit && decide(ref, reversed(p), times[i]).indicator != want.indicator;
    }
    // The comparison covered emits and every policy drop reason, not just one easy outcome, and
    // verdicts that name another indicator in the other direction (two foreign ends in ipsum).
    EXPECT_GT(emitted, 0u);
    EXPECT_GT(direction_dependent, 0u);
    for (DropReason r : {DropReason::no_rule, DropReason::special_address, DropReason::domestic_domestic,
                         DropReason::excluded_port, DropReason::fragment_no_ports, DropReason::unauthorised,
                         DropReason::not_ip, drop_reason_of(Anomaly::vlan_truncated)})
        EXPECT_GT(by_reason[static_cast<std::size_t>(r)], 0u) << name_of(r);
}

// A worker's caches outlive snapshots: after a reload to tables that answer differently
// (here: AU made domestic, so AU <-> JP becomes domestic-domestic, and the indicator lists emptied,
// so threat-linked matches stop), not one answer may come from the previous snapshot, even when the
// new one has the same generation number.
TEST(ClassifierIndex, EndpointCacheNeverAnswersForAnotherSnapshot) {
    const std::vector<Rule> rules = {make_rule(Category::transit, EndpointKind::foreign, 0),
                                     make_rule(Category::threat_linked, EndpointKind::domestic, 0, set_bit("ipsum"))};
    const Snapshot before = prepared(snapshot_with(rules, {valid_window()}));
    Snapshot with_au = snapshot_with(rules, {valid_window()});
    with_au.domestic.add(cc("AU"));
    with_au.indicators = IndicatorTable{};
    const Snapshot after = prepared(with_au);
    ASSERT_EQ(before.generation, after.generation);
    ASSERT_NE(before.index.serial, after.index.serial);

    std::vector<ParsedPacket> burst;
    for (const char* a : {addr::au, addr::kr_ipsum, addr::us, addr::au6})
        for (const char* b : {addr::jp, addr::jp_ipsum, addr::au, addr::jp6, addr::us6})
            if (ip(a).family == ip(b).family) burst.push_back(packet(a, b, ipproto::tcp, 40000, 443));
    const std::vector<std::uint64_t> times(burst.size(), inside);
    EndpointCache cache, cache2;
    FlowCache flows;
    std::size_t changed = 0;
    for (int round = 0; round < 3; ++round) {
        for (const Snapshot* s : {&before, &before, &after, &after}) {  // the second burst of each: hits
            std::vector<Verdict> endpoint_only(burst.size()), both(burst.size());
            decide_bulk(*s, burst.data(), times.data(), endpoint_only.data(), burst.size(), &cache);
            decide_bulk(*s, burst.data(), times.data(), both.data(), burst.size(), &cache2, &flows);
            for (const auto& got : {endpoint_only, both}) {
                for (std::size_t i = 0; i < burst.size(); ++i) {
                    const Verdict want = decide(*s, burst[i], inside);
                    ASSERT_EQ(got[i].emit, want.emit) << "round " << round << " packet " << i;
                    ASSERT_EQ(got[i].reason, want.reason) << "round " << round << " packet " << i;
                    ASSERT_EQ(got[i].src_cc, want.src_cc);
                    ASSERT_EQ(got[i].indicator, want.indicator);
                    if (s == &after && want.reason != decide(before, burst[i], inside).reason) ++changed;
                }
            }
        }
    }
    EXPECT_GT(changed, 0u);  // the two snapshots do disagree on some of these packets
    EXPECT_GT(cache.hits(), 0u);
    EXPECT_GT(flows.hits(), 0u);
}

// IPv4 a.b.c.d and IPv6 ::a.b.c.d share the numeric value but are different endpoints.
TEST(ClassifierIndex, EndpointCacheKeepsFamiliesApart) {
    const Snapshot s = prepared(snapshot_with({make_rule(Category::transit, EndpointKind::foreign, 0)}, {valid_window()}));
    const IpAddress v4 = ip(addr::au);
    const IpAddress v6 = IpAddress::from_v6(U128{0, v4.v4});
    EndpointCache cache;
    cache.bind(&s, s.index.serial);
    cache.store(v4, 7, IndicatorMatch{1, 2});
    std::uint32_t cls = 0;
    IndicatorMatch ind;
    EXPECT_FALSE(cache.find(v6, cls, ind));
    const IpAddress v6_other = IpAddress::from_v6(U128{1, v4.v4});  // the same low 64 bits
    cache.store(v6, 8, IndicatorMatch{});
    EXPECT_FALSE(cache.find(v6_other, cls, ind));
    ASSERT_TRUE(cache.find(v4, cls, ind));
    EXPECT_EQ(cls, 7u);
    EXPECT_EQ(ind.indicator, 2u);
    cache.bind(&s, s.index.serial + 1);
    EXPECT_FALSE(cache.find(v4, cls, ind));  // another snapshot: retired
    cache.store(v4, 7, IndicatorMatch{1, 2});
    const Snapshot copy = s;  // the same serial in another object (say, edited after preparing)
    cache.bind(&copy, copy.index.serial);
    EXPECT_FALSE(cache.find(v4, cls, ind));
}

// The flow cache reads a remembered emitting verdict's rule window before it compares the key (no
// branch on it), so an entry of another snapshot must never lead it into these rules: its rule
// index may lie past their end. Rules here are exactly three, allocated alone, so that the sanitized
// suite (ASan) reports a read of a fourth.
TEST(ClassifierIndex, FlowCacheNeverReadsARuleOfAnotherSnapshot) {
    const int first = 0, second = 0;  // two snapshots' identities
    const ParsedPacket p = packet(addr::au, addr::us);
    const std::int64_t t = 1'000;
    const auto open_rules = [](std::size_t n) {
        auto r = std::make_unique<HotRule[]>(n);
        for (std::size_t i = 0; i < n; ++i) r[i].from_ns = 0, r[i].until_ns = 2'000;
        return r;
    };
    Verdict v;
    v.emit = true;
    v.rule = 3;
    FlowCache flows(1);
    flows.bind(&first, 1);
    flows.store(flows.locate(p.key), v, false);
    Verdict got;
    const auto four = open_rules(4);
    ASSERT_TRUE(flows.find(flows.locate(p.key), t, four.get(), got));  // its own snapshot: answered
    EXPECT_EQ(got.rule, 3u);
    four[3].until_ns = t;  // the window shut: not answered
    EXPECT_FALSE(flows.find(flows.locate(p.key), t, four.get(), got));
    flows.bind(&second, 2);
    const auto three = open_rules(3);
    EXPECT_FALSE(flows.find(flows.locate(p.key), t, three.get(), got));
}

// A flow's remembered verdict follows the authorisation windows (invariant 2): rule 0's window is
// [from + 100, from + 200), rule 1's the whole year. Outside rule 0's window the flow is rule 1's,
// and that verdict, which a shut window took part in, must never be remembered (else the flow would
// stay rule 1's once the window opens); inside it, the remembered rule-0 verdict must not outlive
// the window's end.
TEST(ClassifierIndex, FlowCacheFollowsAuthorisationWindows) {
    const Snapshot s = prepared(snapshot_with({make_rule(Category::transit, EndpointKind::foreign, 1),
                                               make_rule(Category::transit, EndpointKind::foreign, 0)},
                                              {valid_window(), {window_from + 100, window_from + 200, true}}));
    const ParsedPacket p = packet(addr::au, addr::us);
    FlowCache flows;
    struct Step {
        std::int64_t t;
        std::uint32_t rule;
        std::uint64_t hits;  // the flow cache's hits so far
    };
    for (const Step& step : {Step{window_from + 50, 1, 0}, Step{window_from + 150, 0, 0}, Step{window_from + 160, 0, 1},
                             Step{window_from + 199, 0, 2}, Step{window_from + 200, 1, 2}, Step{window_from + 150, 0, 3},
                             Step{window_from + 99, 1, 3}}) {
        const auto t = static_cast<std::uint64_t>(step.t);
        Verdict got;
        decide_bulk(s, &p, &t, &got, 1, nullptr, &flows);
        const Verdict want = decide(s, p, t);
        ASSERT_TRUE(want.emit);
        EXPECT_EQ(want.rule, step.rule) << "at from + " << step.t - window_from;
        EXPECT_TRUE(got.emit);
        EXPECT_EQ(got.rule, want.rule) << "at from + " << step.t - window_from;
        EXPECT_EQ(got.authorisation, want.authorisation);
        EXPECT_EQ(flows.hits(), step.hits) << "at from + " << step.t - window_from;
    }
}

// What the one transit rule (rule 0, authorisation 0) emits for a flow from AU to US: the verdict
// the flow cache tests store directly.
Verdict transit_verdict() {
    Verdict v;
    v.emit = true;
    v.rule = 0;
    v.authorisation = 0;
    v.src_cc = cc("AU");
    v.dst_cc = cc("US");
    return v;
}

// Everything a verdict reads of a packet is in the flow cache's key; nothing else is. The cache has
// one slot, so every flow meets the stored one there and only the key compare can tell them apart.
TEST(ClassifierIndex, FlowCacheKeysEveryFieldAVerdictReads) {
    const Snapshot s = prepared(snapshot_with({make_rule(Category::transit, EndpointKind::foreign, 0)}, {valid_window()}));
    const Verdict v = transit_verdict();
    FlowCache flows(1);
    ASSERT_EQ(flows.slots(), 1u);
    flows.bind(&s, s.index.serial);
    const auto found = [&](const ParsedPacket& p) {
        Verdict out;
        return flows.find(flows.locate(p.key), static_cast<std::int64_t>(inside), s.index.rules.data(), out) &&
               out.src_cc == v.src_cc;
    };
    for (const auto& [src, dst] : {std::pair{addr::au, addr::us}, std::pair{addr::au6, addr::us6}}) {
        // Each family in an empty cache: a flow that answered packets keeps its slot once against
        // the next (second chance, tested below).
        flows = FlowCache(1);
        flows.bind(&s, s.index.serial);
        const ParsedPacket base = packet(src, dst, ipproto::tcp, 40000, 443);
        flows.store(flows.locate(base.key), v, false);
        ASSERT_TRUE(found(base)) << src;
        std::vector<ParsedPacket> others(8, base);
        // ::1.0.0.1 is not 1.0.0.1 (for the IPv6 flow: the same address as IPv4 is not the flow).
        if (base.key.src.is_v4()) {
            others[0].key.src = IpAddress::from_v6(U128{0, base.key.src.v4});
            others[1].key.dst = IpAddress::from_v6(U128{0, base.key.dst.v4});
        } else {
            others[0].key.src = IpAddress::from_v4(static_cast<std::uint32_t>(base.key.src.v6.lo));
            others[1].key.dst = IpAddress::from_v4(static_cast<std::uint32_t>(base.key.dst.v6.lo));
        }
        others[2].key.src_port = 40001;
        others[3].key.dst_port = 444;
        others[4].key.proto = ipproto::udp;
        others[5].key.has_ports = false;
        others[6].key.fragment = Fragment::non_first;
        std::swap(others[7].key.src_port, others[7].key.dst_port);  // the ports swapped, not the addresses
        // Every bit of both ports (the key keeps the ends in an order of its own: either may be first).
        for (int bit = 0; bit < 16; ++bit) {
            ParsedPacket p = base, q = base;
            p.key.src_port ^= static_cast<std::uint16_t>(1u << bit);
            q.key.dst_port ^= static_cast<std::uint16_t>(1u << bit);
            others.push_back(p);
            others.push_back(q);
        }
        // Every byte of both addresses.
        for (int side = 0; side < 2; ++side)
            for (int byte = 0; byte < 16; ++byte) {
                ParsedPacket p = base;
                IpAddress& a = side == 0 ? p.key.src : p.key.dst;
                const std::uint64_t flip = std::uint64_t{0x5a} << (8 * (byte % 8));
                if (a.is_v4() && byte >= 4) continue;
                if (a.is_v4()) a.v4 ^= static_cast<std::uint32_t>(flip);
                else if (byte < 8) a.v6.lo ^= flip;
                else a.v6.hi ^= flip;
                others.push_back(p);
            }
        for (std::size_t i = 0; i < others.size(); ++i) {
            EXPECT_FALSE(found(others[i])) << src << " variant " << i;
            EXPECT_TRUE(found(base)) << src << " variant " << i;
        }
        ParsedPacket first = base;  // a first fragment is decided as an unfragmented packet
        first.key.fragment = Fragment::first;
        EXPECT_TRUE(found(first)) << src;
        // The other direction is the same flow, its country codes swapped back; unless the verdict
        // was stored as one that answers its own direction only.
        const ParsedPacket back = reversed(base);
        Verdict out;
        ASSERT_TRUE(flows.find(flows.locate(back.key), static_cast<std::int64_t>(inside), s.index.rules.data(), out)) << src;
        EXPECT_EQ(out.src_cc, v.dst_cc);
        EXPECT_EQ(out.dst_cc, v.src_cc);
        EXPECT_EQ(out.rule, v.rule);
        flows.store(flows.locate(base.key), v, true);
        EXPECT_TRUE(found(base)) << src;
        EXPECT_FALSE(flows.find(flows.locate(back.key), static_cast<std::int64_t>(inside), s.index.rules.data(), out)) << src;
        flows.store(flows.locate(back.key), v, true);  // then that direction's own entry replaces it
        EXPECT_TRUE(flows.find(flows.locate(back.key), static_cast<std::int64_t>(inside), s.index.rules.data(), out)) << src;
        EXPECT_FALSE(found(base)) << src;
    }
    flows.bind(&s, s.index.serial + 1);
    EXPECT_FALSE(found(packet(addr::au, addr::us, ipproto::tcp, 40000, 443)));  // another snapshot: retired
}

// Replacement: a flow whose entry answered a packet since it was last passed over keeps its slot
// once against a new flow (which is then simply not remembered); one that answered none, the same
// flow's new verdict and any entry of an older snapshot are replaced at once. A one-slot cache, so
// every flow meets the stored one.
TEST(ClassifierIndex, FlowCacheGivesFlowsThatAnsweredASecondChance) {
    const Snapshot s = prepared(snapshot_with({make_rule(Category::transit, EndpointKind::foreign, 0)}, {valid_window()}));
    const Verdict v = transit_verdict();
    FlowCache flows(1);
    flows.bind(&s, s.index.serial);
    const auto flow = [](std::uint16_t sport) { return packet(addr::au, addr::us, ipproto::tcp, sport, 443); };
    const auto found = [&](const ParsedPacket& p, Verdict* out = nullptr) {
        Verdict o;
        const bool hit = flows.find(flows.locate(p.key), static_cast<std::int64_t>(inside), s.index.rules.data(), o);
        if (out) *out = o;
        return hit;
    };
    const ParsedPacket a = flow(40000), b = flow(40001), c = flow(40002);
    flows.store(flows.locate(a.key), v, false);
    ASSERT_TRUE(found(a));  // a answered a packet
    flows.store(flows.locate(b.key), v, false);
    EXPECT_FALSE(found(b)) << "a, which answered, keeps its slot once";
    flows.store(flows.locate(b.key), v, false);
    EXPECT_TRUE(found(b)) << "a answered nothing since it was passed over: b replaces it";
    EXPECT_FALSE(found(a));
    // The same flow's new verdict replaces its old one though that answered.
    Verdict other = v;
    other.reason = DropReason::no_rule;
    other.emit = false;
    flows.store(flows.locate(b.key), other, false);
    Verdict out;
    ASSERT_TRUE(found(b, &out));
    EXPECT_FALSE(out.emit);
    // An entry that answered nothing is replaced at once.
    flows = FlowCache(1);
    flows.bind(&s, s.index.serial);
    flows.store(flows.locate(a.key), v, false);
    flows.store(flows.locate(c.key), v, false);
    EXPECT_TRUE(found(c));
    EXPECT_FALSE(found(a));
    // c answered, but under another snapshot its entry is retired and replaced at once.
    flows.bind(&s, s.index.serial + 1);
    flows.store(flows.locate(a.key), v, false);
    EXPECT_TRUE(found(a));
    EXPECT_FALSE(found(c));
}

// Both directions of a flow share one flow cache entry (the country codes given back in the packet's
// order), except where the verdict differs by direction: between two foreign ends in a required set
// the sender's indicator is named, so the reply must not be answered with the request's indicator.
TEST(ClassifierIndex, FlowCacheSharesAnEntryBetweenDirectionsOnlyWhereTheVerdictIsTheSame) {
    const std::uint32_t ipsum = set_bit("ipsum");
    const Snapshot s = prepared(snapshot_with({make_rule(Category::threat_linked, EndpointKind::foreign, 0, ipsum),
                                               make_rule(Category::threat_linked, EndpointKind::domestic, 0, ipsum)},
                                              {valid_window()}));
    const std::vector<IpAddress> foreign_ipsum = foreign_indicators(s, ipsum, 2, 1);
    ASSERT_EQ(foreign_ipsum.size(), 2u);
    ASSERT_TRUE(foreign_ipsum[0].is_v4() && foreign_ipsum[1].is_v4());  // paired with an IPv4 domestic host below
    const auto flow = [](const IpAddress& a, const IpAddress& b, std::uint16_t sport, std::uint16_t dport) {
        ParsedPacket p = packet(addr::au, addr::us, ipproto::tcp, sport, dport);
        p.key.src = a;
        p.key.dst = b;
        return p;
    };
    const std::uint64_t t = inside;
    FlowCache flows;
    const auto check = [&](const ParsedPacket& p, std::uint64_t hits_after, const char* what) {
        Verdict got;
        decide_bulk(s, &p, &t, &got, 1, nullptr, &flows);
        const Verdict want = decide(s, p, t);
        EXPECT_TRUE(want.emit) << what;
        EXPECT_EQ(got.rule, want.rule) << what;
        EXPECT_EQ(got.indicator, want.indicator) << what;
        EXPECT_EQ(got.src_cc, want.src_cc) << what;
        EXPECT_EQ(got.dst_cc, want.dst_cc) << what;
        EXPECT_EQ(flows.hits(), hits_after) << what;
    };
    const IpAddress& a = foreign_ipsum[0];
    const IpAddress& b = foreign_ipsum[1];
    const IpAddress jp = ip(addr::jp);
    // Foreign <-> domestic: the foreign end's indicator either way; the reply is a hit.
    check(flow(a, jp, 40000, 8080), 0, "request to a domestic host");
    check(flow(jp, a, 8080, 40000), 1, "its reply, from the shared entry");
    check(flow(a, jp, 40000, 8080), 2, "the request again");
    // Foreign <-> foreign, both in ipsum: each direction names its sender's indicator.
    ASSERT_NE(decide(s, flow(a, b, 40001, 8080), t).indicator, decide(s, flow(b, a, 8080, 40001), t).indicator);
    check(flow(a, b, 40001, 8080), 2, "request between two foreign indicators");
    check(flow(b, a, 8080, 40001), 2, "its reply: not the request's entry");
    check(flow(a, b, 40001, 8080), 2, "the request again: the reply's entry replaced it");
    check(flow(a, b, 40001, 8080), 3, "and once more: its own entry");
}

TEST(ClassifierIndex, CandidatesArePerKindPairInRuleOrder) {
    const Snapshot s = prepared(snapshot_with({make_rule(Category::transit, EndpointKind::foreign, 0),
                                               make_rule(Category::threat_linked, EndpointKind::domestic, 0, 1),
                                               make_rule(Category::transit, EndpointKind::foreign, 0)},
                                              {valid_window()}));
    const auto pair = [&](EndpointKind a, EndpointKind b) {
        const std::size_t p = static_cast<std::size_t>(a) * endpoint_kind_count + static_cast<std::size_t>(b);
        return std::vector<std::uint32_t>(s.index.candidates.begin() + s.index.pair_begin[p],
                                          s.index.candidates.begin() + s.index.pair_begin[p + 1]);
    };
    using K = EndpointKind;
    EXPECT_EQ(pair(K::foreign, K::foreign), (std::vector<std::uint32_t>{0, 2}));
    EXPECT_EQ(pair(K::domestic, K::foreign), (std::vector<std::uint32_t>{1}));
    EXPECT_EQ(pair(K::foreign, K::domestic), (std::vector<std::uint32_t>{1}));
    EXPECT_TRUE(pair(K::foreign, K::unknown).empty());
    EXPECT_TRUE(s.index.pair_needs_indicators[static_cast<std::size_t>(K::foreign) * endpoint_kind_count +
                                              static_cast<std::size_t>(K::domestic)]);
    EXPECT_FALSE(s.index.pair_needs_indicators[static_cast<std::size_t>(K::foreign) * endpoint_kind_count +
                                               static_cast<std::size_t>(K::foreign)]);
}

// The combined endpoint table against the three-lookup reference on the full world table
// (data/world), the test operators and the special blocks: 1.5M seeded addresses inside random
// ranges and uniform, IPv4 and IPv6, single and bulk.
// The hot rule copies: few ports inline, larger port and protocol sets shared between rules, the
// authorisation's window copied (empty when it is refused or missing).
TEST(ClassifierIndex, HotRulesShareExclusionSetsAndCopyWindows) {
    Rule wide = make_rule(Category::transit, EndpointKind::foreign, 1);
    set_excluded_ports(wide, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    wide.excluded_protocols.set(ipproto::udp);
    Rule none = make_rule(Category::transit, EndpointKind::foreign, 2);
    set_excluded_ports(none, {});
    const Snapshot s = prepared(snapshot_with({make_rule(Category::transit, EndpointKind::foreign, 0), wide, wide, none,
                                               make_rule(Category::transit, EndpointKind::foreign, 7)},
                                              {valid_window(), {window_from, window_from + 1, true}, {window_from, window_until, false}}));
    ASSERT_TRUE(s.index.ready);
    ASSERT_EQ(s.index.rules.size(), 5u);
    const HotRule& plain = s.index.rules[0];
    EXPECT_EQ(plain.port_set, HotRule::none);
    ASSERT_EQ(plain.small_port_count, std::size(default_excluded_ports));
    for (std::size_t i = 0; i < std::size(default_excluded_ports); ++i) EXPECT_EQ(plain.small_ports[i], default_excluded_ports[i]);
    for (std::size_t i = std::size(default_excluded_ports); i < HotRule::small_ports_max; ++i)
        EXPECT_EQ(plain.small_ports[i], default_excluded_ports[0]);  // padding repeats a real one
    EXPECT_EQ(plain.protocol_set, HotRule::none);
    EXPECT_EQ(plain.from_ns, window_from);
    EXPECT_EQ(plain.until_ns, window_until);
    EXPECT_EQ(s.index.port_sets.size(), 1u);  // the two `wide` rules share one
    EXPECT_EQ(s.index.protocol_sets.size(), 1u);
    EXPECT_EQ(s.index.rules[1].port_set, 0u);
    EXPECT_EQ(s.index.rules[2].port_set, 0u);
    EXPECT_EQ(s.index.rules[1].until_ns, window_from + 1);
    EXPECT_FALSE(s.index.rules[3].excludes_ports);
    EXPECT_EQ(s.index.rules[3].small_port_count, 0u);
    for (std::size_t i : {3u, 4u}) {  // refused window, missing authorisation: never valid
        EXPECT_GT(s.index.rules[i].from_ns, s.index.rules[i].until_ns);
    }
}

TEST(ClassifierIndex, FullWorldTableEndpointClassesEqualTheReference) {
    const std::string dir = std::string(FLOWSIEVE_SOURCE_ROOT) + "/data/world/";
    std::vector<CountryRange> ranges;
    for (const char* f : {"geo-whois-asn-country-ipv4.csv", "geo-whois-asn-country-ipv6.csv"}) {
        if (!std::filesystem::exists(dir + f)) GTEST_SKIP() << "full world table not present; scripts/fetch-world-table";
        auto r = load_range_csv(dir + f);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ranges.insert(ranges.end(), r->begin(), r->end());
    }
    Snapshot s = world().base;
    s.countries = CountryTable::build(ranges);
    prepare_classifier(s);
    ASSERT_TRUE(s.index.ready);
    EXPECT_TRUE(s.index.endpoints.compact_v4());

    std::mt19937_64 rng(20261125);
    std::vector<IpAddress> probes;
    for (int i = 0; i < 500000; ++i) {
        const CountryRange& r = ranges[rng() % ranges.size()];
        if (r.first.is_v4()) {
            const std::uint64_t span = std::uint64_t{r.last.v4} - r.first.v4 + 1;
            probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(r.first.v4 + rng() % span)));
        } else {  // inside the range's first /64s (enough to reach its edges in the low bits too)
            const std::uint64_t span_hi = r.last.v6.hi - r.first.v6.hi;
            U128 a{r.first.v6.hi + (span_hi == ~0ull ? rng() : rng() % (span_hi + 1)), rng()};
            if (a.hi == r.first.v6.hi && a.lo < r.first.v6.lo) a.lo = r.first.v6.lo;
            if (a.hi == r.last.v6.hi && a.lo > r.last.v6.lo) a.lo = r.last.v6.lo;
            probes.push_back(IpAddress::from_v6(a));
        }
        probes.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
        probes.push_back(IpAddress::from_v6(U128{(rng() >> 3) | (1ull << 61), rng()}));
    }
    for (const auto& op : test_operators)
        for (const char* p : op.prefixes) probes.push_back(prefix(p).addr);

    std::vector<std::uint32_t> k4, out4;
    std::vector<U128> k6;
    std::vector<std::uint32_t> out6;
    std::size_t bad = 0, kinds[endpoint_kind_count] = {};
    for (const IpAddress& a : probes) {
        const EndpointClass want = classify_endpoint_reference(s, a), got = classify_endpoint(s, a);
        ++kinds[static_cast<std::size_t>(want.kind)];
        if ((got.kind != want.kind || got.cc != want.cc || got.operator_index != want.operator_index) && ++bad <= 10)
            ADD_FAILURE() << to_string(a) << ": " << name_of(got.kind) << " " << country_code_text(got.cc) << ", want "
                          << name_of(want.kind) << " " << country_code_text(want.cc);
        if (a.is_v4()) k4.push_back(a.v4);
        else k6.push_back(a.v6);
    }
    EXPECT_EQ(bad, 0u);
    for (std::size_t k = 0; k < endpoint_kind_count; ++k)
        EXPECT_GT(kinds[k], 0u) << name_of(static_cast<EndpointKind>(k));
    out4.resize(k4.size());
    out6.resize(k6.size());
    s.index.endpoints.lookup_v4_bulk(k4.data(), out4.data(), k4.size());
    s.index.endpoints.lookup_v6_bulk(k6.data(), out6.data(), k6.size());
    for (std::size_t i = 0; i < k4.size(); ++i) ASSERT_EQ(out4[i], s.index.endpoints.lookup_v4(k4[i])) << i;
    for (std::size_t i = 0; i < k6.size(); ++i) ASSERT_EQ(out6[i], s.index.endpoints.lookup_v6(k6[i])) << i;
}

}  // namespace
}  // namespace flowsieve::testing
