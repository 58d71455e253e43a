// record_id.hpp: how long an id that reaches the records may be (config ids and indicator ids alike).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace flowsieve {

// Rule, authorisation and indicator ids are written into the comment of every record that names
// them, and pcapng limits a comment to 65535 bytes: a 70,000-byte id once made every such record a
// write error. The other config ids (operators, sets, keys) are held to the same bound, so that one
// rule covers every id; 256 bytes is far above any real one.
inline constexpr std::size_t max_id_bytes = 256;

// Empty when `id` fits, else what the loaders say of it: "longer than 256 bytes (N)".
inline std::string id_too_long(std::string_view id) {
    if (id.size() <= max_id_bytes) return {};
    return "longer than " + std::to_string(max_id_bytes) + " bytes (" + std::to_string(id.size()) + ")";
}

}  // namespace flowsieve
