// fuzz_range_csv.cpp: libFuzzer harness for the ip-location-db range CSV loader (in-memory entry
// point) and the country table built from whatever it accepts. Errors are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "tables/country_loaders.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // The file name hints the family of integer (-num) addresses: try each hint.
    for (const char* path : {"fuzz.csv", "fuzz-ipv4-num.csv", "fuzz-ipv6-num.csv"}) {
        CountryTableInfo info;
        auto ranges = detail::parse_range_csv(path, text, &info);
        if (!ranges) {
            // Refusals name the file and line (invariant 7).
            FUZZ_CHECK(ranges.error().message.rfind(std::string(path) + ":", 0) == 0);
            continue;
        }
        FUZZ_CHECK(info.ranges_v4 + info.ranges_v6 == ranges->size());
        for (const CountryRange& r : *ranges) {
            FUZZ_CHECK(r.first.family == r.last.family && r.first.family != Family::none);
            FUZZ_CHECK(!(r.last < r.first));
            (void)detail::cover_prefix_count(r);
        }
        const CountryTable table = CountryTable::build(*ranges);
        // The last range in file order wins where ranges overlap, so its first address maps to it.
        if (!ranges->empty()) FUZZ_CHECK(table.lookup(ranges->back().first) == ranges->back().cc);
    }
    return 0;
}
