// atomic_file.hpp: a buffered output file that appears complete under its name or not at all.
// Used by the file sinks on the exporter thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "export/output_keeper.hpp"

namespace flowsieve {

// Writes go to `<path>.partial` in the same directory (so the final rename never crosses a file
// system) through one buffer. commit() flushes, fsyncs, renames to `<path>` and fsyncs the
// directory, so a reader of `<path>` never sees a half-written capture. Any failure, abandon(), or
// destruction while open removes the partial file and leaves no `<path>` behind.
//
// By default commit() replaces whatever is at `<path>` (right for files that hold only the newest
// state: keys, serial state, manifests). With keep_earlier() set it never does (outputs: see
// output_keeper.hpp).
class AtomicFile {
public:
    // 64 KiB: few enough write(2)s, and each flush (the write's copy and an observer's digest of the
    // buffer) short. The exporter thread stalls for a whole flush while the workers' record rings
    // fill; with 1 MiB a flush took ~4 ms at line rate, longer than a 4096-record ring lasts, and
    // 9-17% of the selected records were ring_full drops (perf/RESULTS.md Run 12).
    static constexpr std::size_t default_buffer_bytes = std::size_t{1} << 16;

    AtomicFile() = default;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile() { abandon(); }

    // Creates (truncating) `<path>.partial`. Fails if already open. buffer_bytes 0 means default.
    Status open(const std::string& path, std::size_t buffer_bytes = default_buffer_bytes);
    // Buffers n bytes; writes the buffer out when full. On error the file is abandoned.
    Status append(const void* data, std::size_t n);
    // Appends n zero bytes (n < 8; used for 4-byte alignment padding).
    Status append_zeros(std::size_t n);
    // Flush, fsync, rename to the final name. On error the file is abandoned, except that with
    // keep_earlier() a complete file that could be put nowhere else stays as `<path>.partial`.
    Status commit();
    // Drops everything written so far (closes and unlinks the partial). Safe to call any time.
    void abandon() noexcept;

    // Sees every byte in file order as it goes out to the file (e.g. a streaming content hash, so
    // that nothing needs to read a large output back at exit). Set before open(); kept across opens.
    using ByteObserver = std::function<void(const std::uint8_t*, std::size_t)>;
    void set_observer(ByteObserver f) { observer_ = std::move(f); }

    // Makes commit() keep a file it finds at `<path>`: `keep` moves it aside first. If `keep` fails,
    // the earlier file stays where it is and the new one is committed beside it under an archived
    // name (committed() says where and why); either way neither file is lost. Kept across opens.
    void keep_earlier(KeepEarlier keep) { keep_ = std::move(keep); }
    // After a successful commit(): where the file went and what was kept.
    const CommitReport& committed() const { return committed_; }

    bool is_open() const { return fd_ >= 0; }
    // Why the file is not open: the failure that abandoned it (a full disk, say), else "not open".
    // What every later append, commit or record refused for it reports: the first cause, not its echo.
    Error not_open() const;
    const std::string& path() const { return path_; }
    const std::string& partial_path() const { return partial_; }
    // Bytes appended since open() (buffered or not).
    std::uint64_t bytes() const { return bytes_; }

private:
    Status flush();
    Status fail(const std::string& what, int err);
    Status publish_keeping_earlier();

    std::string path_;
    std::string partial_;  // kept so abandon() needs no allocation
    int fd_ = -1;
    std::vector<std::uint8_t> buf_;
    std::size_t used_ = 0;
    std::uint64_t bytes_ = 0;
    ByteObserver observer_;
    KeepEarlier keep_;
    CommitReport committed_;
    std::string failure_;  // the message of the failure that abandoned the file since open(), if any
};

}  // namespace flowsieve
