// pipeline_run.cpp: the pipeline benchmark's worker (one lcore): feed, process_burst, drain.
#include "pipeline_run.hpp"

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <string>

#include "dpdk/port.hpp"
#include "dpdk/record_ring.hpp"
#include "policy/classifier.hpp"

namespace flowsieve::bench {

namespace {
constexpr unsigned pool_size = 4095;
constexpr unsigned ring_size = 16384;  // the default dpdk.ring_size (control/config.hpp)

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void finish(PipelineCycles& c, std::uint64_t loop_start, double cpu_start) {
    c.loop = rte_rdtsc() - loop_start;
    const double cpu_ticks = (thread_cpu_seconds() - cpu_start) * static_cast<double>(rte_get_tsc_hz());
    c.on_cpu = c.loop ? std::min(1.0, cpu_ticks / static_cast<double>(c.loop)) : 1.0;
}
}  // namespace

Result<std::unique_ptr<PipelineWorker>> PipelineWorker::create(unsigned id, const Frames& frames, const Snapshot& snap,
                                                               std::size_t first_frame, unsigned burst) {
    if (burst == 0 || burst > max_burst) return Error{"burst must be 1.." + std::to_string(max_burst)};
    std::unique_ptr<PipelineWorker> p(new PipelineWorker());
    p->frames_ = &frames;
    p->snap_ = &snap;
    p->next_ = first_frame % frames.count();
    const int socket = static_cast<int>(rte_socket_id());
    p->pool_ = rte_pktmbuf_pool_create(("perf_pool" + std::to_string(id)).c_str(), pool_size, 256, 0,
                                       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (!p->pool_) return Error{"cannot create the mbuf pool"};
    auto ring = create_record_ring("perf_ring" + std::to_string(id), ring_size, socket);
    if (!ring) return ring.error();
    const RxTimestamp ts = rx_timestamp_field();
    if (ts.offset < 0) return Error{"cannot register the RX timestamp field"};

    p->worker_ = std::make_unique<Worker>();
    Worker& w = *p->worker_;
    w.id = id;
    w.burst = burst;
    w.ring = ring.value();
    w.clock = WallClock::calibrate();
    w.ts_offset = ts.offset;
    w.ts_flag = ts.flag;
    // Like capture replay: packet time is the generator's (inside the example authorisations).
    p->queue_.rx_timestamp = true;
    return p;
}

PipelineWorker::~PipelineWorker() {
    if (worker_ && worker_->ring) rte_ring_free(worker_->ring);
    if (pool_) rte_mempool_free(pool_);
}

unsigned PipelineWorker::fill() {
    Worker& w = *worker_;
    if (rte_pktmbuf_alloc_bulk(pool_, w.mbufs.data(), w.burst) != 0) return 0;
    for (unsigned i = 0; i < w.burst; ++i) {
        rte_mbuf* m = w.mbufs[i];
        const std::uint32_t len = frames_->size(next_);
        std::memcpy(rte_pktmbuf_mtod(m, std::uint8_t*), frames_->data(next_), len);
        m->data_len = static_cast<std::uint16_t>(len);
        m->pkt_len = len;
        *RTE_MBUF_DYNFIELD(m, w.ts_offset, rte_mbuf_timestamp_t*) = frames_->time_ns[next_];
        m->ol_flags |= w.ts_flag;
        if (++next_ == frames_->count()) next_ = 0;
    }
    return w.burst;
}

void PipelineWorker::drain() {
    // The exporter's side, so that ring_full never distorts the measurement.
    HeaderRecord recs[64];
    while (dequeue_records(worker_->ring, recs, 64) == 64) {
    }
}

PipelineCycles PipelineWorker::run(std::uint64_t packets) {
    PipelineCycles c;
    Worker& w = *worker_;
    const double cpu_start = thread_cpu_seconds();
    const std::uint64_t loop_start = rte_rdtsc();
    while (c.packets < packets) {
        const unsigned n = fill();
        if (n == 0) break;  // cannot happen: every burst is freed before the next
        const std::uint64_t t0 = rte_rdtsc();
        process_burst(w, *snap_, queue_, n);
        c.own += rte_rdtsc() - t0;
        c.packets += n;
        drain();
    }
    finish(c, loop_start, cpu_start);
    return c;
}

std::vector<HeaderRecord> PipelineWorker::collect_records(std::size_t n) {
    std::vector<HeaderRecord> out;
    out.reserve(n);
    HeaderRecord recs[64];
    // Bounded: a mix that selects nothing returns what it has after as many packets as frames.
    for (std::size_t packets = 0; out.size() < n && packets < 4 * frames_->count() + n;) {
        const unsigned got = fill();
        if (got == 0) break;
        process_burst(*worker_, *snap_, queue_, got);
        packets += got;
        for (unsigned k; (k = dequeue_records(worker_->ring, recs, 64)) > 0;)  // the rest of a full one: dropped
            out.insert(out.end(), recs, recs + std::min<std::size_t>(k, n - out.size()));
    }
    return out;
}

PipelineCycles PipelineWorker::run_staged(std::uint64_t packets) {
    // process_burst's own stages (dataplane/worker.cpp) with a TSC read between them: where the
    // cycles go. Its total is printed beside the real one.
    PipelineCycles c;
    Worker& w = *worker_;
    const RxQueue& q = queue_;
    const Snapshot& snap = *snap_;
    const double cpu_start = thread_cpu_seconds();
    const std::uint64_t loop_start = rte_rdtsc();
    while (c.packets < packets) {
        const unsigned n = fill();
        if (n == 0) break;
        const std::uint64_t t0 = rte_rdtsc();
        parse_stage(w, q, n);
        const std::uint64_t t1 = rte_rdtsc();
        decide_stage(w, snap, n);
        const std::uint64_t t2 = rte_rdtsc();
        hand_over_stage(w, snap, q, n);
        const std::uint64_t t3 = rte_rdtsc();
        free_stage(w, n);
        const std::uint64_t t4 = rte_rdtsc();
        c.parse += t1 - t0;
        c.decide += t2 - t1;
        c.records += t3 - t2;
        c.free += t4 - t3;
        c.own += t4 - t0;
        c.packets += n;
        drain();
    }
    finish(c, loop_start, cpu_start);
    return c;
}

}  // namespace flowsieve::bench
