// serial_state.hpp: the highest serial accepted per authorisation id, kept across restarts so an
// older (replayed or rolled-back) authorisation file is refused (control plane, start and reload).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "policy/authorisation.hpp"

namespace flowsieve {

// File format: `#` comments, then one `<id> <serial> <content digest>` a line, and one
// `%revoked <id> <serial>` for each authorisation a verified revocation covered (ids written %XX
// where they hold blanks, control bytes, '#' or '%': no id is written "%revoked").
class SerialState {
public:
    struct Entry {
        std::uint64_t serial = 0;
        std::string digest;  // content_digest() of the accepted authorisation with that serial
    };

    // A missing file is an empty state (first start); a malformed one, a directory, or a pipe or
    // device longer than this, is an error.
    static constexpr std::size_t max_state_bytes = std::size_t{64} << 20;
    static Result<SerialState> load(const std::string& path);
    // Atomically replaces the file (write, fsync, rename).
    Status save(const std::string& path) const;
    // Raises the file to at least this state: re-reads it, keeps per id the higher serial (the file's
    // entry where the serials are equal) and saves the result. Why: this state was loaded when a
    // snapshot was built, and another flowsieve sharing the file (or this one's later reload) may have
    // saved a newer serial since; saving this copy as it is would lower that serial again and let the
    // older file back in. Refused, with nothing written, where the file by then holds a newer serial
    // for one of `in_use` (the authorisations the snapshot runs under), or its serial with other
    // contents: the state would call what runs rolled back.
    // A symbolic link at `path` is followed (the file it names is the one shared and replaced).
    // Holds an exclusive flock on `<file>.lock` meanwhile (a lock file, never renamed: the file itself
    // is replaced by a rename, and a directory cannot be locked for writing on every file system),
    // waiting for it at most wait_ms.
    static constexpr int lock_wait_ms = 10'000;
    Status merge_into(const std::string& path, const std::vector<Authorisation>& in_use, int wait_ms = lock_wait_ms) const;

    // Why `a` would roll the state back, or empty when it is as new as or newer than what was seen.
    std::string replay_problem(const Authorisation& a) const;
    // Records `a` when its serial is higher than the one seen; true when the state changed.
    bool record(const Authorisation& a);

    // Revocations are kept too: a revocation is final, and dropping its file from the config must not
    // bring the authorisation back. Records that serials of `id` up to `serial` are revoked; true when
    // the state changed.
    bool record_revocation(const std::string& id, std::uint64_t serial);
    // Why `a` is revoked by a revocation this state recorded, or empty.
    std::string revocation_problem(const Authorisation& a) const;

    const std::map<std::string, Entry>& entries() const { return entries_; }
    const std::map<std::string, std::uint64_t>& revoked() const { return revoked_; }

private:
    std::map<std::string, Entry> entries_;
    std::map<std::string, std::uint64_t> revoked_;  // id -> the highest serial revoked
};

}  // namespace flowsieve
