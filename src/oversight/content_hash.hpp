// content_hash.hpp: BLAKE2b-256 (libsodium crypto_generichash) of bytes and of files, as lower-case
// hex: the audit log's chain hashes and the content hashes of config and table files (control plane).
#pragma once

#include <sodium.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace flowsieve {

inline constexpr std::size_t content_hash_hex_size = 64;

std::string content_hash_hex(std::string_view bytes);

// The same digest fed piecewise: files streamed, an output hashed as it is written.
class ContentHasher {
public:
    ContentHasher() { reset(); }
    void reset();
    void update(const void* p, std::size_t n);
    std::string hex();  // of everything since reset()

private:
    crypto_generichash_state st_;
};

// Streams the file (tables can be tens of MB); `path: cannot read ...` when it cannot, and an error,
// without waiting, for anything but a regular file (a named pipe would block or read as empty).
Result<std::string> file_content_hash_hex(const std::string& path);

struct FileHashOptions {
    // False: a symbolic link is an error, not followed (the retention sweep checked the path it
    // hashes with lstat; a link swapped in since must not make it hash another file).
    bool follow_links = true;
    // When set, the hash gives up between reads (nullopt): a filter asked to stop does not first
    // hash a large file.
    const std::atomic<bool>* cancel = nullptr;
};
Result<std::optional<std::string>> file_content_hash_hex(const std::string& path, const FileHashOptions& o);

}  // namespace flowsieve
