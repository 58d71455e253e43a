// flow_cache.hpp: a worker's memo of the verdicts one prepared snapshot gave the flows it saw
// recently, keyed by everything a verdict reads of a parsed packet (both addresses, both ports,
// the protocol, whether there are ports, whether it is a non-first fragment). Owned by one worker
// lcore, never shared; filled and read inside decide_bulk only.
//
// Why: a flow's packets all get the same verdict until the snapshot changes or an authorisation
// window opens or closes, and border traffic carries most packets in long flows; one set (two cache lines)
// answers such a packet instead of two endpoint answers, the class checks and the rules.
//
// Time (invariant 2): only verdicts that no failed window check took part in are remembered (the
// classifier says which); an emitting one is served only while its rule's window still holds the
// packet's time, and goes back to the rules the moment it does not. A verdict that depended on a
// window being shut is never stored: the window may open.
//
// Binding: every entry carries the epoch (cache_sets.hpp) it was written in, so an entry of an
// older snapshot never answers (invariant 4).
#pragma once

#include <emmintrin.h>

#include <bit>
#include <cstddef>
#include <cstdint>

#include "core/flow_key.hpp"
#include "policy/cache_sets.hpp"
#include "policy/snapshot.hpp"
#include "policy/verdict.hpp"

namespace flowsieve {

class FlowCache {
    struct Key {
        std::uint64_t src_hi = 0, src_lo = 0, dst_hi = 0, dst_lo = 0;  // IPv4: lo only
        std::uint64_t meta = 0;  // ports, protocol and the shape bits (families, has_ports, non-first)
        std::uint32_t tag = 0;   // the epoch it was written in (entries) or is looked up in (probes); 0: empty
    };
    static_assert(sizeof(Key) == 48 && offsetof(Key, tag) == 40);
    static constexpr int compared_bytes = 44;  // the key with its tag, not the padding after it

public:
    static constexpr std::size_t default_slots = 16384;  // 1 MiB (64 bytes each)
    static constexpr std::size_t max_slots = cache_max_slots;

    // A flow's key and set, computed once per packet by locate() for the find() and store() after it.
    struct Probe {
        Key key;
        std::uint32_t set = 0;
    };

    // Allocates (control plane, at worker set-up). slots: 0 for none, else a power of two from 2 to
    // max_slots (other values are rounded down to one; the config refuses them before that).
    explicit FlowCache(std::size_t slots = default_slots) : sets_(slots) {}

    void bind(const void* snapshot, std::uint64_t serial) noexcept { sets_.bind(snapshot, serial); }

    // Fills the flow's probe and prefetches its set (both lines): a burst's sets are located first
    // so that their misses overlap. Valid until the next bind(). Written in place, not returned: a
    // returned probe was built with scalar stores and copied with vector loads straight after, a
    // store-forwarding stall that cost more than the rest of the lookup (perf annotate, e2e).
    void locate(const FlowKey& k, Probe& p) const noexcept {
        const bool v6s = k.src.is_v6(), v6d = k.dst.is_v6();
        p.key.src_hi = address_hi(k.src);
        p.key.src_lo = address_lo(k.src);
        p.key.dst_hi = address_hi(k.dst);
        p.key.dst_lo = address_lo(k.dst);
        const std::uint64_t shape = (v6s ? 1u : 0u) | (v6d ? 2u : 0u) | (k.has_ports ? 4u : 0u) |
                                    (k.fragment == Fragment::non_first ? 8u : 0u);
        p.key.meta = std::uint64_t{k.src_port} << 48 | std::uint64_t{k.dst_port} << 32 | std::uint64_t{k.proto} << 8 | shape;
        p.key.tag = sets_.epoch();
        std::uint64_t h = (p.key.src_lo ^ std::rotl(p.key.dst_lo, 32)) * 0x9e3779b97f4a7c15ull;
        h ^= (p.key.src_hi ^ std::rotl(p.key.dst_hi, 17) ^ p.key.meta) * 0xbf58476d1ce4e5b9ull;
        p.set = static_cast<std::uint32_t>((h ^ (h >> 31)) * 0x94d049bb133111ebull >> 40) & sets_.mask();
        __builtin_prefetch(&sets_[p.set].way[0]);
        __builtin_prefetch(&sets_[p.set].way[1]);
    }
    Probe locate(const FlowKey& k) const noexcept {
        Probe p;
        locate(k, p);
        return p;
    }

