// time_text.hpp: RFC 3339 / ISO 8601 UTC times <-> nanoseconds since the epoch, and the time now.
// Control plane, except now_unix_ns, which workers read too (once a second: WallClock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowsieve {

// Accepts "2026-01-01T00:00:00Z", "2026-01-01T09:00:00+09:00", fractional seconds, and a bare
// date "2026-01-01" (midnight UTC). Returns ns since 1970-01-01T00:00:00Z; times before 1677-09-21
// or after 2262-04-11 (beyond 64-bit nanoseconds) saturate to the lowest / highest value.
std::optional<std::int64_t> parse_time(std::string_view text);
// "2026-01-01T00:00:00.123456789Z" (fraction omitted when zero).
std::string format_time(std::int64_t ns);
// The system clock (CLOCK_REALTIME) now, in ns since the epoch. No system call on Linux (vDSO).
std::int64_t now_unix_ns() noexcept;

}  // namespace flowsieve
