// audit_report.hpp: `flowsieve report`: sums an audit log's counters entries over a period, per
// authorisation and category (packets, flows, header bytes, first/last packet time), with the
// refusals and expiries the log records, and formats the result as a table, JSON or CSV.
// Pure logic over the log's text (control plane, no EAL); the command verifies the log first.
//
// Period: a counters entry covers the wall-clock interval from its `from` field to its own `time`
// (the filter's clock when it was written, not packet time). It belongs to a report when its `time`
// lies in [from, to); an interval that straddles `from` is counted whole. Consecutive periods thus
// partition the intervals: their reports add up to the whole log's. Refusal and expiry entries are
// selected by their `time` the same way. First/last are packet times (when the packets were seen).
// Reports carry ids, categories and counts, never addresses (reasons are scrubbed of any).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "oversight/audit_verifier.hpp"

namespace flowsieve {

struct ReportPeriod {
    std::optional<std::int64_t> from_ns;  // inclusive; none: from the log's beginning
    std::optional<std::int64_t> to_ns;    // exclusive; none: to its end
};

// What was written under one authorisation and category in the period.
struct ReportRow {
    std::string authorisation;
    std::string category;
    std::uint64_t packets = 0;
    std::uint64_t flows = 0;            // distinct flows, counted in the interval of their first record
    std::uint64_t flows_untracked = 0;  // records whose flow the filter could not tell apart
    std::uint64_t header_bytes = 0;
    std::int64_t first_ns = 0;          // packet time of the earliest / latest packet
    std::int64_t last_ns = 0;
};

// The refusals (authorisation_refused) or expiries (authorisation_expired) of one authorisation.
struct ReportEvent {
    std::string authorisation;
    std::string category;               // as its accepted/refused entries record it ("" if unknown)
    std::uint64_t count = 0;            // entries (a refusal is recorded at every generation)
    std::int64_t first_ns = 0;          // log time of the first / last such entry
    std::int64_t last_ns = 0;
    std::vector<std::string> details;   // refusals: the distinct reasons; expiries: valid_until
};

// One run's output checked against its counters: the report must match what was emitted, so a run
// whose counted packets are not all in an output (output_written entries) is flagged.
struct ReportRunOutput {
    std::uint64_t start_seq = 0;
    std::string state;                  // stopped | crashed (a new run began without a stop) | open
    std::string stop_reason;            // the stop entry's reason ("" unless stopped)
    std::uint64_t packets = 0;          // the run's counters entries summed, all authorisations
    std::uint64_t output_records = 0;   // records its output_written entries record
    std::uint64_t outputs = 0;          // output_written entries
    bool output_matches = true;         // packets == output_records (always true while open)
};

struct AuditReport {
    ReportPeriod period;
    std::uint64_t runs = 0;             // runs (start entries) with a selected interval
    std::uint64_t intervals = 0;        // counters entries selected
    std::int64_t covered_from_ns = 0;   // the selected intervals span [covered_from, covered_to]
    std::int64_t covered_to_ns = 0;     // (wall time; both 0 when none is selected)
    std::vector<ReportRow> rows;        // by authorisation id, then category
    std::vector<ReportEvent> refusals;  // by authorisation id
    std::vector<ReportEvent> expiries;
    std::vector<ReportRunOutput> run_outputs;  // the runs with a selected interval (with per-authorisation figures)
    std::vector<std::string> notes;     // anything the reader should know (old entries, mismatches)
    // An open log (a running filter, or a crashed last run): the report covers the entries up to the
    // last checkpoint (seq sealed_seq); unsealed_entries after it were left out.
    bool open_tail = false;
    std::uint64_t sealed_seq = 0;
    std::uint64_t unsealed_entries = 0;
};

// The part of a log a report is made from: the whole log when it verified intact; when the only
// finding is an open tail (truncated after a verified checkpoint: a running filter, or a crashed
// run), the log up to and including that checkpoint, and the entries left out (a line cut short
// counts as one). Error: any other finding (edited, removed, reordered, checkpoint), or no checkpoint yet.
struct SealedPart {
    std::string_view text;
    bool open_tail = false;
    std::uint64_t sealed_seq = 0;
    std::uint64_t left_out = 0;
};
Result<SealedPart> reportable_part(std::string_view log_text, const AuditVerdict& v);
// Marks `r` as made from an open log's sealed part and puts the note first.
void mark_open_tail(AuditReport& r, std::uint64_t sealed_seq, std::uint64_t left_out);

// Reads the log's entries (each line one JSON object) and sums the period. Error: a line that is
// not an audit entry, or a counters entry whose figures do not read (the log should be verified first).
Result<AuditReport> build_audit_report(std::string_view log_text, const ReportPeriod& period);

// Where the report came from, printed at its head.
struct ReportSource {
    std::string log;           // the log's path
    std::string verification;  // `intact: N entries, K checkpoints`
};

std::string format_report_table(const AuditReport& r, const ReportSource& src);
std::string format_report_json(const AuditReport& r, const ReportSource& src);
std::string format_report_csv(const AuditReport& r, const ReportSource& src);

// `text` with every token that reads as an IP address or prefix replaced by `[address]`.
std::string scrub_addresses(std::string_view text);

}  // namespace flowsieve
