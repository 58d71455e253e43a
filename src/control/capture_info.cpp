// capture_info.cpp: libpcap pass over an input capture (control plane, before start).
#include "control/capture_info.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include "parse/link_header.hpp"

namespace flowsieve {

Result<CaptureInfo> inspect_capture(const std::string& path) {
    // A capture is read twice (counted here, then replayed), and libpcap's open of a named pipe
    // waits for a writer for ever: only a file will do.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return error_at(path, 0, "not a regular file: a capture is read twice (counted, then replayed), so it must be a file");
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (!p) return error_at(path, 0, std::string("cannot read capture: ") + err);
    CaptureInfo info;
    info.linktype = pcap_datalink(p);
    if (!link_type_supported(info.linktype)) {
        const char* name = pcap_datalink_val_to_name(info.linktype);
        pcap_close(p);
        return error_at(path, 0, "link type " + std::string(name ? name : "?") + " (" + std::to_string(info.linktype) +
                                     ") is not one the replay reads (Ethernet, Linux cooked SLL/SLL2, raw IP, IPv4, "
                                     "IPv6, BSD null/loop, PPP); convert it first, e.g. `tcprewrite --dlt=enet`");
    }
    pcap_pkthdr* h;
    const u_char* d;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) ++info.packets;
    if (rc == -1) info.cut_short = pcap_geterr(p);
    pcap_close(p);
    return info;
}

std::vector<PcapVdevSource> pcap_vdev_sources(const std::vector<std::string>& eal_args) {
    std::vector<PcapVdevSource> out;
    for (std::size_t i = 0; i < eal_args.size(); ++i) {
        std::string devargs;
        if (eal_args[i].rfind("--vdev=", 0) == 0) devargs = eal_args[i].substr(7);
        else if (eal_args[i] == "--vdev" && i + 1 < eal_args.size()) devargs = eal_args[++i];
        else continue;
        // name,key=value,key=value (DPDK's devargs: values hold no comma)
        std::vector<std::string> parts;
        for (std::size_t at = 0;;) {
            const std::size_t comma = devargs.find(',', at);
            parts.push_back(devargs.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
            if (comma == std::string::npos) break;
            at = comma + 1;
        }
        const std::string& name = parts.front();
        if (name.rfind("net_pcap", 0) != 0 && name.rfind("eth_pcap", 0) != 0) continue;
        for (std::size_t k = 1; k < parts.size(); ++k) {
            const std::size_t eq = parts[k].find('=');
            if (eq == std::string::npos) continue;
            const std::string key = parts[k].substr(0, eq);
            if (key == "rx_pcap" || key == "rx_iface" || key == "rx_iface_in" || key == "iface")
                out.push_back({name, key, parts[k].substr(eq + 1)});
        }
    }
    return out;
}

Status check_pcap_vdev_link_types(const std::vector<std::string>& eal_args) {
    for (const PcapVdevSource& src : pcap_vdev_sources(eal_args)) {
        const std::string where = "--vdev " + src.vdev + "," + src.key + "=" + src.value;
        char err[PCAP_ERRBUF_SIZE] = {};
        const bool file = src.key == "rx_pcap";
        pcap_t* p = file ? pcap_open_offline(src.value.c_str(), err) : pcap_open_live(src.value.c_str(), 64, 0, 1, err);
        if (!p) {
            if (file) return Error{where + ": cannot read capture: " + err};
            continue;  // the driver opens it, or says why it cannot
        }
        const int linktype = pcap_datalink(p);
        pcap_close(p);
        if (linktype == DLT_EN10MB) continue;
        const char* lt = pcap_datalink_val_to_name(linktype);
        return Error{where + ": link type " + std::string(lt ? lt : "?") + " (" + std::to_string(linktype) +
                     ") is not Ethernet, and net_pcap hands on frames as they are; " +
                     (file ? "give the capture as input.pcap (--input), which replays other link types behind an "
                             "Ethernet header, or convert it (`tcprewrite --dlt=enet`)"
                           : "capture from an Ethernet interface")};
    }
    return Ok{};
}

}  // namespace flowsieve
