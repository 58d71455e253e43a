// record_id.hpp: how long an id that reaches the records may be (config ids and indicator ids alike).
#pragma once

#include <cstddef>
#include <cstdint>
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

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
inline bool is_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t n = b < 0x80 ? 1 : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        std::uint32_t cp = n == 1 ? b : b & (0x7Fu >> n);
        for (std::size_t k = 1; k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = cp << 6 | (c & 0x3Fu);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += n;
    }
    return true;
}

// Empty when a config or authorisation id may be used, else why not. Such ids go into the audit log's
// JSON, `report`'s tables and the records' comments: text (UTF-8) without control characters, which
// would break a line or reach a terminal as an escape sequence.
inline std::string id_problem(std::string_view id) {
    if (std::string why = id_too_long(id); !why.empty()) return why;
    if (!is_utf8(id)) return "not UTF-8 text";
    for (std::size_t i = 0; i < id.size(); ++i) {
        const auto c = static_cast<unsigned char>(id[i]);
        // C0 controls and DEL; C1 controls (U+0080 to U+009F, UTF-8 C2 80 to C2 9F: U+009B is a CSI).
        const bool c1 = c == 0xC2 && i + 1 < id.size() && static_cast<unsigned char>(id[i + 1]) < 0xA0;
        if (c < 0x20 || c == 0x7f || c1) return "holds a control character (a line break, a tab, an escape...)";
    }
    return {};
}

}  // namespace flowsieve
