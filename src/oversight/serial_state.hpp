// serial_state.hpp: the highest serial accepted per authorisation id, kept across restarts so an
// older (replayed or rolled-back) authorisation file is refused (control plane, start and reload).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/result.hpp"
#include "policy/authorisation.hpp"

namespace flowsieve {

// File format: `#` comments, then one `<id> <serial> <content digest>` a line.
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

    // Why `a` would roll the state back, or empty when it is as new as or newer than what was seen.
    std::string replay_problem(const Authorisation& a) const;
    // Records `a` when its serial is higher than the one seen; true when the state changed.
    bool record(const Authorisation& a);

    const std::map<std::string, Entry>& entries() const { return entries_; }

private:
    std::map<std::string, Entry> entries_;
};

}  // namespace flowsieve
