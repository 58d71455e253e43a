// test_packet_parser_properties.cpp: properties that must hold for ANY input (test thread):
// every packet of every capture under tests/data/pcap, every truncation prefix of it, and seeded
// random byte flips. Built a second time under ASan/UBSan (unit-parse-sanitized), where each input
// sits in a heap block of exactly its size, so a read past the span aborts the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "parse_test_util.hpp"

namespace flowsieve::testing {
namespace {

std::size_t l4_header_len_bounds(std::uint8_t proto, std::size_t& max_len) {
    switch (proto) {
        case ipproto::tcp: max_len = 60; return 20;
        case ipproto::udp: max_len = 8; return 8;
        case ipproto::sctp: max_len = 12; return 12;
        case ipproto::icmp:
        case ipproto::ipv6_icmp: max_len = 8; return 8;
        default: max_len = 0; return 0;
    }
}

// What must be true of any parse result, whatever the bytes were.
void check_invariants(const ParsedPacket& p, std::size_t frame_size) {
    if (p.outcome != ParseOutcome::ok) {
        EXPECT_EQ(p.header_len, 0);
        EXPECT_EQ(p.anomaly != Anomaly::none, p.outcome == ParseOutcome::anomaly);
        return;
    }
    ASSERT_EQ(p.anomaly, Anomaly::none);
    // Invariant 1: never past the captured bytes, never past the IP length (so never padding).
    EXPECT_LE(p.header_len, frame_size);
    EXPECT_LE(p.header_len, p.ip_end);
    EXPECT_LE(p.ip_end, std::min<std::size_t>(frame_size, 0xFFFF));
    if (p.snapped && frame_size <= 0xFFFF) {
        EXPECT_EQ(p.ip_end, frame_size);
    }
    EXPECT_LE(p.vlan_count, max_vlan_tags);
    EXPECT_EQ(p.l3_offset, 14 + 4 * p.vlan_count);
    EXPECT_TRUE(p.key.src.family == p.key.dst.family && p.key.src.family != Family::none);
    // The other family's field is zero (ip_address.hpp): the caches key an address by the two
    // fields OR-ed together (cache_sets.hpp, address_lo), so a stray bit there would be another key.
    for (const IpAddress* a : {&p.key.src, &p.key.dst})
        EXPECT_TRUE(a->is_v4() ? a->v6 == U128{} : a->v4 == 0) << to_string(*a);
    EXPECT_GE(p.header_len, p.l3_offset + (p.key.src.is_v4() ? 20 : 40));

    std::size_t max_l4 = 0;
    const std::size_t min_l4 = l4_header_len_bounds(p.key.proto, max_l4);
    if (p.key.fragment == Fragment::non_first || min_l4 == 0) {
        EXPECT_EQ(p.l4_offset, 0);  // no L4 header: the L3 header ends the header
        EXPECT_FALSE(p.key.has_ports);
        EXPECT_EQ(p.key.src_port, 0);
        EXPECT_EQ(p.key.dst_port, 0);
        return;
    }
    ASSERT_NE(p.l4_offset, 0);
    const std::size_t l4_len = p.header_len - p.l4_offset;
    EXPECT_GE(l4_len, min_l4);
    EXPECT_LE(l4_len, max_l4);
    if (p.key.proto == ipproto::icmp || p.key.proto == ipproto::ipv6_icmp) {
        EXPECT_EQ(p.header_len, p.l4_offset + 8);  // never the quoted packet of an ICMP error
    }
    EXPECT_EQ(p.key.has_ports, p.key.proto == ipproto::tcp || p.key.proto == ipproto::udp ||
                                   p.key.proto == ipproto::sctp);
}

bool same_key(const FlowKey& a, const FlowKey& b) {
    return a.src == b.src && a.dst == b.dst && a.src_port == b.src_port && a.dst_port == b.dst_port &&
           a.proto == b.proto && a.has_ports == b.has_ports && a.fragment == b.fragment;
}

bool is_truncation(Anomaly a) {
    switch (a) {
        case Anomaly::eth_truncated:
        case Anomaly::vlan_truncated:
        case Anomaly::ipv4_truncated:
        case Anomaly::ipv6_truncated:
        case Anomaly::ipv6_ext_truncated:
        case Anomaly::tcp_truncated:
        case Anomaly::udp_truncated:
        case Anomaly::sctp_truncated:
        case Anomaly::icmp_truncated: return true;
        default: return false;
    }
}

// Prefix lengths to try: all of them for ordinary frames; for the rare frames above 4 KiB
// (jumbograms) every one up to 4 KiB, then a stride, then the last few.
std::vector<std::size_t> prefix_lengths(std::size_t n) {
    std::vector<std::size_t> ks;
    for (std::size_t k = 0; k <= std::min<std::size_t>(n, 4096); ++k) ks.push_back(k);
    for (std::size_t k = 4097; k < n; k += 509) ks.push_back(k);
    for (std::size_t k = n > 8 ? n - 8 : 0; k <= n; ++k)
        if (k > 4096) ks.push_back(k);
    return ks;
}

// Truncating a frame is what a snaplen does. Cut anywhere at or after the header, the result
// must be the same packet (snapped); cut before the end of the header, it must be a truncation
// anomaly, never a different, shorter "valid" header.
void check_prefixes(const std::vector<std::uint8_t>& bytes, const ParsedPacket& full) {
    for (const std::size_t k : prefix_lengths(bytes.size())) {
        const ParsedPacket p = parse_exact(std::span(bytes.data(), k));
        SCOPED_TRACE("prefix " + std::to_string(k));
        check_invariants(p, k);
        if (full.outcome == ParseOutcome::ok) {
            if (k >= full.header_len) {
                ASSERT_EQ(p.outcome, ParseOutcome::ok) << p.anomaly;
                EXPECT_TRUE(same_key(p.key, full.key));
                EXPECT_EQ(p.header_len, full.header_len);
                EXPECT_EQ(p.l4_offset, full.l4_offset);
                EXPECT_EQ(p.ip_end, std::min<std::size_t>(full.ip_end, k));
                if (k < full.ip_end) {
                    EXPECT_TRUE(p.snapped);
                }
            } else {
                ASSERT_EQ(p.outcome, ParseOutcome::anomaly);
                EXPECT_TRUE(is_truncation(p.anomaly)) << p.anomaly;
            }
        } else if (full.outcome == ParseOutcome::not_ip) {
            EXPECT_EQ(p.outcome, k >= full.l3_offset ? ParseOutcome::not_ip : ParseOutcome::anomaly);
        }
        if (::testing::Test::HasFatalFailure()) return;
    }
}

TEST(ParserProperties, EveryCapturedPacketAndEveryPrefix) {
    const std::vector<std::string> files = all_captures();
    ASSERT_GE(files.size(), 40u);
    std::size_t packets = 0;
    for (const std::string& file : files) {
        SCOPED_TRACE(file);
        const CaptureFile cap = read_capture(file);
        std::map<std::string, int> counts;
        for (std::size_t i = 0; i < cap.packets.size(); ++i) {
            SCOPED_TRACE("frame " + std::to_string(i + 1));
            const std::vector<std::uint8_t>& bytes = cap.packets[i].bytes;
            // Non-Ethernet captures are fed as if they were Ethernet: nonsense in, no crash out.
            const ParsedPacket full = parse_exact(bytes);
            check_invariants(full, bytes.size());
            check_prefixes(bytes, full);
            if (HasFatalFailure()) return;
            ++counts[full.outcome == ParseOutcome::ok ? "ok" : full.outcome == ParseOutcome::not_ip
                                                                    ? "not_ip"
                                                                    : std::string(name_of(full.anomaly))];
            ++packets;
        }
        std::string line;
        for (const auto& [name, n] : counts) line += " " + name + "=" + std::to_string(n);
        std::printf("%s (linktype %d):%s\n",
                    std::filesystem::relative(file, test_data("pcap")).c_str(), cap.linktype, line.c_str());
    }
    EXPECT_GT(packets, 10000u);
}

TEST(ParserProperties, SeededRandomByteFlips) {
    std::mt19937 rng(20201001);
    std::size_t parsed = 0, ok = 0;
    for (const std::string& file : all_captures()) {
        SCOPED_TRACE(file);
        const CaptureFile cap = read_capture(file);
        // The backbone trace is large and uniform: a sample of it is enough.
        const std::size_t step = cap.packets.size() > 1000 ? 20 : 1;
        for (std::size_t i = 0; i < cap.packets.size(); i += step) {
            const std::vector<std::uint8_t>& original = cap.packets[i].bytes;
            if (original.empty()) continue;
            for (int round = 0; round < 64; ++round) {
                std::vector<std::uint8_t> bytes = original;
                // Mostly the header bytes, where the parser looks; now and then anywhere.
                const std::size_t span = round % 8 == 0 ? bytes.size() : std::min<std::size_t>(bytes.size(), 128);
                const int flips = 1 + static_cast<int>(rng() % 4);
                for (int f = 0; f < flips; ++f) {
                    bytes[rng() % span] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
                }
                if (round % 4 == 0) bytes.resize(rng() % (bytes.size() + 1));
                const ParsedPacket p = parse_exact(bytes);
                SCOPED_TRACE("frame " + std::to_string(i + 1) + " round " + std::to_string(round));
                check_invariants(p, bytes.size());
                if (HasFatalFailure()) return;
                // Deterministic: the parser keeps no state between packets.
                const ParsedPacket again = parse_exact(bytes);
                EXPECT_TRUE(same_key(p.key, again.key) && p.header_len == again.header_len &&
                            p.anomaly == again.anomaly);
                ++parsed;
                ok += p.outcome == ParseOutcome::ok;
            }
        }
    }
    std::printf("random flips: %zu parsed, %zu still ok\n", parsed, ok);
    EXPECT_GT(parsed, 10000u);
}

}  // namespace
}  // namespace flowsieve::testing
