// exporter_run.hpp: the exporter's capacity. The real Exporter thread with the filter's default
// output (pcapng, a comment per record, hashed for the output's provenance) writing a temporary
// file, fed from one ring as fast as it drains: the records one exporter writes per second, which
// bounds the selected records any number of workers can hand over.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "export/header_record.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve::bench {

struct ExporterRate {
    std::uint64_t records = 0;  // written
    double seconds = 0;         // from the first record enqueued to the last written (the close not counted)
    double per_s() const { return seconds > 0 ? static_cast<double>(records) / seconds : 0.0; }
};

// Writes `count` records, cycling through `records` (made by the worker from the mix, so the
// comments, names and flows are the real ones), through an Exporter over `snap`.
Result<ExporterRate> measure_exporter(const std::vector<HeaderRecord>& records, const Snapshot& snap, std::uint64_t count);

}  // namespace flowsieve::bench
