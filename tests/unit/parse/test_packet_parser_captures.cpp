// test_packet_parser_captures.cpp: the parser on real captures from tests/data/pcap (test thread).
//
// Source of the expected values: tshark 4.0 (Debian 12), run when this test was written as
//   tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r FILE -T fields -e ip.src -e ip.dst
//     -e ipv6.src -e ipv6.dst -e ip.proto -e ipv6.nxt -e ip.len -e ipv6.plen -e ip.frag_offset
//     -e ip.flags.mf -e ipv6.fraghdr.offset -e ipv6.fraghdr.more -e tcp.srcport -e tcp.hdr_len ...
// and `-T pdml` for the byte position of the first L4 layer: header_len is that position plus the
// L4 header size (tcp.hdr_len, UDP 8, SCTP 12, ICMP 8), or the position where tshark's outer IP
// layer ends when there is no L4 header. Anomalies are where tshark reports the same fault
// ("Bogus IP header length", "Malformed Packet", "_ws.short") mapped onto our anomaly names.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "parse_test_util.hpp"

namespace flowsieve::testing {
namespace {

struct Expected {
    const char* file;
    std::size_t frame;  // 1-based, as tshark numbers them
    ParseOutcome outcome;
    Anomaly anomaly = Anomaly::none;
    const char* src = "";
    const char* dst = "";
    int proto = -1;
    int src_port = -1;  // -1: no ports expected
    int dst_port = -1;
    Fragment fragment = Fragment::none;
    int vlan_count = 0;
    int l3_offset = 14;
    int header_len = 0;
    bool snapped = false;
};

constexpr auto ok = ParseOutcome::ok;
constexpr auto not_ip = ParseOutcome::not_ip;
constexpr auto bad = ParseOutcome::anomaly;

// clang-format off
const std::vector<Expected> expectations = {
    // VLAN stacks: 802.1ad + 802.1Q around ARP; 1 and 3 802.1Q tags around ICMP.
    {"vlan/qinq-802.1ad.pcap", 1, not_ip, Anomaly::none, "", "", -1, -1, -1, Fragment::none, 2, 22, 0},
    {"vlan/vlan-flow.pcap", 1, ok, Anomaly::none, "192.168.0.1", "255.255.255.255", 1, -1, -1, Fragment::none, 1, 18, 46},
    {"vlan/vlan-flow-2.pcap", 3, ok, Anomaly::none, "192.168.0.1", "255.255.255.255", 1, -1, -1, Fragment::none, 3, 26, 54},
    // Plain IPv4.
    {"ipv4/tcp-http.pcap", 1, ok, Anomaly::none, "10.21.11.94", "10.114.101.120", 6, 80, 5767, Fragment::none, 1, 18, 58},
    {"ipv4/udp-syslog.pcap", 3, ok, Anomaly::none, "10.0.0.20", "10.0.0.71", 17, 52693, 514, Fragment::none, 0, 14, 42},
    // IPv6 extension headers.
    {"ipv6/routing-header.pcap", 1, ok, Anomaly::none, "2200::244:212:3fff:feae:22f7", "2200::240:2:0:0:4", 58, -1, -1, Fragment::none, 0, 14, 86},
    {"ipv6/routing-header.pcap", 2, ok, Anomaly::none, "2200::244:212:3fff:feae:22f7", "2200::211:2:0:0:2", 58, -1, -1, Fragment::none, 0, 14, 102},
    {"ipv6/routing-header.pcap", 3, ok, Anomaly::none, "2200::244:212:3fff:feae:22f7", "2200::240:2:0:0:4", 17, 5645, 5642, Fragment::none, 0, 14, 86},
    {"ipv6/segment-routing-header.pcap", 1, ok, Anomaly::none, "a:b:c:12::1", "a:b:c:2::f1:0", 41, -1, -1, Fragment::none, 0, 14, 14 + 40 + 40},
    {"ipv6/no-next-header.pcap", 1, ok, Anomaly::none, "2005::1", "2008::1", 59, -1, -1, Fragment::none, 0, 14, 54},
    {"ipv6/ospfv3-with-ah.pcap", 1, ok, Anomaly::none, "fe80::1", "ff02::5", 89, -1, -1, Fragment::none, 0, 14, 14 + 40 + 24},
    {"ipv6/covert-dest-options.pcap", 1, ok, Anomaly::none, "2001:db8:2:0:8e16:45ff:fee5:5ba2", "2001:db8:1::1", 58, -1, -1, Fragment::none, 0, 14, 1446},
    {"ipv6/covert-dest-options.pcap", 6, ok, Anomaly::none, "2001:db8:1::1", "2001:db8:2:0:8e16:45ff:fee5:5ba2", 58, -1, -1, Fragment::none, 0, 14, 62},
    // Jumbo Payload length 65536 fills the 65590-byte frame exactly: not snapped.
    {"ipv6/jumbogram.pcap", 1, ok, Anomaly::none, "2200::244:212:3fff:feae:22f7", "2200::240:2:0:0:4", 58, -1, -1, Fragment::none, 0, 14, 70},
    // Fragments.
    {"fragments/ipv4-frags.pcap", 1, ok, Anomaly::none, "2.1.1.2", "2.1.1.1", 1, -1, -1, Fragment::first, 0, 14, 42},
    {"fragments/ipv4-frags.pcap", 2, ok, Anomaly::none, "2.1.1.2", "2.1.1.1", 1, -1, -1, Fragment::non_first, 0, 14, 34},
    {"fragments/ipv4-frags.pcap", 3, ok, Anomaly::none, "2.1.1.1", "2.1.1.2", 1, -1, -1, Fragment::none, 0, 14, 42},
    // First fragment with 8 bytes of TCP (tshark: "_ws.unreassembled"): the tiny-fragment case.
    {"fragments/vlan-ipv4-tcp-syn-frag.pcap", 1, bad, Anomaly::fragment_too_small},
    {"fragments/vlan-ipv4-tcp-syn-frag.pcap", 2, ok, Anomaly::none, "1.1.1.1", "2.2.2.2", 6, -1, -1, Fragment::non_first, 1, 18, 38},
    {"fragments/vlan-ipv4-tcp-syn-frag.pcap", 3, ok, Anomaly::none, "1.1.1.1", "2.2.2.2", 6, -1, -1, Fragment::non_first, 1, 18, 38},
    // ICMPv6 Packet Too Big quoting a packet: the quote is not header.
    {"fragments/ipv6-atomic-fragments.pcap", 2, ok, Anomaly::none, "2001:db8:2::2", "fe80::6600:6aff:fe5b:8f4a", 58, -1, -1, Fragment::none, 0, 14, 62},
    {"fragments/ipv6-malformed-1.pcap", 5, ok, Anomaly::none, "2001:db8:1::2", "2001:db8:1::1", 58, -1, -1, Fragment::first, 0, 14, 70},
    {"fragments/ipv6-malformed-1.pcap", 6, ok, Anomaly::none, "2001:db8:1::2", "2001:db8:1::1", 58, -1, -1, Fragment::non_first, 0, 14, 62},
    {"fragments/ipv6-malformed-1.pcap", 9, ok, Anomaly::none, "2001:db8:1::2", "2001:db8:1::1", 58, -1, -1, Fragment::non_first, 0, 14, 62},
    {"fragments/ipv6-malformed-9.pcap", 7, ok, Anomaly::none, "2001:db8:1::2", "2001:db8:1::1", 58, -1, -1, Fragment::none, 0, 14, 70},
    {"fragments/ipv6-malformed-9.pcap", 6, ok, Anomaly::none, "fe80::4b6:2b35:b860:803f", "ff02::fb", 17, 5353, 5353, Fragment::none, 0, 14, 62},
    // Atomic fragment (offset 0, M 0) carrying 1 byte of TCP (tshark: Malformed).
    {"fragments/ipv6-malformed-26.pcap", 6, bad, Anomaly::tcp_truncated},
    // Payload length 27136, snaplen 60: the capture ends inside the fragment header (tshark: short).
    {"fragments/ipv6-frag-asan.pcap", 1, bad, Anomaly::ipv6_ext_truncated},
    // Payload length 0 without a Jumbo Payload option, next header Fragment (tshark: Malformed).
    {"fragments/ipv6-frag-negative-length.pcap", 1, bad, Anomaly::ipv6_bad_payload_length},
    // ICMP / ICMPv6 / SCTP.
    {"icmp/icmpv6.pcap", 2, ok, Anomaly::none, "fe80::215:17ff:fecc:e546", "ff02::16", 58, -1, -1, Fragment::none, 0, 14, 70},
    {"icmp/icmpv6-router-advert.pcap", 1, ok, Anomaly::none, "fe80::e015:81ff:feb4:b945", "ff02::1", 58, -1, -1, Fragment::none, 0, 14, 62},
    {"sctp/sctp.pcap", 1, ok, Anomaly::none, "192.168.170.56", "192.168.170.8", 132, 7, 7, Fragment::none, 0, 14, 46},
    {"sctp/sctp-chunks.pcap", 4, ok, Anomaly::none, "88.82.6.134", "10.173.48.13", 132, 6303, 2906, Fragment::none, 0, 14, 46},
    // Tunnels: outer endpoints only.
    {"tunnels/vxlan.pcap", 1, ok, Anomaly::none, "192.168.203.1", "192.168.202.1", 17, 45149, 4789, Fragment::none, 0, 14, 42},
    {"tunnels/vxlan.pcap", 2, ok, Anomaly::none, "192.168.202.1", "192.168.203.1", 17, 42710, 4789, Fragment::none, 0, 14, 42},
    {"tunnels/geneve.pcap", 3, ok, Anomaly::none, "20.0.0.2", "20.0.0.1", 17, 43443, 6081, Fragment::none, 0, 14, 42},
    {"tunnels/gre-sample.pcap", 1, ok, Anomaly::none, "172.27.1.66", "66.59.109.137", 47, -1, -1, Fragment::none, 0, 14, 34},
    {"tunnels/gre-various.pcap", 11, ok, Anomaly::none, "10.172.64.7", "10.172.64.6", 47, -1, -1, Fragment::none, 1, 18, 38},
    {"tunnels/gre-various.pcap", 12, ok, Anomaly::none, "10.172.64.6", "10.172.64.7", 47, -1, -1, Fragment::none, 1, 18, 38},
    {"tunnels/erspan-type2.pcap", 3, ok, Anomaly::none, "2.2.2.2", "1.1.1.1", 47, -1, -1, Fragment::none, 0, 14, 34},
    {"tunnels/ipv6-in-ipv4.pcap", 1, ok, Anomaly::none, "10.1.0.1", "10.1.0.2", 41, -1, -1, Fragment::none, 0, 14, 34},
    {"tunnels/ipv4-in-ipv6.pcap", 1, ok, Anomaly::none, "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7335", 4, -1, -1, Fragment::none, 0, 14, 54},
    {"tunnels/mpls-over-udp.pcap", 1, ok, Anomaly::none, "10.100.12.170", "10.100.13.157", 17, 58699, 6635, Fragment::none, 0, 14, 42},
    {"tunnels/teredo.pcap", 6, ok, Anomaly::none, "192.168.2.16", "65.55.158.80", 17, 3797, 3544, Fragment::none, 0, 14, 42},
    // malformed/: tshark's verdict, in our words.
    {"malformed/gre-overflow.pcap", 1, not_ip},                                // EtherType 0x3030
    {"malformed/gre-overflow.pcap", 2, bad, Anomaly::ip_version_mismatch},    // "Bogus IPv4 version" (0)
    {"malformed/ipv4-bad-version.pcap", 1, bad, Anomaly::ip_version_mismatch}, // version 6 under 0x0800
    {"malformed/ipv4-invalid-ihl.pcap", 1, bad, Anomaly::ipv4_bad_ihl},       // "Bogus IP header length (16)"
    {"malformed/ipv4-invalid-length.pcap", 1, bad, Anomaly::ipv4_truncated},  // 19 bytes of IPv4
    // Total length 85, 84 bytes captured: snapped, the UDP header is all there.
    {"malformed/ipv4-invalid-total-length.pcap", 1, ok, Anomaly::none, "140.211.9.206", "45.33.127.156", 17, 39095, 53, Fragment::none, 0, 14, 42, true},
    {"malformed/ipv6-bad-version.pcap", 1, ok, Anomaly::none, "::", "ff02::1:ff76:6c14", 58, -1, -1, Fragment::none, 0, 14, 62},
    {"malformed/ipv6-bad-version.pcap", 2, bad, Anomaly::ip_version_mismatch}, // "Bogus IPv6 version"
    {"malformed/ipv6-invalid-length.pcap", 1, bad, Anomaly::ipv6_truncated},  // "must be exactly 40 bytes"
    {"malformed/ipv6-tcp-malformed.pcap", 1, ok, Anomaly::none, "2001:db8::10", "2001:db8:1::5", 6, 43210, 80, Fragment::none, 0, 14, 74},
    {"malformed/ipv6-tcp-malformed.pcap", 4, ok, Anomaly::none, "2001:db8::10", "2001:db8:1::5", 6, 43210, 80, Fragment::none, 0, 14, 82},
    {"malformed/mpls-label-overflow.pcap", 1, not_ip},                        // MPLS multicast 0x8848
    {"malformed/sctp-too-small.pcap", 1, bad, Anomaly::sctp_truncated},       // IP total length 24
    {"malformed/tcp-header-overflow.pcap", 1, bad, Anomaly::tcp_truncated},   // 12 bytes of TCP captured
    {"malformed/udp-length-overflow.pcap", 1, bad, Anomaly::udp_truncated},   // 4 bytes of UDP captured
    // 112 bytes on the wire, 111 captured: snapped, TCP header complete.
    {"malformed/tcp-rst-truncated.pcap", 1, ok, Anomaly::none, "199.204.31.89", "172.16.133.41", 6, 80, 52875, Fragment::none, 0, 14, 54, true},
    // The inner header's version is bogus; the inner packet is never parsed.
    {"malformed/inner-wrong-version.pcap", 1, ok, Anomaly::none, "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7335", 4, -1, -1, Fragment::none, 0, 14, 54},
};
// clang-format on

class CaptureExpectations : public ::testing::TestWithParam<Expected> {};

TEST_P(CaptureExpectations, MatchTshark) {
    const Expected& e = GetParam();
    const CaptureFile cap = read_capture(test_data(std::string("pcap/") + e.file));
    ASSERT_EQ(cap.linktype, 1) << "expectations are for Ethernet captures";
    ASSERT_LE(e.frame, cap.packets.size());
    const std::vector<std::uint8_t>& bytes = cap.packets[e.frame - 1].bytes;
    const ParsedPacket p = parse_exact(bytes);
    ASSERT_EQ(p.outcome, e.outcome) << p.anomaly;
    EXPECT_EQ(p.anomaly, e.anomaly);
    if (e.outcome == bad) return;
    EXPECT_EQ(p.vlan_count, e.vlan_count);
    EXPECT_EQ(p.l3_offset, e.l3_offset);
    if (e.outcome == not_ip) return;
    EXPECT_EQ(str(p.key.src), e.src);
    EXPECT_EQ(str(p.key.dst), e.dst);
    EXPECT_EQ(p.key.proto, e.proto);
    EXPECT_EQ(p.key.fragment, e.fragment);
    EXPECT_EQ(p.key.has_ports, e.src_port >= 0);
    if (e.src_port >= 0) {
        EXPECT_EQ(p.key.src_port, e.src_port);
        EXPECT_EQ(p.key.dst_port, e.dst_port);
    }
    EXPECT_EQ(p.header_len, e.header_len);
    EXPECT_EQ(p.snapped, e.snapped);
}

std::string expectation_name(const ::testing::TestParamInfo<Expected>& info) {
    std::string name = std::string(info.param.file) + "_" + std::to_string(info.param.frame);
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Tshark, CaptureExpectations, ::testing::ValuesIn(expectations), expectation_name);

// Whole-file checks where tshark agrees on every packet.
std::map<std::string, int> outcome_counts(const CaptureFile& cap) {
    std::map<std::string, int> counts;
    for (const CapturedPacket& pkt : cap.packets) {
        const ParsedPacket p = parse_exact(pkt.bytes);
        const std::string key = p.outcome == ParseOutcome::ok       ? "ok"
                                : p.outcome == ParseOutcome::not_ip ? "not_ip"
                                                                    : std::string(name_of(p.anomaly));
        ++counts[key];
    }
    return counts;
}

TEST(CaptureFiles, WholeFilesParseAsTsharkDecodesThem) {
    // tshark decodes every packet of these files without an error (frame.protocols and no
    // expert error): all ok, or not_ip where tshark shows ARP/STP/loopback/CDP frames.
    const std::vector<std::pair<const char*, std::map<std::string, int>>> files = {
        {"ipv6/ospfv3-with-ah.pcap", {{"ok", 61}}},
        {"ipv6/covert-dest-options.pcap", {{"ok", 37}}},
        {"sctp/sctp-chunks.pcap", {{"ok", 19}}},
        {"tunnels/geneve.pcap", {{"ok", 39}}},
        {"tunnels/vxlan.pcap", {{"ok", 10}}},
        {"tunnels/gre-sample.pcap", {{"ok", 40}}},
        {"tunnels/teredo.pcap", {{"ok", 78}}},
        {"malformed/ipv6-tcp-malformed.pcap", {{"ok", 8}}},
        // 30 IPv4/GRE frames; 70 loopback, STP, CDP and DTP frames (tshark frame.protocols).
        {"tunnels/gre-various.pcap", {{"ok", 30}, {"not_ip", 70}}},
    };
    for (const auto& [file, expected] : files) {
        SCOPED_TRACE(file);
        EXPECT_EQ(outcome_counts(read_capture(test_data(std::string("pcap/") + file))), expected);
    }
}

// malformed/ also holds files whose pcap header has extra bits in the link-type field: the FCS
// length bits (0x30000000) over LINKTYPE_ETHERNET (805306369) or LINKTYPE_IPV6 (805306597).
// libpcap keeps only the low bits, so the first are Ethernet; the raw-IPv6 ones are fed as if
// they were Ethernet anyway (tested in the property tests): the parser must simply survive them.
TEST(CaptureFiles, MalformedLinkTypesAsLibpcapReadsThem) {
    EXPECT_EQ(read_capture(test_data("pcap/malformed/tcp-header-overflow.pcap")).linktype, 1);
    EXPECT_EQ(read_capture(test_data("pcap/malformed/ipv4-bad-version.pcap")).linktype, 1);
    EXPECT_NE(read_capture(test_data("pcap/malformed/ipv6-header-overflow.pcap")).linktype, 1);
    EXPECT_NE(read_capture(test_data("pcap/malformed/icmp-checksum-oob.pcap")).linktype, 1);
}

// The MAWI backbone sample (snaplen 96): 9,880 IPv4/TCP and 120 IPv6/TCP packets. Expected values
// from tshark: per packet, cap_len against 14 + ip.hdr_len (or 40) + tcp.hdr_len (the header end)
// and against 14 + ip.len (or 40 + ipv6.plen) (the IP end), and sums of tcp.srcport/tcp.dstport
// and of the header end over the packets whose header is complete.
//  - 3,533 packets are snapped (IP length above the capture) with complete headers: ok.
//  - Frames 9161 and 9163 (IPv6, tcp.hdr_len 44) end at 14 + 40 + 44 = 98 bytes, but the snaplen
//    kept 96: the last 2 bytes of TCP options are missing, so they are tcp_truncated. That is the
//    whole explained set of anomalies in this trace.
TEST(CaptureFiles, BackboneTraceParsesExceptTwoCutTcpHeaders) {
    const CaptureFile cap = read_capture(test_data("pcap/backbone/mawi-202010011400-10k.pcap"));
    ASSERT_EQ(cap.linktype, 1);
    ASSERT_EQ(cap.packets.size(), 10000u);
    std::map<std::string, int> counts;
    int v4 = 0, v6 = 0, snapped = 0, snapped_ok = 0;
    std::uint64_t sum_sport = 0, sum_dport = 0, sum_header_len = 0;
    for (std::size_t i = 0; i < cap.packets.size(); ++i) {
        const CapturedPacket& pkt = cap.packets[i];
        const ParsedPacket p = parse_exact(pkt.bytes);
        ++counts[p.outcome == ParseOutcome::ok ? "ok" : std::string(name_of(p.anomaly))];
        if (p.outcome != ParseOutcome::ok) {
            EXPECT_TRUE(i + 1 == 9161 || i + 1 == 9163) << "frame " << i + 1 << ": " << p.anomaly;
            EXPECT_EQ(p.anomaly, Anomaly::tcp_truncated);
            EXPECT_EQ(pkt.bytes.size(), 96u);
            continue;
        }
        (p.key.src.is_v4() ? v4 : v6) += 1;
        if (p.snapped) {
            ++snapped;
            snapped_ok += p.header_len <= pkt.bytes.size() && p.ip_end == pkt.bytes.size();
        }
        EXPECT_EQ(p.key.proto, ipproto::tcp);
        sum_sport += p.key.src_port;
        sum_dport += p.key.dst_port;
        sum_header_len += p.header_len;
    }
    for (const auto& [name, n] : counts) std::printf("backbone: %-28s %d\n", name.c_str(), n);
    EXPECT_EQ(counts["ok"], 9998);
    EXPECT_EQ(counts["tcp_truncated"], 2);
    EXPECT_EQ(v4, 9880);
    EXPECT_EQ(v6, 118);
    EXPECT_EQ(snapped, 3533);
    EXPECT_EQ(snapped_ok, snapped);
    EXPECT_EQ(sum_sport, 267344279u);
    EXPECT_EQ(sum_dport, 188641063u);
    EXPECT_EQ(sum_header_len, 575168u);
}

}  // namespace
}  // namespace flowsieve::testing
