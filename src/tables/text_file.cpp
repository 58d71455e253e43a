// text_file.cpp: field parsers and line splitting for the table loaders (control plane).
#include "tables/text_file.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace flowsieve::detail {

std::vector<std::string_view> split_at_lines(std::string_view text, std::size_t target) {
    std::vector<std::string_view> pieces;
    target = std::max<std::size_t>(target, 1);
    while (!text.empty()) {
        std::size_t end = text.size();
        if (text.size() > target) {
            const std::size_t nl = text.find('\n', target - 1);
            if (nl != std::string_view::npos) end = nl + 1;
        }
        pieces.push_back(text.substr(0, end));
        text.remove_prefix(end);
    }
    return pieces;
}

std::size_t count_lines(std::string_view piece) {
    if (piece.empty()) return 0;
    std::size_t n = 0;
    const char* p = piece.data();
    const char* const end = p + piece.size();
    while (const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
        ++n;
        p = static_cast<const char*>(nl) + 1;
    }
    return n + (p != end ? 1 : 0);  // a last line without its newline
}

bool is_blank_or_comment(std::string_view line) {
    const std::string_view t = trim(line);
    return t.empty() || t.front() == '#';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<std::uint32_t> parse_ipv4_text(std::string_view s) {
    // Loaders call this for every line of million-line files: one pass, no copies.
    const char* p = s.data();
    const char* const end = p + s.size();
    std::uint32_t out = 0;
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
        if (p == end) return std::nullopt;
        unsigned v = static_cast<unsigned char>(*p) - '0';
        if (v > 9) return std::nullopt;
        ++p;
        if (p != end && static_cast<unsigned>(static_cast<unsigned char>(*p) - '0') <= 9) {
            if (v == 0) return std::nullopt;  // a leading zero
            v = v * 10 + (static_cast<unsigned char>(*p++) - '0');
            if (p != end && static_cast<unsigned>(static_cast<unsigned char>(*p) - '0') <= 9) {
                v = v * 10 + (static_cast<unsigned char>(*p++) - '0');
                if (v > 255) return std::nullopt;
            }
        }
        out = (out << 8) | v;
    }
    if (p != end) return std::nullopt;
    return out;
}

namespace {

// Hex digit values; 16 for every other byte.
constexpr auto hex_digit = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = 16;
    for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<std::uint8_t>(c);
    for (int c = 0; c < 6; ++c) t['a' + c] = t['A' + c] = static_cast<std::uint8_t>(10 + c);
    return t;
}();

// The common shapes by hand: hex groups of 1..4 digits, single colons, at most one "::". Anything
// else (an embedded IPv4 tail, odd shapes, errors): nullopt, and inet_pton decides. What this
// accepts, inet_pton accepts with the same value.
std::optional<u128> parse_ipv6_groups(std::string_view s) {
    std::uint64_t g[8];
    int n = 0, gap = -1;
    const char* p = s.data();
    const char* const end = p + s.size();
    if (s.size() >= 2 && p[0] == ':' && p[1] == ':') {
        gap = 0;
        p += 2;
    }
    while (p != end) {
        if (n == 8) return std::nullopt;
        unsigned v = 0, digits = 0;
        for (unsigned h; p != end && (h = hex_digit[static_cast<unsigned char>(*p)]) < 16; ++p, ++digits) v = (v << 4) | h;
        if (digits - 1 > 3) return std::nullopt;  // none, or more than four
        g[n++] = v;
        if (p == end) break;
        if (*p++ != ':') return std::nullopt;  // '.', junk
        if (p != end && *p == ':') {
            if (gap >= 0) return std::nullopt;
            gap = n;
            ++p;
        } else if (p == end) {
            return std::nullopt;  // a trailing single colon
        }
    }
    if (gap < 0 ? n != 8 : n > 7) return std::nullopt;
    if (gap >= 0) {  // move the groups after "::" to the end, zeros in between
        const int tail = n - gap;
        for (int k = 1; k <= tail; ++k) g[8 - k] = g[n - k];
        for (int k = gap; k < 8 - tail; ++k) g[k] = 0;
    }
    const std::uint64_t hi = g[0] << 48 | g[1] << 32 | g[2] << 16 | g[3];
    const std::uint64_t lo = g[4] << 48 | g[5] << 32 | g[6] << 16 | g[7];
    return static_cast<u128>(hi) << 64 | lo;
}

}  // namespace

std::optional<u128> parse_ipv6_text(std::string_view s) {
    if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    if (auto v = parse_ipv6_groups(s)) return v;
    char buf[INET6_ADDRSTRLEN];
    s.copy(buf, s.size());
    buf[s.size()] = '\0';
    unsigned char b[16];
    if (inet_pton(AF_INET6, buf, b) != 1) return std::nullopt;
    u128 v = 0;
    for (unsigned char c : b) v = (v << 8) | c;
    return v;
}

std::optional<u128> parse_decimal_u128(std::string_view s) {
    if (s.empty() || s.size() > 39) return std::nullopt;
    u128 v = 0;
    constexpr u128 max = all_ones<u128>;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<unsigned>(c - '0');
        if (v > (max - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

std::optional<std::uint64_t> parse_decimal_u64(std::string_view s) {
    std::uint64_t v = 0;
    const char* end = s.data() + s.size();
    if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
    const auto [p, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc{} || p != end) return std::nullopt;
    return v;
}

std::string decimal_text(u128 v) {
    if (v == 0) return "0";
    char buf[40];
    int i = 40;
    while (v != 0) {
        buf[--i] = static_cast<char>('0' + static_cast<int>(v % 10));
        v /= 10;
    }
    return std::string(buf + i, buf + 40);
}

}  // namespace flowsieve::detail
