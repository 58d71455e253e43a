// fuzz_indicator_list.cpp: libFuzzer harness for the plain indicator-list loader (one IP/CIDR per
// line) and the IndicatorTable built from what it accepts. Errors are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "fuzz_indicator_set.hpp"
#include "fuzz_support.hpp"
#include "tables/indicator_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    static fuzz::ScratchFile file(".txt");
    auto set = load_indicator_list("fuzz", file.write(data, size));
    if (!set) return 0;
    FUZZ_CHECK(set->indicators.size() + set->unrecognised <= set->lines);
    fuzz::check_indicator_set(std::move(set.value()), false);
    return 0;
}
