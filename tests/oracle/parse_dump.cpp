// parse_dump.cpp: prints what flowsieve's parser makes of every packet of a capture, one TSV line
// per packet, so that tests/oracle/test_tshark_oracle.py can compare it with tshark's dissection.
//
// Columns: index (1-based, as tshark numbers frames), outcome (ok / not_ip / anomaly:<name>),
// src, dst, proto, sport, dport ("-" without ports), fragment (none / first / non_first),
// vlan_count, l3_offset, header_len. The first line is "#linktype\t<DLT>". Frames of other link
// types are parsed as the replay hands them to the data path, behind the Ethernet header standing
// in for theirs (parse/link_header.hpp): offsets count from that header's start.
#include <cstdio>
#include <exception>
#include <span>
#include <string>

#include "capture_file.hpp"
#include "core/ip_address.hpp"
#include "parse/link_header.hpp"
#include "parse/packet_parser.hpp"
#include <vector>

namespace {

const char* fragment_name(flowsieve::Fragment f) {
    switch (f) {
        case flowsieve::Fragment::none: return "none";
        case flowsieve::Fragment::first: return "first";
        case flowsieve::Fragment::non_first: return "non_first";
    }
    return "?";
}

void print_packet(std::size_t index, const flowsieve::ParsedPacket& p) {
    using flowsieve::ParseOutcome;
    if (p.outcome == ParseOutcome::not_ip) {
        std::printf("%zu\tnot_ip\t-\t-\t-\t-\t-\t-\t%u\t%u\t-\n", index, p.vlan_count, p.l3_offset);
        return;
    }
    if (p.outcome == ParseOutcome::anomaly) {
        const std::string name(flowsieve::name_of(p.anomaly));
        std::printf("%zu\tanomaly:%s\t-\t-\t-\t-\t-\t-\t%u\t%u\t-\n", index, name.c_str(), p.vlan_count,
                    p.l3_offset);
        return;
    }
    const auto& k = p.key;
    const std::string src = flowsieve::to_string(k.src);
    const std::string dst = flowsieve::to_string(k.dst);
    const std::string sport = k.has_ports ? std::to_string(k.src_port) : "-";
    const std::string dport = k.has_ports ? std::to_string(k.dst_port) : "-";
    std::printf("%zu\tok\t%s\t%s\t%u\t%s\t%s\t%s\t%u\t%u\t%u\n", index, src.c_str(), dst.c_str(), k.proto,
                sport.c_str(), dport.c_str(), fragment_name(k.fragment), p.vlan_count, p.l3_offset,
                p.header_len);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CAPTURE\n", argv[0]);
        return 2;
    }
    try {
        const auto capture = flowsieve::testing::read_capture(argv[1]);
        std::printf("#linktype\t%d\n", capture.linktype);
        std::size_t index = 0;
        for (const auto& packet : capture.packets) {
            const flowsieve::EthernetStandIn eth = flowsieve::ethernet_stand_in(capture.linktype, packet.bytes);
            std::vector<std::uint8_t> frame(eth.header.begin(), eth.header.begin() + static_cast<std::ptrdiff_t>(eth.length));
            frame.insert(frame.end(), packet.bytes.begin() + static_cast<std::ptrdiff_t>(eth.skip), packet.bytes.end());
            flowsieve::ParsedPacket parsed;
            flowsieve::parse_packet(std::span<const std::uint8_t>(frame), parsed);
            print_packet(++index, parsed);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[1], e.what());
        return 1;
    }
    return 0;
}
