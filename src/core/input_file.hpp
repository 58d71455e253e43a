// input_file.hpp: a whole input file's text, and its lines (control plane). The readers of
// user-named files (tables, configs and authorisations, keys, the serial state, audit logs) go
// through InputFile, so that a directory, a pipe or a device named where a file is expected gets an
// error rather than an empty read or an endless one. (Two read a file's head only and check it is
// a regular one themselves: output_inspect.cpp, retention_manifest.cpp; file_content_hash_hex
// streams, and refuses what is not a regular file.)
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace flowsieve {

// A whole file's text, read into memory: a copy, so that whatever another process does to the file
// afterwards (`cp` over a table truncates it first) cannot reach the reader. A file cut while it
// is read is an error; one rewritten meanwhile gives what the reads returned (a reload then sees a
// table that does not parse, or reads it again at the next). A regular file larger than
// `max_read` is mapped read-only instead (MAP_POPULATE: one fault-in instead of one per page): an
// audit log after a long run, which is appended to, never cut; or a file far larger than a reader
// with a small limit takes (keys, configs). A mapped file cut short would raise SIGBUS on the lost
// pages. Move-only; text() lives as long as the object.
class InputFile {
public:
    // What is read into memory at most by default. A pipe or device is read up to it and no
    // further (a device need not end: /dev/zero); no table, config or key comes near it.
    static constexpr std::size_t default_max_read = std::size_t{1} << 30;
    // Errors are `path: cannot read: <strerror>`; `open_failed` replaces "cannot read" when the
    // file cannot be opened at all (callers with their own established wording). A directory is
    // `path: is a directory, not a file`; a regular file cut while it is read is
    // `path: cannot read: it changed while being read (N of M bytes)`.
    static Result<InputFile> open(const std::string& path, std::string_view open_failed = "cannot read",
                                  std::size_t max_read = default_max_read);
    // As open(), but a file that does not exist is no error: nullopt (a state or log not written yet).
    static Result<std::optional<InputFile>> open_if_exists(const std::string& path, std::string_view open_failed = "cannot read",
                                                           std::size_t max_read = default_max_read);
    InputFile() = default;
    InputFile(InputFile&& o) noexcept;
    InputFile& operator=(InputFile&& o) noexcept;
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    ~InputFile();
    std::string_view text() const { return map_ ? std::string_view(static_cast<const char*>(map_), size_) : read_; }

private:
    // Reads or maps the open `fd`.
    static Result<InputFile> read_all(const std::string& path, int fd, std::size_t max_read);

    void* map_ = nullptr;
    std::size_t size_ = 0;
    std::string read_;
};

// `text` without a leading UTF-8 byte order mark: editors and spreadsheets on Windows write one,
// and unseen it made the first line's address or a CSV header's first column unreadable.
inline std::string_view without_bom(std::string_view text) {
    return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

// Iterates the lines of a text, 1-based numbering, without the '\n' and without a trailing '\r'.
// The last line may lack its newline.
class LineCursor {
public:
    explicit LineCursor(std::string_view text, std::size_t first_line = 1) : rest_(text), next_no_(first_line) {}
    bool next(std::string_view& line, std::size_t& line_no) {
        if (rest_.empty()) return false;
        const std::size_t nl = rest_.find('\n');
        line = rest_.substr(0, nl);
        rest_ = nl == std::string_view::npos ? std::string_view{} : rest_.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line_no = next_no_++;
        return true;
    }

private:
    std::string_view rest_;
    std::size_t next_no_;
};

}  // namespace flowsieve
