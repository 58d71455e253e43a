// text_file.cpp: whole-file reading and field parsers for the table loaders (control plane).
#include "tables/text_file.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace flowsieve::detail {

Result<TextFile> TextFile::open(const std::string& path) {
    const auto fail = [&path] { return error_at(path, 0, std::string("cannot read: ") + std::strerror(errno)); };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail();
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail();
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return fail();
    }
    TextFile f;
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p != MAP_FAILED) {
            f.map_ = p;
            f.size_ = static_cast<std::size_t>(st.st_size);
            return f;
        }
    }
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail();
        }
        if (n == 0) break;
        f.read_.append(buf, static_cast<std::size_t>(n));
    }
    return f;
}

TextFile::TextFile(TextFile&& o) noexcept : map_(o.map_), size_(o.size_), read_(std::move(o.read_)) {
    o.map_ = nullptr;
    o.size_ = 0;
}

TextFile& TextFile::operator=(TextFile&& o) noexcept {
    if (this != &o) {
        if (map_) ::munmap(map_, size_);
        map_ = o.map_;
        size_ = o.size_;
        read_ = std::move(o.read_);
        o.map_ = nullptr;
        o.size_ = 0;
    }
    return *this;
}

TextFile::~TextFile() {
    if (map_) ::munmap(map_, size_);
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
    std::uint32_t out = 0;
    const char* p = s.data();
    const char* const end = p + s.size();
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
        const char* const start = p;
        std::uint32_t v = 0;
        while (p != end && *p >= '0' && *p <= '9' && p - start < 3) v = v * 10 + static_cast<std::uint32_t>(*p++ - '0');
        const auto digits = p - start;
        if (digits == 0 || v > 255 || (digits > 1 && *start == '0')) return std::nullopt;
        out = (out << 8) | v;
    }
    if (p != end) return std::nullopt;
    return out;
}

std::optional<u128> parse_ipv6_text(std::string_view s) {
    if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
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
