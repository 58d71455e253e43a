// content_hash.hpp: BLAKE2b-256 (libsodium crypto_generichash) of bytes and of files, as lower-case
// hex: the audit log's chain hashes and the content hashes of config and table files (control plane).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace flowsieve {

inline constexpr std::size_t content_hash_hex_size = 64;

std::string content_hash_hex(std::string_view bytes);
// Streams the file (tables can be tens of MB); `path: cannot read` when it cannot.
Result<std::string> file_content_hash_hex(const std::string& path);

}  // namespace flowsieve
