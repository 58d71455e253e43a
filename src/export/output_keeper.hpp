// output_keeper.hpp: never replacing an earlier output. A run's output is committed under the
// configured name; a file already there (an earlier run's output, accepted under an authorisation and
// recorded in the audit log) is first moved aside to an archived name in the same directory,
// `<stem>.<YYYYMMDDTHHMMSSZ>[-N]<ext>`, and nothing is ever overwritten on the way. The file moves
// themselves; what moves with an output (its manifest) is the caller's (oversight/retention_manifest).
// Runs where the output is committed (the exporter thread, at close).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace flowsieve {

// Where a committed file went and what became of the file that was under its name before.
struct CommitReport {
    std::string path;             // where the new file is: its own name, unless `problem` says why not
    std::string earlier_kept_as;  // the earlier file found under that name now lies here ("": there was none)
    std::string problem;          // why the new file is not under its own name ("": it is)
    // The commit's last resort: the complete new file could be put nowhere else and stays as the
    // `.partial` (a failed commit; any other failure discarded the file).
    bool left_in_partial = false;
};

// Moves the file at `path` out of the way without losing it; returns where it went.
using KeepEarlier = std::function<Result<std::string>(const std::string& path)>;

// `<dir>/<stem>.<YYYYMMDDTHHMMSSZ><ext>` (UTC, whole seconds) for n <= 1, `...Z-<n><ext>` for n >= 2:
// archived_name("out/flowsieve.pcapng", t, 2) == "out/flowsieve.20261202T101500Z-2.pcapng". The time
// names the file's own run, so archived outputs sort by age and say it.
std::string archived_name(const std::string& path, std::int64_t time_ns, unsigned n);

// Tries archived_name(path, time_ns, n) for n = 1, 2, ... with `place` (which puts something there
// without replacing anything and returns 0 or an errno) until it succeeds; EEXIST means "taken, try
// the next"; any other errno ends the search. Returns the name used.
Result<std::string> place_under_archived_name(const std::string& path, std::int64_t time_ns,
                                              const std::function<int(const std::string&)>& place);

// rename(2) that never replaces anything: EEXIST when `to` exists. renameat2(RENAME_NOREPLACE), or
// link(2) + unlink(2) on a file system without it. Returns 0 or an errno.
int rename_noreplace(const std::string& from, const std::string& to);

// Creates `path`, which must not exist yet (EEXIST otherwise), holding `bytes`, fsynced. Returns 0 or
// an errno; on failure nothing is left behind.
int create_new_file(const std::string& path, std::string_view bytes, mode_t mode);

// A file's modification time, ns since the epoch (0 if it cannot be read).
std::int64_t modified_ns(const std::string& path);

}  // namespace flowsieve
