// test_time_text.cpp: RFC 3339 times to nanoseconds and back, and the ends of the 64-bit range.
#include <gtest/gtest.h>

#include <limits>

#include "core/time_text.hpp"

namespace flowsieve {
namespace {

constexpr std::int64_t min_ns = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t max_ns = std::numeric_limits<std::int64_t>::max();

TEST(TimeText, ReadsZonesFractionsAndDates) {
    EXPECT_EQ(parse_time("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_time("1970-01-01"), 0);
    EXPECT_EQ(parse_time("2026-01-01T09:00:00+09:00"), parse_time("2026-01-01T00:00:00Z"));
    EXPECT_EQ(parse_time("2026-01-01T00:00:00.5Z"), *parse_time("2026-01-01T00:00:00Z") + 500'000'000);
    EXPECT_EQ(parse_time("1969-12-31T23:59:59.999999999Z"), -1);
    EXPECT_EQ(format_time(*parse_time("2026-12-03T20:54:54.123Z")), "2026-12-03T20:54:54.123000000Z");
    for (const char* bad : {"2026-02-30", "2026-01-01T00:00:00", "2026-1-01", "soon", "2026-01-01T24:00:00Z"})
        EXPECT_FALSE(parse_time(bad).has_value()) << bad;
}

TEST(TimeText, TimesBeyondSixtyFourBitNanosecondsSaturateInsteadOfWrapping) {
    // The last representable instant, and the first past it.
    EXPECT_EQ(parse_time("2262-04-11T23:47:16.854775807Z"), max_ns);
    EXPECT_EQ(parse_time("2262-04-11T23:47:16.854775808Z"), max_ns);
    EXPECT_EQ(parse_time("9999-12-31T23:59:59Z"), max_ns);  // "for ever" in feeds
    EXPECT_EQ(parse_time("2500-01-01"), max_ns);
    EXPECT_EQ(parse_time("1677-09-21T00:12:43.145224192Z"), min_ns);
    EXPECT_EQ(parse_time("1000-01-01T00:00:00Z"), min_ns);
    EXPECT_EQ(parse_time("0000-01-01"), min_ns);
    EXPECT_EQ(format_time(max_ns), "2262-04-11T23:47:16.854775807Z");
}

}  // namespace
}  // namespace flowsieve
