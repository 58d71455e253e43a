// serial_state.cpp: load/save of the rollback state file (control plane).
#include "oversight/serial_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

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

namespace {

constexpr const char* revoked_mark = "%revoked";  // never an encoded id: '%' is always followed by hex there
// The first line of a file this version writes. Ids are %XX-encoded and `%revoked` lines read only
// in such a file: the previous version wrote ids as they were (an id "APP%41" there is that id).
constexpr std::string_view header_v2 =
    "# flowsieve serial state 2: highest authorisation serial accepted per id, and revocations (rollback protection; do "
    "not edit)";

// An id as a state file line holds it: an id is any 1 to 256 bytes, but the file's lines are split
// on blanks and a line starting with '#' is a comment, so blanks, control bytes, '#' and '%' itself
// are written %XX. Ids without them (nearly all) read as before.
std::string encoded_id(std::string_view id) {
    std::string out;
    for (const char c : id) {
        const auto b = static_cast<unsigned char>(c);
        if (b <= 0x20 || b == 0x7f || c == '#' || c == '%') {
            constexpr char hex[] = "0123456789ABCDEF";
            out += '%';
            out += hex[b >> 4];
            out += hex[b & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

// The inverse; a '%' not followed by two hex digits stays as it is.
std::string decoded_id(std::string_view text) {
    const auto nibble = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && nibble(text[i + 1]) >= 0 && nibble(text[i + 2]) >= 0) {
            out += static_cast<char>(nibble(text[i + 1]) << 4 | nibble(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

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
    // Every line save() writes ends with a line break: a file without one at its end was cut (in its
    // header, it would read as a fresh state).
    if ((*file)->text().back() != '\n')
        return error_at(path, 0, "does not end with a line break, so it was cut short (entries may be missing and "
                                 "rollback protection would be lost): restore it, or delete it to start afresh");
    // The format from the first line, read as the others are (CRLF line ends and a byte order mark,
    // as an editor may leave them, change nothing: read as the previous version's, a file of this
    // one would lose the rollback protection of every encoded id).
    const std::string_view body = without_bom((*file)->text());
    std::string_view first;
    std::size_t first_no = 0;
    const bool v2 = LineCursor(body).next(first, first_no) && first == header_v2;
    const auto id_of = [v2](const std::string& written) { return v2 ? decoded_id(written) : written; };
    LineCursor lines(body);
    std::string_view text;
    for (std::size_t line = 0; lines.next(text, line);) {
        if (text.empty() || text[0] == '#') continue;
        std::istringstream fields{std::string(text)};
        std::string id, serial, digest, extra;
        if (v2 && text.starts_with(revoked_mark)) {
            std::string mark;
            fields >> mark >> id >> serial;
            std::uint64_t value = 0;
            if (mark != revoked_mark || id.empty() || (fields >> extra) || serial.empty() ||
                serial.find_first_not_of("0123456789") != std::string::npos ||
                std::from_chars(serial.data(), serial.data() + serial.size(), value).ec != std::errc{})
                return error_at(path, line, std::string("expected `") + revoked_mark + " <authorisation id> <serial>`");
            if (!s.revoked_.emplace(id_of(id), value).second)
                return error_at(path, line, "revocation of '" + id + "' listed twice");
            continue;
        }
        fields >> id >> serial >> digest;
        if (id.empty() || digest.size() != 64 || (fields >> extra) ||
            serial.find_first_not_of("0123456789") != std::string::npos || serial.empty() || serial.size() > 20)
            return error_at(path, line, "expected `<authorisation id> <serial> <64 hex digits>`");
        std::uint64_t value = 0;
        if (std::from_chars(serial.data(), serial.data() + serial.size(), value).ec != std::errc{})
            return error_at(path, line, "serial " + serial + " is beyond 64 bits");
        Entry e{value, digest};
        if (!s.entries_.emplace(id_of(id), e).second) return error_at(path, line, "authorisation '" + id + "' listed twice");
    }
    return s;
}

Status SerialState::save(const std::string& path) const {
    std::string text = std::string(header_v2) + "\n";
    for (const auto& [id, e] : entries_) text += encoded_id(id) + " " + std::to_string(e.serial) + " " + e.digest + "\n";
    for (const auto& [id, serial] : revoked_) text += std::string(revoked_mark) + " " + encoded_id(id) + " " + std::to_string(serial) + "\n";
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    AtomicFile f;
    if (auto s = f.open(path, 4096); !s) return s;
    if (auto s = f.append(text.data(), text.size()); !s) return s;
    return f.commit();
}

Status SerialState::merge_into(const std::string& path, const std::vector<Authorisation>& in_use, int wait_ms) const {
    std::error_code ec;
    // The file a symbolic link names (which may not exist yet: the first save makes it), so that the
    // lock and the rename act on the file the sharers share, not on a link each has of its own.
    std::filesystem::path file = path;
    for (int hops = 0; hops < 40 && std::filesystem::is_symlink(file, ec); ++hops) {
        const std::filesystem::path to = std::filesystem::read_symlink(file, ec);
        if (ec) break;
        file = (to.is_absolute() ? to : file.parent_path() / to).lexically_normal();
    }
    if (auto dir = file.parent_path(); !dir.empty()) std::filesystem::create_directories(dir, ec);
    const std::string lock_path = file.string() + ".lock";
    UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock) return Error{lock_path + ": cannot open the state file's lock: " + std::strerror(errno)};
    // Polled rather than waited on: a holder that hangs (a stopped process, a stuck network file
    // system) must not hang a start or a reload without an end.
    for (int waited_ms = 0; ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0; waited_ms += 10) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return Error{lock_path + ": cannot lock the state file: " + std::strerror(errno)};
        if (waited_ms >= wait_ms)
            return Error{lock_path + ": another process has held the state file's lock for over " +
                         std::to_string(wait_ms) + " ms"};
        ::usleep(10'000);
    }
    auto current = load(file.string());
    if (!current) return current.error();
    for (const Authorisation& a : in_use) {
        std::string why = current->revocation_problem(a);
        if (why.empty()) why = current->replay_problem(a);
        if (!why.empty())
            return Error{file.string() + ": authorisation " + a.id + ": " + why +
                         " (the state file was updated after this config was read, by another flowsieve sharing it); "
                         "nothing was saved"};
    }
    SerialState merged = std::move(current.value());
    for (const auto& [id, e] : entries_) {
        auto [it, added] = merged.entries_.emplace(id, e);
        if (!added && it->second.serial < e.serial) it->second = e;
    }
    for (const auto& [id, serial] : revoked_) merged.record_revocation(id, serial);
    return merged.save(file.string());  // the lock goes with `lock`, after the rename
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

bool SerialState::record_revocation(const std::string& id, std::uint64_t serial) {
    auto [it, added] = revoked_.emplace(id, serial);
    if (added) return true;
    if (it->second >= serial) return false;
    it->second = serial;
    return true;
}

std::string SerialState::revocation_problem(const Authorisation& a) const {
    auto it = revoked_.find(a.id);
    if (it == revoked_.end() || a.serial > it->second) return {};
    return "revoked (serials up to " + std::to_string(it->second) +
           ", by a revocation recorded in the state file: a revocation holds after its file leaves the config)";
}

bool SerialState::record(const Authorisation& a) {
    auto it = entries_.find(a.id);
    if (it != entries_.end() && it->second.serial >= a.serial) return false;
    entries_[a.id] = Entry{a.serial, content_digest(a)};
    return true;
}

}  // namespace flowsieve
