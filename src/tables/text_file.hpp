// text_file.hpp: whole-file reading and hand-rolled line/field scanning for the table loaders
// (control plane). Loaders parse lines in place: no iostreams, no per-line allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tables/uint128.hpp"

namespace flowsieve::detail {

// A whole file's text: mapped read-only (MAP_POPULATE: one fault-in instead of one per page) when
// it is a regular file, read into memory otherwise (pipes, /proc). Move-only.
class TextFile {
public:
    // Errors are `path: cannot read: <strerror>`; `open_failed` replaces "cannot read" when the
    // file cannot be opened at all (callers with their own established wording).
    // A file that is not a regular one (a pipe, a device) is read into memory, up to this.
    static constexpr std::size_t max_unmapped_bytes = std::size_t{1} << 30;
    static Result<TextFile> open(const std::string& path, std::string_view open_failed = "cannot read");
    TextFile() = default;
    TextFile(TextFile&& o) noexcept;
    TextFile& operator=(TextFile&& o) noexcept;
    TextFile(const TextFile&) = delete;
    TextFile& operator=(const TextFile&) = delete;
    ~TextFile();
    std::string_view text() const { return map_ ? std::string_view(static_cast<const char*>(map_), size_) : read_; }

private:
    void* map_ = nullptr;
    std::size_t size_ = 0;
    std::string read_;
};

// Iterates the lines of a text, 1-based numbering, without the '\n' and without a trailing '\r'.
// The last line may lack its newline.
class LineCursor {
public:
    explicit LineCursor(std::string_view text, std::size_t first_line = 1) : rest_(text), next_no_(first_line) {}
    bool next(std::string_view& line, std::size_t& line_no) {
        if (rest_.empty()) return false;
        const std::size_t nl = rest_.find('\n');
        line = rest_.substr(0, nl);
        rest_ = nl == std::string_view::npos ? std::string_view{} : rest_.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line_no = next_no_++;
        return true;
    }

private:
    std::string_view rest_;
    std::size_t next_no_;
};

// The text cut into consecutive pieces of about `target` bytes, each ending just after a '\n'
// (the last one: where the text ends), so that no line straddles two pieces and pieces can be
// parsed in parallel. Empty text: no pieces.
std::vector<std::string_view> split_at_lines(std::string_view text, std::size_t target);
// Lines in `piece` as LineCursor counts them (a last line without its '\n' counts).
std::size_t count_lines(std::string_view piece);

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
