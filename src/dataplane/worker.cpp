// worker.cpp: the hot loop. Stages over a burst: parse all, decide all (the flow and endpoint
// caches, bulk lookups), write the records into the ring, free all. No allocation, lock, log or exception here
// (invariant 5).
#include "dataplane/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

#include "core/time_text.hpp"
#include "dpdk/record_ring.hpp"

namespace flowsieve {

std::uint64_t WallClock::now_ns() noexcept {
    const std::uint64_t tsc = rte_rdtsc();
    if (tsc - base_tsc >= rebase_tsc) [[unlikely]] {
        rebase(tsc);
        return base_ns;
    }
    return base_ns + static_cast<std::uint64_t>(static_cast<double>(tsc - base_tsc) * ns_per_tsc);
}

// The system clock through the vDSO: no system call, no lock the worker could wait on for long.
void WallClock::rebase(std::uint64_t tsc) noexcept {
    base_ns = static_cast<std::uint64_t>(now_unix_ns());
    base_tsc = tsc;
}

WallClock WallClock::calibrate() {
    WallClock c;
    c.rebase_tsc = std::max<std::uint64_t>(rte_get_tsc_hz(), 1);
    c.ns_per_tsc = 1e9 / static_cast<double>(c.rebase_tsc);
    c.rebase(rte_rdtsc());
    return c;
}

namespace {

// The bytes the parser sees: the first segment when it holds the headers, else a bounded copy
// (multi-segment mbufs): never more than a record can carry plus room to find the L4 header.
std::span<const std::uint8_t> frame_bytes(rte_mbuf* m, std::uint8_t* scratch, std::size_t scratch_len) noexcept {
    const auto* first = rte_pktmbuf_mtod(m, const std::uint8_t*);
    if (m->data_len == m->pkt_len || m->data_len >= scratch_len) return {first, m->data_len};
    std::uint32_t len = std::min<std::uint32_t>(m->pkt_len, static_cast<std::uint32_t>(scratch_len));
    const void* p = rte_pktmbuf_read(m, 0, len, scratch);
    return {static_cast<const std::uint8_t*>(p), p ? len : 0u};
}

// A record's header bytes: [0, len) of the frame and nothing past it (invariant 1), in 32-byte
// blocks that may overlap. Emitted headers are 34 bytes or more (Ethernet and an IPv4 header at
// least), so the call to the general memcpy, a third of the record stage's time end to end, is left
// to shorter ones. Up to 96 bytes (nearly every header) three blocks do, the first at 0, the last
// ending at len and one halfway between (which leaves no gap while the last starts at 64 or
// before): the only branches left on the length (under 32, over 96) go the same way for nearly
// every record, where the length itself varies unpredictably with the traffic mix. A loop of blocks
// as long as the header, and clamping each block to end by len, both mispredicted for one record
// in five (callgrind's branch simulation, pipeline).
void copy_headers(std::uint8_t* to, const std::uint8_t* from, std::size_t len) noexcept {
    if (len < 32) {
        std::memcpy(to, from, len);
        return;
    }
    const std::size_t last = len - 32;  // where the block that ends at len starts
    std::memcpy(to, from, 32);
    std::memcpy(to + last / 2, from + last / 2, 32);
    std::memcpy(to + last, from + last, 32);
    if (last > 64) [[unlikely]]  // over 96 bytes: the blocks from 32 on, until the last
        for (std::size_t at = 32; at < last; at += 32) std::memcpy(to + at, from + at, 32);
}

// The burst back to its pool with one put when every mbuf is as a driver hands it over (one
// segment, direct, not shared, all from one pool): what rte_pktmbuf_free_bulk would reset is then
// already so, and its per-mbuf checks and batching were about 40 instructions a packet (callgrind,
// pipeline benchmark). Drivers free transmitted mbufs the same way (their fast-free path).
// Anything else goes through rte_pktmbuf_free_bulk. Each mbuf's differences from that state are
// OR-ed into one word, tested once for the burst: no branch, and no flag made of each compare.
// refcnt and nb_segs sit side by side in the 8 bytes a driver rearms (rearm_data), read with one
// load (data_off and port masked out), as drivers address them. While another holder could still
// drop a reference, both values the load may see are right (not 1: the general path; 1: that
// holder is gone). Free stage 23.7 -> 18.6 instructions a packet (callgrind, pipeline).
void free_burst(rte_mbuf** m, unsigned n) noexcept {
    static_assert(std::endian::native == std::endian::little);
    static_assert(offsetof(rte_mbuf, refcnt) == offsetof(rte_mbuf, rearm_data) + 2 &&
                  offsetof(rte_mbuf, nb_segs) == offsetof(rte_mbuf, rearm_data) + 4 &&
                  sizeof(rte_mbuf::refcnt) == 2 && sizeof(rte_mbuf::nb_segs) == 2,
                  "refcnt and nb_segs are bits 16-47 of rearm_data");
    constexpr std::uint64_t refcnt_and_segs = 0xFFFF'FFFFull << 16;
    constexpr std::uint64_t one_ref_one_seg = std::uint64_t{1} << 16 | std::uint64_t{1} << 32;
    if (n == 0) return;
    rte_mempool* const pool = m[0]->pool;
    std::uint64_t odd = 0;  // non-zero when any mbuf needs rte_pktmbuf_free_bulk
    for (unsigned i = 0; i < n; ++i) {
        // Relaxed, as rte_mbuf_refcnt_read reads refcnt: one plain 8-byte load on x86.
        const std::uint64_t rearm = __atomic_load_n(reinterpret_cast<const std::uint64_t*>(&m[i]->rearm_data), __ATOMIC_RELAXED);
        odd |= (reinterpret_cast<std::uintptr_t>(m[i]->pool) ^ reinterpret_cast<std::uintptr_t>(pool)) |
               ((rearm & refcnt_and_segs) ^ one_ref_one_seg) | (m[i]->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) |
               reinterpret_cast<std::uintptr_t>(m[i]->next);
    }
    if (odd == 0) rte_mempool_put_bulk(pool, reinterpret_cast<void**>(m), n);
    else rte_pktmbuf_free_bulk(m, n);
}

// One burst's parse, for a queue whose mbufs may carry a capture time or for one whose never do.
// Which it is belongs to the queue, not the packet, so it is chosen once a burst (parse_stage)
// rather than tested for every packet: there the queue, the flag and the offset were reloaded after
// each packet's parse result was stored (those stores might have changed them, for all the compiler
// knew), and the queue's pointer took a register in a loop that spills. Parse stage 170.6 -> 160.3
// instructions a packet (callgrind, pipeline, whose queue carries capture times).
template <bool rx_timestamp>
void parse_burst(Worker& w, unsigned n, std::uint64_t burst_time) noexcept {
    const std::uint64_t ts_flag = w.ts_flag;
    const int ts_offset = w.ts_offset;
    for (unsigned i = 0; i < n; ++i) {
        rte_mbuf* m = w.mbufs[i];
        w.frames[i] = frame_bytes(m, w.linear[i].data(), w.linear[i].size());
        parse_packet(w.frames[i], w.parsed[i]);
        if constexpr (rx_timestamp)
            w.times[i] = (m->ol_flags & ts_flag) ? *RTE_MBUF_DYNFIELD(m, ts_offset, const rte_mbuf_timestamp_t*) : burst_time;
        else
            w.times[i] = burst_time;
    }
}

}  // namespace

void parse_stage(Worker& w, const RxQueue& q, unsigned n) noexcept {
    const std::uint64_t burst_time = w.clock.now_ns();
    if (q.rx_timestamp) parse_burst<true>(w, n, burst_time);
    else parse_burst<false>(w, n, burst_time);
}

void decide_stage(Worker& w, const Snapshot& snap, unsigned n) noexcept {
    decide_bulk(snap, w.parsed.data(), w.times.data(), w.verdicts.data(), n, &w.cache, &w.flows);
    w.counters.endpoint_cache_hits.store(w.cache.hits(), std::memory_order_relaxed);
    w.counters.endpoint_cache_misses.store(w.cache.misses(), std::memory_order_relaxed);
    w.counters.flow_cache_hits.store(w.flows.hits(), std::memory_order_relaxed);
    w.counters.flow_cache_misses.store(w.flows.misses(), std::memory_order_relaxed);
}

void hand_over_stage(Worker& w, const Snapshot& snap, const RxQueue& q, unsigned n) noexcept {
    // The selected packets listed and the others counted without a branch on the verdict: a third
    // of the packets are selected, in no order a predictor learns (callgrind's branch simulation:
    // four in ten mispredicted). A selected packet adds 0 to its verdict's reason (always a valid
    // one: verdict.hpp). Written as arithmetic on `emit`: with `v.emit ? 1 : 0` and `v.emit ? 0 : 1`
    // GCC made the two one branch again.
    std::uint8_t selected[max_burst];
    unsigned n_emit = 0;
    for (unsigned i = 0; i < n; ++i) {
        const Verdict& v = w.verdicts[i];
        const unsigned emit = v.emit;
        selected[n_emit] = static_cast<std::uint8_t>(i);
        n_emit += emit;
        WorkerCounters::add(w.counters.dropped[static_cast<std::size_t>(v.reason)], 1 - emit);
    }
    // Records are written straight into the ring's free slots; those it lacks are ring_full drops.
    RecordSlots slots(w.ring, n_emit);
    const unsigned n_rec = slots.count();
    for (unsigned k = 0; k < n_rec; ++k) {
        const unsigned i = selected[k];
        const Verdict& v = w.verdicts[i];
        HeaderRecord& r = slots[k];
        // Headers only (invariant 1): never past the parser's header_len nor the captured bytes.
        const std::uint16_t allowed = std::min<std::uint16_t>(w.parsed[i].header_len, static_cast<std::uint16_t>(w.frames[i].size()));
        const std::uint16_t len = std::min<std::uint16_t>(allowed, HeaderRecord::max_header_bytes);
        r.time_ns = w.times[i];
        r.generation = snap.generation;
        r.wire_len = q.wire_len_offset >= 0 ? *RTE_MBUF_DYNFIELD(w.mbufs[i], q.wire_len_offset, const std::uint32_t*)
                                             : w.mbufs[i]->pkt_len;
        r.rule = v.rule;
        r.authorisation = v.authorisation;
        r.indicator = v.indicator;
        r.header_len = len;
        r.port = q.port;
        r.src_cc = v.src_cc;
        r.dst_cc = v.dst_cc;
        r.category = v.category;
        r.worker = static_cast<std::uint8_t>(w.id);
        r.truncated = allowed > len;
        copy_headers(r.bytes, w.frames[i].data(), len);
        WorkerCounters::add(w.counters.emitted[static_cast<std::size_t>(v.category)], 1);
    }
    RecordSlots::publish(w.ring, n_rec);
    if (n_rec < n_emit)  // the ring was full: the remaining selected packets are counted, not queued
        WorkerCounters::add(w.counters.dropped[static_cast<std::size_t>(DropReason::ring_full)], n_emit - n_rec);
}

void free_stage(Worker& w, unsigned n) noexcept {
    free_burst(w.mbufs.data(), n);  // the mbuf never goes downstream
    WorkerCounters::add(w.counters.received, n);
}

void process_burst(Worker& w, const Snapshot& snap, const RxQueue& q, unsigned n) noexcept {
    parse_stage(w, q, n);
    decide_stage(w, snap, n);  // the whole burst's lookups issued together, prefetched
    hand_over_stage(w, snap, q, n);
    free_stage(w, n);
}

int worker_main(void* arg) {
    Worker& w = *static_cast<Worker*>(arg);
    std::uint64_t idle = 0;
    while (!w.stop->load(std::memory_order_relaxed)) {
        bool any = false;
        for (unsigned qi = 0; qi < w.queue_count; ++qi) {
            const RxQueue& q = w.queues[qi];
            const auto n = rte_eth_rx_burst(q.port, q.queue, w.mbufs.data(), static_cast<std::uint16_t>(w.burst));
            if (n == 0) continue;
            any = true;
            const Snapshot* snap = w.slot->current();  // invariant 4: one snapshot for the whole burst
            process_burst(w, *snap, q, n);
            w.slot->quiescent(w.id);
        }
        if (any) {
            idle = 0;
        } else {
            w.slot->quiescent(w.id);
            ++idle;
        }
        w.idle_polls.store(idle, std::memory_order_relaxed);
    }
    return 0;
}

}  // namespace flowsieve
