// endpoint_pool.cpp: loading the real tables and drawing checked endpoint addresses (generator set-up
// and packet loop, one thread).
#include "endpoint_pool.hpp"

#include "policy/special_blocks.hpp"

namespace flowsieve::gen {
namespace {

// A draw is rejected when the address turns out to be something else (a range overridden by a
// later one, an indicator where a clean address is wanted...). The tables make rejections rare;
// the bound only stops a role that has no address at all from spinning.
constexpr int max_tries = 256;

U128 add(U128 a, U128 b) {
    U128 r{a.hi + b.hi, a.lo + b.lo};
    if (r.lo < a.lo) ++r.hi;
    return r;
}
U128 sub(U128 a, U128 b) {
    U128 r{a.hi - b.hi, a.lo - b.lo};
    if (a.lo < b.lo) --r.hi;
    return r;
}

IpAddress prefix_last(const Prefix& p) {
    if (p.addr.is_v4()) {
        const std::uint32_t host = p.len >= 32 ? 0u : (p.len == 0 ? ~0u : (~0u >> p.len));
        return IpAddress::from_v4(p.addr.v4 | host);
    }
    U128 host{};
    if (p.len < 64) {
        host.hi = p.len == 0 ? ~std::uint64_t{0} : (~std::uint64_t{0} >> p.len);
        host.lo = ~std::uint64_t{0};
    } else if (p.len < 128) {
        host.lo = ~std::uint64_t{0} >> (p.len - 64);
    }
    return IpAddress::from_v6(U128{p.addr.v6.hi | host.hi, p.addr.v6.lo | host.lo});
}

template <class T>
const T& pick(const std::vector<T>& v, Rng& rng) {
    return v[below(rng, v.size())];
}

}  // namespace

IpAddress random_in_range(const IpAddress& first, const IpAddress& last, Rng& rng) {
    if (first.is_v4()) {
        return IpAddress::from_v4(static_cast<std::uint32_t>(between(rng, first.v4, last.v4)));
    }
    const U128 span = sub(last.v6, first.v6);
    U128 off{};
    off.hi = between(rng, 0, span.hi);
    off.lo = off.hi == span.hi ? between(rng, 0, span.lo) : rng();
    return IpAddress::from_v6(add(first.v6, off));
}

IpAddress random_in_prefix(const Prefix& p, Rng& rng) { return random_in_range(p.addr, prefix_last(p), rng); }

Result<EndpointPool> EndpointPool::load(const EndpointSources& sources) {
    EndpointPool pool;
    if (sources.country_files.empty()) return Error{"no country file given"};
    if (sources.domestic.empty()) return Error{"no domestic country given"};
    for (CountryCode cc : sources.domestic) pool.domestic_.add(cc);

    std::vector<CountryRange> all;
    for (const std::string& file : sources.country_files) {
        auto ranges = load_country_file(file);
        if (!ranges) return ranges.error();
        all.insert(all.end(), ranges->begin(), ranges->end());
    }
    for (const CountryRange& r : all) {
        const bool dom = pool.domestic_.contains(r.cc);
        auto& v4 = dom ? pool.domestic_v4_ : pool.foreign_v4_;
        auto& v6 = dom ? pool.domestic_v6_ : pool.foreign_v6_;
        (r.first.is_v4() ? v4 : v6).push_back(r);
    }
    pool.countries_ = CountryTable::build(all);

    std::vector<IndicatorSetSource> sets;
    for (const auto& [name, file] : sources.indicators) {
        auto set = load_indicator_list(name, file);
        if (!set) return set.error();
        if (set->indicators.empty()) return Error{file + ": no IP indicator in the file"};
        sets.push_back(std::move(set.value()));
    }
    std::vector<Prefix> indicator_prefixes;
    for (const IndicatorSetSource& set : sets)
        for (const Indicator& ind : set.indicators) indicator_prefixes.push_back(ind.prefix);
    auto table = IndicatorTable::build(std::move(sets));
    if (!table) return table.error();
    pool.indicators_ = std::move(table.value());

    std::vector<PrefixTable::Entry> ops;
    for (const Prefix& p : sources.operators) {
        ops.push_back({p, 1});
        (p.addr.is_v4() ? pool.operator_v4_ : pool.operator_v6_).push_back(p);
    }
    pool.operators_ = PrefixTable::build(std::move(ops));

    pool.special_ = build_special_table();
    // Indicators are drawn only from those with a foreign end: feeds are mostly addresses that a
    // given country table may not hold at all (a small extract holds few), and rejection sampling
    // over the whole feed would then almost never hit.
    for (const Prefix& p : indicator_prefixes) {
        if (pool.kind_of(p.addr) != EndpointKind::foreign && pool.kind_of(prefix_last(p)) != EndpointKind::foreign)
            continue;
        (p.addr.is_v4() ? pool.indicator_v4_ : pool.indicator_v6_).push_back(p);
    }
    for (const SpecialBlock& b : special_blocks()) {
        auto p = parse_prefix(b.prefix);
        if (p) (p->addr.is_v4() ? pool.special_v4_ : pool.special_v6_).push_back(p.value());
    }

    // Probe every (role, family) with a fixed seed, so availability does not depend on --seed.
    Rng probe(0x5eed);
    for (std::size_t r = 0; r < role_count; ++r)
        for (Family f : {Family::v4, Family::v6})
            pool.examples_[slot(static_cast<Role>(r), f)] = pool.draw(static_cast<Role>(r), f, probe);
    return pool;
}

EndpointKind EndpointPool::kind_of(const IpAddress& a) const {
    if (special_.lookup(a) != 0) return EndpointKind::special;
    if (operators_.lookup(a) != 0) return EndpointKind::operator_;
    const CountryCode cc = countries_.lookup(a);
    if (cc == no_country) return EndpointKind::unknown;
    return domestic_.contains(cc) ? EndpointKind::domestic : EndpointKind::foreign;
}

bool EndpointPool::is_indicator(const IpAddress& a) const {
    IndicatorMatch m;
    return indicators_.lookup(a, m);
}

bool EndpointPool::fits(Role role, const IpAddress& a) const {
    const EndpointKind k = kind_of(a);
    switch (role) {
        case Role::foreign: return k == EndpointKind::foreign;
        case Role::foreign_clean: return k == EndpointKind::foreign && !is_indicator(a);
        case Role::foreign_indicator: return k == EndpointKind::foreign && is_indicator(a);
        case Role::domestic: return k == EndpointKind::domestic;
        case Role::domestic_clean: return k == EndpointKind::domestic && !is_indicator(a);
        case Role::operator_: return k == EndpointKind::operator_;
        case Role::special: return k == EndpointKind::special;
    }
    return false;
}

std::optional<IpAddress> EndpointPool::candidate(Role role, Family family, Rng& rng) const {
    const bool v4 = family == Family::v4;
    auto from_ranges = [&](const std::vector<CountryRange>& ranges) -> std::optional<IpAddress> {
        if (ranges.empty()) return std::nullopt;
        const CountryRange& r = pick(ranges, rng);
        return random_in_range(r.first, r.last, rng);
    };
    auto from_prefixes = [&](const std::vector<Prefix>& prefixes) -> std::optional<IpAddress> {
        if (prefixes.empty()) return std::nullopt;
        return random_in_prefix(pick(prefixes, rng), rng);
    };
    switch (role) {
        case Role::foreign:
        case Role::foreign_clean: return from_ranges(v4 ? foreign_v4_ : foreign_v6_);
        case Role::domestic:
        case Role::domestic_clean: return from_ranges(v4 ? domestic_v4_ : domestic_v6_);
        case Role::foreign_indicator: return from_prefixes(v4 ? indicator_v4_ : indicator_v6_);
        case Role::operator_: return from_prefixes(v4 ? operator_v4_ : operator_v6_);
        case Role::special: return from_prefixes(v4 ? special_v4_ : special_v6_);
    }
    return std::nullopt;
}

std::optional<IpAddress> EndpointPool::draw(Role role, Family family, Rng& rng) const {
    for (int i = 0; i < max_tries; ++i) {
        auto a = candidate(role, family, rng);
        if (!a) return std::nullopt;
        if (fits(role, *a)) return a;
    }
    return std::nullopt;
}

IpAddress EndpointPool::draw_available(Role role, Family family, Rng& rng) const {
    for (int i = 0; i < 8; ++i)
        if (auto a = draw(role, family, rng)) return *a;
    return examples_[slot(role, family)].value_or(IpAddress{});
}

}  // namespace flowsieve::gen
