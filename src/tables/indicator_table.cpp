// indicator_table.cpp: builds IndicatorTable (control plane, TBB for sorts and the exact-entry
// pass) and looks addresses up in it (worker lcores: noexcept, no allocation).
#include "tables/indicator_table.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <bit>
#include <utility>

#include "tables/indicator_exact_hash.hpp"
#include "tables/indicator_prefilter.hpp"
#include "tables/prefix_table.hpp"

namespace flowsieve {

using indicator_detail::ExactHash;

namespace {
// One set's most specific indicator covering an address (IndicatorTable::named_in).
struct Pick {
    std::uint32_t indicator;
    std::uint8_t set;
    std::uint8_t len;  // of the indicator's prefix
};
// An exact address listed again (in another set, or twice in one), beside the entry the hash keeps.
template <class Key>
struct ListedAgain {
    Key key;
    std::uint32_t indicator;
};
}  // namespace

struct IndicatorTable::Impl {
    // Checked first: most addresses match nothing, and the bitmap says so without touching the
    // hashes or the LPM below.
    indicator_detail::IndicatorPrefilter prefilter;
    ExactHash<std::uint32_t> exact4;
    ExactHash<U128> exact6;
    // CIDRs (anything shorter than a host prefix). The PrefixTable value v != 0 indexes
    // cidr_matches[v - 1], which already holds the union over the prefix and all its ancestors.
    PrefixTable cidrs;
    std::vector<IndicatorMatch> cidr_matches;
    // For named_in(), which looks beyond the most specific indicator of all sets: CIDR i's most
    // specific indicator of each set covering it (its own sets' and its ancestors') is among
    // picks[cidr_picks[i] .. cidr_picks[i + 1]); the exact entries the hashes did not keep (an
    // address listed again) are in the *_again lists, by address. An exact address's candidates
    // are then its hash entry, those, and the picks of the CIDR covering it.
    std::vector<Pick> picks;
    std::vector<std::uint32_t> cidr_picks;
    std::vector<ListedAgain<std::uint32_t>> exact4_again;
    std::vector<ListedAgain<U128>> exact6_again;
};

namespace {

constexpr std::uint32_t no_indicator = 0xffffffffu;

std::uint32_t mask_v4(std::uint32_t a, unsigned len) {
    return len == 0 ? 0u : a & (0xffffffffu << (32 - len));
}

U128 mask_v6(U128 a, unsigned len) {
    if (len == 0) return {};
    if (len <= 64) return {a.hi & (~0ull << (64 - len)), 0};
    if (len == 128) return a;
    return {a.hi, a.lo & (~0ull << (128 - len))};
}

// Clears host bits; false when the family or length is invalid.
bool canonical(Prefix& p) {
    if (p.addr.is_v4() && p.len <= 32) {
        p.addr = IpAddress::from_v4(mask_v4(p.addr.v4, p.len));
        return true;
    }
    if (p.addr.is_v6() && p.len <= 128) {
        p.addr = IpAddress::from_v6(mask_v6(p.addr.v6, p.len));
        return true;
    }
    return false;
}

bool contains(const Prefix& outer, const Prefix& inner) {
    if (outer.addr.family != inner.addr.family || outer.len > inner.len) return false;
    if (outer.addr.is_v4()) return mask_v4(inner.addr.v4, outer.len) == outer.addr.v4;
    return mask_v6(inner.addr.v6, outer.len) == outer.addr.v6;
}

template <class Key>
struct ExactEntry {
    Key key;
    std::uint32_t mask;
    std::uint32_t indicator;
};

struct CidrEntry {
    Prefix prefix;
    std::uint32_t mask;
    std::uint32_t indicator;
};

// Inserts in index order, so a duplicate key keeps the first (lowest) index and gains the other
// sets' bits (the duplicates go to `again`, by address, for named_in); then every stored entry ORs
// in the mask of the CIDRs covering it (in parallel: one LPM lookup per entry). The slot array sits
// on huge pages, so the random inserts cost little.
template <class Key, class CidrLookup>
void build_exact(std::vector<ExactEntry<Key>>& entries, ExactHash<Key>& hash, std::vector<ListedAgain<Key>>& again,
                 const CidrLookup& cidr_of) {
    hash.reset(entries.size());
    if (entries.empty()) return;
    for (const auto& e : entries)
        if (hash.insert_or_merge(e.key, e.mask, e.indicator)) again.push_back({e.key, e.indicator});
    std::vector<ExactEntry<Key>>().swap(entries);
    std::sort(again.begin(), again.end(), [](const auto& x, const auto& y) {
        return x.key < y.key || (x.key == y.key && x.indicator < y.indicator);
    });
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, hash.capacity(), 16384),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t i = r.begin(); i != r.end(); ++i) {
                              auto& s = hash.slot(i);
                              if (s.mask != 0) s.mask |= cidr_of(s.key);
                          }
                      });
}

