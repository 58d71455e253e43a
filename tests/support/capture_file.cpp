// capture_file.cpp: libpcap-based capture reading/writing for tests, plus pcapng comment extraction.
#include "capture_file.hpp"

#include <pcap/pcap.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace flowsieve::testing {

namespace {

// libpcap does not expose pcapng options, so comments are read from the file directly:
// EPB blocks (type 6) carry opt_comment (code 1) after the padded packet data.
std::vector<std::string> pcapng_comments(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> out;
    auto u32 = [&](std::size_t o) {
        std::uint32_t v;
        std::memcpy(&v, d.data() + o, 4);
        return v;
    };
    if (d.size() < 12 || u32(0) != 0x0A0D0D0A) return out;
    std::size_t off = 0;
    while (off + 12 <= d.size()) {
        std::uint32_t type = u32(off), len = u32(off + 4);
        if (len < 12 || off + len > d.size()) break;
        if (type == 6 && len >= 32) {
            std::uint32_t caplen = u32(off + 20);
            std::size_t opt = off + 28 + ((caplen + 3u) & ~3u);
            std::string comment;
            while (opt + 4 <= off + len - 4) {
                std::uint16_t code, olen;
                std::memcpy(&code, d.data() + opt, 2);
                std::memcpy(&olen, d.data() + opt + 2, 2);
                if (code == 0) break;
                if (code == 1 && opt + 4 + olen <= d.size()) comment.assign(d.data() + opt + 4, olen);
                opt += 4 + ((olen + 3u) & ~3u);
            }
            out.push_back(comment);
        }
        off += len;
    }
    return out;
}

}  // namespace

CaptureFile read_capture(const std::string& path) {
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) throw std::runtime_error(path + ": " + err);
    CaptureFile f;
    f.linktype = pcap_datalink(p);
    pcap_pkthdr* h;
    const u_char* data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        CapturedPacket pkt;
        pkt.time_ns = static_cast<std::uint64_t>(h->ts.tv_sec) * 1'000'000'000ull +
                      static_cast<std::uint64_t>(h->ts.tv_usec);
        pkt.wire_len = h->len;
        pkt.bytes.assign(data, data + h->caplen);
        f.packets.push_back(std::move(pkt));
    }
    std::string msg = rc == -1 ? pcap_geterr(p) : "";
    pcap_close(p);
    if (rc == -1) throw std::runtime_error(path + ": " + msg);
    auto comments = pcapng_comments(path);
    if (comments.size() == f.packets.size())
        for (std::size_t i = 0; i < comments.size(); ++i) f.packets[i].comment = comments[i];
    return f;
}

void write_capture(const std::string& path, const std::vector<CapturedPacket>& packets, int linktype) {
    pcap_t* p = pcap_open_dead(linktype, 262144);
    pcap_dumper_t* d = pcap_dump_open(p, path.c_str());
    if (!d) {
        std::string msg = pcap_geterr(p);
        pcap_close(p);
        throw std::runtime_error(path + ": " + msg);
    }
    for (const auto& pkt : packets) {
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<time_t>(pkt.time_ns / 1'000'000'000ull);
        h.ts.tv_usec = static_cast<suseconds_t>((pkt.time_ns % 1'000'000'000ull) / 1000);
        h.caplen = static_cast<bpf_u_int32>(pkt.bytes.size());
        h.len = pkt.wire_len ? pkt.wire_len : h.caplen;
        pcap_dump(reinterpret_cast<u_char*>(d), &h, pkt.bytes.data());
    }
    pcap_dump_close(d);
    pcap_close(p);
}

std::string test_data(const std::string& relative) { return std::string(FLOWSIEVE_TEST_DATA) + "/" + relative; }

}  // namespace flowsieve::testing
