// test_packet_parser_crafted.cpp: the parser on packets built byte by byte: each anomaly it can
// raise, Ethernet padding, snapped captures, fragments, extension chains, tunnels (test thread).
// Expected values follow from the bytes built here and the protocol RFCs, not from parser output.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "frame_builder.hpp"
#include "parse_test_util.hpp"

// Header fields are given as designated initialisers that leave the rest at their defaults on
// purpose; GCC 12 warns about every omitted member even when it has a default initialiser.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace flowsieve::testing {
namespace {

constexpr std::uint16_t et_ipv4 = 0x0800, et_ipv6 = 0x86DD;

Bytes v4_frame(const V4& h, const Bytes& payload) { return cat({ethernet(et_ipv4), ipv4(h, payload)}); }
Bytes v6_frame(const V6& h, const Bytes& payload) { return cat({ethernet(et_ipv6), ipv6(h, payload)}); }

void expect_anomaly(const Bytes& frame, Anomaly expected) {
    const ParsedPacket p = parse_exact(frame);
    EXPECT_EQ(p.outcome, ParseOutcome::anomaly);
    EXPECT_EQ(p.anomaly, expected);
    EXPECT_EQ(p.header_len, 0);
}

// ---- valid packets ----------------------------------------------------------------------------

TEST(ParserCrafted, Ipv4TcpWithOptionsAndPayload) {
    const Bytes f = v4_frame({.proto = 6}, tcp(40000, 443, filler(100), 8));  // 12 bytes of options
    const ParsedPacket p = parse_exact(f);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(str(p.key.src), "192.0.2.1");
    EXPECT_EQ(str(p.key.dst), "198.51.100.2");
    EXPECT_EQ(p.key.src_port, 40000);
    EXPECT_EQ(p.key.dst_port, 443);
    EXPECT_EQ(p.key.proto, 6);
    EXPECT_TRUE(p.key.has_ports);
    EXPECT_EQ(p.key.fragment, Fragment::none);
    EXPECT_EQ(p.l3_offset, 14);
    EXPECT_EQ(p.l4_offset, 34);
    EXPECT_EQ(p.header_len, 14 + 20 + 32);
    EXPECT_EQ(p.ip_end, f.size());
    EXPECT_FALSE(p.snapped);
    EXPECT_EQ(p.vlan_count, 0);
}

TEST(ParserCrafted, Ipv4OptionsCountIntoTheHeader) {
    // NOP, Record Route (len 7), EOL: 9 bytes, padded to 12 (IHL 8).
    const Bytes opts = {1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0};
    const ParsedPacket p = parse_exact(v4_frame({.proto = 17, .options = opts}, udp(53, 5353, filler(20))));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.l4_offset, 14 + 32);
    EXPECT_EQ(p.header_len, 14 + 32 + 8);
}

TEST(ParserCrafted, StackedVlanTagsUpToTheLimit) {
    for (const auto tpid : {std::uint16_t{0x8100}, std::uint16_t{0x88A8}, std::uint16_t{0x9100}}) {
        const Bytes f = cat({ethernet(et_ipv4, {tpid, 0x8100, 0x8100, 0x8100}), ipv4({.proto = 17}, udp(1, 2))});
        const ParsedPacket p = parse_exact(f);
        ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
        EXPECT_EQ(p.vlan_count, max_vlan_tags);
        EXPECT_EQ(p.l3_offset, 14 + 4 * max_vlan_tags);
        EXPECT_EQ(p.header_len, 14 + 16 + 20 + 8);
    }
}

TEST(ParserCrafted, NotIpFrames) {
    for (const auto et : {std::uint16_t{0x0806} /*ARP*/, std::uint16_t{0x8847} /*MPLS*/,
                          std::uint16_t{0x88CC} /*LLDP*/, std::uint16_t{0x8864} /*PPPoE*/,
                          std::uint16_t{0x0026} /*802.3 length*/, std::uint16_t{0x88E5} /*MACsec*/}) {
        const ParsedPacket p = parse_exact(cat({ethernet(et), ipv4({.proto = 6}, tcp(1, 2))}));
        EXPECT_EQ(p.outcome, ParseOutcome::not_ip) << std::hex << et;
        EXPECT_EQ(p.anomaly, Anomaly::none);
        EXPECT_EQ(p.header_len, 0);
    }
    const ParsedPacket tagged_arp = parse_exact(cat({ethernet(0x0806, {0x8100}), filler(28)}));
    EXPECT_EQ(tagged_arp.outcome, ParseOutcome::not_ip);
    EXPECT_EQ(tagged_arp.vlan_count, 1);
}

