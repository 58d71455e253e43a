// fuzz_country_ranges.hpp: the check the country-loader harnesses share (fuzzer thread only):
// the info counts the ranges, every range is one family and in order, and the table built from
// them maps the last range's first address to its country (the last range wins overlaps).
#pragma once

#include <vector>

#include "fuzz_support.hpp"
#include "tables/country_loaders.hpp"

namespace flowsieve::fuzz {

inline CountryTable check_country_ranges(const std::vector<CountryRange>& ranges, const CountryTableInfo& info) {
    FUZZ_CHECK(info.ranges_v4 + info.ranges_v6 == ranges.size());
    for (const CountryRange& r : ranges) {
        FUZZ_CHECK(r.first.family == r.last.family && r.first.family != Family::none);
        FUZZ_CHECK(!(r.last < r.first));
        (void)detail::cover_prefix_count(r);
    }
    CountryTable table = CountryTable::build(ranges);
    if (!ranges.empty()) FUZZ_CHECK(table.lookup(ranges.back().first) == ranges.back().cc);
    return table;
}

}  // namespace flowsieve::fuzz
