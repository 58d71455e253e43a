// audit_log.cpp: appending entries and signed checkpoints to the audit log (main thread only).
#include "oversight/audit_log.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/time_text.hpp"
#include "oversight/base64.hpp"
#include "oversight/content_hash.hpp"

namespace flowsieve {

namespace {

// The complete lines at the end of the file (without newlines; the first one read may be cut, so
// it is dropped unless the read began at the file's start), or an error when the file ends mid-line.
Result<std::vector<std::string>> tail_lines(int fd, const std::string& path, off_t size) {
    // Entries are short; reading back up to 1 MiB reaches the last checkpoint (at most
    // checkpoint_every entries back) in any practical log.
    const off_t want = std::min<off_t>(size, 1 << 20);
    std::string buf(static_cast<std::size_t>(want), '\0');
    if (::pread(fd, buf.data(), buf.size(), size - want) != static_cast<ssize_t>(want))
        return error_at(path, 0, "cannot read the end of the existing audit log");
    if (buf.back() != '\n')
        return error_at(path, 0,
                        "the existing audit log ends mid-line (truncated or interrupted): check it with "
                        "`flowsieve audit verify` and move it aside");
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl = buf.find('\n'); nl != std::string::npos; start = nl + 1, nl = buf.find('\n', start))
        lines.push_back(buf.substr(start, nl - start));
    if (want < size && !lines.empty()) lines.erase(lines.begin());
    if (lines.empty()) return error_at(path, 0, "the last line of the audit log is over 1 MiB");
    return lines;
}

// Why the log cannot be continued with `key`, or empty: an earlier run declared the same key id with
// another public key. `audit verify` refuses such a log as forged (a key id names one key for the
// whole log), so continuing it would leave a log that nothing verifies.
std::string redeclared_key(const std::string& path, const std::string& key_id, const std::string& public_b64) {
    std::ifstream in(path, std::ios::binary);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (line.find("\"type\":\"start\"") == std::string::npos) continue;
        auto f = scan_audit_line(line);
        if (!f || !f->count("key") || !f->count("public_key")) continue;
        auto id = json_string_value(f->at("key"));
        auto pub = json_string_value(f->at("public_key"));
        if (id && pub && *id == key_id && *pub != public_b64)
            return "line " + std::to_string(n) + " declares the filter key id '" + key_id +
                   "' with another public key: a new filter key needs a new id (audit.key), or a new audit log";
    }
    return {};
}

}  // namespace

AuditFields audit_start_fields(const AuditLog& log, const std::string& config_path, const std::string& version) {
    AuditFields f;
    f.add("format", audit_format)
        .add("version", version)
        .add("config", config_path)
        .add("checkpoint_every", std::uint64_t{log.checkpoint_every()})
        .add("key", log.key_id())
        .add("public_key", log.public_key_base64());
    return f;
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path, const SecretKeyFile& key,
                                                 std::uint32_t checkpoint_every) {
    if (checkpoint_every == 0) return error_at(path, 0, "checkpoint_every must be >= 1");
    std::unique_ptr<AuditLog> log(new AuditLog());
    log->path_ = path;
    log->key_ = key;
    log->every_ = checkpoint_every;
    // A first run on a fresh machine: the log's directory may not exist yet (as for the output).
    if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
    }
    log->fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (log->fd_ < 0) return error_at(path, 0, std::string("cannot open the audit log: ") + std::strerror(errno));
    // Before reading the tail: another writer could otherwise append between that read and ours.
    if (::flock(log->fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return error_at(path, 0,
                            "the audit log is locked by another flowsieve process (a running filter or a retention "
                            "sweep); try again when it has finished");
        return error_at(path, 0, std::string("cannot lock the audit log: ") + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(log->fd_, &st) != 0) return error_at(path, 0, "cannot stat the audit log");
    if (st.st_size > 0) {
        auto lines = tail_lines(log->fd_, path, st.st_size);
        if (!lines) return lines.error();
        const std::string& last = lines->back();
        auto fields = scan_audit_line(last);
        auto seq = fields && fields->count("seq") ? json_uint_value(fields->at("seq")) : std::nullopt;
        if (!seq) return error_at(path, 0, "the last line of the existing audit log is not an audit entry");
        log->seq_ = *seq + 1;
        log->prev_ = content_hash_hex(last);
        if (const std::string why = redeclared_key(path, key.id, log->public_key_base64()); !why.empty())
            return error_at(path, 0, "cannot continue the audit log: " + why);
        // A run that did not close (crash) left entries after its last checkpoint: seal them now,
        // so that they are signed as found and the gap between checkpoints stays within the rule,
        // and marked as adopted: anyone who can write the file could have appended them.
        std::uint32_t unsealed = 0;
        for (auto it = lines->rbegin(); it != lines->rend(); ++it) {
            auto f = scan_audit_line(*it);
            auto type = f && f->count("type") ? json_string_value(f->at("type")) : std::nullopt;
            if (type == "checkpoint") break;
            ++unsealed;
        }
        log->since_checkpoint_ = unsealed;
        if (unsealed > 0)
            if (auto s = log->checkpoint(now_unix_ns(), unsealed); !s) return s.error();
    }
    return log;
}

AuditLog::~AuditLog() {
    if (fd_ >= 0) ::close(fd_);
    sodium_memzero(key_.key.data(), key_.key.size());
}

std::string AuditLog::public_key_base64() const {
    const PublicKey p = public_of(key_.key);
    return base64_encode(p);
}

Status AuditLog::write_line(const std::string& line, bool sync) {
    const std::string bytes = line + "\n";
    // O_APPEND: one write(2) per entry, so a line is never interleaved; a short write is an error.
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n != static_cast<ssize_t>(bytes.size())) {
        const std::string why = n < 0 ? std::strerror(errno) : "short write";
        // The part of a line that did get written is cut off again, so that the log still ends
        // with a whole line and the next entry, once there is room, continues the chain.
        const off_t end = n > 0 ? ::lseek(fd_, 0, SEEK_END) : -1;
        const bool cut = n <= 0 || (end >= n && ::ftruncate(fd_, end - n) == 0);
        return error_at(path_, 0, "audit log write failed: " + why + (cut ? "" : " (a partial line is left in the log)"));
    }
    if (sync && ::fsync(fd_) != 0) return error_at(path_, 0, std::string("audit log fsync failed: ") + std::strerror(errno));
    prev_ = content_hash_hex(line);
    ++seq_;
    return Ok{};
}