std::size_t string_heap_bytes(const std::string& s) {
    const char* d = s.data();
    const char* o = reinterpret_cast<const char*>(&s);
    if (d >= o && d < o + sizeof s) return 0;  // short-string buffer inside the object
    return s.capacity() + 1;
}

}  // namespace

Result<IndicatorTable> IndicatorTable::build(std::vector<IndicatorSetSource> sets) {
    if (sets.size() > max_indicator_sets) {
        return Error{"indicator sets: " + std::to_string(sets.size()) + " given, at most " +
                     std::to_string(max_indicator_sets)};
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < sets.size(); ++i) {
        if (sets[i].name.empty()) return Error{"indicator sets: set " + std::to_string(i) + " has no name"};
        for (std::size_t j = 0; j < i; ++j) {
            if (sets[j].name == sets[i].name) {
                return Error{"indicator sets: duplicate set name \"" + sets[i].name + "\" (sets " +
                             std::to_string(j) + " and " + std::to_string(i) + ")"};
            }
        }
        total += sets[i].indicators.size();
    }
    if (total >= no_indicator) return Error{"indicator sets: " + std::to_string(total) + " indicators, too many"};

    IndicatorTable t;
    auto impl = std::make_shared<Impl>();
    std::vector<ExactEntry<std::uint32_t>> exact4;
    std::vector<ExactEntry<U128>> exact6;
    std::vector<CidrEntry> cidrs;
    {
        std::size_t n4 = 0, n6 = 0;
        for (const auto& set : sets) {
            for (const auto& i : set.indicators) {
                n4 += i.prefix.addr.is_v4() && i.prefix.len == 32 ? 1 : 0;
                n6 += i.prefix.addr.is_v6() && i.prefix.len == 128 ? 1 : 0;
            }
        }
        exact4.reserve(n4);
        exact6.reserve(n6);
        cidrs.reserve(total - n4 - n6);
    }
    t.ids_.reserve(total);
    t.set_names_.reserve(sets.size());
    t.set_first_.reserve(sets.size() + 1);
    for (std::size_t s = 0; s < sets.size(); ++s) {
        t.set_first_.push_back(static_cast<std::uint32_t>(t.ids_.size()));
        const std::uint32_t bit = 1u << s;
        for (std::size_t k = 0; k < sets[s].indicators.size(); ++k) {
            Indicator& ind = sets[s].indicators[k];
            const auto index = static_cast<std::uint32_t>(t.ids_.size());
            Prefix p = ind.prefix;
            if (!canonical(p)) {
                return Error{"indicator set \"" + sets[s].name + "\": indicator " + std::to_string(k) + " (\"" +
                             ind.id + "\") is not a valid prefix"};
            }
            if (p.addr.is_v4() && p.len == 32) {
                exact4.push_back({p.addr.v4, bit, index});
            } else if (p.addr.is_v6() && p.len == 128) {
                exact6.push_back({p.addr.v6, bit, index});
            } else {
                cidrs.push_back({p, bit, index});
            }
            t.ids_.push_back(std::move(ind.id));
        }
        t.set_names_.push_back(std::move(sets[s].name));
    }
    t.set_first_.push_back(static_cast<std::uint32_t>(t.ids_.size()));

    // CIDRs: merge duplicates, then walk them in (address, length) order, which visits every
    // prefix after all prefixes that contain it. A stack holds the chain of prefixes containing
    // the current one, so each prefix's mask becomes the union over itself and its ancestors;
    // longest-prefix match then returns the exact union for any address.
    tbb::parallel_sort(cidrs.begin(), cidrs.end(), [](const CidrEntry& a, const CidrEntry& b) {
        if (a.prefix != b.prefix) return a.prefix < b.prefix;
        return a.indicator < b.indicator;
    });
    // Each merged prefix's own picks (named_in): the first indicator of each set that lists it.
    const auto set_in = [](std::uint32_t bit) { return static_cast<std::uint8_t>(std::countr_zero(bit)); };
    std::vector<Pick> own;
    std::vector<std::uint32_t> own_begin;
    own.reserve(cidrs.size());
    own_begin.reserve(cidrs.size() + 1);
    std::size_t out = 0;
    for (std::size_t i = 0; i < cidrs.size(); ++i) {
        const Pick pick{cidrs[i].indicator, set_in(cidrs[i].mask), cidrs[i].prefix.len};
        if (out > 0 && cidrs[out - 1].prefix == cidrs[i].prefix) {
            if ((cidrs[out - 1].mask & cidrs[i].mask) == 0) own.push_back(pick);
            cidrs[out - 1].mask |= cidrs[i].mask;
        } else {
            own_begin.push_back(static_cast<std::uint32_t>(own.size()));
            own.push_back(pick);
            cidrs[out++] = cidrs[i];
        }
    }
    own_begin.push_back(static_cast<std::uint32_t>(own.size()));
    cidrs.resize(out);
    std::vector<std::size_t> chain;
    std::vector<PrefixTable::Entry> lpm;
    lpm.reserve(cidrs.size());
    impl->cidr_matches.reserve(cidrs.size());
    impl->cidr_picks.reserve(cidrs.size() + 1);
    for (std::size_t i = 0; i < cidrs.size(); ++i) {
        while (!chain.empty() && !contains(cidrs[chain.back()].prefix, cidrs[i].prefix)) chain.pop_back();
        // Picks: the prefix's own, then its closest ancestor's for the sets it lacks (which hold
        // that ancestor's own and its ancestors' in turn).
        impl->cidr_picks.push_back(static_cast<std::uint32_t>(impl->picks.size()));
        impl->picks.insert(impl->picks.end(), own.begin() + own_begin[i], own.begin() + own_begin[i + 1]);
        if (!chain.empty()) {
            const std::size_t parent = chain.back();
            for (std::uint32_t k = impl->cidr_picks[parent]; k < impl->cidr_picks[parent + 1]; ++k)
                if ((cidrs[i].mask & (1u << impl->picks[k].set)) == 0) impl->picks.push_back(impl->picks[k]);
            cidrs[i].mask |= cidrs[parent].mask;
        }
        chain.push_back(i);
        impl->cidr_matches.push_back({cidrs[i].mask, cidrs[i].indicator});
        lpm.push_back({cidrs[i].prefix, static_cast<std::uint32_t>(i + 1)});
    }
    impl->cidr_picks.push_back(static_cast<std::uint32_t>(impl->picks.size()));
    std::vector<Pick>().swap(own);
    impl->cidrs = PrefixTable::build(std::move(lpm));
    {
        std::vector<std::pair<std::uint32_t, std::uint32_t>> v4_ranges;
        std::vector<std::pair<U128, unsigned>> v6_nets;
        v4_ranges.reserve(exact4.size() + cidrs.size());
        v6_nets.reserve(exact6.size());
        for (const auto& e : exact4) v4_ranges.emplace_back(e.key, e.key);
        for (const auto& e : exact6) v6_nets.emplace_back(e.key, 128u);
        for (const auto& c : cidrs) {
            if (c.prefix.addr.is_v4()) {
                const std::uint32_t first = c.prefix.addr.v4;
                v4_ranges.emplace_back(first, first | ~mask_v4(0xffffffffu, c.prefix.len));
            } else {
                v6_nets.emplace_back(c.prefix.addr.v6, unsigned{c.prefix.len});
            }
        }
        impl->prefilter.build(std::move(v4_ranges), v6_nets);
    }
    std::vector<CidrEntry>().swap(cidrs);

    const Impl& im = *impl;
    const bool any_cidr = !im.cidr_matches.empty();
    build_exact(exact4, impl->exact4, impl->exact4_again, [&im, any_cidr](std::uint32_t a) {
        const std::uint32_t v = any_cidr ? im.cidrs.lookup_v4(a) : 0;
        return v == 0 ? 0u : im.cidr_matches[v - 1].set_mask;
    });
    build_exact(exact6, impl->exact6, impl->exact6_again, [&im, any_cidr](const U128& a) {
        const std::uint32_t v = any_cidr ? im.cidrs.lookup_v6(a) : 0;
        return v == 0 ? 0u : im.cidr_matches[v - 1].set_mask;
    });
    t.impl_ = std::move(impl);
    return t;
}

