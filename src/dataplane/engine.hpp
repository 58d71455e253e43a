// engine.hpp: brings the data path up and down: EAL, mempool, ports, rings, RCU, workers, exporter;
// runs until stopped or (offline) until the input captures are exhausted and drained. Main thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "control/summary_table.hpp"
#include "core/counters.hpp"
#include "core/result.hpp"
#include "export/provenance_sink.hpp"
#include "oversight/authorisation_figures.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

struct EngineOptions {
    std::vector<std::string> extra_eal;  // EAL arguments given after `--` on the command line
    std::uint64_t expected_packets = 0;  // offline mode: packets in the input captures (0: run until stopped)
    // Offline mode: the packets counted in each of the config's input captures, in its order; each is
    // replayed up to that many (capture_replay.hpp, ReplayFile). Empty: each to its end.
    std::vector<std::uint64_t> capture_packets;
    double idle_exit_s = 5.0;            // offline mode: give up waiting this long after the last packet
    std::string output_label;            // pcapng section comment (export/output_label.hpp); empty: none
};

struct EngineResult {
    SummaryInput summary;
    bool balanced = false;           // invariant 6 held for every worker
    bool mempool_restored = false;   // mbufs in use at exit == at start
    std::string mempool_detail;
    std::string output_path;
    OutputProvenance output;         // what the output file holds (records, times, generations, authorisations)
    // Empty, or why a control-plane hook (EngineSignals) threw and stopped the run early. The run
    // was still wound down in order: what was accepted is in the output.
    std::string control_failure;
    // Empty, or why offline input stopped before its captures' last packet (the replay stalled): the
    // packets that came are filtered and written, the rest never was.
    std::string input_shortfall;
    std::vector<std::string> input_notes;  // what the replays reported (a capture that grew while read)
    std::string export_error;  // the last record the output refused (summary.exporter_errors), or empty
    // Empty, or why the output could not be completed (a full disk): there is then no output file,
    // but the run's accounting above still holds and is reported.
    std::string output_failure;
};

// What the exporter has written so far (a plain copy for the control plane).
struct ExportTotals {
    std::uint64_t written = 0;
    std::uint64_t write_errors = 0;
    std::array<std::uint64_t, category_count> written_by_category{};
    std::vector<AuthorisationFigures> by_authorisation;  // per authorisation and category (audit log)
};

struct EngineSignals {
    std::atomic<bool>* stop = nullptr;    // SIGINT/SIGTERM: drain, flush and exit
    std::atomic<bool>* reload = nullptr;  // SIGHUP: rebuild the snapshot
    // Builds a new snapshot (generation given) or says why not; the old one stays (invariant 7).
    std::function<Result<std::shared_ptr<const Snapshot>>(std::uint64_t)> rebuild;
    // Control-plane hook (the audit log): called on the main thread from the supervision loop every
    // `tick_interval_s`, and once more with final=true after the drain, with the exact end totals.
    // Workers never call it (invariant 5).
    double tick_interval_s = 0;
    std::function<void(const CounterTotals&, const ExportTotals&, bool final)> on_tick;
    // Control-plane hook (output.retention_sweep): called on the main thread from the supervision loop
    // every `sweep_interval_s` (first one interval after start), never after the stop. Workers and the
    // exporter never call it; it may take a while (hashing expired files): the data path runs on.
    double sweep_interval_s = 0;
    std::function<void()> on_sweep;
    // Control-plane hook: called once on the main thread when the data path is ready (ports started,
    // output open, the exporter's thread idle) and before any worker or feeder is launched, so before
    // any packet is judged. One that throws refuses the start: run_engine returns its message.
    std::function<void()> on_ready;
};

Result<EngineResult> run_engine(const Config& cfg, std::shared_ptr<const Snapshot> first, const EngineOptions& opts,
                                const EngineSignals& sig);

// EAL argv for a config: the config's `dpdk.eal`, the extra arguments, and defaults (--file-prefix
// per process, lcores for the workers) where absent. Input captures need no argument: they are
// replayed through net_ring ports made after the EAL starts (CaptureReplay).
std::vector<std::string> eal_arguments(const Config& cfg, const std::vector<std::string>& extra, unsigned workers);

}  // namespace flowsieve
