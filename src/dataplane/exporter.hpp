// exporter.hpp: drains every worker's record ring into the sink (its own non-EAL thread).
// Resolves rule/authorisation/indicator names through the snapshot generation that made each record,
// keeping a retired snapshot until the rings hold none of its records. Also counts what it writes per
// authorisation and category for the audit log (authorisation_figures()).
#pragma once

#include <rte_ring.h>
#include <tsl/robin_set.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/category.hpp"
#include "core/ip_address.hpp"
#include "export/record_sink.hpp"
#include "oversight/authorisation_figures.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

struct ExporterCounters {
    std::atomic<std::uint64_t> written{0};
    std::array<std::atomic<std::uint64_t>, category_count> written_by_category{};
    std::atomic<std::uint64_t> write_errors{0};
};

// Flows, as the audit log and `flowsieve report` count them: a flow is a distinct key
// (protocol, {address, port} of both endpoints, direction-independent: A->B and B->A are one flow,
// as symmetric RSS treats them) read back from the headers actually written, per authorisation and
// category. Packets without ports (ICMP, non-first fragments, other protocols) key on protocol and
// addresses with port 0. A flow counts once, in the audit interval in which its first record under
// that authorisation and category is written, so summing a run's intervals gives its distinct flows;
// a flow seen in two runs counts in each. Memory is bounded: at most max_tracked_flows keys are
// remembered per run (56-byte slots, at least half of them used: about 110 MiB at the bound, 170 MiB
// for a moment while the table doubles); a record whose flow is not among them once the bound is
// reached, or whose written headers do not parse (cut at HeaderRecord::max_header_bytes), counts in
// `flows_untracked` instead.
inline constexpr std::size_t max_tracked_flows = std::size_t{1} << 20;

class Exporter {
public:
    // `flow_limit`: flow keys remembered at most (max_tracked_flows; tests pass a small one).
    // `memo_slots`: recent comments remembered (memo_comments; tests pass 1 to meet every compare).
    static constexpr std::size_t memo_comments = 256;
    Exporter(std::vector<rte_ring*> rings, std::unique_ptr<RecordSink> sink, std::size_t flow_limit = max_tracked_flows,
             std::size_t memo_slots = memo_comments);
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
    // Control thread: a copy of the per-authorisation/category figures (first written first); each call
    // starts a new interval for their interval_first_ns/interval_last_ns. Takes a lock the exporter
    // holds only while updating one record's figures (workers never wait for either).
    std::vector<AuthorisationFigures> take_authorisation_figures();
    const std::string& last_error() const { return last_error_; }

private:
    void loop();
    // One batch from each ring. True when none gave a full batch (the rings are drained for now:
    // the loop sleeps, finish() stops), false when one may hold more.
    bool drain_once();
    const Snapshot* find(std::uint64_t generation);
    // Exporter thread: what one written record adds to the figures (its stream and its flow), and then
    // a batch's of them added under one lock (not one lock per record: the control thread takes it
    // only once per audit interval).
    struct Tally {
        const HeaderRecord* record;
        std::uint32_t stream;
        bool new_flow, tracked;
    };
    Tally tally(const HeaderRecord& r, const Snapshot* s);
    void add_figures(const Tally* t, unsigned n);
    std::uint32_t stream_of(const HeaderRecord& r, const Snapshot* s);

    struct FlowEntry {
        U128 lo_addr, hi_addr;  // the two endpoints, ordered by (address, port): direction-independent
        std::uint16_t lo_port = 0, hi_port = 0;
        std::uint8_t proto = 0, family = 0;
        std::uint32_t stream = 0;  // index into figures_
        bool operator==(const FlowEntry&) const = default;
    };
    // Seeded per exporter: the keys come from traffic, so fixed collisions must not be computable.
    struct FlowHash {
        std::uint64_t seed = 0;
        std::size_t operator()(const FlowEntry& e) const noexcept;
    };

    std::vector<rte_ring*> rings_;
    std::unique_ptr<RecordSink> sink_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    ExporterCounters counters_;
    std::string last_error_;
    std::string comment_;  // the record being written's comment: one buffer, reused (exporter thread)
    // The comments of recent records by what they are made of (direct-mapped): a flow's records all
    // carry one comment, and formatting it (every id byte checked) was a quarter of this thread's
    // instructions (perf/RESULTS.md Runs 21, 22). Keyed by generation too: ids are a snapshot's.
    struct MemoComment {
        std::uint64_t generation = 0;
        std::uint32_t rule = 0, authorisation = 0, indicator = 0;
        CountryCode src_cc = 0, dst_cc = 0;
        Category category = Category::transit;
        bool truncated = false;
        bool used = false;
        std::string text;
    };
    std::vector<MemoComment> memo_;  // memo_slots entries, each text reserved once
    std::string_view comment_of(const HeaderRecord& r, const Snapshot* s);

    std::mutex mu_;  // guards live_ and retired_ (control plane only)
    std::deque<std::shared_ptr<const Snapshot>> live_;
    std::vector<std::shared_ptr<const Snapshot>> retired_;

    // Per-authorisation accounting. figures_ is shared with the control thread (figures_mu_); the rest
    // belongs to the exporter thread (and to finish(), after that thread has joined).
    std::mutex figures_mu_;
    std::vector<AuthorisationFigures> figures_;
    std::vector<bool> interval_seen_;  // records written under figures_[i] since the last take
    std::map<std::pair<std::string, Category>, std::uint32_t> stream_index_;
    std::uint64_t stream_cache_generation_ = 0;
    std::vector<std::array<std::uint32_t, category_count>> stream_cache_;  // by authorisation index
    // Open addressing (the entries in one array, no node per flow) with each entry's hash stored: a
    // node-based set and a six-round hash were a fifth of this thread's time at line rate (perf, e2e).
    tsl::robin_set<FlowEntry, FlowHash, std::equal_to<FlowEntry>, std::allocator<FlowEntry>, true> flows_;
    std::size_t flow_limit_;
};

}  // namespace flowsieve
