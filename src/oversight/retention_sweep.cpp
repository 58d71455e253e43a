// retention_sweep.cpp: finding, verifying and deleting expired output files (control plane).
#include "oversight/retention_sweep.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <utility>

#include "core/input_file.hpp"
#include "core/time_text.hpp"
#include "export/output_inspect.hpp"
#include "export/output_keeper.hpp"
#include "oversight/audit_entry.hpp"
#include "oversight/content_hash.hpp"
#include "oversight/retention_manifest.hpp"

namespace flowsieve {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool same_file(const std::string& a, const std::string& b) {
    struct stat sa {}, sb {};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

std::string absolute_of(const std::string& p) {
    std::error_code ec;
    auto a = fs::absolute(p, ec);
    return ec ? p : a.lexically_normal().string();
}

bool is_set(const std::atomic<bool>* flag) { return flag && flag->load(std::memory_order_relaxed); }

// A file being deleted is first renamed to its name plus this. A sweep stopped between the rename
// and the unlink leaves it so; the next sweep puts it back under its name (its manifest speaks for
// that one) and checks it as any other.
constexpr std::string_view claim_suffix = ".sweeping";
std::string claim_path_of(const std::string& path) { return std::string(path).append(claim_suffix); }

// Whether an interrupted sweep left a file claimed there (a regular file: nothing else is put back).
bool left_claimed(const std::string& claim) {
    struct stat st {};
    return ::lstat(claim.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// What the audit log says of the outputs. Only lines that mention a type read here are parsed (a
// long-running filter's log is long).
struct RecordedOutputs {
    // (content hash, expiry as written in the log) of every `output_written` entry: what flowsieve
    // itself recorded writing.
    std::set<std::pair<std::string, std::string>> written;
    // (absolute path, content hash) of every `retention_deleted` entry no `retention_failed` entry
    // for the same followed: the files a sweep deleted.
    std::set<std::pair<std::string, std::string>> deleted;
};

Result<RecordedOutputs> read_recorded_outputs(const std::string& log_path) {
    RecordedOutputs out;
    auto log = InputFile::open_if_exists(log_path, "cannot read the audit log");
    if (!log) return log.error();
    if (!*log) return out;  // a fresh log: nothing recorded yet
    LineCursor lines((*log)->text());
    std::string_view line;
    for (std::size_t line_no = 0; lines.next(line, line_no);) {
        if (line.find("\"output_written\"") == std::string_view::npos && line.find("\"retention_deleted\"") == std::string_view::npos &&
            line.find("\"retention_failed\"") == std::string_view::npos)
            continue;
        auto f = scan_audit_line(line);
        if (!f) continue;  // a torn or edited line records nothing (audit verify reports it)
        const auto text = [&](const char* key) -> std::optional<std::string> {
            auto it = f->find(key);
            return it == f->end() ? std::nullopt : json_string_value(it->second);
        };
        const auto type = text("type"), hash = text("blake2b");
        if (!type || !hash) continue;
        if (*type == "output_written") {
            if (auto e = text("expires")) out.written.emplace(*hash, std::move(*e));
        } else if (auto path = text("path"); path && *type == "retention_deleted") {
            out.deleted.emplace(std::move(*path), *hash);
        } else if (path && *type == "retention_failed") {
            out.deleted.erase({*path, *hash});
        }
    }
    return out;
}

class Sweeper {
public:
    Sweeper(const SweepOptions& o, AuditLog* log) : o_(o), log_(log) {}

    Result<SweepReport> run() {
        std::error_code ec;
        if (!fs::is_directory(fs::symlink_status(o_.dir, ec)))
            return dir_error("not a directory (retention sweep DIR takes the output directory)");
        std::vector<std::string> files;
        auto it = fs::recursive_directory_iterator(o_.dir, fs::directory_options::skip_permission_denied, ec);
        if (ec) return dir_error("cannot list: " + ec.message());
        for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (ec) return dir_error("cannot list: " + ec.message());
            const auto st = it->symlink_status(ec);
            if (ec) continue;
            if (fs::is_regular_file(st) || fs::is_symlink(st)) files.push_back(it->path().string());
        }
        if (ec) return dir_error("cannot list: " + ec.message());
        std::sort(files.begin(), files.end());
        for (const auto& p : o_.never_delete) never_delete_.push_back(absolute_of(p));
        // Read once, before this sweep appends anything: the log's word on which outputs are real.
        const std::string log_path = log_ ? log_->path() : o_.dry_run_audit_log;
        if (!log_path.empty()) {
            auto rec = read_recorded_outputs(log_path);
            if (rec) {
                recorded_ = std::move(rec.value());
                report_.log_consulted = true;
            } else if (log_) {
                log_error_ = rec.error().message;  // nothing can be shown recorded: nothing is deleted
                report_.log_consulted = true;
            }
        }

        if (log_ && o_.own_run) {
            AuditFields f = audit_start_fields(*log_, o_.config_path, o_.version);
            f.add("command", "retention sweep").add("directory", absolute_of(o_.dir)).add("now", rfc3339_ns(o_.now_ns));
            if (auto s = log_->append("start", f, now_unix_ns()); !s) return s.error();
        }
        std::set<std::string> claimed;
        for (const auto& path : files) {
            if (!ends_with(path, manifest_suffix)) continue;
            if (is_set(o_.cancel)) {
                report_.cancelled = true;
                break;
            }
            const std::string data = path.substr(0, path.size() - manifest_suffix.size());
            const std::string claim = claim_path_of(data);
            claimed.insert(path);
            claimed.insert(data);
            const bool put_back = restore_claim(data, claim);
            if (put_back) claimed.insert(claim);
            const std::size_t first_item = report_.items.size();
            if (auto s = one(path); !s) return s.error();
            if (put_back)
                for (std::size_t i = first_item; i < report_.items.size(); ++i)
                    report_.items[i].message += " (put back from " + claim + ", where an interrupted sweep had left it)";
        }
        for (const auto& path : files)
            if (!claimed.count(path) && !report_.cancelled)
                add(SweepOutcome::unknown, path,
                    ends_with(path, claim_suffix)
                        ? "left by an interrupted sweep and not put back (a dry run, its original name taken, or no manifest for that name): kept"
                        : "no manifest speaks for it: not a flowsieve output file, kept");
        std::sort(report_.items.begin(), report_.items.end(),
                  [](const SweepItem& a, const SweepItem& b) { return a.path < b.path; });
        if (log_ && o_.own_run) {
            AuditFields f;
            f.add("reason", report_.cancelled ? "retention sweep (interrupted)" : "retention sweep")
                // Files deleted in this run (each has its retention_deleted entry in it), then the
                // manifests of earlier runs' deletions removed in this one.
                .add("deleted", std::uint64_t{report_.count(SweepOutcome::deleted) - manifests_removed_})
                .add("manifests_removed", std::uint64_t{manifests_removed_})
                .add("kept", std::uint64_t{report_.count(SweepOutcome::kept)})
                .add("refused", std::uint64_t{report_.count(SweepOutcome::hash_mismatch)})
                .add("bad_manifests", std::uint64_t{report_.count(SweepOutcome::bad_manifest)})
                .add("failed", std::uint64_t{report_.count(SweepOutcome::failed)});
            if (auto s = log_->stop(f, now_unix_ns()); !s) return s.error();
        }
        return std::move(report_);
    }

private:
    Result<SweepReport> dir_error(const std::string& what) {
        if (o_.own_run) return error_at(o_.dir, 0, what);
        add(SweepOutcome::failed, o_.dir, what + " (nothing swept)");
        return std::move(report_);
    }

    // The output a running filter is writing (or will rename into place): never swept.
    bool protected_file(const std::string& path) const {
        const std::string abs = absolute_of(path);
        for (const auto& p : never_delete_)
            if (p == abs || same_file(p, path)) return true;
        return false;
    }

    void add(SweepOutcome o, std::string path, std::string message) {
        report_.items.push_back({o, std::move(path), std::move(message)});
    }

    // Records a refusal to delete an expired file (the inspector should see that it is still there).
    Status refuse(const std::string& path, const OutputManifest& m, const std::string& reason, const std::string& actual) {
        add(SweepOutcome::hash_mismatch, path, "expired " + rfc3339_ns(m.label.expires_ns) + ", NOT deleted: " + reason);
        if (!log_) return Ok{};
        if (o_.refusals_recorded && !o_.refusals_recorded->insert(absolute_of(path) + '\n' + reason).second) return Ok{};
        AuditFields f;
        f.add("path", absolute_of(path))
            .add("blake2b", m.blake2b)
            .add("found", actual)
            .add("expires", rfc3339_ns(m.label.expires_ns))
            .add("reason", reason);
        return log_->append("retention_refused", f, now_unix_ns());
    }

    // A file an interrupted sweep left claimed goes back under its own name, if that name is free
    // (nothing else was put there since). True when it was put back. Never in a dry run.
    bool restore_claim(const std::string& data, const std::string& claim) const {
        if (o_.dry_run || !left_claimed(claim)) return false;
        return rename_noreplace(claim, data) == 0;  // EEXIST: the name is taken, the claim is left alone
    }

    // A sweep deleted the file (its retention_deleted entry, no retention_failed after it) and was
    // stopped before it removed the manifest: only the manifest is left to remove.
    Status remove_left_manifest(const std::string& data, const std::string& manifest_path, const OutputManifest& m) {
        if (o_.dry_run) {
            add(SweepOutcome::would_delete, data, "deleted by an earlier sweep (the audit log records it): its manifest would be removed");
            return Ok{};
        }
        if (::unlink(manifest_path.c_str()) != 0) {
            add(SweepOutcome::failed, data,
                "deleted by an earlier sweep, but the manifest it left cannot be removed: " + std::string(std::strerror(errno)));
            return Ok{};
        }
        add(SweepOutcome::deleted, data,
            "deleted by an earlier sweep, which the audit log records (blake2b " + m.blake2b + "); the manifest it left is removed now");
        ++manifests_removed_;
        return Ok{};
    }

    // One manifest and the file it speaks for. An error only when the audit log fails.
    Status one(const std::string& manifest_path) {
        const std::string data = manifest_path.substr(0, manifest_path.size() - manifest_suffix.size());
        auto m = read_manifest(manifest_path);
        if (!m) {
            add(SweepOutcome::bad_manifest, data, m.error().message + " (the manifest and its file are kept)");
            return Ok{};
        }
        struct stat st {};
        if (::lstat(data.c_str(), &st) != 0) {
            const int err = errno;
            if (err == ENOENT && recorded_.deleted.count({absolute_of(data), m->blake2b}))
                return remove_left_manifest(data, manifest_path, *m);
            // A sweep has already put such a file back (restore_claim); a dry run only says where it is.
            if (err == ENOENT && o_.dry_run && left_claimed(claim_path_of(data)))
                add(SweepOutcome::bad_manifest, data,
                    "its file lies as " + claim_path_of(data) +
                        ", where an interrupted sweep left it: a sweep puts it back and checks it again");
            else
                add(SweepOutcome::bad_manifest, data,
                    err == ENOENT ? "the manifest " + manifest_path + " speaks for a file that is not there (manifest kept)"
                                  : "cannot stat: " + std::string(std::strerror(err)));
            return Ok{};
        }
        if (!S_ISREG(st.st_mode)) {
            add(SweepOutcome::bad_manifest, data, "not a regular file (a symbolic link?): never deleted");
            return Ok{};
        }
        if (protected_file(data) || protected_file(manifest_path)) {
            add(SweepOutcome::kept, data, "the output this filter is writing (its name, or its partial file): never swept while it runs");
            return Ok{};
        }
        if (o_.now_ns < m->label.expires_ns) {
            add(SweepOutcome::kept, data, "expires " + rfc3339_ns(m->label.expires_ns) + ", kept");
            return Ok{};
        }
        if (log_ && same_file(data, log_->path())) {
            add(SweepOutcome::bad_manifest, data, "is the audit log itself: never deleted");
            return Ok{};
        }
        // Is it the capture the manifest describes? Its format, its own label (pcapng), its bytes.
        auto facts = inspect_output_file(data);
        if (!facts) {
            add(SweepOutcome::bad_manifest, data, facts.error().message + " (kept)");
            return Ok{};
        }
        if (facts->format != m->output_format) {
            add(SweepOutcome::bad_manifest, data, "is a " + facts->format + " file, the manifest says " + m->output_format + " (kept)");
            return Ok{};
        }
        if (facts->format == "pcapng" && (!facts->label || facts->label->expires_ns != m->label.expires_ns)) {
            // The file's own label is covered by its hash; a manifest saying otherwise was edited.
            const std::string found = facts->label ? rfc3339_ns(facts->label->expires_ns) : std::string("no label");
            return refuse(data, *m, "the file's own expiry (" + found + ") differs from its manifest's", found);
        }
        auto hashed = file_content_hash_hex(data, {.follow_links = false, .cancel = o_.cancel});
        if (!hashed) {
            add(SweepOutcome::failed, data, hashed.error().message);
            return Ok{};
        }
        if (!hashed.value()) {
            report_.cancelled = true;
            add(SweepOutcome::kept, data, "expired, but the sweep was interrupted (the filter is stopping): kept for the next one");
            return Ok{};
        }
        const std::string& hash = *hashed.value();
        if (hash != m->blake2b)
            return refuse(data, *m, "content hash " + hash + " differs from the manifest's " + m->blake2b +
                                        " (altered or replaced: investigate, then remove it by hand)",
                          hash);
        // The manifest is unsigned: only the audit log says flowsieve wrote these bytes to expire then.
        if (report_.log_consulted && !recorded_.written.count({m->blake2b, rfc3339_ns(m->label.expires_ns)}))
            return refuse(data, *m,
                          "not recorded in the audit log (no output_written entry with this content hash and expiry" +
                              (log_error_.empty() ? std::string() : ": " + log_error_) +
                              "; a manifest written by hand, or an edited expiry: investigate, then remove it by hand)",
                          hash);
        if (o_.dry_run) {
            add(SweepOutcome::would_delete, data,
                "expired " + rfc3339_ns(m->label.expires_ns) + ", would be deleted (dry run" +
                    (report_.log_consulted ? std::string(")") : std::string("; the audit log was not consulted)")));
            return Ok{};
        }
        // Recorded first: if the log cannot be written the file stays (the error stops the sweep).
        AuditFields f;
        f.add("path", absolute_of(data))
            .add("blake2b", m->blake2b)
            .add("bytes", m->bytes)
            .add("records", m->records)
            .add("written", rfc3339_ns(m->label.written_ns))
            .add("expires", rfc3339_ns(m->label.expires_ns))
            .add("generations", m->generations)
            .add("authorisations", m->authorisations);
        if (auto s = log_->append("retention_deleted", f, now_unix_ns()); !s)
            return Error{s.error().message + " (" + data + " was not deleted)"};
        const auto not_deleted = [&](const std::string& why) {
            add(SweepOutcome::failed, data, why + " (its retention_deleted entry is followed by retention_failed)");
            AuditFields ff;
            ff.add("path", absolute_of(data)).add("blake2b", m->blake2b).add("reason", why);
            return log_->append("retention_failed", ff, now_unix_ns());
        };
        // Claimed first: renamed to a name of its own, then compared with the file checked above. A
        // file put under the name since (a filter committing an output of that name) is then never
        // the one deleted: the checks and the unlink would otherwise each look the name up anew.
        if (o_.before_claim) o_.before_claim(data);
        const std::string claim = claim_path_of(data);
        if (const int err = rename_noreplace(data, claim); err != 0)
            return not_deleted(err == EEXIST ? "cannot delete: " + claim + " is there already (kept as well)"
                                             : std::string("cannot delete: ") + std::strerror(err));
        struct stat now {};
        if (::lstat(claim.c_str(), &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino ||
            now.st_size != st.st_size || now.st_mtim.tv_sec != st.st_mtim.tv_sec ||
            now.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
            const int back = rename_noreplace(claim, data);
            return not_deleted("replaced or changed while it was checked: the file now there was not deleted" +
                               (back == 0 ? std::string() : "; it stays as " + claim + " (" + std::strerror(back) + ")"));
        }
        if (::unlink(claim.c_str()) != 0) {
            const std::string why = std::string("cannot delete: ") + std::strerror(errno);
            const int back = rename_noreplace(claim, data);
            return not_deleted(why + (back == 0 ? std::string() : "; it stays as " + claim));
        }
        if (::unlink(manifest_path.c_str()) != 0) {
            add(SweepOutcome::failed, data,
                "deleted and recorded, but its manifest could not be removed: " + std::string(std::strerror(errno)));
            return Ok{};
        }
        add(SweepOutcome::deleted, data, "expired " + rfc3339_ns(m->label.expires_ns) + ", deleted (blake2b " + m->blake2b + ")");
        return Ok{};
    }

    const SweepOptions& o_;
    AuditLog* log_;
    SweepReport report_;
    std::vector<std::string> never_delete_;  // absolute
    RecordedOutputs recorded_;               // the log's output_written and retention_deleted entries
    std::size_t manifests_removed_ = 0;      // of files an earlier, interrupted sweep deleted
    std::string log_error_;                  // the log could not be read: nothing counts as recorded
};

}  // namespace

std::string_view name_of(SweepOutcome o) {
    switch (o) {
        case SweepOutcome::deleted: return "deleted";
        case SweepOutcome::would_delete: return "would delete";
        case SweepOutcome::kept: return "kept";
        case SweepOutcome::unknown: return "unknown";
        case SweepOutcome::bad_manifest: return "bad manifest";
        case SweepOutcome::hash_mismatch: return "refused";
        case SweepOutcome::failed: return "failed";
    }
    return "?";
}

std::size_t SweepReport::count(SweepOutcome o) const {
    return static_cast<std::size_t>(std::count_if(items.begin(), items.end(), [o](const SweepItem& i) { return i.outcome == o; }));
}

bool SweepReport::clean() const {
    return count(SweepOutcome::bad_manifest) == 0 && count(SweepOutcome::hash_mismatch) == 0 && count(SweepOutcome::failed) == 0;
}

Result<SweepReport> retention_sweep(const SweepOptions& opts, AuditLog* log) {
    if (!log && !opts.dry_run) return Error{"retention sweep: deleting needs the audit log (every deletion is recorded)"};
    try {
        return Sweeper(opts, opts.dry_run ? nullptr : log).run();
    } catch (const std::exception& e) {  // bad_alloc, filesystem errors the error_code overloads missed
        return Error{"retention sweep: " + std::string(e.what())};
    }
}

}  // namespace flowsieve
