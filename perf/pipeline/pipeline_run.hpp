// pipeline_run.hpp: one benchmark worker: its mempool, record ring and Worker, fed with generator
// frames copied into fresh mbufs (no driver), running the real process_burst. Runs on one lcore.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "bench_world.hpp"
#include "core/counters.hpp"
#include "core/result.hpp"
#include "dataplane/worker.hpp"

namespace flowsieve::bench {

// TSC cycles summed over the timed part of every burst.
struct PipelineCycles {
    std::uint64_t packets = 0;
    std::uint64_t own = 0;    // process_burst alone: flowsieve's own work
    std::uint64_t loop = 0;   // the whole loop: mbuf alloc + frame copy (the "driver") + process_burst + ring drain
    // Stage split, from a replica of process_burst's stages (see run_staged); zero for run().
    std::uint64_t parse = 0, decide = 0, records = 0, free = 0;
    // Share of the loop's wall time this thread was on a CPU (thread CPU time / wall time): below 1
    // when other processes took the core; cycles * on_cpu estimates the cycles of the work itself.
    double on_cpu = 1.0;
};

class PipelineWorker {
public:
    // `first_frame`: where in `frames` this worker starts (workers replay different parts).
    static Result<std::unique_ptr<PipelineWorker>> create(unsigned id, const Frames& frames, const Snapshot& snap,
                                                          std::size_t first_frame, unsigned burst);
    ~PipelineWorker();
    PipelineWorker(const PipelineWorker&) = delete;
    PipelineWorker& operator=(const PipelineWorker&) = delete;

    // The real worker code over `packets` packets (rounded up to whole bursts).
    PipelineCycles run(std::uint64_t packets);
    // The same stages written out here with a TSC read between them: where the cycles go.
    PipelineCycles run_staged(std::uint64_t packets);
    // The records the real worker code selects from the next packets, up to `n` (for the exporter's
    // capacity: exporter_run.hpp).
    std::vector<HeaderRecord> collect_records(std::size_t n);

    const WorkerCounters& counters() const { return worker_->counters; }
    const EndpointCache& endpoint_cache() const { return worker_->cache; }
    const FlowCache& flow_cache() const { return worker_->flows; }
    // Fresh caches of these many entries (0: none; both 0: every packet decided from the tables,
    // every endpoint looked up: the baseline).
    void reset_caches(std::size_t endpoint_slots, std::size_t flow_slots) {
        worker_->cache = EndpointCache(endpoint_slots);
        worker_->flows = FlowCache(flow_slots);
    }

private:
    PipelineWorker() = default;
    // Allocates a burst and copies the next frames into it, as an RX driver would.
    unsigned fill();
    void drain();

    const Frames* frames_ = nullptr;
    const Snapshot* snap_ = nullptr;
    std::size_t next_ = 0;
    rte_mempool* pool_ = nullptr;
    std::unique_ptr<Worker> worker_;
    RxQueue queue_;
};

}  // namespace flowsieve::bench
