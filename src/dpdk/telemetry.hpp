// telemetry.hpp: flowsieve's commands on DPDK's telemetry socket (/flowsieve/stats, /flowsieve/worker,N).
// The attachment is made and withdrawn by the main thread; the commands run on DPDK's telemetry thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/counters.hpp"

namespace flowsieve {

// The engine's live counters, owned by the engine; the commands only load them (relaxed, as
// CounterTotals::add does), so the data path is untouched (invariant 5).
struct TelemetrySource {
    std::vector<const WorkerCounters*> workers;
    const std::atomic<std::uint64_t>* written = nullptr;       // records the exporter wrote
    const std::atomic<std::uint64_t>* write_errors = nullptr;  // records it failed to write
    const std::atomic<std::uint64_t>* generation = nullptr;    // snapshot generation last published
};

// Serves `source` for the attachment's lifetime. DPDK 22.11 cannot unregister a command and gives
// its callbacks no user pointer, so the commands are registered once per process and read a
// file-static view; the destructor clears it under the lock the commands hold while reading, so a
// request that arrives late gets an error instead of freed counters. Construct after the EAL, and
// destroy before the counters go. Never fails: without a telemetry socket it says so once (log).
class TelemetryAttachment {
public:
    explicit TelemetryAttachment(TelemetrySource source);
    ~TelemetryAttachment();
    TelemetryAttachment(const TelemetryAttachment&) = delete;
    TelemetryAttachment& operator=(const TelemetryAttachment&) = delete;
};

// This process's telemetry socket: <EAL runtime dir>/dpdk_telemetry.v2.
std::string telemetry_socket_path();

}  // namespace flowsieve
