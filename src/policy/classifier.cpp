// classifier.cpp: the per-packet policy decision (worker lcores). The order of checks is the law's:
// malformed -> not IP -> special -> domestic-domestic -> rules (exclusions, indicators) -> authority.
// prepare_classifier (control plane) precomputes what does not depend on the packet.
#include "policy/classifier.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <set>
#include <type_traits>
#include <unordered_map>

namespace flowsieve {

EndpointClass classify_endpoint_reference(const Snapshot& s, const IpAddress& a) noexcept {
    EndpointClass c;
    c.cc = s.countries.lookup(a);
    if (s.special.lookup(a) != 0) {
        c.kind = EndpointKind::special;
    } else if (std::uint32_t op = s.operators.lookup(a); op != 0) {
        c.kind = EndpointKind::operator_;
        c.operator_index = static_cast<std::uint16_t>(op - 1);
    } else if (c.cc == no_country) {
        c.kind = EndpointKind::unknown;
    } else {
        c.kind = s.domestic.contains(c.cc) ? EndpointKind::domestic : EndpointKind::foreign;
    }
    return c;
}

EndpointClass classify_endpoint(const Snapshot& s, const IpAddress& a) noexcept {
    if (s.index.ready) return s.index.classes[s.index.endpoints.lookup(a)];
    return classify_endpoint_reference(s, a);
}

namespace {

constexpr std::size_t pair_of(EndpointKind a, EndpointKind b) {
    return static_cast<std::size_t>(a) * endpoint_kind_count + static_cast<std::size_t>(b);
}

// Whether a rule's pair {foreign, near} can match endpoints of kinds a and b, operator aside.
bool kinds_can_match(const Rule& r, EndpointKind a, EndpointKind b) {
    return (a == EndpointKind::foreign && r.near == b) || (b == EndpointKind::foreign && r.near == a);
}

// Index of `set` in `sets`, appended when new; HotRule::none when the sets would not fit.
template <class Set>
std::uint16_t shared_set(std::vector<Set>& sets, const Set& set) {
    for (std::size_t i = 0; i < sets.size(); ++i)
        if (sets[i] == set) return static_cast<std::uint16_t>(i);
    if (sets.size() >= HotRule::none) return HotRule::none;
    sets.push_back(set);
    return static_cast<std::uint16_t>(sets.size() - 1);
}

// The hot copy of rule r; false when its exclusion sets do not fit the shared tables.
bool make_hot(ClassifierIndex& x, const Snapshot& s, const Rule& r, HotRule& h) {
    h.near = r.near;
    h.category = r.category;
    h.operator_index = r.operator_index;
    h.required_sets = r.required_sets;
    h.authorisation = r.authorisation;
    if (r.authorisation < s.windows.size() && s.windows[r.authorisation].usable) {
        h.from_ns = s.windows[r.authorisation].from_ns;
        h.until_ns = s.windows[r.authorisation].until_ns;
    }  // else the default empty window: unauthorised, as AuthWindow::valid_at says
    if (r.excluded_protocols.any()) {
        h.protocol_set = shared_set(x.protocol_sets, r.excluded_protocols);
        if (h.protocol_set == HotRule::none) return false;
    }
    // The port bits are copied whatever excludes_ports says; the flag alone decides whether they
    // are read, as in the reference.
    h.excludes_ports = r.excludes_ports;
    if (r.excluded_ports.count() <= HotRule::small_ports_max) {
        for (std::size_t port = r.excluded_ports._Find_first(); port < r.excluded_ports.size();
             port = r.excluded_ports._Find_next(port))
            h.small_ports[h.small_port_count++] = static_cast<std::uint16_t>(port);
        // Unused slots repeat the first port, so all eight can be compared at once.
        for (std::size_t j = h.small_port_count; j > 0 && j < HotRule::small_ports_max; ++j) h.small_ports[j] = h.small_ports[0];
    } else {
        h.port_set = shared_set(x.port_sets, r.excluded_ports);
        if (h.port_set == HotRule::none) return false;
    }
    return true;
}

}  // namespace

std::vector<std::uint16_t> prepare_classifier(Snapshot& s) {
    ClassifierIndex& x = s.index;
    x = ClassifierIndex{};
    // The same precedence as classify_endpoint_reference, evaluated once per elementary interval
    // of the three tables; equal classes share one entry so the combined table stays small.
    x.classes.push_back(EndpointClass{});
    std::unordered_map<std::uint64_t, std::uint32_t> ids{{0, 0}};  // packed class -> index
    std::set<std::uint16_t> foreign_operators;
    const PrefixTable* layers[] = {&s.special, &s.operators, &s.countries.lpm()};
    x.endpoints = PrefixTable::overlay(layers, [&](std::span<const std::uint32_t> v) -> std::uint32_t {
        EndpointClass c;
        c.cc = static_cast<CountryCode>(v[2]);
        // The config's word on an operator's prefixes wins over the registry-derived country (a
        // domestic operator's servers may sit in space registered abroad: a cloud region), but a
        // prefix reaching into foreign space may as well be a typo, so it is noted for a warning.
        if (v[0] == 0 && v[1] != 0 && c.cc != no_country && !s.domestic.contains(c.cc))
            foreign_operators.insert(static_cast<std::uint16_t>(v[1] - 1));
        if (v[0] != 0) {
            c.kind = EndpointKind::special;
        } else if (v[1] != 0) {
            c.kind = EndpointKind::operator_;
            c.operator_index = static_cast<std::uint16_t>(v[1] - 1);
        } else if (c.cc == no_country) {
            c.kind = EndpointKind::unknown;
        } else {
            c.kind = s.domestic.contains(c.cc) ? EndpointKind::domestic : EndpointKind::foreign;
        }
        const std::uint64_t key = std::uint64_t{c.cc} | std::uint64_t{static_cast<std::uint8_t>(c.kind)} << 16 |
                                  std::uint64_t{c.operator_index} << 24;
        const auto [it, added] = ids.try_emplace(key, static_cast<std::uint32_t>(x.classes.size()));
        if (added) x.classes.push_back(c);
        return it->second;
    });
    x.classes.shrink_to_fit();
    std::vector<std::uint16_t> operators_in_foreign_space(foreign_operators.begin(), foreign_operators.end());

    for (std::size_t a = 0; a < endpoint_kind_count; ++a) {
        for (std::size_t b = 0; b < endpoint_kind_count; ++b) {
            const std::size_t p = a * endpoint_kind_count + b;
            x.pair_begin[p] = static_cast<std::uint32_t>(x.candidates.size());
            x.pair_only_indicator_rules[p] = true;
            for (std::uint32_t i = 0; i < s.rules.size(); ++i) {
                if (!kinds_can_match(s.rules[i], static_cast<EndpointKind>(a), static_cast<EndpointKind>(b))) continue;
                x.candidates.push_back(i);
                x.pair_needs_indicators[p] = x.pair_needs_indicators[p] || s.rules[i].required_sets != 0;
                x.pair_only_indicator_rules[p] = x.pair_only_indicator_rules[p] && s.rules[i].required_sets != 0;
                x.pair_required_sets[p] |= s.rules[i].required_sets;
            }
        }
    }
    x.pair_begin.back() = static_cast<std::uint32_t>(x.candidates.size());
    x.rules.resize(s.rules.size());
    for (std::size_t i = 0; i < s.rules.size(); ++i) {
        if (!make_hot(x, s, s.rules[i], x.rules[i])) {
            x = ClassifierIndex{};  // tens of thousands of distinct exclusion sets: the reference path
            return operators_in_foreign_space;
        }
    }
    static std::atomic<std::uint64_t> serials{0};
    x.serial = serials.fetch_add(1, std::memory_order_relaxed) + 1;
    x.ready = true;
    return operators_in_foreign_space;
}

namespace {

bool is_near(const Rule& r, const EndpointClass& c) {
    return c.kind == r.near && (r.near != EndpointKind::operator_ || c.operator_index == r.operator_index);
}

// The rule's endpoint pair is {foreign, near}, in either direction.
bool pair_matches(const Rule& r, const EndpointClass& a, const EndpointClass& b) {
    return (a.kind == EndpointKind::foreign && is_near(r, b)) || (b.kind == EndpointKind::foreign && is_near(r, a));
}

// A rule that requires indicator sets matches only when an endpoint is in one of them; the foreign
// endpoint's indicator is preferred (the server known from past attacks) and named in the record,
// and it is an indicator of the rule's sets (the authorisation's scope), even where a set the rule
// does not require lists the address too (IndicatorTable::named_in).
// Only between two foreign ends does the packet's direction choose which is named (the flow cache
// relies on that: flow_cache.hpp).
bool rule_indicator(const IndicatorTable& table, std::uint32_t required_sets, const FlowKey& k, const EndpointClass& src,
                    const IndicatorMatch& src_ind, const IndicatorMatch& dst_ind, std::uint32_t& indicator) {
    const bool src_first = src.kind == EndpointKind::foreign;
    const IndicatorMatch& first = src_first ? src_ind : dst_ind;
    const IndicatorMatch& second = src_first ? dst_ind : src_ind;
    if (first.set_mask & required_sets) indicator = table.named_in(src_first ? k.src : k.dst, first, required_sets);
    else if (second.set_mask & required_sets) indicator = table.named_in(src_first ? k.dst : k.src, second, required_sets);
    else return false;
    return true;
}

// The verdict of the first rule whose checks all pass (both matchers end their walk with it).
void emit(Verdict& v, Category category, std::uint32_t rule, std::uint32_t authorisation, std::uint32_t indicator) {
    v.emit = true;
    v.category = category;
    v.rule = rule;
    v.authorisation = authorisation;
    v.indicator = indicator;
}

bool port_excluded(const Rule& r, const FlowKey& k) {
    return r.excludes_ports && k.has_ports && (r.excluded_ports.test(k.src_port) || r.excluded_ports.test(k.dst_port));
}

// Rules in order (all of them, or the pair's candidates: the others cannot match), the first
// emitting one wins; otherwise the first matching rule's failure is the reported drop reason.
template <class RuleIndices>
void match_rules(const Snapshot& s, const ParsedPacket& p, std::uint64_t time_ns, const EndpointClass& src,
                 const EndpointClass& dst, const IndicatorMatch& src_ind, const IndicatorMatch& dst_ind,
                 const RuleIndices& rule_indices, Verdict& v) noexcept {
    v.reason = DropReason::no_rule;
    bool matched = false;
    for (const std::uint32_t i : rule_indices) {
        const Rule& r = s.rules[i];
        if (!pair_matches(r, src, dst)) continue;
        std::uint32_t indicator = no_index;
        if (r.required_sets != 0 && !rule_indicator(s.indicators, r.required_sets, p.key, src, src_ind, dst_ind, indicator))
            continue;
        DropReason why;
        if (r.excluded_protocols.test(p.key.proto)) why = DropReason::excluded_port;
        else if (p.key.fragment == Fragment::non_first && r.excludes_ports) why = DropReason::fragment_no_ports;
        else if (port_excluded(r, p.key)) why = DropReason::excluded_port;
        else if (r.authorisation >= s.windows.size() || !s.windows[r.authorisation].valid_at(time_ns))
            why = DropReason::unauthorised;
        else return emit(v, r.category, i, r.authorisation, indicator);
        if (!matched) v.reason = why;
        matched = true;
    }
}

bool is_near(const HotRule& r, const EndpointClass& c) {
    return c.kind == r.near && (r.near != EndpointKind::operator_ || c.operator_index == r.operator_index);
}

bool port_excluded(const ClassifierIndex& x, const HotRule& r, const FlowKey& k) {
    if (!r.excludes_ports || !k.has_ports) return false;
    if (r.port_set != HotRule::none) return x.port_sets[r.port_set].test(k.src_port) || x.port_sets[r.port_set].test(k.dst_port);
    if (r.small_port_count == 0) return false;
    // The eight inline ports against both packet ports in one vector compare each.
    using U16x8 = std::uint16_t __attribute__((vector_size(16)));
    static_assert(sizeof(r.small_ports) == sizeof(U16x8));
    U16x8 ports;
    std::memcpy(&ports, r.small_ports, sizeof ports);
    const U16x8 eq = (ports == k.src_port) | (ports == k.dst_port);
    std::uint64_t half[2];
    std::memcpy(half, &eq, sizeof half);
    return (half[0] | half[1]) != 0;
}

// match_rules over the pair's candidates with the hot rule copies: the same checks in the same
// order, reading one cache line per rule. Returns true when a rule's window was shut at time_ns
// (the verdict then depends on the time beyond the emitting rule's window: never a flow cache entry).
bool match_hot(const ClassifierIndex& x, const IndicatorTable& table, const ParsedPacket& p, std::uint64_t time_ns,
               const EndpointClass& src, const EndpointClass& dst, const IndicatorMatch& src_ind,
               const IndicatorMatch& dst_ind, std::size_t pair, Verdict& v) noexcept {
    v.reason = DropReason::no_rule;
    bool matched = false, shut = false;
    const auto t = static_cast<std::int64_t>(time_ns);
    const std::uint32_t* c = x.candidates.data();
    for (std::uint32_t k = x.pair_begin[pair]; k < x.pair_begin[pair + 1]; ++k) {
        const std::uint32_t i = c[k];
        const HotRule& r = x.rules[i];
        if (!((src.kind == EndpointKind::foreign && is_near(r, dst)) || (dst.kind == EndpointKind::foreign && is_near(r, src))))
            continue;
        std::uint32_t indicator = no_index;
        if (r.required_sets != 0 && !rule_indicator(table, r.required_sets, p.key, src, src_ind, dst_ind, indicator))
            continue;
        DropReason why;
        if (r.protocol_set != HotRule::none && x.protocol_sets[r.protocol_set].test(p.key.proto))
            why = DropReason::excluded_port;
        else if (p.key.fragment == Fragment::non_first && r.excludes_ports) why = DropReason::fragment_no_ports;
        else if (port_excluded(x, r, p.key)) why = DropReason::excluded_port;
        else if (!r.open_at(t)) {
            why = DropReason::unauthorised;
            shut = true;
        } else {
            emit(v, r.category, i, r.authorisation, indicator);
            return shut;
        }
        if (!matched) v.reason = why;
        matched = true;
    }
    return shut;
}

// All rule indices 0..n-1, for the reference path.
struct AllRules {
    struct It {
        std::uint32_t i;
        std::uint32_t operator*() const { return i; }
        It& operator++() { return ++i, *this; }
        bool operator!=(const It& o) const { return i != o.i; }
    };
    std::uint32_t n;
    It begin() const { return {0}; }
    It end() const { return {n}; }
};

// Stack storage for N objects of an implicit-lifetime type, not zeroed (unlike T[N] when T has
// default member initialisers): the elements are assigned before they are read.
template <class T, std::size_t N>
struct Uninitialised {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    alignas(T) unsigned char bytes[N * sizeof(T)];
    T* data() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
    T& operator[](std::size_t i) noexcept { return data()[i]; }
};

// The checks before the rules; true when they settle the verdict.
bool settled_before_rules(const ParsedPacket& p, Verdict& v) noexcept {
    if (p.outcome == ParseOutcome::anomaly) {
        v.reason = drop_reason_of(p.anomaly);
        return true;
    }
    if (p.outcome == ParseOutcome::not_ip) {
        v.reason = DropReason::not_ip;
        return true;
    }
    return false;
}

bool settled_by_classes(const EndpointClass& src, const EndpointClass& dst, Verdict& v) noexcept {
    v.src_cc = src.cc;
    v.dst_cc = dst.cc;
    // Selects, not branches: the kinds of a traffic mix are unpredictable packet to packet.
    const bool special = (src.kind == EndpointKind::special) | (dst.kind == EndpointKind::special);
    // Invariant 3: no rule, config or authorisation can make a national pair in scope.
    const bool national = is_national(src.kind) && is_national(dst.kind);
    v.reason = special ? DropReason::special_address : national ? DropReason::domestic_domestic : v.reason;
    return special | national;
}

}  // namespace

Verdict decide(const Snapshot& s, const ParsedPacket& p, std::uint64_t time_ns) noexcept {
    Verdict v;
    if (settled_before_rules(p, v)) return v;
    const EndpointClass src = classify_endpoint(s, p.key.src), dst = classify_endpoint(s, p.key.dst);
    if (settled_by_classes(src, dst, v)) return v;
    IndicatorMatch src_ind, dst_ind;
    if (!s.index.ready) {
        s.indicators.lookup(p.key.src, src_ind);
        s.indicators.lookup(p.key.dst, dst_ind);
        match_rules(s, p, time_ns, src, dst, src_ind, dst_ind, AllRules{static_cast<std::uint32_t>(s.rules.size())}, v);
        return v;
    }
    // Indicator lookups have no effect but their results, which only rules requiring sets read.
    const std::size_t pair = pair_of(src.kind, dst.kind);
    if (s.index.pair_needs_indicators[pair]) {
        s.indicators.lookup(p.key.src, src_ind);
        s.indicators.lookup(p.key.dst, dst_ind);
    }
    match_hot(s.index, s.indicators, p, time_ns, src, dst, src_ind, dst_ind, pair, v);
    return v;
}

// SSE4.2: the flow cache's locate() is inlined here (flow_cache.hpp, FLOWSIEVE_SSE42).
FLOWSIEVE_SSE42 void decide_bulk(const Snapshot& s, const ParsedPacket* p, const std::uint64_t* times, Verdict* out, std::size_t n,
                 EndpointCache* cache, FlowCache* flows) noexcept {
    const ClassifierIndex& x = s.index;
    if (!x.ready) {
        for (std::size_t i = 0; i < n; ++i) out[i] = decide(s, p[i], times[i]);
        return;
    }
    if (cache != nullptr && cache->slots() == 0) cache = nullptr;
    if (cache != nullptr) cache->bind(&s, x.serial);
    if (flows != nullptr && flows->slots() == 0) flows = nullptr;
    if (flows != nullptr) flows->bind(&s, x.serial);
    constexpr std::size_t chunk = 64;
    // Working arrays (on the stack: no allocation): two endpoints per packet, slot 2i + side.
    // Left uninitialised (every element is written before it is read): zeroing them cost more
    // stores per burst than the rest of this function.
    std::uint32_t keys4[2 * chunk], ids4[2 * chunk], ids6[2 * chunk];
    Uninitialised<U128, 2 * chunk> keys6;
    std::uint8_t slot4[2 * chunk], slot6[2 * chunk], miss_slot[2 * chunk];
    std::uint32_t cls[2 * chunk], set_at[2 * chunk];
    Uninitialised<FlowCache::Probe, chunk> flow_at;
    Uninitialised<IpAddress, 2 * chunk> miss_keys;
    Uninitialised<IndicatorMatch, 2 * chunk> ind, miss_ind;
    const IndicatorMatch no_match{};
    for (std::size_t g = 0; g < n; g += chunk) {
        const std::size_t m = std::min(chunk, n - g);
        const ParsedPacket* pp = p + g;
        const std::uint64_t* tt = times + g;
        Verdict* v = out + g;
        // 0. Flows whose verdict the flow cache holds are answered by it; the rest go on, listed
        // (without a branch: which packets hit is as unpredictable as the traffic).
        std::uint8_t rest[chunk];
        std::size_t n_rest = 0;
        if (flows != nullptr) {
            const FlowCache::Locator locator = flows->locator();  // the cache's fields as values
            for (std::size_t i = 0; i < m; ++i)
                if (pp[i].outcome == ParseOutcome::ok) locator.locate(pp[i].key, flow_at[i]);
            for (std::size_t i = 0; i < m; ++i) {
                const bool hit = pp[i].outcome == ParseOutcome::ok &&
                                 flows->find(flow_at[i], static_cast<std::int64_t>(tt[i]), x.rules.data(), v[i]);
                rest[n_rest] = static_cast<std::uint8_t>(i);
                n_rest += !hit;
            }
        } else {
            for (std::size_t i = 0; i < m; ++i) rest[i] = static_cast<std::uint8_t>(i);
            n_rest = m;
        }
        // 1. Every endpoint the cache does not answer: one bulk lookup per family in the combined
        // endpoint table and one bulk indicator lookup (both prefetched inside), then remembered.
        // Only parsed packets have endpoints; the others are settled before their classes are read.
        if (cache != nullptr)
            for (std::size_t r = 0; r < n_rest; ++r)
                if (const std::size_t i = rest[r]; pp[i].outcome == ParseOutcome::ok) {
                    set_at[2 * i] = cache->locate(pp[i].key.src);
                    set_at[2 * i + 1] = cache->locate(pp[i].key.dst);
                }
        std::size_t n4 = 0, n6 = 0, n_miss = 0;
        const auto endpoint = [&](const IpAddress& a, std::size_t e) {
            if (!a.is_v4() && !a.is_v6()) {  // not reached: a parsed packet's addresses are IP
                cls[e] = 0;
                ind[e] = no_match;
                return;
            }
            if (cache != nullptr && cache->find(set_at[e], a, cls[e], ind[e])) return;
            miss_slot[n_miss] = static_cast<std::uint8_t>(e);
            miss_keys[n_miss++] = a;
            if (a.is_v4()) {
                slot4[n4] = static_cast<std::uint8_t>(e);
                keys4[n4++] = a.v4;
            } else {
                slot6[n6] = static_cast<std::uint8_t>(e);
                keys6[n6++] = a.v6;
            }
        };
        for (std::size_t r = 0; r < n_rest; ++r) {
            const std::size_t i = rest[r];
            if (pp[i].outcome != ParseOutcome::ok) continue;
            endpoint(pp[i].key.src, 2 * i);
            endpoint(pp[i].key.dst, 2 * i + 1);
        }
        // The endpoints the cache missed are looked up in two tables; their first levels are fetched
        // together, so those misses overlap rather than one table's waiting on the other's.
        for (std::size_t j = 0; j < n_miss; ++j) {
            x.endpoints.prefetch(miss_keys[j]);
            s.indicators.prefetch(miss_keys[j]);
        }
        x.endpoints.lookup_v4_bulk(keys4, ids4, n4);
        x.endpoints.lookup_v6_bulk(keys6.data(), ids6, n6);
        for (std::size_t j = 0; j < n4; ++j) cls[slot4[j]] = ids4[j];
        for (std::size_t j = 0; j < n6; ++j) cls[slot6[j]] = ids6[j];
        // Indicator results are read only by rules that require sets; looking them up for every
        // missed endpoint keeps a cache entry whole (the prefilter makes most of them cheap).
        s.indicators.lookup_bulk(miss_keys.data(), miss_ind.data(), n_miss);
        for (std::size_t j = 0; j < n_miss; ++j) {
            ind[miss_slot[j]] = miss_ind[j];
            if (cache != nullptr) cache->store(set_at[miss_slot[j]], miss_keys[j], cls[miss_slot[j]], miss_ind[j]);
        }

        // 2. Per packet, the checks the classes settle; the packets left go on a list (appended
        // without a branch, as above).
        std::uint8_t todo[chunk];
        bool shut[chunk];  // a shut authorisation window took part in the verdict
        std::size_t n_todo = 0;
        for (std::size_t r = 0; r < n_rest; ++r) {
            const std::size_t i = rest[r];
            v[i] = Verdict{};
            shut[i] = false;
            if (settled_before_rules(pp[i], v[i])) continue;
            const EndpointClass& src = x.classes[cls[2 * i]];
            const EndpointClass& dst = x.classes[cls[2 * i + 1]];
            const bool settled = settled_by_classes(src, dst, v[i]);
            const std::size_t pair = pair_of(src.kind, dst.kind);
            // The commonest outcome, a pair whose rules all need an indicator that neither endpoint
            // hits, is settled here (no_rule, as match_hot would find) without walking the rules.
            const bool no_candidate = x.pair_only_indicator_rules[pair] &&
                                      (((ind[2 * i].set_mask | ind[2 * i + 1].set_mask) & x.pair_required_sets[pair]) == 0);
            todo[n_todo] = static_cast<std::uint8_t>(i);
            n_todo += !(settled | no_candidate);
        }
        // 3. The rules, for the packets left.
        for (std::size_t k = 0; k < n_todo; ++k) {
            const std::size_t i = todo[k];
            const EndpointClass& src = x.classes[cls[2 * i]];
            const EndpointClass& dst = x.classes[cls[2 * i + 1]];
            shut[i] = match_hot(x, s.indicators, pp[i], tt[i], src, dst, ind[2 * i], ind[2 * i + 1], pair_of(src.kind, dst.kind),
                                v[i]);
        }
        // 4. The flows' new verdicts remembered, unless a shut window took part (it may open). Both
        // directions share an entry but for a verdict naming an indicator between two foreign ends:
        // the sender's indicator is named, so the other direction may name another.
        if (flows != nullptr)
            for (std::size_t r = 0; r < n_rest; ++r)
                if (const std::size_t i = rest[r]; pp[i].outcome == ParseOutcome::ok && !shut[i]) {
                    const bool both_foreign = x.classes[cls[2 * i]].kind == EndpointKind::foreign &&
                                              x.classes[cls[2 * i + 1]].kind == EndpointKind::foreign;
                    flows->store(flow_at[i], v[i], both_foreign && v[i].indicator != no_index);
                }
    }
}

}  // namespace flowsieve
