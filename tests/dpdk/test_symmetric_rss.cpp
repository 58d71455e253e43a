// test_symmetric_rss.cpp: the symmetric RSS key that port.cpp programs, checked in software with
// rte_softrss on the NIC's Toeplitz input layout, over every flow of the real captures.
#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include <array>
#include <compare>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "dpdk/port.hpp"
#include "parse/packet_parser.hpp"

namespace flowsieve::testing {
namespace {

// DPDK's default (Microsoft RSS verification suite) key: the one most PMDs program when none is given.
constexpr std::array<std::uint8_t, 40> default_key = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

struct Endpoint {
    IpAddress addr;
    std::uint16_t port = 0;
    friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

// What the NIC hashes for a packet: src addr, dst addr, then src port, dst port for unfragmented
// TCP/UDP/SCTP (RTE_ETH_RSS_NONFRAG_*); the two addresses alone for fragments and other protocols.
struct HashInput {
    Endpoint src, dst;
    bool l4 = false;
};

HashInput hash_input(const FlowKey& k) {
    const bool l4 = k.has_ports && k.fragment == Fragment::none &&
                    (k.proto == ipproto::tcp || k.proto == ipproto::udp || k.proto == ipproto::sctp);
    return {{k.src, l4 ? k.src_port : std::uint16_t{0}}, {k.dst, l4 ? k.dst_port : std::uint16_t{0}}, l4};
}

HashInput reversed(const HashInput& h) { return {h.dst, h.src, h.l4}; }

void put_v6(std::uint8_t* out, const U128& a) {
    for (int i = 0; i < 8; ++i) {
        out[i] = static_cast<std::uint8_t>(a.hi >> (56 - 8 * i));
        out[8 + i] = static_cast<std::uint8_t>(a.lo >> (56 - 8 * i));
    }
}

// The Toeplitz hash the NIC computes, via DPDK's own tuple structs (host-order dwords).
std::uint32_t nic_hash(const HashInput& h, const std::uint8_t* key) {
    rte_thash_tuple t{};
    if (h.src.addr.is_v4()) {
        t.v4.src_addr = h.src.addr.v4;
        t.v4.dst_addr = h.dst.addr.v4;
        t.v4.sport = h.src.port;
        t.v4.dport = h.dst.port;
        return rte_softrss(reinterpret_cast<std::uint32_t*>(&t), h.l4 ? RTE_THASH_V4_L4_LEN : RTE_THASH_V4_L3_LEN,
                           key);
    }
    rte_ipv6_hdr ip{};
    put_v6(ip.src_addr, h.src.addr.v6);
    put_v6(ip.dst_addr, h.dst.addr.v6);
    rte_thash_load_v6_addrs(&ip, &t);
    t.v6.sport = h.src.port;
    t.v6.dport = h.dst.port;
    return rte_softrss(reinterpret_cast<std::uint32_t*>(&t), h.l4 ? RTE_THASH_V6_L4_LEN : RTE_THASH_V6_L3_LEN, key);
}

HashInput v4_input(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport, bool l4) {
    return {{*parse_ip(src), sport}, {*parse_ip(dst), dport}, l4};
}

// The layout above must be the NIC's, or the symmetry checks below prove nothing: Microsoft's RSS
// verification suite (also the 82599 datasheet, 7.1.2.8.3), default key, IPv4 and IPv6.
TEST(SymmetricRss, HashInputLayoutMatchesTheRssVerificationSuite) {
    struct Case {
        const char *src, *dst;
        std::uint16_t sport, dport;
        std::uint32_t l3, l4;  // l3 == 0: the suite gives no IP-only value used here
    };
    const Case cases[] = {
        {"66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178},
        {"199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea},
        {"24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a},
        {"38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f},
        {"153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2},
        {"3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766, 0x2cc18cd5, 0x40207d3d},
        {"3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739, 0, 0xdde51bbf},
        {"3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf", 44251, 38024, 0, 0x02d1feef},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.src) + " -> " + c.dst);
        EXPECT_EQ(nic_hash(v4_input(c.src, c.sport, c.dst, c.dport, true), default_key.data()), c.l4);
        if (c.l3 != 0) {
            EXPECT_EQ(nic_hash(v4_input(c.src, 0, c.dst, 0, false), default_key.data()), c.l3);
        }
    }
}

struct FlowId {
    Endpoint lo, hi;
    std::uint8_t proto = 0;
    bool l4 = false;
    friend auto operator<=>(const FlowId&, const FlowId&) = default;
};

struct FlowSeen {
    HashInput first;  // one packet of the flow as it appeared
    bool forward = false, backward = false;  // directions seen, relative to (lo -> hi)
};

// Every flow of every Ethernet capture under tests/data/pcap, as the parser sees it.
struct CaptureFlows {
    std::map<FlowId, FlowSeen> flows;
    std::vector<std::pair<FlowId, HashInput>> packets;
    std::size_t files = 0;
};

const CaptureFlows& capture_flows() {
    static const CaptureFlows all = [] {
        CaptureFlows c;
        for (const auto& e : std::filesystem::recursive_directory_iterator(test_data("pcap"))) {
            const auto ext = e.path().extension();
            if (!e.is_regular_file() || (ext != ".pcap" && ext != ".pcapng")) continue;
            auto cap = read_capture(e.path().string());
            if (cap.linktype != 1) continue;  // the parser takes Ethernet frames
            ++c.files;
            for (const auto& p : cap.packets) {
                ParsedPacket pp;
                if (parse_packet(p.bytes, pp) != ParseOutcome::ok) continue;
                const HashInput in = hash_input(pp.key);
                const bool fwd = in.src <= in.dst;
                FlowId id{fwd ? in.src : in.dst, fwd ? in.dst : in.src, pp.key.proto, in.l4};
                auto [it, fresh] = c.flows.try_emplace(id, FlowSeen{in});
                (fwd ? it->second.forward : it->second.backward) = true;
                c.packets.emplace_back(id, in);
            }
        }
        return c;
    }();
    return all;
}

// Counts flows whose two directions hash apart under `key`: from the reversed tuple of every
// flow, and from the packets really seen in both directions.
struct Asymmetry {
    std::size_t swapped = 0;   // flows where hash(a->b) != hash(b->a)
    std::size_t observed = 0;  // bidirectional flows whose packets do not all share one hash
    std::size_t bidirectional = 0;
};

Asymmetry asymmetry(const std::uint8_t* key) {
    const auto& c = capture_flows();
    Asymmetry a;
    std::map<FlowId, std::vector<std::uint32_t>> hashes;
    for (const auto& [id, in] : c.packets) hashes[id].push_back(nic_hash(in, key));
    for (const auto& [id, seen] : c.flows) {
        if (nic_hash(seen.first, key) != nic_hash(reversed(seen.first), key)) ++a.swapped;
        if (!(seen.forward && seen.backward)) continue;
        ++a.bidirectional;
        const auto& h = hashes[id];
        if (std::any_of(h.begin(), h.end(), [&](std::uint32_t v) { return v != h.front(); })) ++a.observed;
    }
    return a;
}

TEST(SymmetricRss, CapturesHoldManyFlowsSeenInBothDirections) {
    const auto& c = capture_flows();
    EXPECT_GE(c.files, 20u);
    EXPECT_GE(c.flows.size(), 1000u) << "the backbone capture alone holds thousands of flows";
    const auto bidirectional = asymmetry(default_key.data()).bidirectional;
    EXPECT_GE(bidirectional, 100u);
    RecordProperty("files", static_cast<int>(c.files));
    RecordProperty("flows", static_cast<int>(c.flows.size()));
    RecordProperty("packets", static_cast<int>(c.packets.size()));
    RecordProperty("bidirectional_flows", static_cast<int>(bidirectional));
}

// Every flow, both ways, lands on one queue: the whole reason for the key (one worker per flow).
// The device's key has its own length (40 bytes on most PMDs, 52 on i40e/ice): both stay symmetric.
TEST(SymmetricRss, SymmetricKeyHashesBothDirectionsOfEveryCapturedFlowAlike) {
    const auto key40 = symmetric_rss_key();
    std::array<std::uint8_t, 52> key52{};  // the symmetric pattern at i40e/ice length
    for (std::size_t i = 0; i < key52.size(); ++i) key52[i] = key40[i % key40.size()];
    for (const std::uint8_t* key : {key40.data(), static_cast<const std::uint8_t*>(key52.data())}) {
        const auto a = asymmetry(key);
        EXPECT_EQ(a.swapped, 0u) << "flows whose reversed tuple hashes elsewhere";
        EXPECT_EQ(a.observed, 0u) << "of " << a.bidirectional << " flows seen both ways, these split across hashes";
    }
}

// The check above can fail: DPDK's default key, which is not symmetric, splits most flows.
TEST(SymmetricRss, DefaultKeyWouldSplitDirectionsSoTheCheckCanFail) {
    const auto a = asymmetry(default_key.data());
    const auto flows = capture_flows().flows.size();
    RecordProperty("default_key_swapped_asymmetric", static_cast<int>(a.swapped));
    RecordProperty("default_key_observed_split", static_cast<int>(a.observed));
    EXPECT_GT(a.swapped, flows / 2) << "of " << flows << " flows";
    EXPECT_GT(a.observed, a.bidirectional / 2) << "of " << a.bidirectional << " flows seen both ways";
}

}  // namespace
}  // namespace flowsieve::testing
