// output_inspect.hpp: reads back what an output file says about itself: its capture format (by its
// magic number) and, for pcapng, the retention label in its section header's comment. Used by
// `flowsieve retention sweep` to check that a file is the capture its manifest describes. Control plane.
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"
#include "export/output_label.hpp"

namespace flowsieve {

struct OutputFileFacts {
    std::string format;                // "pcapng" or "pcap"
    std::optional<OutputLabel> label;  // pcapng: the section comment's label, when there is one
};

// Refuses (with `path: why`) a file that is neither pcapng nor pcap, or whose section header is cut
// or malformed. Reads only the file's first block.
Result<OutputFileFacts> inspect_output_file(const std::string& path);

}  // namespace flowsieve
