// worker.hpp: per-worker state and the run-to-completion loop (one worker lcore each).
// The worker owns its queues, its ring, its counters and its working arrays; nothing is shared
// with other workers.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <span>

#include "core/counters.hpp"
#include "dpdk/snapshot_slot.hpp"
#include "export/header_record.hpp"
#include "parse/packet_parser.hpp"
#include "policy/classifier.hpp"

namespace flowsieve {

inline constexpr unsigned max_burst = 64;
inline constexpr unsigned max_queues_per_worker = 16;

struct RxQueue {
    std::uint16_t port = 0;
    std::uint16_t queue = 0;
    bool rx_timestamp = false;  // mbufs carry the capture/RX time
    int wire_len_offset = -1;   // replay ports: the original wire length dynfield (else pkt_len)
};

// Wall-clock ns for packets without a capture timestamp, read once a burst. The TSC is
// extrapolated from the system clock (CLOCK_REALTIME), which is read again whenever the last
// reading is `rebase_tsc` ticks (one second) old: an error in the estimated TSC rate, or NTP
// slewing or stepping the clock, then never accumulates past a second's worth. That matters
// because these times are checked against authorisation windows.
struct WallClock {
    std::uint64_t base_ns = 0;
    std::uint64_t base_tsc = 0;
    std::uint64_t rebase_tsc = 0;
    double ns_per_tsc = 0;
    std::uint64_t now_ns() noexcept;
    static WallClock calibrate();

private:
    void rebase(std::uint64_t tsc) noexcept;
};

struct alignas(64) Worker {
    // Set by the control plane before launch, read-only afterwards.
    unsigned id = 0;
    unsigned queue_count = 0;
    std::array<RxQueue, max_queues_per_worker> queues{};
    unsigned burst = 32;
    rte_ring* ring = nullptr;
    SnapshotSlot* slot = nullptr;
    const std::atomic<bool>* stop = nullptr;
    WallClock clock;
    int ts_offset = -1;
    std::uint64_t ts_flag = 0;

    WorkerCounters counters;
    EndpointCache cache;  // this worker's memo of the current snapshot's endpoint answers
    FlowCache flows;      // and of its verdicts per flow
    std::atomic<std::uint64_t> idle_polls{0};  // consecutive empty polls of every queue (offline end)

    // Working arrays, one burst at a time.
    alignas(64) std::array<rte_mbuf*, max_burst> mbufs{};
    std::array<ParsedPacket, max_burst> parsed{};
    std::array<std::uint64_t, max_burst> times{};
    std::array<Verdict, max_burst> verdicts{};
    std::array<std::span<const std::uint8_t>, max_burst> frames{};  // the bytes parsed (stage 1)
    std::array<std::array<std::uint8_t, HeaderRecord::max_header_bytes + 64>, max_burst> linear{};
};

// The lcore entry point (rte_eal_remote_launch): polls until *stop.
int worker_main(void* worker);

// One burst, exposed for the pipeline benchmark and tests: classifies `n` mbufs already in
// w.mbufs against `snap`, enqueues records, frees every mbuf, updates counters. It is the four
// stages below in order (exposed so that the benchmark can time each).
void process_burst(Worker& w, const Snapshot& snap, const RxQueue& q, unsigned n) noexcept;
void parse_stage(Worker& w, const RxQueue& q, unsigned n) noexcept;            // frames, parsed, times
void decide_stage(Worker& w, const Snapshot& snap, unsigned n) noexcept;        // verdicts
void hand_over_stage(Worker& w, const Snapshot& snap, const RxQueue& q, unsigned n) noexcept;  // records
void free_stage(Worker& w, unsigned n) noexcept;                               // mbufs, received

}  // namespace flowsieve