    // True, with v filled, when the set holds the flow's verdict from the bound snapshot and that
    // verdict still holds at time_ns (an emitting one: its rule's window, `rules` being the
    // snapshot's hot rules).
    bool find(const Probe& p, std::int64_t time_ns, const HotRule* rules, Verdict& v) noexcept {
        const Set& s = sets_[p.set];
        // Both ways compared, one selected without a branch (which way hits is unpredictable).
        const bool in0 = same(s.way[0], p.key), in1 = same(s.way[1], p.key);
        const Entry& e = s.way[in0 ? 0 : 1];
        const bool hit = (in0 | in1) && (!e.verdict.emit || rules[e.verdict.rule].open_at(time_ns));
        if (hit) v = e.verdict;
        return sets_.count(hit);
    }

    // Remembers v for the flow in way 0; the set's previous way-0 entry moves to way 1 (the older
    // one leaves), so a one-off flow evicts at most one of the two that share the set. A flow
    // already in way 0 (its emitting verdict's window closed) is replaced there, never held twice.
    // Only verdicts the caller knows do not depend on a shut window may be stored (top of this file).
    void store(const Probe& p, const Verdict& v) noexcept {
        Set& s = sets_[p.set];
        if (!same(s.way[0], p.key)) s.way[1] = s.way[0];
        const Key& k = p.key;
        s.way[0] = Entry{k.src_hi, k.src_lo, k.dst_hi, k.dst_lo, k.meta, k.tag, v};
    }

    std::uint64_t hits() const noexcept { return sets_.hits(); }
    std::uint64_t misses() const noexcept { return sets_.misses(); }
    std::size_t slots() const noexcept { return sets_.slots(); }

private:
    static constexpr std::size_t ways = 2;
    struct alignas(64) Entry {  // one cache line: a lookup reads one line per way
        // Key's fields without its tail padding, where the verdict starts instead.
        std::uint64_t src_hi = 0, src_lo = 0, dst_hi = 0, dst_lo = 0, meta = 0;
        std::uint32_t tag = 0;
        Verdict verdict;
    };
    static_assert(sizeof(Entry) == 64 && offsetof(Entry, tag) == offsetof(Key, tag) && offsetof(Entry, verdict) == 44,
                  "an entry is one cache line; its first 44 bytes are laid out as a Key's");
    struct Set {
        Entry way[ways];
    };

    // The 44 key bytes (addresses, ports, protocol, shape, tag) in three 16-byte compares: all 16
    // bytes of the first two, the first 12 of the third (the 4 after them are padding or verdict).
    static bool same(const Entry& a, const Key& b) noexcept {
        static_assert(compared_bytes > 32 && compared_bytes <= 48);
        constexpr int tail = (1 << (compared_bytes - 32)) - 1;
        const auto* x = reinterpret_cast<const __m128i*>(&a);
        const auto* y = reinterpret_cast<const __m128i*>(&b);
        const __m128i head = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(x), _mm_loadu_si128(y)),
                                           _mm_cmpeq_epi8(_mm_loadu_si128(x + 1), _mm_loadu_si128(y + 1)));
        const __m128i last = _mm_cmpeq_epi8(_mm_loadu_si128(x + 2), _mm_loadu_si128(y + 2));
        return _mm_movemask_epi8(head) == 0xffff && (_mm_movemask_epi8(last) & tail) == tail;
    }

    CacheSets<Set, ways> sets_;
};

}  // namespace flowsieve
