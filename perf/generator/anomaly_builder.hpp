// anomaly_builder.hpp: turns a well-formed packet into one that trips exactly one parser anomaly.
// Each anomaly is a valid frame with the one field (or the capture length) the anomaly names
// changed, so the parser must report that anomaly and no earlier one.
#pragma once

#include <cstdint>
#include <vector>

#include "core/drop_reason.hpp"
#include "core/ip_address.hpp"
#include "packet_builder.hpp"
#include "rng.hpp"

namespace flowsieve::gen {

// The IP family an anomaly needs; Family::none when either will do.
Family anomaly_family(Anomaly a);

// Sets what the anomaly needs in `spec` (protocol, tags, options, extension chain, fragment); the
// caller has set the endpoints (of anomaly_family) and the rest.
void prepare_anomaly(Anomaly a, IpPacketSpec& spec, Rng& rng);

// Changes the frame built from the prepared spec. Returns true when the capture itself was cut
// short (the wire length stays that of the whole frame; no padding may follow).
bool apply_anomaly(Anomaly a, std::vector<std::uint8_t>& frame, FrameLayout& layout, Rng& rng);

}  // namespace flowsieve::gen
