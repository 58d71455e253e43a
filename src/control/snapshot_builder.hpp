// snapshot_builder.hpp: compiles a validated Config into one immutable Snapshot (control plane).
// Loads the table files in parallel (oneTBB), checks every rule against its authorisation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "core/result.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

struct BuildReport {
    std::vector<std::string> notes;     // informational lines (sizes, timings)
    std::vector<std::string> warnings;  // stale tables, expired or refused authorisations...
};

// What a build does with the serials it accepts (oversight.state_file): `run` records them, so that
// an older copy of an authorisation is refused later; `check-config` and `lookup` only judge a
// config, and must not make the one in use look replayed by recording a candidate's newer serials.
enum class SerialRecording { record, judge_only };

// `now_ns` is only used to report authorisations that are already expired or not yet valid;
// the data path judges each packet at its own time.
Result<std::unique_ptr<Snapshot>> build_snapshot(const Config& config, std::uint64_t generation,
                                                 std::int64_t now_ns, BuildReport& report, SerialRecording serials);

}  // namespace flowsieve
