// exporter_run.cpp: the exporter's capacity (exporter_run.hpp).
#include "exporter_run.hpp"

#include <rte_lcore.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "dataplane/exporter.hpp"
#include "dpdk/record_ring.hpp"
#include "oversight/retention_manifest.hpp"

namespace flowsieve::bench {

Result<ExporterRate> measure_exporter(const std::vector<HeaderRecord>& records, const Snapshot& snap, std::uint64_t count) {
    if (records.empty()) return Error{"no records to export (the mix selected none)"};
    auto ring = create_record_ring("perf_export", 16384, static_cast<int>(rte_socket_id()));
    if (!ring) return ring.error();
    const std::string path =
        (std::filesystem::temp_directory_path() / ("flowsieve-perf-export-" + std::to_string(::getpid()) + ".pcapng")).string();
    ExporterRate rate;
    {
        Exporter exporter({ring.value()}, make_output_sink(path, "pcapng", "perf/pipeline exporter capacity"));
        // The snapshot outlives the exporter here: a shared_ptr that does not own it.
        exporter.adopt(std::shared_ptr<const Snapshot>(&snap, [](const Snapshot*) {}));
        if (auto st = exporter.start(); !st) {
            rte_ring_free(ring.value());
            return st.error();
        }
        const auto t0 = std::chrono::steady_clock::now();
        std::uint64_t sent = 0;
        std::size_t next = 0;
        while (sent < count) {
            const auto n = static_cast<unsigned>(std::min<std::uint64_t>({64, count - sent, records.size() - next}));
            const unsigned put = enqueue_records(ring.value(), records.data() + next, n);
            sent += put;
            next = (next + put) % records.size();
            if (put == 0) std::this_thread::yield();  // full: the exporter is the bound, as measured
        }
        while (exporter.counters().written.load(std::memory_order_relaxed) +
                   exporter.counters().write_errors.load(std::memory_order_relaxed) < count)
            std::this_thread::yield();
        rate.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rate.records = exporter.counters().written.load();
        const Status closed = exporter.finish();
        std::filesystem::remove(path);
        rte_ring_free(ring.value());
        if (!closed) return closed.error();
        if (rate.records != count) return Error{"the exporter refused " + std::to_string(count - rate.records) + " records: " + exporter.last_error()};
    }
    return rate;
}

}  // namespace flowsieve::bench
