// policy_test_util.hpp: a Snapshot built directly from the real test tables (world extract, threat
// feeds), reference lookups over the raw ranges, and packet/rule builders for the policy tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "core/time_text.hpp"
#include "parse/packet_parser.hpp"
#include "policy/classifier.hpp"
#include "policy/snapshot.hpp"
#include "policy/special_blocks.hpp"
#include "tables/country_table.hpp"
#include "tables/indicator_table.hpp"

namespace flowsieve {
// gtest printers, found by ADL, so failures name the enum values.
inline void PrintTo(EndpointKind k, std::ostream* os) { *os << name_of(k); }
inline void PrintTo(DropReason r, std::ostream* os) { *os << name_of(r); }
inline void PrintTo(Category c, std::ostream* os) { *os << name_of(c); }
}  // namespace flowsieve

namespace flowsieve::testing {

inline IpAddress ip(const std::string& text) {
    auto a = parse_ip(text);
    if (!a) throw std::runtime_error("bad address in test: " + text);
    return *a;
}

inline Prefix prefix(const std::string& text) {
    auto p = parse_prefix(text);
    if (!p) throw std::runtime_error("bad prefix in test: " + text);
    return p.value();
}

inline CountryCode cc(const char* text) { return *parse_country_code(text); }

inline std::int64_t at(const char* rfc3339) {
    auto t = parse_time(rfc3339);
    if (!t) throw std::runtime_error(std::string("bad time in test: ") + rfc3339);
    return *t;
}

// The validity window every test authorisation uses unless it says otherwise: [from, until).
inline const std::int64_t window_from = at("2026-01-01T00:00:00Z");
inline const std::int64_t window_until = at("2027-01-01T00:00:00Z");
inline const std::uint64_t inside = static_cast<std::uint64_t>(at("2026-06-01T12:00:00Z"));

// The operators of the test world. Operator 0's prefixes sit inside a JP range, inside a CN range
// (an operator may hold space registered abroad: the operator list wins over the country table)
// and inside a special block (special wins over everything).
struct TestOperator {
    const char* id;
    std::vector<const char*> prefixes;
};
inline const std::vector<TestOperator> test_operators = {
    {"power", {"1.0.16.0/24", "1.0.1.0/24", "2001:218:2008:1::/64", "10.1.0.0/16"}},
    {"rail", {"1.0.17.0/24"}},
};

// Addresses with the class the world extract gives them (each test checks its premise against the
// reference lookup below, so a change in the data fails loudly instead of silently testing nothing).
namespace addr {
inline const char* const jp = "1.0.20.1";          // 1.0.16.0-1.0.31.255 JP
inline const char* const jp2 = "1.0.30.5";         // same JP range
inline const char* const au = "1.0.0.1";           // 1.0.0.0-1.0.0.255 AU
inline const char* const cn = "1.0.2.1";           // 1.0.1.0-1.0.3.255 CN (outside operator 0's /24)
inline const char* const us = "1.32.232.1";        // 1.32.232.0-1.32.239.255 US
inline const char* const power = "1.0.16.9";       // operator 0, in JP space
inline const char* const power_cn = "1.0.1.77";    // operator 0, in CN space
inline const char* const rail = "1.0.17.3";        // operator 1, in JP space
inline const char* const unknown = "2.0.0.1";      // gap 1.255.255.255 .. 2.56.174.0
inline const char* const kr_ipsum = "61.73.27.69"; // KR, listed in ipsum-level3
inline const char* const jp_ipsum = "133.18.181.51"; // JP, listed in ipsum-level3
inline const char* const jp6 = "2001:218:2008:2::1";   // 2001:218:2008::/48 JP
inline const char* const power6 = "2001:218:2008:1::5"; // operator 0, in JP space
inline const char* const au6 = "2001:200::1";      // AU
inline const char* const us6 = "2001:400::1";      // US
inline const char* const de6 = "2003::1";          // 2003::/19 DE
inline const char* const unknown6 = "2001:401::1"; // gap between 2001:400::/32 and 2001:408::/32
}  // namespace addr

struct TestWorld {
    std::vector<CountryRange> ranges;  // v4 then v6, file order (later overrides earlier)
    Snapshot base;                     // tables, domestic JP, operators; no rules, no authorisations
};

inline const TestWorld& world() {
    static const TestWorld w = [] {
        TestWorld t;
        for (const char* f : {"geo/world-extract-ipv4.csv", "geo/world-extract-ipv6.csv"}) {
            auto r = load_range_csv(test_data(f));
            if (!r) throw std::runtime_error(r.error().message);
            t.ranges.insert(t.ranges.end(), r->begin(), r->end());
        }
        Snapshot& s = t.base;
        s.generation = 1;
        s.domestic.add(cc("JP"));
        s.countries = CountryTable::build(t.ranges);
        s.special = build_special_table();
        std::vector<IndicatorSetSource> sets;
        for (auto [name, file] : {std::pair{"ipsum", "indicators/ip/ipsum-level3.txt"},
                                  std::pair{"scanners", "indicators/ip/maltrail-mass-scanner-cidr.txt"}}) {
            auto set = load_indicator_list(name, test_data(file));
            if (!set) throw std::runtime_error(set.error().message);
            sets.push_back(std::move(set.value()));
        }
        auto ind = IndicatorTable::build(std::move(sets));
        if (!ind) throw std::runtime_error(ind.error().message);
        s.indicators = std::move(ind.value());
        std::vector<PrefixTable::Entry> ops;
        for (std::size_t i = 0; i < test_operators.size(); ++i) {
            s.operator_info.push_back({test_operators[i].id, test_operators[i].id});
            for (const char* p : test_operators[i].prefixes) ops.push_back({prefix(p), static_cast<std::uint32_t>(i + 1)});
        }
        s.operators = PrefixTable::build(std::move(ops));
        return t;
    }();
    return w;
}

// Reference country lookup: a linear scan over the raw ranges, the last covering range wins.
inline CountryCode reference_cc(const IpAddress& a) {
    CountryCode found = no_country;
    for (const auto& r : world().ranges)
        if (r.first.family == a.family && r.first <= a && a <= r.last) found = r.cc;
    return found;
}

inline bool in_special_list(const IpAddress& a) {
    for (const auto& b : special_blocks())
        if (prefix_contains(prefix(std::string(b.prefix)), a)) return true;
    return false;
}

// Reference operator lookup: -1 when in no operator's prefixes (the test prefixes do not nest).
inline int reference_operator(const IpAddress& a) {
    for (std::size_t i = 0; i < test_operators.size(); ++i)
        for (const char* p : test_operators[i].prefixes)
            if (prefix_contains(prefix(p), a)) return static_cast<int>(i);
    return -1;
}

inline std::uint32_t set_bit(const char* name) {
    int i = world().base.indicators.set_index(name);
    if (i < 0) throw std::runtime_error(std::string("no indicator set ") + name);
    return 1u << i;
}

inline void set_excluded_ports(Rule& r, std::initializer_list<std::uint16_t> ports) {
    r.excluded_ports.reset();
    for (auto p : ports) r.excluded_ports.set(p);
    r.excludes_ports = r.excluded_ports.any();
}

// A rule as the snapshot builder makes one from a config without exclude_* keys.
inline Rule make_rule(Category c, EndpointKind near, std::uint32_t authorisation, std::uint32_t required_sets = 0,
                      std::uint16_t operator_index = 0) {
    Rule r;
    r.id = std::string(name_of(c)) + "-rule";
    r.category = c;
    r.near = near;
    r.operator_index = operator_index;
    r.required_sets = required_sets;
    for (auto p : default_excluded_ports) r.excluded_ports.set(p);
    r.excludes_ports = true;
    r.authorisation = authorisation;
    return r;
}

inline AuthWindow valid_window() { return {window_from, window_until, true}; }

// The test world plus the given rules and one window per authorisation index.
inline Snapshot snapshot_with(std::vector<Rule> rules, std::vector<AuthWindow> windows) {
    Snapshot s = world().base;
    s.rules = std::move(rules);
    s.windows = std::move(windows);
    s.authorisations.resize(s.windows.size());
    return s;
}

// A well-formed parsed packet between two addresses (what parse_packet yields for it).
inline ParsedPacket packet(const std::string& src, const std::string& dst, std::uint8_t proto = ipproto::tcp,
                           std::uint16_t src_port = 40000, std::uint16_t dst_port = 443,
                           Fragment fragment = Fragment::none) {
    ParsedPacket p;
    p.outcome = ParseOutcome::ok;
    p.key.src = ip(src);
    p.key.dst = ip(dst);
    p.key.proto = proto;
    p.key.fragment = fragment;
    const bool l4_ports = proto == ipproto::tcp || proto == ipproto::udp || proto == ipproto::sctp;
    p.key.has_ports = l4_ports && fragment != Fragment::non_first;
    if (p.key.has_ports) {
        p.key.src_port = src_port;
        p.key.dst_port = dst_port;
    }
    p.header_len = 54;
    return p;
}

// The same packet seen in the other direction.
inline ParsedPacket reversed(const ParsedPacket& p) {
    ParsedPacket r = p;
    std::swap(r.key.src, r.key.dst);
    std::swap(r.key.src_port, r.key.dst_port);
    return r;
}

inline std::string describe(const Verdict& v) {
    if (v.emit) return "emit " + std::string(name_of(v.category)) + " rule " + std::to_string(v.rule);
    return "drop " + std::string(name_of(v.reason));
}

}  // namespace flowsieve::testing
