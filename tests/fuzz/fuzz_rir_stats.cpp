// fuzz_rir_stats.cpp: libFuzzer harness for the RIR delegated statistics loader (in-memory entry
// point) and the country table built from whatever it accepts. Errors are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_country_ranges.hpp"
#include "fuzz_support.hpp"
#include "tables/country_loaders.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    CountryTableInfo info;
    auto ranges = detail::parse_rir_stats("fuzz.txt", text, &info);
    if (!ranges) {
        // Refusals name the file and line (invariant 7).
        FUZZ_CHECK(ranges.error().message.rfind("fuzz.txt:", 0) == 0);
        return 0;
    }
    fuzz::check_country_ranges(*ranges, info);
    return 0;
}
