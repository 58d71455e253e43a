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

}  // namespace flowsieve
