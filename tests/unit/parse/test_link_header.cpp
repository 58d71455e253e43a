// test_link_header.cpp: the Ethernet header that stands in for another link layer's (test thread):
// real captures of each link type the replay takes, then crafted headers for the cases they lack.
//
// Source of the expected values for the real captures: tshark 4.0 (Debian 12), as in
// test_packet_parser_captures.cpp:
//   tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r FILE -T fields -e ip.src -e ip.dst
//     -e ipv6.src -e ipv6.dst -e tcp.srcport -e tcp.dstport
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "frame_builder.hpp"
#include "parse/link_header.hpp"
#include "parse_test_util.hpp"

namespace flowsieve::testing {
namespace {

struct RealLink {
    const char* file;
    int linktype;             // as libpcap reports it
    std::size_t link_header;  // bytes of the capture's own link header
    std::size_t frames;
    const char* src;          // frame 1, as tshark reads it
    const char* dst;
    int src_port, dst_port;   // -1: none
    Anomaly first = Anomaly::none;  // frame 1's, as with Ethernet (every later frame parses)
};

// clang-format off
const RealLink real_links[] = {
    {"ipv4/mptcp-v1.pcap", linktype::linux_sll, 16, 20, "10.0.1.1", "10.0.2.1", 33306, 10004},
    {"ipv4/tcp-handshake-nanosecond.pcap", linktype::linux_sll, 16, 3, "131.155.215.69", "137.116.81.94", 46656, 80},
    {"email/smtp-starttls.pcap", linktype::null, 4, 10, "127.0.0.1", "127.0.0.1", 4660, 25},
    {"ipv6/tcp-http.pcap", linktype::null, 4, 14, "::1", "::1", 55717, 8000},
    {"tls/http-connect-tls.pcap", linktype::null, 4, 14, "127.0.0.1", "127.0.0.1", 60472, 8002},
    // A first fragment of 8 TCP bytes, as in vlan-ipv4-tcp-syn-frag.pcap (test_packet_parser_captures.cpp).
    {"fragments/ipv4-tcp-syn-frag.pcap", linktype::ipv4, 0, 3, "1.1.1.1", "2.2.2.2", -1, -1, Anomaly::fragment_too_small},
    {"fragments/ipv6-tcp-frag.pcap", linktype::ipv6, 0, 3, "::1", "::1", 12345, 8080},
    {"icmp/icmp-rfc5837.pcap", linktype::ppp, 4, 1, "10.4.0.2", "12.4.4.4", -1, -1},  // ff 03, then protocol 0x0021
};
// clang-format on

class RealLinks : public ::testing::TestWithParam<RealLink> {};

// Every frame of the capture, converted, parses as the same IP packet at the same place: the bytes
// from the network layer on are the capture's own, behind exactly one 14-byte Ethernet header.
TEST_P(RealLinks, EveryFrameParsesAsTheSameIpPacketBehindAnEthernetHeader) {
    const RealLink& e = GetParam();
    const CaptureFile cap = read_capture(test_data(std::string("pcap/") + e.file));
    ASSERT_EQ(cap.linktype, e.linktype);
    ASSERT_TRUE(link_type_supported(cap.linktype));
    ASSERT_EQ(cap.packets.size(), e.frames);
    for (std::size_t i = 0; i < cap.packets.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        const Bytes& original = cap.packets[i].bytes;
        const EthernetStandIn s = ethernet_stand_in(cap.linktype, original);
        ASSERT_EQ(s.length, ethernet_header_bytes);
        ASSERT_EQ(s.skip, e.link_header);
        const Bytes frame = converted(cap.linktype, original);
        ASSERT_EQ(frame.size(), original.size() - e.link_header + 14);
        EXPECT_TRUE(std::equal(frame.begin() + 14, frame.end(), original.begin() + static_cast<std::ptrdiff_t>(e.link_header)));
        const ParsedPacket p = parse_exact(frame);
        if (i == 0 && e.first != Anomaly::none) {
            EXPECT_EQ(p.anomaly, e.first);
            continue;
        }
        ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
        EXPECT_EQ(p.l3_offset, 14);
        EXPECT_EQ(p.vlan_count, 0);
        if (i == 0 || (i == 1 && e.first != Anomaly::none)) {
            EXPECT_EQ(str(p.key.src), e.src);
            EXPECT_EQ(str(p.key.dst), e.dst);
            EXPECT_EQ(p.key.has_ports, e.src_port >= 0);
            if (e.src_port >= 0) {
                EXPECT_EQ(p.key.src_port, e.src_port);
                EXPECT_EQ(p.key.dst_port, e.dst_port);
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Captures, RealLinks, ::testing::ValuesIn(real_links), [](const auto& param_info) {
    std::string name = param_info.param.file;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
});

// Every capture under tests/data is either Ethernet or a link type the replay converts: a new
// capture of another kind makes this fail, not silently skip.
TEST(LinkHeader, EveryTestCaptureHasASupportedLinkType) {
    for (const std::string& file : all_captures()) {
        SCOPED_TRACE(file);
        EXPECT_TRUE(link_type_supported(read_capture(file).linktype));
    }
    EXPECT_FALSE(link_type_supported(105));  // 802.11: no IP header at a fixed place
    EXPECT_FALSE(link_type_supported(127));  // radiotap
    EXPECT_FALSE(link_type_supported(-1));
}

const Bytes tcp_packet = ipv4({}, tcp(1234, 80));
const Bytes tcp6_packet = ipv6({}, tcp(1234, 80));

Bytes sll(std::uint16_t protocol, std::uint16_t address_len = 6) {
    Bytes b;
    put16(b, 0);            // packet type: to us
    put16(b, 1);            // ARPHRD_ETHER
    put16(b, address_len);  // link-layer address length
    b.insert(b.end(), {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x00});
    put16(b, protocol);
    return b;
}

TEST(LinkHeader, LinuxCookedHeadersKeepTheSourceAddressAndProtocol) {
    const Bytes frame = converted(linktype::linux_sll, cat({sll(0x0800), tcp_packet}));
    EXPECT_EQ(Bytes(frame.begin(), frame.begin() + 14),
              (Bytes{0, 0, 0, 0, 0, 0, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00}));
    EXPECT_EQ(parse_exact(frame).outcome, ParseOutcome::ok);
    // Not an Ethernet address: the source stays zero.
    const Bytes tunnel = converted(linktype::linux_sll, cat({sll(0x86DD, 4), tcp6_packet}));
    EXPECT_EQ(Bytes(tunnel.begin(), tunnel.begin() + 14), (Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xDD}));
    EXPECT_EQ(parse_exact(tunnel).key.dst_port, 80);
    // A VLAN tag libpcap put back behind the header is where an Ethernet frame has it.
    Bytes tag;
    put16(tag, 100);
    put16(tag, 0x0800);
    const ParsedPacket tagged = parse_exact(converted(linktype::linux_sll, cat({sll(0x8100), tag, tcp_packet})));
    EXPECT_EQ(tagged.outcome, ParseOutcome::ok);
    EXPECT_EQ(tagged.vlan_count, 1);
    EXPECT_EQ(tagged.header_len, 14 + 4 + 20 + 20);
    // For radiotap, FRAD and Netlink the protocol field is no EtherType: never IP, whatever it holds.
    Bytes radiotap = sll(0x0800);
    radiotap[2] = 803 >> 8;
    radiotap[3] = 803 & 0xff;
    EXPECT_EQ(parse_exact(converted(linktype::linux_sll, cat({radiotap, tcp_packet}))).outcome, ParseOutcome::not_ip);
    // ARP and the 802.2 pseudo-protocol are not IP.
    EXPECT_EQ(parse_exact(converted(linktype::linux_sll, cat({sll(0x0806), filler(28)}))).outcome, ParseOutcome::not_ip);
    EXPECT_EQ(parse_exact(converted(linktype::linux_sll, cat({sll(0x0004), filler(28)}))).outcome, ParseOutcome::not_ip);

    Bytes sll2;
    put16(sll2, 0x86DD);  // protocol
    put16(sll2, 0);       // reserved
    put32(sll2, 3);       // interface index
    put16(sll2, 1);       // ARPHRD_ETHER
    sll2.push_back(4);    // packet type: outgoing
    sll2.push_back(6);    // address length
    sll2.insert(sll2.end(), {0x02, 0, 0, 0, 0, 0x09, 0, 0});
    const Bytes frame2 = converted(linktype::linux_sll2, cat({sll2, tcp6_packet}));
    EXPECT_EQ(Bytes(frame2.begin(), frame2.begin() + 14), (Bytes{0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x09, 0x86, 0xDD}));
    const ParsedPacket p2 = parse_exact(frame2);
    EXPECT_EQ(p2.outcome, ParseOutcome::ok);
    EXPECT_EQ(p2.header_len, 14 + 40 + 20);
}

Bytes family(std::uint32_t f, bool little_endian) {
    Bytes b;
    if (little_endian)
        for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(f >> (8 * i)));
    else
        put32(b, f);
    return b;
}

TEST(LinkHeader, NullHeadersInEitherByteOrderAndEveryBsdIpv6Family) {
    for (bool le : {true, false}) {
        SCOPED_TRACE(le ? "little-endian writer" : "big-endian writer");
        EXPECT_EQ(parse_exact(converted(linktype::null, cat({family(2, le), tcp_packet}))).outcome, ParseOutcome::ok);
        for (std::uint32_t f : {24u, 28u, 30u}) {
            const ParsedPacket p = parse_exact(converted(linktype::null, cat({family(f, le), tcp6_packet})));
            EXPECT_EQ(p.outcome, ParseOutcome::ok) << f;
            EXPECT_TRUE(p.key.src.is_v6()) << f;
        }
        // Another family (here 7, OSI) is a well-formed frame of something else.
        EXPECT_EQ(parse_exact(converted(linktype::null, cat({family(7, le), tcp_packet}))).outcome, ParseOutcome::not_ip);
    }
    // loop: always network byte order.
    EXPECT_EQ(parse_exact(converted(linktype::loop, cat({family(24, false), tcp6_packet}))).outcome, ParseOutcome::ok);
}

TEST(LinkHeader, PppWithAndWithoutFramingAndCompressedProtocol) {
    const ParsedPacket framed = parse_exact(converted(linktype::ppp, cat({Bytes{0xff, 0x03, 0x00, 0x57}, tcp6_packet})));
    EXPECT_EQ(framed.outcome, ParseOutcome::ok);
    EXPECT_EQ(framed.header_len, 14 + 40 + 20);
    EXPECT_EQ(parse_exact(converted(linktype::ppp, cat({Bytes{0x00, 0x21}, tcp_packet}))).outcome, ParseOutcome::ok);
    EXPECT_EQ(ethernet_stand_in(linktype::ppp, cat({Bytes{0x21}, tcp_packet})).skip, 1u);
    EXPECT_EQ(parse_exact(converted(linktype::ppp, cat({Bytes{0x21}, tcp_packet}))).outcome, ParseOutcome::ok);
    EXPECT_TRUE(parse_exact(converted(linktype::ppp, cat({Bytes{0x57}, tcp6_packet}))).key.src.is_v6());
    // LCP (0xc021) is PPP's own control traffic.
    EXPECT_EQ(parse_exact(converted(linktype::ppp, cat({Bytes{0xff, 0x03, 0xc0, 0x21}, filler(20)}))).outcome,
              ParseOutcome::not_ip);
}

TEST(LinkHeader, RawIpTakesItsVersionAndAWrongOneIsAnAnomaly) {
    const ParsedPacket v4 = parse_exact(converted(linktype::raw, tcp_packet));
    EXPECT_EQ(v4.outcome, ParseOutcome::ok);
    EXPECT_EQ(v4.header_len, 14 + 20 + 20);
    EXPECT_TRUE(parse_exact(converted(linktype::raw_dlt, tcp6_packet)).key.src.is_v6());
    Bytes bogus = tcp_packet;
    bogus[0] = 0x55;  // version 5
    EXPECT_EQ(parse_exact(converted(linktype::raw, bogus)).anomaly, Anomaly::ip_version_mismatch);
    // The IPv4 and IPv6 link types say the version themselves: a packet that disagrees is malformed.
    EXPECT_EQ(parse_exact(converted(linktype::ipv4, tcp6_packet)).anomaly, Anomaly::ip_version_mismatch);
    EXPECT_EQ(parse_exact(converted(linktype::ipv6, tcp_packet)).anomaly, Anomaly::ip_version_mismatch);
    EXPECT_EQ(parse_exact(converted(linktype::raw, Bytes{})).anomaly, Anomaly::ipv4_truncated);
}

// A frame too short for its own link header passes nothing on: never a packet that could be selected.
TEST(LinkHeader, AFrameCutInsideItsLinkHeaderIsCountedAsTruncated) {
    const Bytes full_sll = cat({sll(0x0800), tcp_packet});
    for (int t : {linktype::linux_sll, linktype::linux_sll2, linktype::null, linktype::loop, linktype::ppp}) {
        // PPP's header may be 1 byte (a compressed protocol, odd), so only frames of 0 and of 1
        // even byte are too short for it.
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
            if (t == linktype::ppp && n == 3) continue;
            SCOPED_TRACE(std::to_string(t) + " cut at " + std::to_string(n));
            const Bytes cut(full_sll.begin(), full_sll.begin() + static_cast<std::ptrdiff_t>(n));
            const EthernetStandIn s = ethernet_stand_in(t, cut);
            EXPECT_EQ(s.length, 0u);
            EXPECT_EQ(s.skip, n);
            EXPECT_EQ(parse_exact(converted(t, cut)).anomaly, Anomaly::eth_truncated);
        }
    }
    const Bytes cut_sll(full_sll.begin(), full_sll.begin() + 15);
    EXPECT_EQ(parse_exact(converted(linktype::linux_sll, cut_sll)).anomaly, Anomaly::eth_truncated);
    // Ethernet itself is left as it is.
    const EthernetStandIn e = ethernet_stand_in(linktype::ethernet, full_sll);
    EXPECT_EQ(e.length, 0u);
    EXPECT_EQ(e.skip, 0u);
}

// The original length follows the frame: less the link header, plus the 14 stand-in bytes; a
// snapped frame keeps what the capture lacked.
TEST(LinkHeader, TheWireLengthChangesByWhatTheFrameDid) {
    const Bytes snapped = cat({sll(0x0800), tcp_packet});  // 56 of 1516 bytes captured
    const EthernetStandIn s = ethernet_stand_in(linktype::linux_sll, snapped);
    EXPECT_EQ(stand_in_wire_len(s, 1516, 54), 1514u);
    const EthernetStandIn raw = ethernet_stand_in(linktype::raw, tcp_packet);
    EXPECT_EQ(stand_in_wire_len(raw, 1500, 54), 1514u);
    const EthernetStandIn eth = ethernet_stand_in(linktype::ethernet, snapped);
    EXPECT_EQ(stand_in_wire_len(eth, 1516, 56), 1516u);
    // Never below the frame (a file whose original length is less than its captured one), and no
    // wrap past 32 bits.
    EXPECT_EQ(stand_in_wire_len(s, 10, 54), 54u);
    EXPECT_EQ(stand_in_wire_len(raw, UINT32_MAX, 54), UINT32_MAX);
    EXPECT_EQ(stand_in_wire_len(ethernet_stand_in(linktype::linux_sll, Bytes(10)), 10, 0), 0u);
}

}  // namespace
}  // namespace flowsieve::testing
