// classifier.cpp: the per-packet policy decision (worker lcores). The order of checks is the law's:
// malformed -> not IP -> special -> domestic-domestic -> rules (exclusions, indicators) -> authority.
#include "policy/classifier.hpp"

namespace flowsieve {

EndpointClass classify_endpoint(const Snapshot& s, const IpAddress& a) noexcept {
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

namespace {

bool is_near(const Rule& r, const EndpointClass& c) {
    return c.kind == r.near && (r.near != EndpointKind::operator_ || c.operator_index == r.operator_index);
}

// The rule's endpoint pair is {foreign, near}, in either direction.
bool pair_matches(const Rule& r, const EndpointClass& a, const EndpointClass& b) {
    return (a.kind == EndpointKind::foreign && is_near(r, b)) || (b.kind == EndpointKind::foreign && is_near(r, a));
}

bool port_excluded(const Rule& r, const FlowKey& k) {
    return r.excludes_ports && k.has_ports && (r.excluded_ports.test(k.src_port) || r.excluded_ports.test(k.dst_port));
}

}  // namespace

Verdict decide(const Snapshot& s, const ParsedPacket& p, std::uint64_t time_ns) noexcept {
    Verdict v;
    if (p.outcome == ParseOutcome::anomaly) {
        v.reason = drop_reason_of(p.anomaly);
        return v;
    }
    if (p.outcome == ParseOutcome::not_ip) {
        v.reason = DropReason::not_ip;
        return v;
    }
    const EndpointClass src = classify_endpoint(s, p.key.src), dst = classify_endpoint(s, p.key.dst);
    v.src_cc = src.cc;
    v.dst_cc = dst.cc;
    if (src.kind == EndpointKind::special || dst.kind == EndpointKind::special) {
        v.reason = DropReason::special_address;
        return v;
    }
    // Invariant 3: no rule, config or authorisation can make a national pair in scope.
    if (is_national(src.kind) && is_national(dst.kind)) {
        v.reason = DropReason::domestic_domestic;
        return v;
    }
    IndicatorMatch src_ind, dst_ind;
    s.indicators.lookup(p.key.src, src_ind);
    s.indicators.lookup(p.key.dst, dst_ind);

    v.reason = DropReason::no_rule;
    bool matched = false;  // the first matching rule's failure is the reported drop reason
    for (std::uint32_t i = 0; i < s.rules.size(); ++i) {
        const Rule& r = s.rules[i];
        if (!pair_matches(r, src, dst)) continue;
        std::uint32_t indicator = no_index;
        if (r.required_sets != 0) {
            // Prefer the foreign endpoint's indicator: the server known from past attacks.
            const IndicatorMatch& first = src.kind == EndpointKind::foreign ? src_ind : dst_ind;
            const IndicatorMatch& second = src.kind == EndpointKind::foreign ? dst_ind : src_ind;
            if (first.set_mask & r.required_sets) indicator = first.indicator;
            else if (second.set_mask & r.required_sets) indicator = second.indicator;
            else continue;
        }
        DropReason why;
        if (r.excluded_protocols.test(p.key.proto)) why = DropReason::excluded_port;
        else if (p.key.fragment == Fragment::non_first && r.excludes_ports) why = DropReason::fragment_no_ports;
        else if (port_excluded(r, p.key)) why = DropReason::excluded_port;
        else if (r.authorisation >= s.windows.size() || !s.windows[r.authorisation].valid_at(time_ns))
            why = DropReason::unauthorised;
        else {
            v.emit = true;
            v.category = r.category;
            v.rule = i;
            v.authorisation = r.authorisation;
            v.indicator = indicator;
            return v;
        }
        if (!matched) v.reason = why;
        matched = true;
    }
    return v;
}

}  // namespace flowsieve
