// snapshot_builder.hpp: compiles a validated Config into one immutable Snapshot (control plane).
// Loads the table files in parallel (oneTBB), checks every rule against its authorisation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "core/result.hpp"
#include "oversight/serial_state.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

struct BuildReport {
    std::vector<std::string> notes;     // informational lines (sizes, timings)
    std::vector<std::string> warnings;  // stale tables, expired or refused authorisations...
    // SerialRecording::defer: the raised serials, for the caller to save to oversight.state_file
    // once the snapshot is in use (nullopt: nothing to save).
    std::optional<SerialState> unrecorded_serials;
    // With them, the authorisations the snapshot runs under: the save is refused if the file has
    // superseded one meanwhile (SerialState::merge_into).
    std::vector<Authorisation> unrecorded_in_use;
};

// What a build does with the serials it accepts (oversight.state_file), which later refuse an older
// copy of an authorisation: a reload records them; `run` defers its first generation's until the
// data path runs (a start that fails must not make the config in use look replayed); `check-config`
// and `lookup` only judge a config and record nothing.
enum class SerialRecording { record, defer, judge_only };

// `now_ns` is only used to report authorisations that are already expired or not yet valid;
// the data path judges each packet at its own time.
Result<std::unique_ptr<Snapshot>> build_snapshot(const Config& config, std::uint64_t generation,
                                                 std::int64_t now_ns, BuildReport& report, SerialRecording serials);

}  // namespace flowsieve