bool IndicatorTable::lookup(const IpAddress& a, IndicatorMatch& out) const noexcept {
    out = IndicatorMatch{};
    const Impl* im = impl_.get();
    if (im == nullptr) return false;
    std::uint32_t v = 0;
    if (a.family == Family::v4) {
        if (!im->prefilter.may_match_v4(a.v4)) return false;
        if (const auto* s = im->exact4.find(a.v4)) {
            out.set_mask = s->mask;
            out.indicator = s->indicator;
            return true;
        }
        v = im->cidrs.lookup_v4(a.v4);
    } else if (a.family == Family::v6) {
        if (!im->prefilter.may_match_v6(a.v6)) return false;
        if (const auto* s = im->exact6.find(a.v6)) {
            out.set_mask = s->mask;
            out.indicator = s->indicator;
            return true;
        }
        v = im->cidrs.lookup_v6(a.v6);
    } else {
        return false;
    }
    if (v == 0) return false;
    out = im->cidr_matches[v - 1];
    return true;
}

void IndicatorTable::prefetch(const IpAddress& a) const noexcept {
    const Impl* im = impl_.get();
    if (im == nullptr) return;
    if (a.is_v4()) im->prefilter.prefetch_v4(a.v4);
    else if (a.is_v6()) im->prefilter.prefetch_v6(a.v6);
}

