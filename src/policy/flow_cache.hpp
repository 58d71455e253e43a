// flow_cache.hpp: a worker's memo of the verdicts one prepared snapshot gave the flows it saw
// recently, keyed by everything a verdict reads of a parsed packet (both addresses, both ports,
// the protocol, whether there are ports, whether it is a non-first fragment). Owned by one worker
// lcore, never shared; filled and read inside decide_bulk only.
//
// Why: a flow's packets all get the same verdict until the snapshot changes or an authorisation
// window opens or closes, and border traffic carries most packets in long flows; one cache line
// answers such a packet instead of two endpoint answers, the class checks and the rules.
//
// Time (invariant 2): only verdicts that no failed window check took part in are remembered (the
// classifier says which); an emitting one is served only while its rule's window still holds the
// packet's time, and goes back to the rules the moment it does not. A verdict that depended on a
// window being shut is never stored: the window may open.
//
// Binding: every entry carries the epoch (cache_epoch.hpp) it was written in, so an entry of an
// older snapshot never answers (invariant 4).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>

#include "core/flow_key.hpp"
#include "policy/cache_epoch.hpp"
#include "policy/snapshot.hpp"
#include "policy/verdict.hpp"

namespace flowsieve {

class FlowCache {
public:
    static constexpr std::size_t default_slots = 16384;  // 1 MiB (64 bytes each)
    static constexpr std::size_t max_slots = std::size_t{1} << 24;

    // Allocates (control plane, at worker set-up). slots: 0 for none, else a power of two up to
    // max_slots (other values are rounded down to one; the config refuses them before that).
    explicit FlowCache(std::size_t slots = default_slots) {
        slots = slots == 0 ? 0 : std::bit_floor(std::min(slots, max_slots));
        if (slots == 0) return;
        entries_ = std::make_unique<Entry[]>(slots);
        mask_ = static_cast<std::uint32_t>(slots - 1);
    }

    void bind(const void* snapshot, std::uint64_t serial) noexcept {
        if (epoch_.bind(snapshot, serial))
            for (std::size_t i = 0; i <= mask_; ++i) entries_[i] = Entry{};
    }

    // The flow's slot, prefetched: a burst's slots are located first so that their misses overlap.
    std::uint32_t locate(const FlowKey& k) const noexcept {
        const Key key = key_of(k);
        std::uint64_t h = (key.src_lo ^ std::rotl(key.dst_lo, 32)) * 0x9e3779b97f4a7c15ull;
        h ^= (key.src_hi ^ std::rotl(key.dst_hi, 17) ^ key.meta) * 0xbf58476d1ce4e5b9ull;
        const auto slot = static_cast<std::uint32_t>((h ^ (h >> 31)) * 0x94d049bb133111ebull >> 40) & mask_;
        __builtin_prefetch(&entries_[slot]);
        return slot;
    }

    // True, with v filled, when the slot holds k's verdict from the bound snapshot and that verdict
    // still holds at time_ns (an emitting one: its rule's window, `rules` being the snapshot's hot rules).
    bool find(std::uint32_t slot, const FlowKey& k, std::int64_t time_ns, const HotRule* rules, Verdict& v) noexcept {
        const Key key = key_of(k);
        const Entry& e = entries_[slot];
        const bool same = ((e.key.src_hi ^ key.src_hi) | (e.key.src_lo ^ key.src_lo) | (e.key.dst_hi ^ key.dst_hi) |
                           (e.key.dst_lo ^ key.dst_lo) | (e.key.meta ^ key.meta) | (e.tag ^ epoch_.value())) == 0;
        const bool hit = same && (!e.emit || (time_ns >= rules[e.rule].from_ns && time_ns < rules[e.rule].until_ns));
        if (hit) {
            v.emit = e.emit;
            v.reason = e.reason;
            v.category = e.category;
            v.rule = e.rule;
            v.authorisation = e.authorisation;
            v.indicator = e.indicator;
            v.src_cc = e.src_cc;
            v.dst_cc = e.dst_cc;
        }
        hits_ += hit;
        misses_ += !hit;
        return hit;
    }

    // Remembers v for k (replacing whatever the slot held). Only verdicts the caller knows do not
    // depend on a shut window may be stored (see the top of this file).
    void store(std::uint32_t slot, const FlowKey& k, const Verdict& v) noexcept {
        entries_[slot] = Entry{key_of(k), epoch_.value(), v.rule, v.authorisation, v.indicator,
                               v.src_cc, v.dst_cc, v.emit, v.reason, v.category};
    }

    std::uint64_t hits() const noexcept { return hits_; }
    std::uint64_t misses() const noexcept { return misses_; }
    std::size_t slots() const noexcept { return entries_ ? std::size_t{mask_} + 1 : 0; }

private:
    struct Key {
        std::uint64_t src_hi = 0, src_lo = 0, dst_hi = 0, dst_lo = 0;  // IPv4: lo only
        std::uint64_t meta = 0;  // ports, protocol and the shape bits (families, has_ports, non-first)
    };
    struct alignas(64) Entry {  // one cache line: a lookup reads one line
        Key key;
        std::uint32_t tag = 0;  // the epoch it was written in; 0: empty
        std::uint32_t rule = no_index, authorisation = no_index, indicator = no_index;
        CountryCode src_cc = no_country, dst_cc = no_country;
        bool emit = false;
        DropReason reason = DropReason::no_rule;
        Category category = Category::transit;
    };
    static_assert(sizeof(Entry) == 64, "an entry is one cache line");

    static Key key_of(const FlowKey& k) noexcept {
        const std::uint64_t shape = (k.src.is_v6() ? 1u : 0u) | (k.dst.is_v6() ? 2u : 0u) | (k.has_ports ? 4u : 0u) |
                                    (k.fragment == Fragment::non_first ? 8u : 0u);
        return {k.src.is_v6() ? k.src.v6.hi : 0, k.src.is_v6() ? k.src.v6.lo : k.src.v4,
                k.dst.is_v6() ? k.dst.v6.hi : 0, k.dst.is_v6() ? k.dst.v6.lo : k.dst.v4,
                std::uint64_t{k.src_port} << 48 | std::uint64_t{k.dst_port} << 32 | std::uint64_t{k.proto} << 8 | shape};
    }

    std::unique_ptr<Entry[]> entries_;
    std::uint32_t mask_ = 0;
    CacheEpoch epoch_;
    std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace flowsieve
