// fuzz_mmdb.cpp: libFuzzer harness for the MaxMind DB country loader (the input written to a scratch
// file: libmaxminddb opens by path), then the country table built from whatever it accepts. The
// walk must end on any tree (loops, converging records) and never read past the file.
#include <cstddef>
#include <cstdint>

#include "fuzz_country_ranges.hpp"
#include "fuzz_support.hpp"
#include "tables/country_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    static fuzz::ScratchFile file(".mmdb");
    const std::string& path = file.write(data, size);
    CountryTableInfo info;
    auto ranges = load_mmdb(path, &info);
    if (!ranges) {
        FUZZ_CHECK(ranges.error().message.rfind(path + ": ", 0) == 0);  // refusals name the file
        return 0;
    }
    FUZZ_CHECK(!ranges->empty());
    const CountryTable table = fuzz::check_country_ranges(*ranges, info);
    // Address order within each family (the walk's) and disjoint, each with a country.
    const CountryRange* prev[2] = {nullptr, nullptr};
    for (const CountryRange& r : *ranges) {
        FUZZ_CHECK(r.cc != no_country);
        const CountryRange*& p = prev[r.first.is_v6()];
        if (p) FUZZ_CHECK(p->last < r.first);
        p = &r;
    }
    for (const CountryRange& r : *ranges) {
        FUZZ_CHECK(table.lookup(r.first) == r.cc);
        FUZZ_CHECK(table.lookup(r.last) == r.cc);
    }
    return 0;
}
