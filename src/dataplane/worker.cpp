// worker.cpp: the hot loop. Stages over a burst: parse all, decide all (the flow and endpoint
// caches, bulk lookups), write the records into the ring, free all. No allocation, lock, log or exception here
// (invariant 5).
#include "dataplane/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>

#include <algorithm>
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
// blocks, the last one ending at len (overlapping the one before). Emitted headers are 34 bytes or
// more (Ethernet and an IPv4 header at least), so the call to the general memcpy, a third of the
// record stage's time end to end, is left to shorter ones.
void copy_headers(std::uint8_t* to, const std::uint8_t* from, std::size_t len) noexcept {
    if (len < 32) {
        std::memcpy(to, from, len);
        return;
    }
    for (std::size_t i = 0; i + 32 < len; i += 32) std::memcpy(to + i, from + i, 32);
    std::memcpy(to + len - 32, from + len - 32, 32);
}

// The burst back to its pool with one put when every mbuf is as a driver hands it over (one
// segment, direct, not shared, all from one pool): what rte_pktmbuf_free_bulk would reset is then
// already so, and its per-mbuf checks and batching were about 40 instructions a packet (callgrind,
// pipeline benchmark). Drivers free transmitted mbufs the same way (their fast-free path).
// Anything else goes through rte_pktmbuf_free_bulk. The checks are computed for every mbuf and
// combined without a branch.
void free_burst(rte_mbuf** m, unsigned n) noexcept {
    if (n == 0) return;
    rte_mempool* const pool = m[0]->pool;
    bool plain = true;
    for (unsigned i = 0; i < n; ++i)
        plain &= (m[i]->pool == pool) & (rte_mbuf_refcnt_read(m[i]) == 1) & (m[i]->nb_segs == 1) &
                 ((m[i]->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) == 0) & (m[i]->next == nullptr);
    if (plain) rte_mempool_put_bulk(pool, reinterpret_cast<void**>(m), n);
    else rte_pktmbuf_free_bulk(m, n);
}

}  // namespace

void parse_stage(Worker& w, const RxQueue& q, unsigned n) noexcept {
    const std::uint64_t burst_time = w.clock.now_ns();
    for (unsigned i = 0; i < n; ++i) {
        rte_mbuf* m = w.mbufs[i];
        w.frames[i] = frame_bytes(m, w.linear[i].data(), w.linear[i].size());
        parse_packet(w.frames[i], w.parsed[i]);
        w.times[i] = q.rx_timestamp && (m->ol_flags & w.ts_flag)
                         ? *RTE_MBUF_DYNFIELD(m, w.ts_offset, const rte_mbuf_timestamp_t*)
                         : burst_time;
    }
}

void decide_stage(Worker& w, const Snapshot& snap, unsigned n) noexcept {
    decide_bulk(snap, w.parsed.data(), w.times.data(), w.verdicts.data(), n, &w.cache, &w.flows);
    w.counters.endpoint_cache_hits.store(w.cache.hits(), std::memory_order_relaxed);
    w.counters.endpoint_cache_misses.store(w.cache.misses(), std::memory_order_relaxed);
    w.counters.flow_cache_hits.store(w.flows.hits(), std::memory_order_relaxed);
    w.counters.flow_cache_misses.store(w.flows.misses(), std::memory_order_relaxed);
}

void hand_over_stage(Worker& w, const Snapshot& snap, const RxQueue& q, unsigned n) noexcept {
    unsigned n_emit = 0;
    for (unsigned i = 0; i < n; ++i) n_emit += w.verdicts[i].emit ? 1 : 0;
    // Records are written straight into the ring's free slots; those it lacks are ring_full drops.
    RecordSlots slots(w.ring, n_emit);
    unsigned n_rec = 0;
    for (unsigned i = 0; i < n; ++i) {
        const Verdict& v = w.verdicts[i];
        if (!v.emit) {
            WorkerCounters::add(w.counters.dropped[static_cast<std::size_t>(v.reason)], 1);
            continue;
        }
        if (n_rec == slots.count()) continue;  // no slot left: a ring_full drop, counted below
        HeaderRecord& r = slots[n_rec++];
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
