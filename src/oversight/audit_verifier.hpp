// audit_verifier.hpp: checks an audit log's chain, seq order and signed checkpoints and says where it
// was edited, truncated or reordered (`flowsieve audit verify`; control plane, no EAL).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oversight/key_file.hpp"

namespace flowsieve {

enum class AuditFinding : std::uint8_t {
    intact,      // every line chained, every checkpoint verified, closed by stop + checkpoint
    edited,      // a line's bytes changed (chain hash, syntax or seq of one line)
    removed,     // entries missing (seq gap)
    reordered,   // entries out of seq order
    truncated,   // ends mid-line, or does not end with a stop entry and its checkpoint
    checkpoint,  // a checkpoint's signature or count is wrong, or one is missing (gap > checkpoint_every)
};
std::string_view name_of(AuditFinding f);

struct AuditVerdict {
    AuditFinding finding = AuditFinding::intact;
    std::size_t line = 0;     // 1-based line of the problem (0: the log as a whole)
    std::uint64_t seq = 0;    // the entry's seq there (truncated: the last complete entry's)
    std::size_t entries = 0;  // lines checked
    std::size_t checkpoints = 0;
    std::size_t sealed_lines = 0;  // lines up to and including the last verified checkpoint (0: none)
    std::uint64_t sealed_seq = 0;  // that checkpoint's seq
    std::string message;      // one line: `intact: N entries, K checkpoints` or what is wrong where
    std::vector<std::string> notes;

    bool intact() const { return finding == AuditFinding::intact; }
};

// `keys`: the filter's trusted public keys (checkpoints name theirs by id). Empty: the keys the log's
// own `start` entries record are used, and a note says so (they prove integrity, not origin).
AuditVerdict verify_audit_log(std::string_view text, const std::vector<PublicKeyFile>& keys);

// "the N entries seq A..B" before a checkpoint at checkpoint_seq that adopted N (audit_log.hpp).
std::string adopted_range(std::uint64_t checkpoint_seq, std::uint64_t adopted);

}  // namespace flowsieve