void IndicatorTable::lookup_bulk(const IpAddress* a, IndicatorMatch* out, std::size_t n) const noexcept {
    const Impl* im = impl_.get();
    if (im == nullptr) {
        for (std::size_t i = 0; i < n; ++i) out[i] = IndicatorMatch{};
        return;
    }
    // Stages over groups of the burst: the prefilter for all (prefetched), then for the addresses
    // it lets through: prefetch every exact-hash probe, probe, then one bulk (prefetching) CIDR
    // lookup per family for the misses, so no miss waits on another.
    constexpr std::size_t group = 64;
    std::uint32_t miss4[group], slot4[group], v4[group];
    U128 miss6[group];
    std::uint32_t slot6[group], v6[group];
    std::uint8_t live[group];
    const indicator_detail::IndicatorPrefilter& pf = im->prefilter;
    for (std::size_t g = 0; g < n; g += group) {
        const std::size_t m = std::min(group, n - g);
        const IpAddress* k = a + g;
        IndicatorMatch* o = out + g;
        for (std::size_t i = 0; i < m; ++i) {
            if (k[i].family == Family::v4) pf.prefetch_v4(k[i].v4);
            else if (k[i].family == Family::v6) pf.prefetch_v6(k[i].v6);
        }
        std::size_t n_live = 0;
        for (std::size_t i = 0; i < m; ++i) {
            o[i] = IndicatorMatch{};
            const bool maybe = k[i].family == Family::v4   ? pf.may_match_v4(k[i].v4)
                               : k[i].family == Family::v6 ? pf.may_match_v6(k[i].v6)
                                                           : false;
            live[n_live] = static_cast<std::uint8_t>(i);
            n_live += maybe ? 1 : 0;
        }
        for (std::size_t j = 0; j < n_live; ++j) {
            const std::size_t i = live[j];
            if (k[i].family == Family::v4) im->exact4.prefetch(k[i].v4);
            else im->exact6.prefetch(k[i].v6);
        }
        std::size_t n4 = 0, n6 = 0;
        for (std::size_t j = 0; j < n_live; ++j) {
            const std::size_t i = live[j];
            if (k[i].family == Family::v4) {
                if (const auto* s = im->exact4.find(k[i].v4)) {
                    o[i] = {s->mask, s->indicator};
                } else {
                    slot4[n4] = static_cast<std::uint32_t>(i);
                    miss4[n4++] = k[i].v4;
                }
            } else if (k[i].family == Family::v6) {
                if (const auto* s = im->exact6.find(k[i].v6)) {
                    o[i] = {s->mask, s->indicator};
                } else {
                    slot6[n6] = static_cast<std::uint32_t>(i);
                    miss6[n6++] = k[i].v6;
                }
            }
        }
        if (im->cidr_matches.empty()) continue;
        im->cidrs.lookup_v4_bulk(miss4, v4, n4);
        im->cidrs.lookup_v6_bulk(miss6, v6, n6);
        for (std::size_t j = 0; j < n4; ++j)
            if (v4[j] != 0) o[slot4[j]] = im->cidr_matches[v4[j] - 1];
        for (std::size_t j = 0; j < n6; ++j)
            if (v6[j] != 0) o[slot6[j]] = im->cidr_matches[v6[j] - 1];
    }
}

