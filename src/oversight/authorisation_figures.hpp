// authorisation_figures.hpp: what was written to the output under one authorisation and category
// (packets, header bytes, packet times, flows). The exporter thread keeps them, the control thread
// copies them into the audit log's counters and stop entries, and `flowsieve report` sums them back.
#pragma once

#include <cstdint>
#include <string>

#include "core/category.hpp"

namespace flowsieve {

struct AuthorisationFigures {
    std::string authorisation;        // the authorisation id; "?" when the record's generation was unknown
    Category category = Category::transit;
    std::uint64_t packets = 0;        // records written to the output
    std::uint64_t header_bytes = 0;   // their bytes in the output (captured lengths: headers only)
    // Distinct flows whose first record under this authorisation and category was written (flow
    // definition and memory bound: exporter.hpp), and records whose flow could not be told apart.
    std::uint64_t flows = 0;
    std::uint64_t flows_untracked = 0;
    std::int64_t first_ns = 0;        // earliest / latest packet time written (valid when packets > 0)
    std::int64_t last_ns = 0;
    // Earliest / latest packet time of the records written since the previous copy the control thread
    // took (its audit interval); valid when packets grew since that copy.
    std::int64_t interval_first_ns = 0;
    std::int64_t interval_last_ns = 0;
};

}  // namespace flowsieve
