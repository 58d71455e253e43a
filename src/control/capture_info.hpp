// capture_info.hpp: what an input capture holds, checked before the data path starts (control plane).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace flowsieve {

struct CaptureInfo {
    int linktype = -1;
    std::uint64_t packets = 0;
};

// Counts the packets of a pcap/pcapng file and refuses any link type but Ethernet: a DPDK port
// delivers Ethernet frames, and other link types must never be parsed as if they were.
Result<CaptureInfo> inspect_capture(const std::string& path);

}  // namespace flowsieve
