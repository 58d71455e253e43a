// output_label.hpp: the retention label an output file carries about itself (when it was written and
// when it expires), as the one-line text that goes into a pcapng section comment and the manifest.
// Control plane (the engine builds it before the exporter opens the file; the sweep reads it back).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowsieve {

inline constexpr std::string_view output_label_tag = "flowsieve-output-1";
inline constexpr std::int64_t ns_per_day = 86'400'000'000'000;

struct OutputLabel {
    std::int64_t written_ns = 0;  // when the file was opened: its records can be no older than this run
    std::int64_t expires_ns = 0;  // from then on `flowsieve retention sweep` deletes it
};

// written + retention_days; retention_days is validated by the config (1..36500), so no overflow.
OutputLabel make_output_label(std::int64_t written_ns, std::uint32_t retention_days);

// "flowsieve-output-1 written=2026-01-01T00:00:00Z expires=2028-01-01T00:00:00Z"
std::string format_output_label(const OutputLabel& l);
// The label in `text` (exactly the format above); nullopt when it is not one.
std::optional<OutputLabel> parse_output_label(std::string_view text);

}  // namespace flowsieve
