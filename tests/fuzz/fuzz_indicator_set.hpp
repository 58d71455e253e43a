// fuzz_indicator_set.hpp: the check the indicator-loader harnesses share (fuzzer thread only):
// a loaded set builds into an IndicatorTable in which every indicator matches its own network
// address, and (where ids are required) every indicator has an id.
#pragma once

#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "tables/indicator_table.hpp"

namespace flowsieve::fuzz {

inline void check_indicator_set(IndicatorSetSource set, bool ids_required) {
    FUZZ_CHECK(set.normalised <= set.indicators.size());
    std::vector<Prefix> prefixes;
    for (const Indicator& i : set.indicators) {
        FUZZ_CHECK(!ids_required || !i.id.empty());
        prefixes.push_back(i.prefix);
    }
    std::vector<IndicatorSetSource> sets;
    sets.push_back(std::move(set));
    auto table = IndicatorTable::build(std::move(sets));
    FUZZ_CHECK(static_cast<bool>(table));
    for (const Prefix& p : prefixes) {
        IndicatorMatch m;
        FUZZ_CHECK(table->lookup(p.addr, m) && m.set_mask == 1u && m.indicator < table->indicator_count());
    }
}

}  // namespace flowsieve::fuzz
