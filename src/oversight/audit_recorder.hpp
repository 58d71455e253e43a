// audit_recorder.hpp: turns the filter's events (start, snapshot generations, authorisation verdicts,
// interval counters, stop) into audit log entries. Main (control) thread only: the engine calls it
// from its supervision loop, never from a worker (invariant 5).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/counters.hpp"
#include "core/result.hpp"
#include "oversight/audit_log.hpp"
#include "oversight/authorisation_figures.hpp"
#include "oversight/retention_manifest.hpp"
#include "oversight/retention_sweep.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

// What the exporter has written so far: records per category, and per authorisation and category the
// figures `flowsieve report` sums (packets, header bytes, flows, packet times).
struct WrittenTotals {
    std::uint64_t written = 0;
    std::uint64_t write_errors = 0;
    std::array<std::uint64_t, category_count> by_category{};
    std::vector<AuthorisationFigures> by_authorisation;
};

// A file whose content hash a generation records: (role, path), e.g. ("countries", "x.csv").
using AuditedFile = std::pair<std::string, std::string>;

class AuditRecorder {
public:
    explicit AuditRecorder(std::unique_ptr<AuditLog> log) : log_(std::move(log)) {}

    // `start`: format, version, the config path, checkpoint interval and the filter's public key.
    Status start(const std::string& config_path, const std::string& version, std::int64_t now_ns);
    // `generation` (with the BLAKE2b-256 of every file) then one `authorisation_accepted` or
    // `authorisation_refused` per authorisation of the snapshot.
    Status generation(const Snapshot& s, const std::vector<AuditedFile>& files, std::int64_t now_ns);
    // A reload that was refused: the old generation stays.
    Status generation_refused(std::uint64_t generation, const std::string& why, std::int64_t now_ns);
    // `authorisation_expired` once for each accepted authorisation whose window has ended by `now_ns`.
    Status expiries(std::int64_t now_ns);
    // `counters`: totals since start and the change since the previous counters entry; both carry
    // `authorisations` {id: {category: {packets, header_bytes, flows, flows_untracked, first, last}}}
    // (the interval's: only those written to in it, first/last of its packets). The interval is
    // since the previous counters entry that was written: one that failed is covered by the next.
    Status counters(const CounterTotals& packets, const WrittenTotals& written, std::int64_t now_ns);
    // `output_written`: an output file is complete: its path (absolute) and everything its manifest
    // says (content hash, records, packet times, generations, authorisations, expiry).
    Status output_written(const std::string& path, const OutputManifest& m, std::int64_t now_ns);
    // `output_kept`: the file an earlier run wrote under this run's output name was kept, moved to
    // `kept_as` with its manifest (both paths absolute), so the earlier `output_written` entry that
    // names `path` can still be followed to its file; `blake2b` as its manifest says ("": none read).
    Status output_kept(const std::string& path, const std::string& kept_as, const std::string& blake2b,
                       std::int64_t now_ns);
    // `stop` with the final totals, then the closing checkpoint.
    Status stop(const std::string& reason, const CounterTotals& packets, const WrittenTotals& written, bool balanced,
                std::int64_t now_ns);

    // A retention sweep by the running filter (output.retention_sweep): its `retention_deleted` and
    // `retention_refused` entries go into this run's log, between its `start` and `stop` (the sweep
    // writes no start/stop of its own). An error means the log could not be written.
    Result<SweepReport> retention_sweep(SweepOptions opts);

    const AuditLog& log() const { return *log_; }

private:
    struct Accepted {
        std::string id;
        std::int64_t until_ns;
    };
    AuditFields counter_fields(const CounterTotals& p, const WrittenTotals& w) const;

    std::unique_ptr<AuditLog> log_;
    std::uint64_t generation_ = 0;
    std::vector<Accepted> accepted_;          // of the current generation
    std::set<std::string> expired_;           // id@until already recorded
    CounterTotals last_packets_{};
    WrittenTotals last_written_{};
    std::int64_t last_counters_ns_ = 0;
    // The interval packet times of a counters entry that could not be written, for the next one.
    std::vector<AuthorisationFigures> unwritten_times_;
};

}  // namespace flowsieve
