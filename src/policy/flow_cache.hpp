// flow_cache.hpp: a worker's memo of the verdicts one prepared snapshot gave the flows it saw
// recently, keyed by everything a verdict reads of a parsed packet (both addresses, both ports,
// the protocol, whether there are ports, whether it is a non-first fragment). Owned by one worker
// lcore, never shared; filled and read inside decide_bulk only.
//
// Why: a flow's packets all get the same verdict until the snapshot changes or an authorisation
// window opens or closes, and border traffic carries most packets in long two-way flows; one cache
// line answers such a packet instead of two endpoint answers, the class checks and the rules.
//
// Direct-mapped: a flow has one slot, one line. A two-way set of two lines answered more packets
// (95.8% against 91.0% on the benchmark mix, same memory) but cost more than those hits saved: its
// second line's fetch queued behind the burst's other misses (pipeline 159 against 149 cycles per
// packet, end to end 2% slower; perf/RESULTS.md Run 10). A hit saves about 60 cycles over a miss
// answered by the endpoint cache, so the direct map stays ahead unless it loses over a sixth of the
// hits, well beyond the few per cent that a second way buys at this load.
//
// Second chance: a hit marks its entry; a new flow that meets a marked entry of the same snapshot
// clears the mark instead of taking the slot, and takes it the next time if the resident flow has
// answered nothing in between. A one-off flow then no longer evicts a busy one, and two busy flows
// that share a slot no longer evict each other on every packet: hits 91.0% -> 93.2% on the benchmark
// mix (perf/RESULTS.md Run 11). Marking a hit stores into a line the lookup has just read.
//
// Time (invariant 2): only verdicts that no failed window check took part in are remembered (the
// classifier says which); an emitting one is served only while its rule's window still holds the
// packet's time, and goes back to the rules the moment it does not. A verdict that depended on a
// window being shut is never stored: the window may open.
//
// Binding: every entry carries the epoch (cache_sets.hpp) it was written in, so an entry of an
// older snapshot never answers (invariant 4).
//
// Both directions of a flow share one entry: the key holds the two ends (address and port) in a
// fixed order, and the probe says whether the packet runs the other way. A verdict is the same in
// both directions but for the two country codes, which the entry keeps in the key's order (the
// rules' endpoint pairs, excluded ports and protocols and the drop reasons do not depend on which
// end sent the packet). The one exception is the indicator an emitting verdict names: with both
// ends foreign and both in a required set, the sender's is named (classifier.cpp, rule_indicator);
// the caller stores such a verdict as one that answers only the direction it was decided for.
// Why: border traffic is two-way, and one entry per flow instead of per direction halves the
// entries its working set needs (perf/RESULTS.md Run 10).
#pragma once

#include <emmintrin.h>
#include <nmmintrin.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/flow_key.hpp"
#include "policy/cache_sets.hpp"
#include "policy/snapshot.hpp"
#include "policy/verdict.hpp"

