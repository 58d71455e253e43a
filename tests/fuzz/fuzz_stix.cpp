// fuzz_stix.cpp: libFuzzer harness for the STIX indicator loader and its pattern reader. An input
// that starts with '{' is a bundle (written to a scratch file, loaded, then built into an
// IndicatorTable); any other input is one pattern. Errors are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz_indicator_set.hpp"
#include "fuzz_support.hpp"
#include "tables/indicator_table.hpp"
#include "tables/stix_pattern.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    if (size > 0 && data[0] == '{') {
        static fuzz::ScratchFile file(".json");
        const std::string& path = file.write(data, size);
        auto set = load_indicator_stix("fuzz", path, 1'700'000'000'000'000'000);
        if (!set) {
            FUZZ_CHECK(set.error().message.rfind(path, 0) == 0);  // refusals name the file
            return 0;
        }
        FUZZ_CHECK(set->unrecognised <= set->lines);
        fuzz::check_indicator_set(std::move(set.value()), true);
        return 0;
    }
    const std::string_view pattern(reinterpret_cast<const char*>(data), size);
    auto r = stix_pattern_addresses(pattern);
    if (!r) {
        FUZZ_CHECK(r.error().message.find(" at column ") != std::string::npos);
        return 0;
    }
    // An address comes from a quoted literal of the pattern: no longer than the pattern.
    for (const StixAddress& a : r->addresses) FUZZ_CHECK(a.value.size() < size);
    // Complete: every disjunct was an address comparison, and a pattern has at least one.
    FUZZ_CHECK(!r->complete || !r->addresses.empty());
    return 0;
}