std::uint32_t IndicatorTable::set_of(std::uint32_t index) const noexcept {
    const auto after = std::upper_bound(set_first_.begin(), set_first_.end(), index);
    return static_cast<std::uint32_t>(after - set_first_.begin()) - 1;
}

std::uint32_t IndicatorTable::named_in(const IpAddress& a, const IndicatorMatch& m, std::uint32_t sets) const noexcept {
    // Nearly always settled here: the address is in no set outside `sets`, or its most specific
    // indicator is in one of them.
    if ((m.set_mask & ~sets) == 0 || ((1u << set_of(m.indicator)) & sets) != 0) return m.indicator;
    const Impl* im = impl_.get();
    if (im == nullptr) return m.indicator;
    std::uint32_t best = m.indicator;
    int best_len = -1;
    const auto consider = [&](std::uint32_t index, std::uint32_t set, int len) {
        if (((1u << set) & sets) == 0) return;
        if (len > best_len || (len == best_len && index < best)) {
            best = index;
            best_len = len;
        }
    };
    // The exact entry for a, if any, and the entries listing a again.
    const auto exact = [&](const auto& hash, const auto& again, const auto& key, int len) {
        const auto* slot = hash.find(key);
        if (slot == nullptr) return;
        consider(slot->indicator, set_of(slot->indicator), len);
        auto it = std::lower_bound(again.begin(), again.end(), key, [](const auto& e, const auto& k) { return e.key < k; });
        for (; it != again.end() && it->key == key; ++it) consider(it->indicator, set_of(it->indicator), len);
    };
    std::uint32_t v = 0;
    if (a.is_v4()) {
        exact(im->exact4, im->exact4_again, a.v4, 32);
        if (!im->cidr_matches.empty()) v = im->cidrs.lookup_v4(a.v4);
    } else if (a.is_v6()) {
        exact(im->exact6, im->exact6_again, a.v6, 128);
        if (!im->cidr_matches.empty()) v = im->cidrs.lookup_v6(a.v6);
    }
    if (v != 0)
        for (std::uint32_t k = im->cidr_picks[v - 1]; k < im->cidr_picks[v]; ++k)
            consider(im->picks[k].indicator, im->picks[k].set, im->picks[k].len);
    return best;
}

int IndicatorTable::set_index(const std::string& name) const {
    for (std::size_t i = 0; i < set_names_.size(); ++i) {
        if (set_names_[i] == name) return static_cast<int>(i);
    }
    return -1;
}

std::size_t IndicatorTable::exact_count() const {
    return impl_ ? impl_->exact4.size() + impl_->exact6.size() : 0;
}

std::size_t IndicatorTable::cidr_count() const { return impl_ ? impl_->cidr_matches.size() : 0; }

std::size_t IndicatorTable::memory_bytes() const {
    std::size_t n = set_names_.capacity() * sizeof(std::string) + ids_.capacity() * sizeof(std::string) +
                    set_first_.capacity() * sizeof(std::uint32_t);
    for (const auto& s : set_names_) n += string_heap_bytes(s);
    for (const auto& s : ids_) n += string_heap_bytes(s);
    if (impl_) {
        n += sizeof(Impl) + impl_->prefilter.memory_bytes() + impl_->exact4.memory_bytes() + impl_->exact6.memory_bytes() +
             impl_->cidrs.memory_bytes() + impl_->cidr_matches.capacity() * sizeof(IndicatorMatch) +
             impl_->picks.capacity() * sizeof(Pick) + impl_->cidr_picks.capacity() * sizeof(std::uint32_t) +
             impl_->exact4_again.capacity() * sizeof(ListedAgain<std::uint32_t>) +
             impl_->exact6_again.capacity() * sizeof(ListedAgain<U128>);
    }
    return n;
}

}  // namespace flowsieve
