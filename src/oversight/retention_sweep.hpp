// retention_sweep.hpp: `flowsieve retention sweep DIR`: deletes the output files under DIR whose
// expiry has passed, and only those: a file is deleted only when a valid manifest beside it
// (retention_manifest.hpp) speaks for it, the file is the capture it describes (format, pcapng label)
// and its bytes still have the manifest's content hash. Each deletion is recorded in the audit log
// before the manifest goes. Control plane (its own process; the audit log's lock keeps it from
// writing while a filter writes).
#pragma once

#include <cstddef>
#include <cstdint>
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
    hash_mismatch,  // expired, but its bytes are not those the manifest hashed: kept, recorded
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
};

struct SweepOptions {
    std::string dir;
    std::int64_t now_ns = 0;  // a file expires when now >= its expiry
    bool dry_run = false;
    // For the audit log's `start` entry of the sweep.
    std::string config_path;
    std::string version;
};

// Walks `dir` recursively (symbolic links are never followed nor deleted). With `log` (required
// unless dry_run) it appends `start`, one `retention_deleted` per deletion (path, hash, expiry, what
// produced the file), one `retention_refused` per expired file kept for a hash or label mismatch,
// then `stop` and its checkpoint. An error (dir unreadable, the audit log cannot be written) ends
// the sweep; problems with single files are items of the report.
Result<SweepReport> retention_sweep(const SweepOptions& opts, AuditLog* log);

}  // namespace flowsieve
