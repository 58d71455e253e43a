// byte_reader.hpp: bounds-checked big-endian loads over a byte span, the full parser's only way to
// read (the common-shape shortcut, fast_path.hpp, checks its bounds once per layer instead).
// Runs on worker lcores: no allocation, no exceptions. A load outside the span yields 0 instead of
// reading memory it does not own; callers check has() first so that 0 never stands in for data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace flowsieve {

class ByteReader {
public:
    constexpr explicit ByteReader(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}

    constexpr std::size_t size() const noexcept { return bytes_.size(); }

    // True when [off, off + n) lies inside the span (written so that it cannot overflow).
    constexpr bool has(std::size_t off, std::size_t n) const noexcept {
        return off <= bytes_.size() && n <= bytes_.size() - off;
    }

    constexpr std::uint8_t u8(std::size_t off) const noexcept { return has(off, 1) ? bytes_[off] : 0; }

    constexpr std::uint16_t be16(std::size_t off) const noexcept {
        if (!has(off, 2)) return 0;
        return static_cast<std::uint16_t>((bytes_[off] << 8) | bytes_[off + 1]);
    }

    constexpr std::uint32_t be32(std::size_t off) const noexcept {
        if (!has(off, 4)) return 0;
        return (std::uint32_t{bytes_[off]} << 24) | (std::uint32_t{bytes_[off + 1]} << 16) |
               (std::uint32_t{bytes_[off + 2]} << 8) | std::uint32_t{bytes_[off + 3]};
    }

    constexpr std::uint64_t be64(std::size_t off) const noexcept {
        if (!has(off, 8)) return 0;
        return (std::uint64_t{be32(off)} << 32) | be32(off + 4);
    }

private:
    std::span<const std::uint8_t> bytes_;
};

}  // namespace flowsieve
