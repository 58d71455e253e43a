// country_code.hpp: ISO 3166 alpha-2 codes packed in 16 bits ('J' << 8 | 'P'); 0 = unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowsieve {

using CountryCode = std::uint16_t;
inline constexpr CountryCode no_country = 0;

constexpr bool is_cc_letter(char c) { return c >= 'A' && c <= 'Z'; }

// Accepts two ASCII letters in either case ("jp", "JP"). Registry placeholders such as "ZZ"
// are valid codes here; the loaders decide what they mean.
inline std::optional<CountryCode> parse_country_code(std::string_view s) {
    if (s.size() != 2) return std::nullopt;
    char a = static_cast<char>(s[0] & ~0x20), b = static_cast<char>(s[1] & ~0x20);
    if (!is_cc_letter(a) || !is_cc_letter(b)) return std::nullopt;
    return static_cast<CountryCode>((a << 8) | b);
}

// One of the officially assigned ISO 3166-1 alpha-2 codes (JP, DE...), not a registry placeholder
// (ZZ, EU, AP) nor a typo (JA): what `domestic` must name.
bool is_assigned_country(CountryCode cc);

inline std::string country_code_text(CountryCode cc) {
    if (cc == no_country) return "--";
    return std::string{static_cast<char>(cc >> 8), static_cast<char>(cc & 0xff)};
}

}  // namespace flowsieve