// CRC32C needs SSE4.2, which the build's x86-64 baseline lacks. It is asked for here and by the
// callers that inline locate() (decide_bulk), not for the whole build: -msse4.2 everywhere made the
// country lookup benchmark 15% slower with its own code unchanged (perf/RESULTS.md Run 15). Debian's
// DPDK is built for corei7, so no machine that runs flowsieve lacks SSE4.2.
#define FLOWSIEVE_SSE42 __attribute__((target("sse4.2")))

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
        bool swapped = false;  // the packet runs from the key's second end to its first
    };

    // Allocates (control plane, at worker set-up). slots: 0 for none, else a power of two up to
    // max_slots (other values are rounded down to one; the config refuses them before that).
    explicit FlowCache(std::size_t slots = default_slots) : sets_(slots) {}

    void bind(const void* snapshot, std::uint64_t serial) noexcept { sets_.bind(snapshot, serial); }

    // Fills flows' probes, with the sets' base, mask and epoch held as values for a whole burst: read
    // through the cache, each was loaded again after every store into a probe (which might have been
    // to them). About 10 instructions less per packet (callgrind, decide_bulk_burst/flow_cached).
    class Locator {
    public:
        // Fills the flow's probe and prefetches its slot: a burst's slots are located first so that
        // their misses overlap. Valid until the next bind(). Written in place, not returned: a
        // returned probe was built with scalar stores and copied with vector loads straight after, a
        // store-forwarding stall that cost more than the rest of the lookup (perf annotate, e2e).
        FLOWSIEVE_SSE42 void locate(const FlowKey& k, Probe& p) const noexcept {
            const bool v6s = k.src.is_v6(), v6d = k.dst.is_v6();
            const std::uint64_t s_hi = address_hi(k.src), s_lo = address_lo(k.src);
            const std::uint64_t d_hi = address_hi(k.dst), d_lo = address_lo(k.dst);
            const std::uint64_t tail = std::uint64_t{k.proto} << 8 | (k.has_ports ? 4u : 0u) | (k.fragment == Fragment::non_first ? 8u : 0u);
            // The set first, from a hash that is the same in both directions (a sum of the two ends'),
            // so that the line's fetch starts before the ends are put in order. CRC32C (SSE4.2), one
            // instruction per 8 bytes, spreads traffic over the sets as well as the multiply-and-shift
            // hash it replaced (same hit rate) in half its instructions: decide stage 214.6 -> 200.0
            // instructions a packet (callgrind, pipeline), decide_bulk_burst/flow_cached 43.4 -> 41.7
            // cycles (perf/RESULTS.md Run 15).
            const std::uint32_t hs = end_hash(s_hi, s_lo, k.src_port, v6s), hd = end_hash(d_hi, d_lo, k.dst_port, v6d);
            p.set = static_cast<std::uint32_t>(_mm_crc32_u64(hs + hd, tail)) & mask_;
            __builtin_prefetch(base_ + std::size_t{p.set} * sizeof(Entry));
            // The ends in a fixed order: the one with the lower hash first. Any order that both
            // directions agree on will do; where the two hashes are equal the packet keeps its own
            // order, and its two directions merely do not share (the key and the flag still say exactly
            // which end sent it). Swapped with masks, not selects: which end is first is a coin toss
            // per packet, and GCC made the selects one branch (callgrind: taken by half the packets).
            const bool swap = hs > hd;
            const std::uint64_t sw = 0 - std::uint64_t{swap};
            const std::uint64_t x_hi = (s_hi ^ d_hi) & sw, x_lo = (s_lo ^ d_lo) & sw;
            p.key.src_hi = s_hi ^ x_hi;
            p.key.src_lo = s_lo ^ x_lo;
            p.key.dst_hi = d_hi ^ x_hi;
            p.key.dst_lo = d_lo ^ x_lo;
            // Each end's port and family bit in one half of a word (the sender's in the high half), the
            // halves swapped by a rotate of 0 or 32 bits: the first end's in the high half after it.
            // With the tail in bits the ends leave free (2-15), that word is the key's meta.
            const std::uint64_t ends = std::uint64_t{k.src_port} << 48 | std::uint64_t{v6s} << 32 |
                                       std::uint64_t{k.dst_port} << 16 | std::uint64_t{v6d};
            p.key.meta = std::rotl(ends, static_cast<int>(32 & sw)) | tail;
            p.key.tag = epoch_;
            p.swapped = swap;
        }

    private:
        friend class FlowCache;
        // One end's hash: its address, port and family (a lambda would not inherit the target).
        FLOWSIEVE_SSE42 static std::uint32_t end_hash(std::uint64_t hi, std::uint64_t lo, std::uint32_t port, bool v6) noexcept {
            return static_cast<std::uint32_t>(_mm_crc32_u64(_mm_crc32_u64(port << 1 | v6, lo), hi));
        }
        Locator(const void* base, std::uint32_t mask, std::uint32_t epoch) noexcept
            : base_(static_cast<const char*>(base)), mask_(mask), epoch_(epoch) {}
        const char* base_;  // the sets (Entry is declared below)
        std::uint32_t mask_, epoch_;
    };
    // Valid until the next bind().
    Locator locator() const noexcept { return {sets_.data(), sets_.mask(), sets_.epoch()}; }
    void locate(const FlowKey& k, Probe& p) const noexcept { locator().locate(k, p); }
    Probe locate(const FlowKey& k) const noexcept {
        Probe p;
        locate(k, p);
        return p;
    }

    // True, with v filled, when the slot holds the flow's verdict from the bound snapshot and that
    // verdict still holds at time_ns (an emitting one: its rule's window, `rules` being the
    // snapshot's hot rules).
    bool find(const Probe& p, std::int64_t time_ns, const HotRule* rules, Verdict& v) noexcept {
        Entry& e = sets_[p.set];
        const std::uint8_t direction = direction_of(p);
        // The window of the rule an emitting verdict names; a verdict that emits nothing has none to
        // check (an always-open one). Chosen by address, not by a branch: a third of the hits emit,
        // in no order a predictor learns (decide_bulk_burst/flow_cached 47.3 -> 44.0 cycles, RESULTS
        // Run 14). It is read before the key is compared, so only an entry of the bound snapshot (its
        // epoch) may name a rule: another's index may lie past the end of these rules.
        static constexpr HotRule always_open{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
        const std::uintptr_t emits = 0 - (std::uintptr_t{e.verdict.emit} & std::uintptr_t{e.tag == p.key.tag});
        const auto* window = reinterpret_cast<const HotRule*>(
            ((reinterpret_cast<std::uintptr_t>(rules) + std::uintptr_t{e.verdict.rule} * sizeof(HotRule)) & emits) |
            (reinterpret_cast<std::uintptr_t>(&always_open) & ~emits));
        // All three checks, combined without branches (as integers: clang warns of '&' on bools).
        const bool hit = (unsigned{same(e, p.key)} & unsigned{(e.verdict.direction & ~direction & ~referenced) == 0} &
                          unsigned{window->open_at(time_ns)}) != 0;
        if (hit) {
            e.verdict.direction |= referenced;
            static_assert(sizeof(StoredVerdict) == sizeof(Verdict));
            std::memcpy(static_cast<void*>(&v), &e.verdict, sizeof v);  // the direction lands in the verdict's padding byte
            // The country codes back in the packet's order (the pair rotated by 16 bits when it runs
            // the other way).
            std::uint32_t ccs;
            std::memcpy(&ccs, &e.verdict.first_cc, sizeof ccs);
            ccs = std::rotl(ccs, 16 * p.swapped);  // a rotate by 0 or 16: a select compiles to a branch
            std::memcpy(&v.src_cc, &ccs, sizeof ccs);
        }
        return sets_.count(hit);
    }

    // Remembers v for the flow in its slot, in place of whatever flow was there; except that a
    // flow of this snapshot that answered a packet since it was last passed over keeps the slot
    // this once (second chance, top of this file), and v is then not remembered.
    // Only verdicts the caller knows do not depend on a shut window may be stored (top of this file).
    // one_direction: the verdict may differ in the other direction (above); it then answers only
    // packets that run the way this one did.
    void store(const Probe& p, const Verdict& v, bool one_direction) noexcept {
        const Key& k = p.key;
        Entry& e = sets_[p.set];
        if ((e.verdict.direction & referenced) && e.tag == k.tag && !same(e, k)) {
            e.verdict.direction &= static_cast<std::uint8_t>(~referenced);
            return;
        }
        const std::uint8_t direction = one_direction ? direction_of(p) : any_direction;
        e = Entry{k.src_hi, k.src_lo, k.dst_hi, k.dst_lo, k.meta, k.tag,
                  StoredVerdict{v.emit, v.reason, v.category, direction, v.rule, v.authorisation, v.indicator,
                                p.swapped ? v.dst_cc : v.src_cc, p.swapped ? v.src_cc : v.dst_cc}};
    }

    std::uint64_t hits() const noexcept { return sets_.hits(); }
    std::uint64_t misses() const noexcept { return sets_.misses(); }
    std::size_t slots() const noexcept { return sets_.slots(); }

private:
    // Which directions an entry answers: a bit each (direction_of()), none set for both.
    static constexpr std::uint8_t any_direction = 0;
    static constexpr std::uint8_t referenced = 0x80;  // answered a packet since it was last passed over
    static std::uint8_t direction_of(const Probe& p) noexcept { return p.swapped ? 2 : 1; }

    // A Verdict as an entry keeps it: its country codes in the key's order of the ends, and the
    // directions it answers where a Verdict has a padding byte (so that a hit copies it whole).
    struct StoredVerdict {
        bool emit = false;
        DropReason reason = DropReason::no_rule;
        Category category = Category::transit;
        std::uint8_t direction = any_direction;
        std::uint32_t rule = no_index, authorisation = no_index, indicator = no_index;
        CountryCode first_cc = no_country, second_cc = no_country;
    };
    static_assert(offsetof(StoredVerdict, rule) == offsetof(Verdict, rule) &&
                  offsetof(StoredVerdict, indicator) == offsetof(Verdict, indicator) &&
                  offsetof(StoredVerdict, first_cc) == offsetof(Verdict, src_cc) &&
                  offsetof(StoredVerdict, second_cc) == offsetof(Verdict, dst_cc) && offsetof(Verdict, category) == 2 &&
                  offsetof(Verdict, rule) == 4 && std::is_trivially_copyable_v<Verdict>,
                  "a StoredVerdict is laid out as a Verdict, its direction in the Verdict's padding");

    struct alignas(64) Entry {  // one cache line: a lookup reads one line
        // Key's fields without its tail padding, where the verdict starts instead.
        std::uint64_t src_hi = 0, src_lo = 0, dst_hi = 0, dst_lo = 0, meta = 0;
        std::uint32_t tag = 0;
        StoredVerdict verdict;
    };
    static_assert(sizeof(Entry) == 64 && offsetof(Entry, tag) == offsetof(Key, tag) && offsetof(Entry, verdict) == 44,
                  "an entry is one cache line; its first 44 bytes are laid out as a Key's");

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

    CacheSets<Entry, 1> sets_;  // a set is one entry
};

}  // namespace flowsieve
