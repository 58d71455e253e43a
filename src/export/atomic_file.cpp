// atomic_file.cpp: write-to-partial, fsync, rename. Exporter thread.
#include "export/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <system_error>

namespace flowsieve {

namespace {

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// write(2) until everything is out; EINTR and short writes are normal, not errors.
int write_all(int fd, const std::uint8_t* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return 0;
}

std::string directory_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

Status AtomicFile::open(const std::string& path, std::size_t buffer_bytes) {
    if (is_open()) return error_at(path, 0, "already open");
    failure_.clear();
    if (path.empty()) return error_at("(empty path)", 0, "no output file name");
    try {
        path_ = path;
        partial_ = path + ".partial";
    } catch (const std::bad_alloc&) {
        return error_at("(output file)", 0, "cannot allocate the path");
    }
    used_ = 0;
    bytes_ = 0;
    committed_ = {};
    // A new file, never one already there: an earlier run's partial is removed first, and a symbolic
    // link left at its name (by anyone who can write to the directory) is removed, not followed,
    // so no other file is overwritten and the output committed is not a link to one.
    // 0640: header captures are sensitive; the analysis group may read, nobody else.
    ::unlink(partial_.c_str());  // ENOENT (none) is the usual answer; a directory makes the open fail
    int fd = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        int err = errno;
        // Named by the path the user gave (the .partial is ours), the .partial said beside it.
        return error_at(path_, 0, "cannot create (written first as " + partial_ + "): " + errno_text(err));
    }
    fd_ = fd;
    try {
        buf_.assign(buffer_bytes ? buffer_bytes : default_buffer_bytes, 0);
    } catch (const std::bad_alloc&) {
        abandon();
        return error_at(path_, 0, "cannot allocate the write buffer");
    }
    return Ok{};
}

Status AtomicFile::fail(const std::string& what, int err) {
    std::string msg = what + ": " + errno_text(err) + " (discarded)";
    abandon();
    Error e = error_at(partial_path(), 0, msg);
    failure_ = e.message;
    return e;
}

Error AtomicFile::not_open() const {
    if (!failure_.empty()) return Error{failure_};
    return error_at(path_.empty() ? "(unnamed)" : path_, 0, "not open");
}

Status AtomicFile::flush() {
    if (used_ == 0) return Ok{};
    int err = write_all(fd_, buf_.data(), used_);
    if (err == 0 && observer_) observer_(buf_.data(), used_);
    used_ = 0;
    if (err != 0) return fail("write failed", err);
    return Ok{};
}

Status AtomicFile::append(const void* data, std::size_t n) {
    if (!is_open()) return not_open();
    auto p = static_cast<const std::uint8_t*>(data);
    bytes_ += n;
    if (n <= buf_.size() - used_) {
        if (n) std::memcpy(buf_.data() + used_, p, n);
        used_ += n;
        return Ok{};
    }
    if (auto s = flush(); !s) return s;
    if (n >= buf_.size()) {  // bigger than the whole buffer: straight through
        if (int err = write_all(fd_, p, n); err != 0) return fail("write failed", err);
        if (observer_) observer_(p, n);
        return Ok{};
    }
    std::memcpy(buf_.data(), p, n);
    used_ = n;
    return Ok{};
}

Status AtomicFile::append_zeros(std::size_t n) {
    static constexpr std::uint8_t zeros[8] = {};
    if (n > sizeof zeros) return error_at(path_, 0, "internal: padding of " + std::to_string(n) + " bytes");
    return append(zeros, n);
}

Status AtomicFile::commit() {
    if (!is_open()) return not_open();
    if (auto s = flush(); !s) return s;
    if (::fsync(fd_) != 0) return fail("fsync failed", errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        int err = errno;
        ::unlink(partial_path().c_str());
        return error_at(partial_path(), 0, "close failed: " + errno_text(err) + " (discarded)");
    }
    if (keep_) {
        if (auto s = publish_keeping_earlier(); !s) return s;
    } else if (std::rename(partial_path().c_str(), path_.c_str()) != 0) {
        int err = errno;
        ::unlink(partial_path().c_str());
        return error_at(path_, 0, "cannot rename " + partial_path() + ": " + errno_text(err) + " (discarded)");
    } else {
        committed_ = {path_, {}, {}};
    }
    // Make the rename itself durable; the data already is, so a failure here is not fatal.
    int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    std::vector<std::uint8_t>().swap(buf_);
    return Ok{};
}

// The partial file is complete, closed and durable: give it its name without ever replacing an
// earlier file, which `keep_` moves aside first. Whatever fails, neither file is lost: the new one
// then goes beside the earlier one under an archived name, or, as a last resort, stays the partial.
Status AtomicFile::publish_keeping_earlier() {
    committed_ = {path_, {}, {}};
    int err = rename_noreplace(partial_, path_);
    if (err == EEXIST) {
        auto kept = keep_(path_);
        if (kept) {
            committed_.earlier_kept_as = kept.value();
            err = rename_noreplace(partial_, path_);  // EEXIST again only if something took the name meanwhile
        } else {
            committed_.problem = "the earlier file there could not be moved aside, so it stays (" + kept.error().message + ")";
        }
    }
    if (err == 0) return Ok{};
    if (committed_.problem.empty()) committed_.problem = "cannot rename " + partial_ + " to it: " + errno_text(err);
    // Named, like archived files, by its own time: the moment it was completed.
    auto beside = place_under_archived_name(path_, modified_ns(partial_),
                                            [this](const std::string& to) { return rename_noreplace(partial_, to); });
    if (beside) {
        committed_.path = beside.value();
        return Ok{};
    }
    // The partial is the only copy of a complete output: it stays (the caller says so; a later run
    // writing to the same name would discard it).
    committed_.left_in_partial = true;
    return error_at(path_, 0, committed_.problem + "; nor could the new output be put beside it (" +
                                  beside.error().message + "): it stays, complete, in " + partial_);
}

void AtomicFile::abandon() noexcept {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    used_ = 0;
    std::vector<std::uint8_t>().swap(buf_);
    ::unlink(partial_.c_str());
}

}  // namespace flowsieve
