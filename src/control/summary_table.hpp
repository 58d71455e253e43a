// summary_table.hpp: human-readable tables of the counters (exit summary, periodic log line).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/counters.hpp"

namespace flowsieve {

struct SummaryInput {
    std::vector<CounterTotals> workers;  // one per worker
    std::uint64_t exporter_written = 0;
    std::uint64_t exporter_errors = 0;
    std::uint64_t port_missed = 0;       // lost before any worker saw them (imissed + rx_nombuf + ierrors)
};

// Per-category and per-drop-reason table with a column per worker and a total; reasons with zero
// in every worker are listed too when `all_reasons` (the demo shows every reason).
std::string format_summary(const SummaryInput& in, bool all_reasons);

// One line: "rx=... emitted=... (transit=... operator=... threat-linked=...) dropped=... written=...",
// " write_errors=N" once the output has refused a record, and, once the workers' caches have been
// asked, " flow_cache=<hit %> endpoint_cache=<hit %>".
std::string format_stats_line(const CounterTotals& t, std::uint64_t written, std::uint64_t write_errors = 0);

}  // namespace flowsieve