Status AuditLog::append(std::string_view type, const AuditFields& payload, std::int64_t time_ns) {
    // A checkpoint still owed (its write failed: a full disk) comes first, so that none covers more
    // than checkpoint_every entries (the verifier would call that a removed checkpoint).
    if (since_checkpoint_ >= every_)
        if (auto s = checkpoint(time_ns); !s) return s;
    std::string line = "{\"seq\":" + std::to_string(seq_) + ",\"time\":" + json_string(rfc3339_ns(time_ns)) +
                       ",\"type\":" + json_string(type);
    if (!payload.empty()) line += "," + payload.body();
    line += ",\"prev\":\"" + prev_ + "\"}";
    if (auto s = write_line(line, false); !s) return s;
    if (++since_checkpoint_ >= every_) return checkpoint(time_ns);
    return Ok{};
}

Status AuditLog::checkpoint(std::int64_t time_ns, std::uint32_t adopted) {
    std::string line = "{\"seq\":" + std::to_string(seq_) + ",\"time\":" + json_string(rfc3339_ns(time_ns)) +
                       ",\"type\":\"checkpoint\",\"key\":" + json_string(key_.id) +
                       ",\"entries\":" + std::to_string(since_checkpoint_) +
                       (adopted ? ",\"adopted\":" + std::to_string(adopted) : std::string()) + ",\"prev\":\"" + prev_ + "\"";
    const Signature sig = sign_detached(std::string(audit_checkpoint_domain) + line, key_.key);
    line += std::string(audit_sig_marker) + json_string(base64_encode(sig)) + "}";
    if (auto s = write_line(line, true); !s) return s;
    since_checkpoint_ = 0;
    return Ok{};
}

Status AuditLog::stop(const AuditFields& payload, std::int64_t time_ns) {
    // Written without the periodic checkpoint in between, so `stop` is always followed directly by
    // the checkpoint that closes the run.
    if (since_checkpoint_ >= every_)  // owed, as in append()
        if (auto s = checkpoint(time_ns); !s) return s;
    std::string line = "{\"seq\":" + std::to_string(seq_) + ",\"time\":" + json_string(rfc3339_ns(time_ns)) +
                       ",\"type\":\"stop\"";
    if (!payload.empty()) line += "," + payload.body();
    line += ",\"prev\":\"" + prev_ + "\"}";
    if (auto s = write_line(line, false); !s) return s;
    ++since_checkpoint_;
    return checkpoint(time_ns);
}

}  // namespace flowsieve
