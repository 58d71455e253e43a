// serial_state.cpp: load/save of the rollback state file (control plane).
#include "oversight/serial_state.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/input_file.hpp"
#include "core/unique_fd.hpp"
#include "export/atomic_file.hpp"
#include "oversight/canonical_encoding.hpp"

namespace flowsieve {

Result<SerialState> SerialState::load(const std::string& path) {
    SerialState s;
    // Only a file that does not exist is a fresh state. InputFile refuses a directory, which would
    // otherwise read as an empty state and accept every rolled-back authorisation.
    auto file = InputFile::open_if_exists(path, "cannot open", max_state_bytes);
    if (!file) return file.error();
    if (!*file) return s;
    // save() always writes its header line: an empty file was cut or made by something else, and
    // read as a fresh state it would accept every rolled-back authorisation again.
    if ((*file)->text().empty())
        return error_at(path, 0, "is empty, so it is not a state file this program wrote (rollback protection "
                                 "would start over): restore it, or delete it to start afresh");
    LineCursor lines((*file)->text());
    std::string_view text;
    for (std::size_t line = 0; lines.next(text, line);) {
        if (text.empty() || text[0] == '#') continue;
        std::istringstream fields{std::string(text)};
        std::string id, serial, digest, extra;
        fields >> id >> serial >> digest;
        if (id.empty() || digest.size() != 64 || (fields >> extra) ||
            serial.find_first_not_of("0123456789") != std::string::npos || serial.empty() || serial.size() > 20)
            return error_at(path, line, "expected `<authorisation id> <serial> <64 hex digits>`");
        std::uint64_t value = 0;
        if (std::from_chars(serial.data(), serial.data() + serial.size(), value).ec != std::errc{})
            return error_at(path, line, "serial " + serial + " is beyond 64 bits");
        Entry e{value, digest};
        if (!s.entries_.emplace(id, e).second) return error_at(path, line, "authorisation '" + id + "' listed twice");
    }
    return s;
}

Status SerialState::save(const std::string& path) const {
    std::string text = "# flowsieve: highest authorisation serial accepted per id (rollback protection; do not edit)\n";
    for (const auto& [id, e] : entries_) text += id + " " + std::to_string(e.serial) + " " + e.digest + "\n";
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    AtomicFile f;
    if (auto s = f.open(path, 4096); !s) return s;
    if (auto s = f.append(text.data(), text.size()); !s) return s;
    return f.commit();
}

Status SerialState::merge_into(const std::string& path) const {
    auto dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    // The directory, not the file: save() replaces the file by a rename, so a lock on the file's
    // inode would not exclude a writer that opened the new one.
    UniqueFd lock(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lock) return Error{dir.string() + ": cannot open the state file's directory to lock it: " + std::strerror(errno)};
    int rc;
    while ((rc = ::flock(lock.get(), LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0) return Error{dir.string() + ": cannot lock the state file's directory: " + std::strerror(errno)};
    auto current = load(path);
    if (!current) return current.error();
    SerialState merged = std::move(current.value());
    for (const auto& [id, e] : entries_) {
        auto [it, added] = merged.entries_.emplace(id, e);
        if (!added && it->second.serial < e.serial) it->second = e;
    }
    return merged.save(path);  // the lock goes with `lock`, after the rename
}

std::string SerialState::replay_problem(const Authorisation& a) const {
    auto it = entries_.find(a.id);
    if (it == entries_.end()) return {};
    if (a.serial < it->second.serial)
        return "serial " + std::to_string(a.serial) + " is older than serial " + std::to_string(it->second.serial) +
               " already accepted: replayed or rolled back";
    if (a.serial == it->second.serial && content_digest(a) != it->second.digest)
        return "serial " + std::to_string(a.serial) +
               " was already accepted with different contents: a changed authorisation needs a higher serial";
    return {};
}

bool SerialState::record(const Authorisation& a) {
    auto it = entries_.find(a.id);
    if (it != entries_.end() && it->second.serial >= a.serial) return false;
    entries_[a.id] = Entry{a.serial, content_digest(a)};
    return true;
}

}  // namespace flowsieve
