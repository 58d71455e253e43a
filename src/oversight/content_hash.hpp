// content_hash.hpp: BLAKE2b-256 (libsodium crypto_generichash) of bytes and of files, as lower-case
// hex: the audit log's chain hashes and the content hashes of config and table files (control plane).
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
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

}  // namespace flowsieve
