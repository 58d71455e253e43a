// retention_sweep.hpp: `flowsieve retention sweep DIR`: deletes the output files under DIR whose
// expiry has passed, and only those: a file is deleted only when a valid manifest beside it
// (retention_manifest.hpp) speaks for it, the file is the capture it describes (format, pcapng label)
// and its bytes still have the manifest's content hash, and the audit log the sweep writes to holds
// an `output_written` entry with that hash and expiry (the manifest is unsigned: anyone who can
// write to DIR could write one; the log's entry is what says flowsieve wrote the file, to expire then).
// Each deletion is recorded in the audit log before the file is unlinked. Control plane: either its own process (the command; the audit log's lock
// keeps it from writing while a filter writes) or a running filter's control thread
// (`output.retention_sweep`), which records into its own, already open log.
#pragma once

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "oversight/audit_log.hpp"

namespace flowsieve {

enum class SweepOutcome : std::uint8_t {
    deleted,        // expired, verified, deleted and recorded
    would_delete,   // expired and verified (dry run: nothing deleted)
    kept,           // not expired yet
    unknown,        // no manifest speaks for it: not a flowsieve output, never touched
    bad_manifest,   // a manifest that cannot be read or does not match its file: both kept
    hash_mismatch,  // expired, but its bytes are not those the manifest hashed, or no `output_written`
                    // entry in the audit log has its hash and expiry: kept, recorded ("refused")
    failed,         // an I/O error while checking or deleting
};
std::string_view name_of(SweepOutcome o);

struct SweepItem {
    SweepOutcome outcome = SweepOutcome::unknown;
    std::string path;     // the output file (for unknown files: the file itself)
    std::string message;  // one line, what was done and why
};

struct SweepReport {
    std::vector<SweepItem> items;  // in path order
    std::size_t count(SweepOutcome o) const;
    // No bad manifest, mismatch or failure (unknown files are reported but are not problems).
    bool clean() const;
    bool cancelled = false;  // SweepOptions::cancel was set: the sweep ended early (nothing half done)
    bool log_consulted = false;  // the audit log's `output_written` entries were checked
};

struct SweepOptions {
    std::string dir;
    std::int64_t now_ns = 0;  // a file expires when now >= its expiry
    bool dry_run = false;
    // Dry run only: the audit log to read `output_written` entries from (read only, no lock). Empty:
    // the log is not consulted and would-delete items say so. A deleting sweep reads the log it writes.
    std::string dry_run_audit_log;
    // For the audit log's `start` entry of the sweep.
    std::string config_path;
    std::string version;
    // true: the sweep is a run of its own in the log (`start` ... `stop` + checkpoint; the command).
    // false: inside a running filter's run (its `start` and `stop` frame the entries), and a DIR that
    // cannot be listed is a `failed` item rather than an error, so that an error means only that the
    // audit log could not be written (which stops the filter).
    bool own_run = true;
    // Never deleted whatever a manifest beside them says: the output a running filter is writing
    // (and its `.partial`). Compared by normalised absolute path and by inode. Reported as kept.
    std::vector<std::string> never_delete;
    // When set (SIGTERM), the sweep stops before the next file or mid-hash: a stopping filter must not
    // wait for a large expired file to be hashed. What was already deleted is recorded.
    const std::atomic<bool>* cancel = nullptr;
    // A filter sweeping every few seconds: the refusals already recorded in this run (path and reason),
    // so that a file kept for the same reason is recorded once, not at every sweep. Null: every sweep
    // records its refusals (the command: each sweep is a run of its own).
    std::set<std::string>* refusals_recorded = nullptr;
    // Tests only: called with a verified expired file's path after its retention_deleted entry, just
    // before the file is claimed for deletion, to replace it there as a concurrent writer could.
    std::function<void(const std::string&)> before_claim;
};

// Walks `dir` recursively (symbolic links are never followed nor deleted). With `log` (required
// unless dry_run) it appends `start` (own_run), one `retention_deleted` per deletion (path, hash,
// expiry, what produced the file; before the unlink, and `retention_failed` after it when the unlink
// fails), one `retention_refused` per expired file kept for a hash or label mismatch or for want of an
// `output_written` entry, then `stop` and its checkpoint (own_run). An error (dir unreadable when own_run, the
// audit log cannot be written) ends the sweep; problems with single files are items of the report.
Result<SweepReport> retention_sweep(const SweepOptions& opts, AuditLog* log);

}  // namespace flowsieve
