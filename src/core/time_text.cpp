// time_text.cpp: strict RFC 3339 parsing by hand (no locale, no timezone database).
#include "core/time_text.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>

namespace flowsieve {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

unsigned days_in_month(unsigned y, unsigned m) {
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

}  // namespace

std::optional<std::int64_t> parse_time(std::string_view s) {
    unsigned y, mo, d, h = 0, mi = 0, se = 0;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
    std::int64_t frac_ns = 0, offset_s = 0;
    if (s.size() > 10) {
        if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s.size() < 19 ||
            s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
            return std::nullopt;
        if (h > 23 || mi > 59 || se > 60) return std::nullopt;
        std::size_t p = 19;
        if (p < s.size() && s[p] == '.') {
            std::int64_t scale = 100'000'000;
            ++p;
            std::size_t start = p;
            while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
                if (scale > 0) frac_ns += (s[p] - '0') * scale;
                scale /= 10;
                ++p;
            }
            if (p == start) return std::nullopt;
        }
        if (p == s.size()) return std::nullopt;  // a time needs an explicit zone: no local-time guessing
        if (s[p] == 'Z' || s[p] == 'z') {
            if (p + 1 != s.size()) return std::nullopt;
        } else if (s[p] == '+' || s[p] == '-') {
            unsigned oh, om;
            if (p + 6 != s.size() || !digits(s, p + 1, 2, oh) || s[p + 3] != ':' || !digits(s, p + 4, 2, om) ||
                oh > 23 || om > 59)
                return std::nullopt;
            offset_s = (s[p] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
        } else {
            return std::nullopt;
        }
    }
    const std::int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset_s;
    // Nanoseconds in 64 bits reach from 1677-09-21 to 2262-04-11; times beyond saturate (a feed's
    // "valid_until": "9999-12-31T23:59:59Z" means for ever), never wrap round to the other end.
    std::int64_t ns;
    if (__builtin_mul_overflow(secs, std::int64_t{1'000'000'000}, &ns) || __builtin_add_overflow(ns, frac_ns, &ns))
        return secs < 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    return ns;
}

std::string format_time(std::int64_t ns) {
    std::int64_t secs = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
    std::int64_t frac = ns - secs * 1'000'000'000;
    std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    std::int64_t rem = secs - days * 86400;
    // civil_from_days (Howard Hinnant)
    std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y), m, d,
                          static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                          static_cast<long long>(rem % 60));
    std::string out(buf, static_cast<std::size_t>(n));
    if (frac) {
        std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
        out += buf;
    }
    return out + "Z";
}

std::int64_t now_unix_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace flowsieve
