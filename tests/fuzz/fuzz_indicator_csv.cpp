// fuzz_indicator_csv.cpp: libFuzzer harness for the curated indicator CSV loader (header row,
// quoted fields; columns `ref` and `address` as in tests/data/indicators/crafted/curated.csv) and
// the IndicatorTable built from what it accepts. Errors are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "fuzz_indicator_set.hpp"
#include "fuzz_support.hpp"
#include "tables/indicator_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    static fuzz::ScratchFile file(".csv");
    const std::string& path = file.write(data, size);
    auto set = load_indicator_csv("fuzz", path, "ref", "address");
    if (!set) {
        FUZZ_CHECK(set.error().message.rfind(path, 0) == 0);  // refusals name the file
        return 0;
    }
    fuzz::check_indicator_set(std::move(set.value()), true);
    return 0;
}
