// capture_info.hpp: what an input capture holds, checked before the data path starts (control plane).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// A file or interface that a net_pcap vdev in the EAL arguments reads: `--vdev=net_pcap0,rx_pcap=F`
// or `--vdev net_pcap0,...` (eth_pcap is the same driver), key rx_pcap, rx_iface, rx_iface_in or iface.
struct PcapVdevSource {
    std::string vdev;   // its name, e.g. net_pcap0
    std::string key;
    std::string value;  // the file or interface
};
std::vector<PcapVdevSource> pcap_vdev_sources(const std::vector<std::string>& eal_args);

// Refuses a net_pcap source whose link type is not Ethernet: that driver hands on each frame as it
// is, so a Linux cooked or raw IP one would be parsed as if it were Ethernet (captures given as
// input.pcap are converted instead, parse/link_header.hpp). A capture file must be readable; an
// interface that cannot be opened here (no permission, no such device) is left to the driver.
Status check_pcap_vdev_link_types(const std::vector<std::string>& eal_args);

}  // namespace flowsieve
