// fuzz_indicator_list.cpp: libFuzzer harness for the plain indicator-list loader (one IP/CIDR per
// line) and the IndicatorTable built from what it accepts. Errors are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_support.hpp"
#include "tables/indicator_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    static fuzz::ScratchFile file(".txt");
    auto set = load_indicator_list("fuzz", file.write(data, size));
    if (!set) return 0;
    FUZZ_CHECK(set->indicators.size() + set->unrecognised <= set->lines);
    FUZZ_CHECK(set->normalised <= set->indicators.size());
    // Every loaded indicator must match its own network address once the table is built.
    std::vector<Prefix> prefixes;
    for (const Indicator& i : set->indicators) prefixes.push_back(i.prefix);
    auto table = IndicatorTable::build({std::move(set.value())});
    FUZZ_CHECK(static_cast<bool>(table));
    for (const Prefix& p : prefixes) {
        IndicatorMatch m;
        FUZZ_CHECK(table->lookup(p.addr, m) && m.set_mask == 1u && m.indicator < table->indicator_count());
    }
    return 0;
}
