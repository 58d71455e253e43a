// output_keeper.cpp: archived names and moves that never replace anything. Exporter thread (at
// commit) and the control plane.
#include "export/output_keeper.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <system_error>

namespace flowsieve {

namespace {

// Enough for any directory a person keeps outputs in; beyond it something is wrong (or hostile).
constexpr unsigned max_archived_names = 1000;

// "20261202T101500Z": sorts like the time it names and needs no quoting in a shell.
std::string compact_utc(std::int64_t ns) {
    const std::time_t sec = ns > 0 ? static_cast<std::time_t>(ns / 1'000'000'000) : 0;
    std::tm tm{};
    ::gmtime_r(&sec, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

}  // namespace

std::string archived_name(const std::string& path, std::int64_t time_ns, unsigned n) {
    // Split by hand rather than with std::filesystem: "/x" and ".hidden" must keep their shape.
    const auto slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const auto dot = name.find_last_of('.');
    const bool has_ext = dot != std::string::npos && dot != 0;  // ".hidden" is a name, not an extension
    const std::string stem = has_ext ? name.substr(0, dot) : name;
    const std::string ext = has_ext ? name.substr(dot) : "";
    std::string out = dir + stem + "." + compact_utc(time_ns);
    if (n >= 2) out.append("-").append(std::to_string(n));
    return out + ext;
}

Result<std::string> place_under_archived_name(const std::string& path, std::int64_t time_ns,
                                              const std::function<int(const std::string&)>& place) {
    for (unsigned n = 1; n <= max_archived_names; ++n) {
        std::string candidate = archived_name(path, time_ns, n);
        const int err = place(candidate);
        if (err == 0) return candidate;
        if (err != EEXIST)
            return error_at(candidate, 0, std::error_code(err, std::generic_category()).message());
    }
    return error_at(archived_name(path, time_ns, 1), 0,
                    "this name and " + std::to_string(max_archived_names - 1) + " numbered ones are all taken");
}

int rename_noreplace(const std::string& from, const std::string& to) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
    const int err = errno;
    if (err != EINVAL && err != ENOSYS && err != ENOTSUP) return err;
    // A file system that cannot refuse to replace in a rename: a hard link refuses atomically (EEXIST).
    if (::link(from.c_str(), to.c_str()) != 0) return errno;
    if (::unlink(from.c_str()) != 0) {
        const int e = errno;
        ::unlink(to.c_str());  // back to one name: the original
        return e;
    }
    return 0;
}

int create_new_file(const std::string& path, std::string_view bytes, mode_t mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return errno;
    int err = 0;
    for (std::size_t done = 0; done < bytes.size() && err == 0;) {
        const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (w < 0 && errno != EINTR) err = errno;
        if (w > 0) done += static_cast<std::size_t>(w);
    }
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err != 0) ::unlink(path.c_str());  // ours (O_EXCL): nothing half-written stays
    return err;
}

std::int64_t modified_ns(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace flowsieve
