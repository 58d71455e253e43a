// capture_info.hpp: what an input capture holds, checked before the data path starts (control plane).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/config.hpp"
#include "core/result.hpp"

namespace flowsieve {

struct CaptureInfo {
    int linktype = -1;
    std::uint64_t packets = 0;  // readable ones: up to cut_short, if it is set
    std::string cut_short;      // empty, or why the file cannot be read past `packets` (libpcap's words)
    std::uint64_t untimed = 0;  // packets without a capture time (time 0: pcapng Simple Packet Blocks)
};

// The warning a capture with packets that carry no capture time gets, or "": judged at their
// capture time, they are judged at 1970-01-01, and the user should hear why nothing of them is
// emitted. None where every packet is judged at the host clock (dpdk.time_source: clock). `run` and
// `check-config` print it.
std::string untimed_warning(const std::string& path, const CaptureInfo& info, TimeSource time_source);

// Counts the packets of a pcap/pcapng file and refuses a link type the replay cannot put into
// Ethernet frames (parse/link_header.hpp): a DPDK port delivers Ethernet frames, and other link
// types must never be parsed as if they were. A file that
// cannot be read to its end (a last record cut by a capture that was killed, a broken record
// header) is not refused: its packets before that point are readable and the replay stops there
// too; `cut_short` says why.
Result<CaptureInfo> inspect_capture(const std::string& path);

// The captures to replay, each inspected as above, as `run` and `check-config` read them: one that
// cannot be read, one whose first packet cannot be read, and captures that hold no packet at all
// are refused. No paths: nothing to replay, no error.
struct InputCaptures {
    std::vector<std::pair<std::string, CaptureInfo>> files;  // path and what it holds, in order
    std::uint64_t packets = 0;                               // in all of them
};
Result<InputCaptures> inspect_inputs(const std::vector<std::string>& paths);

// "NAME (N)": a link type as the messages name it, libpcap's name and its number.
std::string link_type_text(int linktype);

// A file or interface that a net_pcap port reads, from its device arguments (`rx_pcap=F,infinite_rx=1`):
// key rx_pcap, rx_iface, rx_iface_in or iface.
struct PcapSource {
    std::string key;
    std::string value;  // the file or interface
};
std::vector<PcapSource> pcap_sources(std::string_view devargs);

// Refuses a net_pcap source whose link type is not Ethernet: that driver hands on each frame as it
// is, so a Linux cooked or raw IP one would be parsed as if it were Ethernet (captures given as
// input.pcap are converted instead, parse/link_header.hpp). A regular file is read for its link
// type; an interface is judged by its kernel type (/sys/class/net/IF/type: Ethernet and loopback
// frames are Ethernet; Linux's `any` pseudo-interface is cooked). False where the link type could not
// be told without disturbing the input: a pipe or device the driver has already opened (reading it
// here would take its packets), an interface the kernel does not list; also a file that is not
// there or an interface name with a '/', which the driver has refused before this is asked.
Result<bool> check_pcap_source_link_type(const PcapSource& source);
// Whether a regular capture file holds a record cut by its snap length (captured < original length)
// among its first `records`: net_pcap gives such a packet its captured length as its length, so
// records from it carry that as their original length (input.pcap keeps the wire length). False for
// anything else (a pipe is not read: that would take its packets).
bool pcap_file_is_snapped(const std::string& path, std::size_t records = 100000);
// Whether libpcap gives an interface of this kernel type (ARPHRD_*) Ethernet headers.
bool arphrd_gives_ethernet(int arphrd) noexcept;

}  // namespace flowsieve
