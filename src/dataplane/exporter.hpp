// exporter.hpp: drains every worker's record ring into the sink (its own non-EAL thread).
// Resolves rule/authorisation/indicator names through the snapshot generation that made each record,
// keeping a retired snapshot until the rings hold none of its records.
#pragma once

#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/category.hpp"
#include "export/record_sink.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

struct ExporterCounters {
    std::atomic<std::uint64_t> written{0};
    std::array<std::atomic<std::uint64_t>, category_count> written_by_category{};
    std::atomic<std::uint64_t> write_errors{0};
};

class Exporter {
public:
    Exporter(std::vector<rte_ring*> rings, std::unique_ptr<RecordSink> sink);
    ~Exporter();

    // Makes `s` resolvable; the exporter keeps it until retire() and a full drain after that.
    void adopt(std::shared_ptr<const Snapshot> s);
    // After the RCU grace period: no worker will produce records of `s` any more.
    void retire(std::shared_ptr<const Snapshot> s);

    Status start();
    // Drains every ring to empty, closes the sink (file appears complete), joins the thread.
    // Call after the workers have stopped.
    Status finish();

    const ExporterCounters& counters() const { return counters_; }
    const std::string& last_error() const { return last_error_; }

private:
    void loop();
    bool drain_once();  // true when every ring was found empty
    const Snapshot* find(std::uint64_t generation);

    std::vector<rte_ring*> rings_;
    std::unique_ptr<RecordSink> sink_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    ExporterCounters counters_;
    std::string last_error_;

    std::mutex mu_;  // guards live_ and retired_ (control plane only)
    std::deque<std::shared_ptr<const Snapshot>> live_;
    std::vector<std::shared_ptr<const Snapshot>> retired_;
};

}  // namespace flowsieve
