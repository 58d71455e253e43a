// capture_info.cpp: libpcap pass over an input capture (control plane, before start).
#include "control/capture_info.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "parse/link_header.hpp"

namespace flowsieve {

std::string link_type_text(int linktype) {
    const char* name = pcap_datalink_val_to_name(linktype);
    return std::string(name ? name : "without a name") + " (" + std::to_string(linktype) + ")";
}

Result<CaptureInfo> inspect_capture(const std::string& path) {
    // A capture is read twice (counted here, then replayed), and libpcap's open of a named pipe
    // waits for a writer for ever: only a file will do.
    // libpcap takes "-" for standard input, which could not be read a second time either.
    if (path == "-") return error_at(path, 0, "standard input is not a file: a capture is read twice (counted, then replayed)");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return error_at(path, 0, "not a regular file: a capture is read twice (counted, then replayed), so it must be a file");
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (!p) {
        // libpcap reads no compressed capture and calls it an unknown format; tshark reads them.
        char magic[2] = {};
        std::ifstream in(path, std::ios::binary);
        if (in.read(magic, 2) && magic[0] == '\x1f' && magic[1] == '\x8b')
            return error_at(path, 0, "cannot read capture: it is gzip-compressed; decompress it first (gunzip)");
        return error_at(path, 0, std::string("cannot read capture: ") + err);
    }
    CaptureInfo info;
    info.linktype = pcap_datalink(p);
    if (!link_type_supported(info.linktype)) {
        pcap_close(p);
        return error_at(path, 0, "link type " + link_type_text(info.linktype) +
                                     " is not one the replay reads (Ethernet, Linux cooked SLL/SLL2, raw IP, IPv4, "
                                     "IPv6, BSD null/loop, PPP); convert it first, e.g. `tcprewrite --dlt=enet`");
    }
    pcap_pkthdr* h;
    const u_char* d;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        ++info.packets;
        info.untimed += h->ts.tv_sec == 0 && h->ts.tv_usec == 0;
    }
    if (rc == -1) info.cut_short = pcap_geterr(p);
    pcap_close(p);
    return info;
}

Result<InputCaptures> inspect_inputs(const std::vector<std::string>& paths) {
    InputCaptures in;
    for (const auto& path : paths) {
        auto info = inspect_capture(path);
        if (!info) return info.error();
        if (!info->cut_short.empty() && info->packets == 0)
            return error_at(path, 0, "cannot read its first packet: " + info->cut_short);
        in.packets += info->packets;
        in.files.emplace_back(path, std::move(info.value()));
    }
    if (!paths.empty() && in.packets == 0) {
        std::string names;
        for (const auto& path : paths) names += (names.empty() ? "" : ", ") + path;
        return Error{"input: the captures hold no packets (" + names + ")"};
    }
    return in;
}

std::string untimed_warning(const std::string& path, const CaptureInfo& info, TimeSource time_source) {
    if (info.untimed == 0 || time_source == TimeSource::clock) return {};
    return path + ": " + std::to_string(info.untimed) + " of its " + std::to_string(info.packets) +
           " packets carry no capture time (time 0, as pcapng Simple Packet Blocks): they are judged at "
           "1970-01-01T00:00:00Z (dpdk.time_source: clock judges every packet at the host clock instead)";
}

std::vector<PcapSource> pcap_sources(std::string_view devargs) {
    std::vector<PcapSource> out;
    // key=value,key=value (DPDK's kvargs: a value holds no comma)
    for (std::size_t at = 0; at <= devargs.size();) {
        const std::size_t comma = std::min(devargs.find(',', at), devargs.size());
        const std::string_view part = devargs.substr(at, comma - at);
        at = comma + 1;
        const std::size_t eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = part.substr(0, eq);
        if (key == "rx_pcap" || key == "rx_iface" || key == "rx_iface_in" || key == "iface")
            out.push_back({std::string(key), std::string(part.substr(eq + 1))});
    }
    return out;
}

namespace {

// The source as the error names it: its value as the user gave it, control bytes escaped.
std::string named(const PcapSource& src) { return src.key + "=" + printable_text(src.value); }

std::string not_ethernet(const PcapSource& src, const std::string& what, const std::string& fix) {
    return named(src) + ": " + what + " is not Ethernet, and net_pcap hands on frames as they are; " + fix;
}

}  // namespace

bool pcap_file_is_snapped(const std::string& path, std::size_t records) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (!p) return false;
    bool snapped = false;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    for (std::size_t i = 0; i < records && !snapped && pcap_next_ex(p, &h, &data) == 1; ++i) snapped = h->caplen < h->len;
    pcap_close(p);
    return snapped;
}

// libpcap gives Ethernet headers for Ethernet (ARPHRD_ETHER, 1) and loopback (ARPHRD_LOOPBACK, 772)
// interfaces; tun (65534: raw IP), PPP (512), IP tunnels (768, 776, 778) and monitor-mode Wi-Fi
// (803: radiotap) get others.
bool arphrd_gives_ethernet(int arphrd) noexcept { return arphrd == 1 || arphrd == 772; }

Result<bool> check_pcap_source_link_type(const PcapSource& src) {
    if (src.key == "rx_pcap") {
        struct stat st {};
        if (::stat(src.value.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
        char err[PCAP_ERRBUF_SIZE] = {};
        pcap_t* p = pcap_open_offline(src.value.c_str(), err);
        if (!p) return Error{named(src) + ": cannot read capture: " + printable_text(err)};
        const int linktype = pcap_datalink(p);
        pcap_close(p);
        if (linktype == DLT_EN10MB) return true;
        return Error{not_ethernet(src, "link type " + link_type_text(linktype),
                                  "give the capture as input.pcap (--input), which replays other link types behind an "
                                  "Ethernet header, or convert it (`tcprewrite --dlt=enet`)")};
    }
    if (src.value == "any")
        return Error{not_ethernet(src, "Linux's `any` pseudo-interface (its frames are Linux cooked)",
                                  "name an Ethernet interface, or capture to a file and give it as input.pcap")};
    // The kernel's ARPHRD type (a name with a '/' is no interface name, and would leave sysfs).
    if (src.value.empty() || src.value.find('/') != std::string::npos) return false;
    std::ifstream type_file("/sys/class/net/" + src.value + "/type");
    int arphrd = -1;
    if (!(type_file >> arphrd)) return false;
    if (arphrd_gives_ethernet(arphrd)) return true;
    return Error{not_ethernet(src, "an interface of kernel type " + std::to_string(arphrd) + " (ARPHRD)",
                              "name an Ethernet interface, or capture to a file and give it as input.pcap")};
}

}  // namespace flowsieve