// Invariant 1: bytes past the IP total length are Ethernet padding, never header.
TEST(ParserCrafted, EthernetPaddingIsExcluded) {
    Bytes f = v4_frame({.proto = 6}, tcp(80, 1234));  // 54 bytes
    f.resize(60, 0);                                  // minimum frame: 6 bytes of padding
    ParsedPacket p = parse_exact(f);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.header_len, 54);
    EXPECT_EQ(p.ip_end, 54);
    EXPECT_FALSE(p.snapped);

    // UDP with a zero-length payload plus padding: the header stops at the UDP header.
    f = v4_frame({.proto = 17}, udp(53, 53));
    f.resize(60, 0xEE);
    p = parse_exact(f);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.header_len, 42);
    EXPECT_EQ(p.ip_end, 42);

    // A protocol without a parsed L4 header (GRE) and a trailer: only the IPv4 header.
    f = v4_frame({.proto = 47}, {});
    f.resize(64, 0xEE);
    p = parse_exact(f);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.header_len, 34);
    EXPECT_EQ(p.ip_end, 34);

    // IPv6 with a trailer after the payload length.
    f = v6_frame({.next = 58}, icmp(128, 0, filler(4)));
    const std::size_t ip_end = f.size();
    f.resize(f.size() + 10, 0xEE);
    p = parse_exact(f);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.ip_end, ip_end);
    EXPECT_EQ(p.header_len, 14 + 40 + 8);
}

// A capture cut at snaplen: the IP length promises more than was captured. Not an anomaly as
// long as the headers are there; the header and ip_end stop at the captured bytes.
TEST(ParserCrafted, SnappedPacketsParse) {
    Bytes f = v4_frame({.proto = 6}, tcp(443, 50000, filler(1400), 8));
    f.resize(96);  // backbone snaplen
    ParsedPacket p = parse_exact(f);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_TRUE(p.snapped);
    EXPECT_EQ(p.ip_end, 96);
    EXPECT_EQ(p.header_len, 14 + 20 + 32);
    EXPECT_EQ(p.key.src_port, 443);

    // Cut exactly at the end of the TCP header.
    f.resize(66);
    p = parse_exact(f);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_TRUE(p.snapped);
    EXPECT_EQ(p.header_len, 66);
    EXPECT_EQ(p.ip_end, 66);

    // Cut inside the TCP options: the header needed is missing.
    f.resize(60);
    expect_anomaly(f, Anomaly::tcp_truncated);

    // IPv6 snapped after a routing header and the UDP header.
    Bytes g = v6_frame({.next = 43}, cat({ext(17, 24), udp(5000, 53, filler(500))}));
    g.resize(14 + 40 + 24 + 8 + 3);
    p = parse_exact(g);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_TRUE(p.snapped);
    EXPECT_EQ(p.header_len, 14 + 40 + 24 + 8);
    EXPECT_EQ(p.key.dst_port, 53);

    // The UDP length is checked against the IP length, not the captured bytes.
    Bytes h = v4_frame({.proto = 17}, udp(1, 2, filler(1000)));
    h.resize(50);
    p = parse_exact(h);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.header_len, 42);
}

TEST(ParserCrafted, IcmpHeaderIsEightBytesEvenForErrors) {
    // Destination unreachable quoting an IPv4+TCP packet: the quote is payload.
    const Bytes quoted = ipv4({.proto = 6}, tcp(1, 2));
    ParsedPacket p = parse_exact(v4_frame({.proto = 1}, icmp(3, 3, quoted)));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.proto, 1);
    EXPECT_FALSE(p.key.has_ports);
    EXPECT_EQ(p.l4_offset, 34);
    EXPECT_EQ(p.header_len, 34 + 8);

    p = parse_exact(v6_frame({.next = 58}, icmp(1, 4, ipv6({.next = 17}, udp(1, 2)))));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.proto, 58);
    EXPECT_EQ(p.header_len, 54 + 8);
}

TEST(ParserCrafted, SctpCommonHeader) {
    const ParsedPacket p = parse_exact(v4_frame({.proto = 132}, sctp(2905, 2905, filler(16))));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_TRUE(p.key.has_ports);
    EXPECT_EQ(p.key.src_port, 2905);
    EXPECT_EQ(p.header_len, 34 + 12);
}

