// fuzz_support.hpp: helpers shared by the libFuzzer harnesses (fuzzer thread only): an always-on
// check that aborts (libFuzzer then saves the input as a crash), and a per-process scratch file
// for loaders that only take a path.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// Unlike assert(), never compiled out: a violated invariant must crash the fuzzer in every build.
#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                  \
        }                                                                                  \
    } while (0)

namespace flowsieve::fuzz {

// One file per process (libFuzzer -jobs/-fork run several), rewritten for every input and removed
// at exit. `suffix` keeps the extension some loaders care about (.yaml, .csv).
class ScratchFile {
public:
    explicit ScratchFile(std::string_view suffix) {
        const char* dir = std::getenv("TMPDIR");
        path_ = std::string(dir && *dir ? dir : "/tmp") + "/flowsieve-fuzz-" + std::to_string(::getpid()) +
                std::string(suffix);
    }
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;
    ~ScratchFile() { std::remove(path_.c_str()); }

    // Replaces the file's contents with the fuzz input; aborts if the disk refuses (not a finding).
    const std::string& write(const std::uint8_t* data, std::size_t size) {
        std::FILE* f = std::fopen(path_.c_str(), "wb");
        FUZZ_CHECK(f != nullptr);
        FUZZ_CHECK(size == 0 || std::fwrite(data, 1, size, f) == size);
        FUZZ_CHECK(std::fclose(f) == 0);
        return path_;
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace flowsieve::fuzz
