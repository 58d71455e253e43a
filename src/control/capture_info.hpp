// capture_info.hpp: what an input capture holds, checked before the data path starts (control plane).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace flowsieve {

struct CaptureInfo {
    int linktype = -1;
    std::uint64_t packets = 0;  // readable ones: up to cut_short, if it is set
    std::string cut_short;      // empty, or why the file cannot be read past `packets` (libpcap's words)
};

// Counts the packets of a pcap/pcapng file and refuses a link type the replay cannot put into
// Ethernet frames (parse/link_header.hpp): a DPDK port delivers Ethernet frames, and other link
// types must never be parsed as if they were. A file that
// cannot be read to its end (a last record cut by a capture that was killed, a broken record
// header) is not refused: its packets before that point are readable and the replay stops there
// too; `cut_short` says why.
Result<CaptureInfo> inspect_capture(const std::string& path);

}  // namespace flowsieve