TEST(ParserCrafted, TunnelsAreNotDescended) {
    // VXLAN: the outer UDP header ends the header; the key is the outer 5-tuple.
    const Bytes inner = cat({ethernet(et_ipv4), ipv4({.proto = 6}, tcp(22, 33333))});
    ParsedPacket p = parse_exact(v4_frame({.proto = 17}, udp(49152, 4789, cat({filler(8, 0), inner}))));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.dst_port, 4789);
    EXPECT_EQ(p.header_len, 42);
    // IP-in-IP, 6in4, GRE: outer IP header only.
    for (const std::uint8_t proto : {std::uint8_t{4}, std::uint8_t{41}, std::uint8_t{47}, std::uint8_t{50}}) {
        p = parse_exact(v4_frame({.proto = proto}, ipv4({.proto = 6}, tcp(1, 2))));
        ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
        EXPECT_EQ(p.key.proto, proto);
        EXPECT_FALSE(p.key.has_ports);
        EXPECT_EQ(p.l4_offset, 0);
        EXPECT_EQ(p.header_len, 34);
    }
}

TEST(ParserCrafted, Ipv4AuthenticationHeaderIsWalked) {
    // Transport-mode AH (RFC 4302) in front of TCP port 25: the ports behind it are the key's, so
    // the e-mail exclusion sees them as it does behind an IPv6 AH; the AH is part of the header.
    ParsedPacket p = parse_exact(v4_frame({.proto = 51}, cat({ah(6, 4), tcp(40000, 25, filler(64))})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.proto, 6);
    EXPECT_TRUE(p.key.has_ports);
    EXPECT_EQ(p.key.src_port, 40000);
    EXPECT_EQ(p.key.dst_port, 25);
    EXPECT_EQ(p.l4_offset, 34 + 24);
    EXPECT_EQ(p.header_len, 34 + 24 + 20);
    // The same for UDP, with IPv4 options before the AH.
    p = parse_exact(v4_frame({.proto = 51, .options = {1, 1, 1, 0}}, cat({ah(17, 1), udp(5353, 995, filler(8))})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.proto, 17);
    EXPECT_EQ(p.key.dst_port, 995);
    EXPECT_EQ(p.header_len, 38 + 12 + 8);
    // AH protecting ESP: the walk ends at the encrypted ESP, as in IPv6.
    p = parse_exact(v4_frame({.proto = 51}, cat({ah(50, 4), filler(40)})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.proto, 50);
    EXPECT_FALSE(p.key.has_ports);
    EXPECT_EQ(p.l4_offset, 0);
    EXPECT_EQ(p.header_len, 34 + 24);
    // A first fragment is walked; a later fragment's bytes are data, never an AH.
    p = parse_exact(v4_frame({.proto = 51, .flags_frag = 0x2000}, cat({ah(6, 4), tcp(1, 25)})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.fragment, Fragment::first);
    EXPECT_EQ(p.key.dst_port, 25);
    p = parse_exact(v4_frame({.proto = 51, .flags_frag = 0x2000 | 3}, cat({ah(6, 4), tcp(1, 25)})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.fragment, Fragment::non_first);
    EXPECT_EQ(p.key.proto, 51);
    EXPECT_FALSE(p.key.has_ports);
    EXPECT_EQ(p.header_len, 34);
}

TEST(ParserCrafted, Ipv6ExtensionChainIsWalked) {
    // hop-by-hop, dst opts, routing, fragment (atomic), AH, mobility, dst opts, then TCP.
    const Bytes chain = cat({ext(60, 8), ext(43, 16), ext(44, 24), fragment6(51, 0, false), ah(135, 4),
                             ext(60, 8), ext(6, 8), tcp(1234, 80)});
    const ParsedPacket p = parse_exact(v6_frame({.next = 0}, chain));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.proto, 6);
    EXPECT_EQ(p.key.fragment, Fragment::none);  // atomic fragment (RFC 6946)
    EXPECT_EQ(p.key.dst_port, 80);
    const std::size_t l4 = 54 + 8 + 16 + 24 + 8 + 24 + 8 + 8;
    EXPECT_EQ(p.l4_offset, l4);
    EXPECT_EQ(p.header_len, l4 + 20);
    EXPECT_EQ(str(p.key.src), "2001:db8::1");
    EXPECT_EQ(str(p.key.dst), "2001:db8::2");
}

TEST(ParserCrafted, Ipv6WalkStopsAtNoNextEspAndUnknown) {
    for (const std::uint8_t stop : {std::uint8_t{59}, std::uint8_t{50}, std::uint8_t{47}, std::uint8_t{89}}) {
        const ParsedPacket p = parse_exact(v6_frame({.next = 60}, cat({ext(stop, 16), filler(40)})));
        ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
        EXPECT_EQ(p.key.proto, stop);
        EXPECT_FALSE(p.key.has_ports);
        EXPECT_EQ(p.header_len, 54 + 16);
    }
    // An empty packet: payload length 0, no next header.
    const ParsedPacket empty = parse_exact(v6_frame({.next = 59}, {}));
    ASSERT_EQ(empty.outcome, ParseOutcome::ok) << empty.anomaly;
    EXPECT_EQ(empty.header_len, 54);
}

TEST(ParserCrafted, Ipv6Jumbogram) {
    // RFC 2675: payload length 0, Jumbo Payload option; UDP length 0 is allowed.
    Bytes f = v6_frame({.next = 0, .payload_len = 0}, cat({hop_by_hop_jumbo(17, 70000), udp(7, 9, filler(64), 0)}));
    f.resize(200);  // a jumbogram is always snapped here
    ParsedPacket p = parse_exact(f);
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_TRUE(p.snapped);
    EXPECT_EQ(p.header_len, 54 + 8 + 8);
    EXPECT_EQ(p.ip_end, 200);

    expect_anomaly(v6_frame({.next = 0, .payload_len = 0}, cat({hop_by_hop_jumbo(59, 65535), filler(8)})),
                   Anomaly::ipv6_bad_payload_length);  // jumbo length must exceed 65535
    expect_anomaly(v6_frame({.next = 0}, cat({hop_by_hop_jumbo(59, 70000), filler(8)})),
                   Anomaly::ipv6_bad_payload_length);  // jumbo with a nonzero payload length
    expect_anomaly(v6_frame({.next = 6, .payload_len = 0}, tcp(1, 2)),
                   Anomaly::ipv6_bad_payload_length);  // zero length, not a jumbogram
}

TEST(ParserCrafted, Fragments) {
    // IPv4 first fragment: L4 parsed; its UDP length covers the whole datagram.
    ParsedPacket p = parse_exact(v4_frame({.proto = 17, .flags_frag = 0x2000}, udp(500, 500, filler(24), 3000)));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.fragment, Fragment::first);
    EXPECT_TRUE(p.key.has_ports);
    EXPECT_EQ(p.header_len, 42);

    // IPv4 non-first fragment: no L4, no ports, the bytes after the IP header are data.
    p = parse_exact(v4_frame({.proto = 6, .flags_frag = 0x2000 | 185}, tcp(1, 2)));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.fragment, Fragment::non_first);
    EXPECT_FALSE(p.key.has_ports);
    EXPECT_EQ(p.key.proto, 6);
    EXPECT_EQ(p.l4_offset, 0);
    EXPECT_EQ(p.header_len, 34);

    // Last fragment (offset > 0, MF clear) is non-first too.
    p = parse_exact(v4_frame({.proto = 17, .flags_frag = 10}, filler(30)));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.fragment, Fragment::non_first);

    // IPv6: first fragment, non-first fragment (walk ends after the fragment header).
    p = parse_exact(v6_frame({.next = 44}, cat({fragment6(6, 0, true), tcp(8080, 12345, filler(16))})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.fragment, Fragment::first);
    EXPECT_EQ(p.key.src_port, 8080);
    EXPECT_EQ(p.header_len, 54 + 8 + 20);

    p = parse_exact(v6_frame({.next = 44}, cat({fragment6(6, 100, true), tcp(8080, 12345)})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.fragment, Fragment::non_first);
    EXPECT_FALSE(p.key.has_ports);
    EXPECT_EQ(p.key.proto, 6);
    EXPECT_EQ(p.header_len, 54 + 8);
}

// ---- one test per anomaly --------------------------------------------------------------------

TEST(ParserAnomaly, EthTruncated) {
    expect_anomaly(filler(13), Anomaly::eth_truncated);
    expect_anomaly({}, Anomaly::eth_truncated);
}

TEST(ParserAnomaly, VlanTruncated) {
    Bytes f = ethernet(et_ipv4, {0x8100});
    f.resize(16);  // TPID + half a tag
    expect_anomaly(f, Anomaly::vlan_truncated);
}

TEST(ParserAnomaly, VlanTooDeep) {
    expect_anomaly(cat({ethernet(et_ipv4, {0x88A8, 0x8100, 0x8100, 0x8100, 0x8100}), ipv4({}, tcp(1, 2))}),
                   Anomaly::vlan_too_deep);
}

TEST(ParserAnomaly, IpVersionMismatch) {
    expect_anomaly(cat({ethernet(et_ipv4), ipv6({.next = 6}, tcp(1, 2))}), Anomaly::ip_version_mismatch);
    expect_anomaly(cat({ethernet(et_ipv6), ipv4({}, tcp(1, 2))}), Anomaly::ip_version_mismatch);
    expect_anomaly(v4_frame({.version = 5}, tcp(1, 2)), Anomaly::ip_version_mismatch);
}

TEST(ParserAnomaly, Ipv4Truncated) {
    Bytes f = v4_frame({}, tcp(1, 2));
    f.resize(14 + 19);
    expect_anomaly(f, Anomaly::ipv4_truncated);
    expect_anomaly(ethernet(et_ipv4), Anomaly::ipv4_truncated);
    // IHL 6 but only the 20 fixed bytes captured.
    Bytes g = v4_frame({.options = {1, 1, 1, 0}}, {});
    g.resize(14 + 20);
    expect_anomaly(g, Anomaly::ipv4_truncated);
}

TEST(ParserAnomaly, Ipv4BadIhl) { expect_anomaly(v4_frame({.ihl = 4}, tcp(1, 2)), Anomaly::ipv4_bad_ihl); }

TEST(ParserAnomaly, Ipv4BadTotalLength) {
    expect_anomaly(v4_frame({.total_len = 19}, tcp(1, 2)), Anomaly::ipv4_bad_total_length);
    expect_anomaly(v4_frame({.total_len = 20, .options = {1, 1, 1, 1}}, tcp(1, 2)), Anomaly::ipv4_bad_total_length);
}

TEST(ParserAnomaly, Ipv4BadOptions) {
    expect_anomaly(v4_frame({.options = {7, 1, 0, 0}}, tcp(1, 2)), Anomaly::ipv4_bad_options);      // len < 2
    expect_anomaly(v4_frame({.options = {7, 9, 4, 0}}, tcp(1, 2)), Anomaly::ipv4_bad_options);      // overruns
    expect_anomaly(v4_frame({.options = {1, 1, 1, 0x44}}, tcp(1, 2)), Anomaly::ipv4_bad_options);   // no length
    // EOL ends the list: what follows is padding, even if it looks like a broken option.
    const ParsedPacket p = parse_exact(v4_frame({.options = {1, 0, 0x44, 0xFF}}, tcp(1, 2)));
    EXPECT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
}

TEST(ParserAnomaly, Ipv4AhTruncated) {
    // An AH of 24 bytes with 16 captured; one ended early by the total length; a lone byte of one.
    Bytes f = v4_frame({.proto = 51}, cat({ah(6, 4), tcp(1, 2)}));
    f.resize(34 + 16);
    expect_anomaly(f, Anomaly::ipv4_ah_truncated);
    expect_anomaly(v4_frame({.proto = 51, .total_len = 20 + 16}, cat({ah(6, 4), tcp(1, 2)})), Anomaly::ipv4_ah_truncated);
    Bytes g = v4_frame({.proto = 51}, ah(6, 4));
    g.resize(34 + 1);
    expect_anomaly(g, Anomaly::ipv4_ah_truncated);
    // Whole, but the TCP header behind it is cut: that is the TCP header's anomaly.
    Bytes h = v4_frame({.proto = 51}, cat({ah(6, 4), tcp(1, 2)}));
    h.resize(34 + 24 + 10);
    expect_anomaly(h, Anomaly::tcp_truncated);
}

// RFC 4302: an AH holds at least its 12 fixed bytes (length byte >= 1) and in IPv6 is a multiple of
// 8 bytes. A length byte of 0 would make the walk read the sequence number as the L4 header: the
// ports from the wrong bytes (an e-mail port missed) and a header length reaching into the payload.
TEST(ParserAnomaly, AhBadLength) {
    // IPv4 then IPv6: an 8-byte "AH" (its sequence number looking like a TCP header's start), then
    // a real TCP header to port 25 and payload.
    const Bytes seq_then_smtp = cat({Bytes{0x00, 0x19, 0x00, 0x07}, tcp(40000, 25, filler(64))});
    expect_anomaly(v4_frame({.proto = 51}, cat({ah(6, 0), seq_then_smtp})), Anomaly::ah_bad_length);
    expect_anomaly(v6_frame({.next = 51}, cat({ah(6, 0), seq_then_smtp})), Anomaly::ah_bad_length);
    // 12 bytes: the smallest AH, fine in IPv4, misaligned in IPv6; 16 bytes fine in both.
    ParsedPacket p = parse_exact(v4_frame({.proto = 51}, cat({ah(6, 1), tcp(40000, 25)})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.dst_port, 25);
    expect_anomaly(v6_frame({.next = 51}, cat({ah(6, 1), tcp(40000, 25)})), Anomaly::ah_bad_length);
    p = parse_exact(v6_frame({.next = 51}, cat({ah(6, 2), tcp(40000, 25)})));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.key.dst_port, 25);
    EXPECT_EQ(p.header_len, 54 + 16 + 20);
}

TEST(ParserAnomaly, Ipv4AhRepeated) {
    expect_anomaly(v4_frame({.proto = 51}, cat({ah(51, 1), ah(6, 1), tcp(1, 25)})), Anomaly::ipv4_ah_repeated);
}

TEST(ParserAnomaly, Ipv6Truncated) {
    Bytes f = v6_frame({}, tcp(1, 2));
    f.resize(14 + 39);
    expect_anomaly(f, Anomaly::ipv6_truncated);
    expect_anomaly(ethernet(et_ipv6), Anomaly::ipv6_truncated);
}

TEST(ParserAnomaly, Ipv6ExtTruncated) {
    // Routing header of 24 bytes, only 16 captured.
    Bytes f = v6_frame({.next = 43}, cat({ext(6, 24), tcp(1, 2)}));
    f.resize(14 + 40 + 16);
    expect_anomaly(f, Anomaly::ipv6_ext_truncated);
    // Captured in full, but the payload length ends inside it.
    expect_anomaly(v6_frame({.next = 43, .payload_len = 16}, cat({ext(6, 24), tcp(1, 2)})),
                   Anomaly::ipv6_ext_truncated);
    // A single byte of a destination options header.
    Bytes g = v6_frame({.next = 60}, ext(6, 8));
    g.resize(14 + 40 + 1);
    expect_anomaly(g, Anomaly::ipv6_ext_truncated);
}

TEST(ParserAnomaly, Ipv6ExtChainTooLong) {
    // Nine headers, none repeated beyond what RFC 8200 allows: the length bound alone rejects it.
    const Bytes chain = cat({ext(60, 8), ext(43, 8), ext(51, 8), ah(135, 2), ext(139, 8), ext(140, 8),
                             ext(253, 8), ext(254, 8), ext(6, 8), tcp(1, 2)});
    expect_anomaly(v6_frame({.next = 0}, chain), Anomaly::ipv6_ext_chain_too_long);
    // Eight of them are fine.
    const Bytes eight = cat({ext(60, 8), ext(43, 8), ext(51, 8), ah(135, 2), ext(139, 8), ext(140, 8),
                             ext(253, 8), ext(6, 8), tcp(1, 2)});
    const ParsedPacket p = parse_exact(v6_frame({.next = 0}, eight));
    ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
    EXPECT_EQ(p.header_len, 54 + 7 * 8 + 16 + 20);
}

TEST(ParserAnomaly, Ipv6ExtDuplicate) {
    // Hop-by-hop anywhere but first.
    expect_anomaly(v6_frame({.next = 60}, cat({ext(0, 8), ext(6, 8), tcp(1, 2)})), Anomaly::ipv6_ext_duplicate);
    // Two routing headers, two fragment headers, two AH.
    expect_anomaly(v6_frame({.next = 43}, cat({ext(43, 8), ext(6, 8), tcp(1, 2)})), Anomaly::ipv6_ext_duplicate);
    expect_anomaly(v6_frame({.next = 44}, cat({fragment6(44, 0, false), fragment6(6, 0, false), tcp(1, 2)})),
                   Anomaly::ipv6_ext_duplicate);
    expect_anomaly(v6_frame({.next = 51}, cat({ah(51), ah(6), tcp(1, 2)})), Anomaly::ipv6_ext_duplicate);
    // Destination options twice is legal (before and after routing), three times is not.
    const ParsedPacket twice = parse_exact(v6_frame({.next = 60}, cat({ext(43, 8), ext(60, 8), ext(6, 8), tcp(1, 2)})));
    EXPECT_EQ(twice.outcome, ParseOutcome::ok) << twice.anomaly;
    expect_anomaly(v6_frame({.next = 60}, cat({ext(60, 8), ext(60, 8), ext(6, 8), tcp(1, 2)})),
                   Anomaly::ipv6_ext_duplicate);
}

TEST(ParserAnomaly, FragmentBad) {
    // Offset 8125 * 8 = 65000: 535 bytes of payload end at 65535, 536 pass it.
    const ParsedPacket edge = parse_exact(v4_frame({.proto = 17, .flags_frag = 8125}, filler(535)));
    EXPECT_EQ(edge.outcome, ParseOutcome::ok) << edge.anomaly;  // ends exactly at 65535
    expect_anomaly(v4_frame({.proto = 17, .flags_frag = 8125}, filler(536)), Anomaly::fragment_bad);
    expect_anomaly(v6_frame({.next = 44}, cat({fragment6(17, 8191, false), filler(16)})), Anomaly::fragment_bad);
}

TEST(ParserAnomaly, FragmentTooSmall) {
    // First fragment carrying 8 bytes of TCP (the classic tiny-fragment evasion).
    expect_anomaly(v4_frame({.proto = 6, .flags_frag = 0x2000}, filler(8)), Anomaly::fragment_too_small);
    // TCP data offset 15 (60 bytes) in a first fragment of 40 bytes.
    expect_anomaly(v4_frame({.proto = 6, .flags_frag = 0x2000}, tcp(1, 2, {}, 15, 40)), Anomaly::fragment_too_small);
    // IPv6 first fragment with half a UDP header.
    expect_anomaly(v6_frame({.next = 44}, cat({fragment6(17, 0, true), filler(4)})), Anomaly::fragment_too_small);
}

TEST(ParserAnomaly, TcpTruncated) {
    Bytes f = v4_frame({.proto = 6}, tcp(1, 2));
    f.resize(14 + 20 + 19);
    expect_anomaly(f, Anomaly::tcp_truncated);                                    // cut by the capture
    expect_anomaly(v4_frame({.proto = 6}, filler(12)), Anomaly::tcp_truncated);   // cut by the IP length
    expect_anomaly(v6_frame({.next = 6}, filler(19)), Anomaly::tcp_truncated);
}

TEST(ParserAnomaly, TcpBadDataOffset) {
    expect_anomaly(v4_frame({.proto = 6}, tcp(1, 2, {}, 4)), Anomaly::tcp_bad_data_offset);
    expect_anomaly(v4_frame({.proto = 6}, tcp(1, 2, {}, 0)), Anomaly::tcp_bad_data_offset);
    // Data offset 15 (60 bytes) in an IP payload of 40.
    expect_anomaly(v4_frame({.proto = 6}, tcp(1, 2, {}, 15, 40)), Anomaly::tcp_bad_data_offset);
}

TEST(ParserAnomaly, UdpTruncated) {
    expect_anomaly(v4_frame({.proto = 17}, filler(7)), Anomaly::udp_truncated);
    Bytes f = v6_frame({.next = 17}, udp(1, 2, filler(10)));
    f.resize(14 + 40 + 6);
    expect_anomaly(f, Anomaly::udp_truncated);
}

TEST(ParserAnomaly, UdpBadLength) {
    expect_anomaly(v4_frame({.proto = 17}, udp(1, 2, filler(10), 7)), Anomaly::udp_bad_length);
    expect_anomaly(v4_frame({.proto = 17}, udp(1, 2, filler(10), 19)), Anomaly::udp_bad_length);
    expect_anomaly(v6_frame({.next = 17}, udp(1, 2, {}, 0)), Anomaly::udp_bad_length);  // 0 only in jumbograms
}

TEST(ParserAnomaly, SctpTruncated) {
    expect_anomaly(v4_frame({.proto = 132}, filler(11)), Anomaly::sctp_truncated);
}

TEST(ParserAnomaly, IcmpTruncated) {
    expect_anomaly(v4_frame({.proto = 1}, filler(7)), Anomaly::icmp_truncated);
    Bytes f = v6_frame({.next = 58}, icmp(128, 0, filler(20)));
    f.resize(14 + 40 + 4);
    expect_anomaly(f, Anomaly::icmp_truncated);
}

// One example per anomaly in FLOWSIEVE_ANOMALIES: a new anomaly added to the table without a
// parser path and an example here fails this test.
TEST(ParserAnomaly, EveryAnomalyInTheTableIsReachable) {
    auto cut = [](Bytes b, std::size_t n) {
        b.resize(n);
        return b;
    };
    const std::vector<std::pair<Anomaly, Bytes>> examples = {
        {Anomaly::eth_truncated, filler(10)},
        {Anomaly::vlan_truncated, cut(ethernet(et_ipv4, {0x8100}), 15)},
        {Anomaly::vlan_too_deep, cat({ethernet(et_ipv4, {0x8100, 0x8100, 0x8100, 0x8100, 0x8100}), filler(40)})},
        {Anomaly::ip_version_mismatch, v4_frame({.version = 6}, {})},
        {Anomaly::ipv4_truncated, cat({ethernet(et_ipv4), filler(10, 0x45)})},
        {Anomaly::ipv4_bad_ihl, v4_frame({.ihl = 3}, {})},
        {Anomaly::ipv4_bad_total_length, v4_frame({.total_len = 10}, {})},
        {Anomaly::ipv4_bad_options, v4_frame({.options = {0x83, 0, 0, 0}}, {})},
        {Anomaly::ipv4_ah_truncated, cut(v4_frame({.proto = 51}, cat({ah(6, 4), tcp(1, 2)})), 34 + 8)},
        {Anomaly::ipv4_ah_repeated, v4_frame({.proto = 51}, cat({ah(51, 1), ah(6, 1), tcp(1, 2)}))},
        {Anomaly::ipv6_truncated, cat({ethernet(et_ipv6), filler(20, 0x60)})},
        {Anomaly::ipv6_bad_payload_length, v6_frame({.next = 17, .payload_len = 0}, udp(1, 2))},
        {Anomaly::ipv6_ext_truncated, v6_frame({.next = 60, .payload_len = 8}, ext(6, 16))},
        {Anomaly::ipv6_ext_chain_too_long,
         v6_frame({.next = 0}, cat({ext(60, 8), ext(43, 8), ext(44, 8), fragment6(51, 0, false), ah(135, 2),
                                    ext(139, 8), ext(140, 8), ext(253, 8), ext(59, 8)}))},
        {Anomaly::ipv6_ext_duplicate, v6_frame({.next = 135}, cat({ext(135, 8), ext(59, 8)}))},
        {Anomaly::ah_bad_length, v6_frame({.next = 51}, cat({ah(6, 1), tcp(1, 2)}))},
        {Anomaly::fragment_bad, v4_frame({.proto = 6, .flags_frag = 0x1FFF}, filler(400))},
        {Anomaly::fragment_too_small, v4_frame({.proto = 132, .flags_frag = 0x2000}, filler(8))},
        {Anomaly::tcp_truncated, cut(v4_frame({.proto = 6}, tcp(1, 2)), 50)},
        {Anomaly::tcp_bad_data_offset, v4_frame({.proto = 6}, tcp(1, 2, {}, 2))},
        {Anomaly::udp_truncated, v4_frame({.proto = 17}, filler(3))},
        {Anomaly::udp_bad_length, v4_frame({.proto = 17}, udp(1, 2, {}, 4))},
        {Anomaly::sctp_truncated, v6_frame({.next = 132}, filler(8))},
        {Anomaly::icmp_truncated, v6_frame({.next = 58}, filler(2))},
    };
    std::vector<bool> covered(anomaly_count + 1, false);
    for (const auto& [anomaly, frame] : examples) {
        SCOPED_TRACE(name_of(anomaly));
        expect_anomaly(frame, anomaly);
        covered[static_cast<std::size_t>(anomaly)] = true;
    }
    for (std::size_t a = 1; a <= anomaly_count; ++a)
        EXPECT_TRUE(covered[a]) << "no example for anomaly " << name_of(static_cast<Anomaly>(a));
}

}  // namespace
}  // namespace flowsieve::testing
