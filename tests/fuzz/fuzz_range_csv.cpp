// fuzz_range_csv.cpp: libFuzzer harness for the ip-location-db range CSV loader (in-memory entry
// point) and the country table built from whatever it accepts. Errors are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_country_ranges.hpp"
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
        fuzz::check_country_ranges(*ranges, info);
    }
    return 0;
}
