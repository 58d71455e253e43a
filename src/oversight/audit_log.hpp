// audit_log.hpp: the append-only, hash-chained audit log with checkpoints signed by the filter's own
// key. Written by the control thread (main thread) only; workers never touch it (invariant 5).
//
// One JSON object a line:
//   {"seq":N,"time":"RFC3339 ns","type":T, payload..., "prev":"<BLAKE2b-256 hex of line N-1's bytes>"}
// The first line's prev is 64 zeros. After every `checkpoint_every` other entries, and after the
// `stop` entry that closes a run, comes
//   {"seq":N,"time":..,"type":"checkpoint","key":ID,"entries":E,"prev":..,"sig":"<base64 Ed25519>"}
// whose signature covers audit_checkpoint_domain followed by the line's bytes up to `,"sig":`: its
// seq and prev, and so through the chain every line before it. The checkpoint a run writes first,
// over entries an earlier run left after its last checkpoint (it crashed), carries `"adopted":E`
// after `entries`: it seals them as found, but did not write them, and cannot tell them from
// entries someone appended since (no key is needed to append a chained line). So verify names
// them, and reports leave their figures out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "oversight/audit_entry.hpp"
#include "oversight/key_file.hpp"

namespace flowsieve {

inline constexpr std::string_view audit_format = "flowsieve-audit-1";
inline constexpr std::string_view audit_checkpoint_domain = "flowsieve-audit-checkpoint-v1\n";
inline constexpr std::string_view audit_sig_marker = ",\"sig\":";
inline const std::string audit_genesis_prev(64, '0');

class AuditLog {
public:
    // Opens (creating, mode 0600) `path` for appending. An existing log is continued: its chain and
    // seq go on from its last line, which must be a complete entry (else: refused, check it with
    // `flowsieve audit verify` and move it aside). `time_ns` stamps the entries (tests pass fixed times).
    // Holds an exclusive flock(2) on the log until destroyed, so that two writers (a running filter, a
    // retention sweep) can never interleave chains: a log locked by another writer is refused at once.
    static Result<std::unique_ptr<AuditLog>> open(const std::string& path, const SecretKeyFile& key,
                                                  std::uint32_t checkpoint_every);
    ~AuditLog();
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;

    // Appends one entry (type: start, stop, generation, authorisation_accepted, ..., counters) and,
    // every `checkpoint_every` entries, a signed checkpoint (fsynced).
    Status append(std::string_view type, const AuditFields& payload, std::int64_t time_ns);
    // A signed checkpoint now (fsynced). adopted: the entries it covers that this log object did
    // not write (open(): a crashed run's tail), recorded as `adopted` when not 0.
    Status checkpoint(std::int64_t time_ns, std::uint32_t adopted = 0);
    // A checkpoint now unless the last line already is one: seals what was appended so far, so that a
    // report on a running filter's log can reach it.
    Status seal(std::int64_t time_ns) { return since_checkpoint_ ? checkpoint(time_ns) : Status{Ok{}}; }
    // Closes a run: a `stop` entry with `payload`, then a checkpoint.
    Status stop(const AuditFields& payload, std::int64_t time_ns);

    const std::string& path() const { return path_; }
    std::uint64_t next_seq() const { return seq_; }
    std::uint32_t checkpoint_every() const { return every_; }
    const std::string& key_id() const { return key_.id; }
    // base64 of the public key (recorded in `start` entries for inspectors).
    std::string public_key_base64() const;

private:
    AuditLog() = default;
    Status write_line(const std::string& line, bool sync);

    std::string path_;
    int fd_ = -1;
    SecretKeyFile key_;
    std::uint32_t every_ = 64;
    std::uint64_t seq_ = 0;
    std::string prev_ = audit_genesis_prev;
    std::uint32_t since_checkpoint_ = 0;
};

// The payload of a `start` entry (what an inspector needs to check the run's checkpoints): format,
// version, config, checkpoint interval, the key's id and its public half.
AuditFields audit_start_fields(const AuditLog& log, const std::string& config_path, const std::string& version);


}  // namespace flowsieve
