// input_file.cpp: reading (or, past a size, mapping) a whole input file (control plane).
#include "core/input_file.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/unique_fd.hpp"

namespace flowsieve {

namespace {

std::string size_text(std::size_t bytes) {
    if (bytes % (std::size_t{1} << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
    if (bytes % (std::size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

// Opened without blocking (open_flags): opening a named pipe blocks until something opens it for
// writing, which would hang start-up or a reload (the control thread, which then no longer
// answers signals either) with no message. read_all sets the descriptor back to blocking reads.
constexpr int open_flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
constexpr std::chrono::seconds pipe_writer_wait{2};

bool set_blocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0;
}

// A named pipe (mkfifo) lives in a file system; the pipe that `<(command)` or `|` hands over (as
// /dev/fd/N, /dev/stdin) lives in pipefs. That one had its writer from the start, so there is no
// writer to wait for: an end with nothing read is the end.
bool anonymous_pipe(int fd) {
    struct statfs fs {};
    return ::fstatfs(fd, &fs) == 0 && fs.f_type == PIPEFS_MAGIC;
}

}  // namespace

Result<InputFile> InputFile::open(const std::string& path, std::string_view open_failed, std::size_t max_read) {
    const UniqueFd fd(::open(path.c_str(), open_flags));
    if (!fd) return error_at(path, 0, std::string(open_failed) + ": " + std::strerror(errno));
    return read_all(path, fd.get(), max_read);
}

Result<std::optional<InputFile>> InputFile::open_if_exists(const std::string& path, std::string_view open_failed,
                                                           std::size_t max_read) {
    const UniqueFd fd(::open(path.c_str(), open_flags));
    if (!fd && errno == ENOENT) return std::optional<InputFile>();
    if (!fd) return error_at(path, 0, std::string(open_failed) + ": " + std::strerror(errno));
    auto f = read_all(path, fd.get(), max_read);
    if (!f) return f.error();
    return std::optional<InputFile>(std::move(f.value()));
}

Result<InputFile> InputFile::read_all(const std::string& path, int fd, std::size_t max_read) {
    const auto fail = [&path] { return error_at(path, 0, std::string("cannot read: ") + std::strerror(errno)); };
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail();
    // A directory opens, and reads as nothing or fails with EISDIR depending on the reader: either
    // would hide the mistake (an empty state file, say, accepts every rolled-back authorisation).
    if (S_ISDIR(st.st_mode)) return error_at(path, 0, "is a directory, not a file");
    // A named pipe's first reads stay non-blocking. With nothing writing to it they read as its end
    // at once: it gets pipe_writer_wait for a writer that opens it as this reader did, and is then
    // refused, not taken as an empty file (an empty feed is a valid, empty set). One whose writer
    // has not written yet says EAGAIN, and is then waited for like any pipe. An anonymous pipe
    // (`<(command)`) is read like that too, but has no writer to wait for (anonymous_pipe).
    const bool pipe = S_ISFIFO(st.st_mode);
    const bool may_lack_writer = pipe && !anonymous_pipe(fd);
    const auto writer_deadline = std::chrono::steady_clock::now() + pipe_writer_wait;
    if (!pipe && !set_blocking(fd)) return fail();
    InputFile f;
    const bool regular = S_ISREG(st.st_mode);
    const auto size = static_cast<std::size_t>(regular ? st.st_size : 0);
    if (regular && size > max_read) {
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED) return error_at(path, 0, std::string("cannot map: ") + std::strerror(errno));
        f.map_ = p;
        f.size_ = size;
        return f;
    }
    // A regular file: as many bytes as it had when opened (what is appended meanwhile, to a log
    // being written, is left for the next read). Anything else, and regular files that give no
    // size (/proc): to its end.
    const bool sized = size > 0;
    f.read_.reserve(size);
    char buf[1 << 16];
    for (;;) {
        const std::size_t want = sized ? std::min(sizeof buf, size - f.read_.size()) : sizeof buf;
        if (want == 0) break;
        const ssize_t n = ::read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN && pipe && set_blocking(fd)) continue;
            return fail();
        }
        if (n == 0) {
            if (pipe && f.read_.empty()) {
                // No writer (yet): one opening it as this reader did gets a moment, not for ever.
                if (may_lack_writer) {
                    if (std::chrono::steady_clock::now() < writer_deadline) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(10));
                        continue;
                    }
                    return error_at(path, 0, "is a named pipe that nothing wrote to within " +
                                                 std::to_string(pipe_writer_wait.count()) + " s");
                }
                // Refused, not an empty file: a command whose output was empty cannot be told from
                // a pipe that an earlier load read to its end, and a reload must not take that one
                // for an empty feed (its set would silently match nothing from then on).
                return error_at(path, 0,
                                "is a pipe that gave nothing (a command's empty output, or one an earlier load "
                                "already read): give an empty file where empty is meant");
            }
            break;
        }
        if (pipe && f.read_.empty() && !set_blocking(fd)) return fail();
        if (!sized && f.read_.size() + static_cast<std::size_t>(n) > max_read)
            return error_at(path, 0, std::string(regular ? "" : "not a regular file, and ") + "longer than " + size_text(max_read));
        f.read_.append(buf, static_cast<std::size_t>(n));
    }
    // Fewer bytes than the size said: a file cut while it was read (`cp` over a table truncates it
    // first) is an error, never a shorter table. A file that is as it was overstated its size
    // (sysfs does): what it gave is its content.
    if (sized && f.read_.size() < size) {
        struct stat now {};
        if (::fstat(fd, &now) != 0) return fail();
        if (now.st_size != st.st_size || now.st_mtim.tv_sec != st.st_mtim.tv_sec || now.st_mtim.tv_nsec != st.st_mtim.tv_nsec)
            return error_at(path, 0, "cannot read: it changed while being read (" + std::to_string(f.read_.size()) + " of " +
                                         std::to_string(size) + " bytes)");
    }
    return f;
}

InputFile::InputFile(InputFile&& o) noexcept : map_(o.map_), size_(o.size_), read_(std::move(o.read_)) {
    o.map_ = nullptr;
    o.size_ = 0;
}

InputFile& InputFile::operator=(InputFile&& o) noexcept {
    if (this != &o) {
        if (map_) ::munmap(map_, size_);
        map_ = o.map_;
        size_ = o.size_;
        read_ = std::move(o.read_);
        o.map_ = nullptr;
        o.size_ = 0;
    }
    return *this;
}

InputFile::~InputFile() {
    if (map_) ::munmap(map_, size_);
}

}  // namespace flowsieve
