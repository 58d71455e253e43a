// text_file.hpp: hand-rolled line/field scanning for the table loaders
// (control plane). Loaders parse lines in place: no iostreams, no per-line allocation. The file
// itself is a core InputFile, and lines come from its LineCursor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/input_file.hpp"
#include "core/result.hpp"
#include "tables/uint128.hpp"

namespace flowsieve::detail {

// The text cut into consecutive pieces of about `target` bytes, each ending just after a '\n'
// (the last one: where the text ends), so that no line straddles two pieces and pieces can be
// parsed in parallel. Empty text: no pieces.
std::vector<std::string_view> split_at_lines(std::string_view text, std::size_t target);
// Lines in `piece` as LineCursor counts them (a last line without its '\n' counts).
std::size_t count_lines(std::string_view piece);

using flowsieve::without_bom;  // core/input_file.hpp (the serial state file reads it too)

// Skippable: empty, only blanks, or a '#' comment line.
bool is_blank_or_comment(std::string_view line);
std::string_view trim(std::string_view s);

// Strict dotted quad: four decimal octets 0..255, no leading zeros, nothing else.
std::optional<std::uint32_t> parse_ipv4_text(std::string_view s);
// IPv6 text (inet_pton rules, including embedded IPv4 tails).
std::optional<u128> parse_ipv6_text(std::string_view s);
// Unsigned decimal, digits only, no sign, must fit in 128 bits.
std::optional<u128> parse_decimal_u128(std::string_view s);
// Unsigned decimal that fits in 64 bits.
std::optional<std::uint64_t> parse_decimal_u64(std::string_view s);

std::string decimal_text(u128 v);

}  // namespace flowsieve::detail
