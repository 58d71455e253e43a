// control_test_util.hpp: helpers for the control-plane tests: a temp dir to write configs and
// authorisation files into, `@DATA@` expansion to tests/data, and the line of a marker in a text.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "capture_file.hpp"
#include "core/result.hpp"

namespace flowsieve::testing {

// A fresh directory under gtest's temp dir, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        std::string tmpl = ::testing::TempDir() + "flowsieve-control-XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string file(const std::string& name) const { return path_ + "/" + name; }
    // Writes `text` (after expanding @DATA@) to `name`, creating sub-directories; returns the path.
    std::string write(const std::string& name, const std::string& text) const {
        const std::string p = file(name);
        std::filesystem::create_directories(std::filesystem::path(p).parent_path());
        std::ofstream out(p, std::ios::binary);
        out << expand(text);
        if (!out) throw std::runtime_error("cannot write " + p);
        return p;
    }
    const std::string& path() const { return path_; }

    static std::string expand(std::string text) {
        const std::string data = FLOWSIEVE_TEST_DATA;
        for (std::size_t at = text.find("@DATA@"); at != std::string::npos; at = text.find("@DATA@", at + data.size()))
            text.replace(at, 6, data);
        return text;
    }

private:
    std::string path_;
};

// 1-based line of the first occurrence of `marker` in `text` (0 when absent: the test then fails
// on the message, which names a real line).
inline std::size_t line_of(const std::string& text, const std::string& marker) {
    const std::size_t at = text.find(marker);
    if (at == std::string::npos) return 0;
    return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

// The error of a Result that must have failed (an empty string, and a test failure, if it did not).
template <class T>
std::string error_of(const Result<T>& r) {
    EXPECT_FALSE(r.ok()) << "expected an error";
    return r.ok() ? std::string{} : r.error().message;
}

}  // namespace flowsieve::testing
