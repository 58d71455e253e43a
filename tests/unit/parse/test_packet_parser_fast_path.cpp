// test_packet_parser_fast_path.cpp: parse_packet (common-shape shortcut, then the full parser) must
// give exactly the full parser's result, field by field, for every input (test thread).
//
// Inputs: (a) every frame of every capture under tests/data/pcap, as read and with non-Ethernet
// link headers replaced by an Ethernet header; (b) mutations of those frames - every truncation
// length, seeded random byte flips, and random and boundary values written into the fields the
// shortcut tests (EtherType, IPv4 version/IHL/total length/flags, IPv6 payload length/next header,
// protocol, TCP data offset, UDP length); (c) crafted frames in the shapes the traffic generator
// sends, across VLAN tags, IP versions, fragments, protocols, lengths, Ethernet padding and
// snaplens. Each result is written over a stale ParsedPacket, as the worker reuses its burst
// slots, so a field the shortcut forgets to write shows up as a difference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "frame_builder.hpp"
#include "parse/fast_path.hpp"
#include "parse/link_header.hpp"
#include "parse_test_util.hpp"

namespace flowsieve::testing {
namespace {

// Two stale results with every field different from the other, so that a field left unwritten
// differs from the full parser's value in at least one of them.
ParsedPacket stale(bool which) {
    ParsedPacket p;
    p.key.src = which ? IpAddress::from_v4(0x01020304) : IpAddress::from_v6(U128{1, 2});
    p.key.dst = which ? IpAddress::from_v6(U128{3, 4}) : IpAddress::from_v4(0x05060708);
    p.key.src_port = which ? 0xDEAD : 7;
    p.key.dst_port = which ? 0xBEEF : 9;
    p.key.proto = which ? 250 : 6;
    p.key.has_ports = which;
    p.key.fragment = which ? Fragment::non_first : Fragment::first;
    p.header_len = which ? 0xFFFF : 1;
    p.l3_offset = which ? 0xFFFF : 2;
    p.ip_end = which ? 0xFFFF : 3;
    p.l4_offset = which ? 0xFFFF : 4;
    p.vlan_count = which ? 200 : 3;
    p.outcome = which ? ParseOutcome::not_ip : ParseOutcome::ok;
    p.anomaly = which ? Anomaly::ipv4_bad_ihl : Anomaly::none;
    p.snapped = which;
    return p;
}

std::string describe(const ParsedPacket& p) {
    std::ostringstream s;
    s << "{" << str(p.key.src) << " > " << str(p.key.dst) << " proto " << int{p.key.proto} << " ports "
      << p.key.src_port << ">" << p.key.dst_port << " has_ports " << p.key.has_ports << " fragment "
      << p.key.fragment << " header_len " << p.header_len << " l3 " << p.l3_offset << " ip_end " << p.ip_end
      << " l4 " << p.l4_offset << " vlans " << int{p.vlan_count} << " " << p.outcome << "/" << p.anomaly
      << " snapped " << p.snapped << "}";
    return s.str();
}

std::string hex(std::span<const std::uint8_t> bytes) {
    std::string s;
    char buf[4];
    for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 96); ++i) {
        std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
        s += buf;
    }
    return s + (bytes.size() > 96 ? "..." : "") + " (" + std::to_string(bytes.size()) + " bytes)";
}

// Counts over one sweep: inputs compared, and how many of them the shortcut took.
struct Tally {
    std::size_t compared = 0;
    std::size_t fast = 0;
    std::size_t mismatches = 0;
};

// Compares parse_packet against the full parser on `bytes` (copied into a heap block of exactly
// its size, so the sanitized build catches a read past the frame), over both stale results.
void compare(std::span<const std::uint8_t> bytes, Tally& tally, const char* what) {
    std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[bytes.empty() ? 1 : bytes.size()]);
    if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
    const std::span<const std::uint8_t> frame(copy.get(), bytes.size());

    ParsedPacket expected;
    const ParseOutcome expected_rc = detail::parse_packet_full(frame, expected);
    ParsedPacket probe = stale(false);
    const bool fast = detail::parse_common_shape(frame, probe);
    ++tally.compared;
    tally.fast += fast;
    for (const bool which : {false, true}) {
        ParsedPacket got = stale(which);
        const ParseOutcome rc = parse_packet(frame, got);
        if (rc != expected_rc || got.outcome != rc || got != expected) {
            // Stop reporting after a few: one bug would otherwise flood the log.
            if (++tally.mismatches <= 10) {
                ADD_FAILURE() << what << ": parse_packet differs from the full parser (shortcut "
                              << (fast ? "taken" : "declined") << ")\n  frame    " << hex(frame)
                              << "\n  full     " << describe(expected) << "\n  parse    " << describe(got);
            }
            return;
        }
    }
    // The shortcut itself, when it answers, must be the full parser's answer too.
    if (fast && probe != expected) {
        if (++tally.mismatches <= 10)
            ADD_FAILURE() << what << ": shortcut result differs\n  frame    " << hex(frame) << "\n  full     "
                          << describe(expected) << "\n  shortcut " << describe(probe);
    }
}

// The capture's frames as the replay hands them to the data path: other link types behind the
// Ethernet header that stands in for theirs (parse/link_header.hpp).
std::vector<Bytes> ethernet_frames(const CaptureFile& cap) {
    std::vector<Bytes> out;
    for (const CapturedPacket& pkt : cap.packets) out.push_back(converted(cap.linktype, pkt.bytes));
    return out;
}

// All frames of all captures, plus the frames of the parser fuzz corpus.
const std::vector<Bytes>& corpus() {
    static const std::vector<Bytes> frames = [] {
        std::vector<Bytes> all;
        for (const std::string& file : all_captures()) {
            std::vector<Bytes> f = ethernet_frames(read_capture(file));
            all.insert(all.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
        }
        const std::filesystem::path seeds = std::filesystem::path(test_data("")) / ".." / "fuzz" / "corpus" / "parser";
        if (std::filesystem::is_directory(seeds)) {
            for (const auto& entry : std::filesystem::directory_iterator(seeds)) {
                std::ifstream in(entry.path(), std::ios::binary);
                const Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                for (std::size_t pos = 0; pos + 2 <= data.size();) {  // [u16 length][bytes]...
                    const std::size_t n = std::min<std::size_t>(std::size_t{data[pos]} << 8 | data[pos + 1],
                                                                data.size() - pos - 2);
                    all.emplace_back(data.begin() + pos + 2, data.begin() + pos + 2 + n);
                    pos += 2 + n;
                }
            }
        }
        return all;
    }();
    return frames;
}

void report(const char* name, const Tally& t) {
    std::printf("%s: %zu compared, %zu by the shortcut, %zu mismatches\n", name, t.compared, t.fast, t.mismatches);
}

// (a) The real frames as captured.
TEST(FastPathEquivalence, EveryCapturedFrame) {
    Tally t;
    for (const Bytes& f : corpus()) compare(f, t, "captured");
    report("captured", t);
    EXPECT_EQ(t.mismatches, 0u);
    EXPECT_GT(t.compared, 10000u);
    EXPECT_GT(t.fast, 9000u);  // the backbone trace is nearly all plain TCP: the shortcut is used
}

// (b1) Every truncation length (every one up to 4 KiB, then a stride, then the last few).
TEST(FastPathEquivalence, EveryTruncation) {
    Tally t;
    for (const Bytes& f : corpus()) {
        for (std::size_t k = 0; k <= f.size(); k = k < 4096 || k + 8 >= f.size() ? k + 1 : std::min(k + 509, f.size() - 8))
            compare(std::span(f.data(), k), t, "truncated");
    }
    report("truncations", t);
    EXPECT_EQ(t.mismatches, 0u);
    EXPECT_GT(t.fast, 10000u);
}

// (b2) Seeded random byte changes, mostly in the header bytes, sometimes with a truncation.
TEST(FastPathEquivalence, RandomByteFlips) {
    std::mt19937 rng(6);
    Tally t;
    for (const Bytes& original : corpus()) {
        if (original.empty()) continue;
        for (int round = 0; round < 24; ++round) {
            Bytes b = original;
            const std::size_t span = round % 8 == 0 ? b.size() : std::min<std::size_t>(b.size(), 100);
            const int flips = 1 + static_cast<int>(rng() % 3);
            for (int i = 0; i < flips; ++i) {
                if (rng() % 2) b[rng() % span] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
                else b[rng() % span] = static_cast<std::uint8_t>(rng());
            }
            if (round % 4 == 0) b.resize(rng() % (b.size() + 1));
            compare(b, t, "flipped");
        }
    }
    report("byte flips", t);
    EXPECT_EQ(t.mismatches, 0u);
    EXPECT_GT(t.fast, 10000u);
}

void set16(Bytes& b, std::size_t off, std::size_t v) {
    if (off + 2 > b.size()) return;
    b[off] = static_cast<std::uint8_t>(v >> 8);
    b[off + 1] = static_cast<std::uint8_t>(v);
}
void set8(Bytes& b, std::size_t off, std::size_t v) {
    if (off < b.size()) b[off] = static_cast<std::uint8_t>(v);
}

// (b3) Random and boundary values in every field the shortcut reads a length, type or flag from,
// at the offsets where the frame really has them (from the full parse of the original).
TEST(FastPathEquivalence, LengthAndTypeFields) {
    std::mt19937 rng(66);
    Tally t;
    const std::vector<std::size_t> protos = {0, 1, 4, 6, 17, 41, 43, 44, 47, 50, 51, 58, 59, 60, 132, 135, 255};
    const std::vector<std::size_t> ethertypes = {0x0800, 0x86DD, 0x8100, 0x88A8, 0x9100, 0x0806, 0x8847};
    std::size_t frame_no = 0;
    for (const Bytes& original : corpus()) {
        // The backbone trace is large and uniform: a sample of it is enough.
        if (++frame_no % 7 != 0 && original.size() == 96) continue;
        ParsedPacket p;
        detail::parse_packet_full(original, p);
        const std::size_t l3 = p.l3_offset ? p.l3_offset : 14;
        const std::size_t l4 = p.l4_offset ? p.l4_offset : (p.header_len ? p.header_len : l3 + 20);
        const std::size_t n = original.size();
        // Lengths near the ones that matter: the captured bytes, the headers, 0 and the maximum.
        const std::vector<std::size_t> near = {0, 1, 7, 8, 9, 11, 12, 19, 20, 21, 39, 40, 41, n - l3 - 1, n - l3,
                                               n - l3 + 1, n - l4 - 1, n - l4, n - l4 + 1, n - l3 - 40, n - l3 - 39,
                                               n - l3 - 41, 0xFFFF, 0xFFFE};
        auto value = [&](std::size_t bits) { return rng() % 3 == 0 ? near[rng() % near.size()] : rng() & ((1u << bits) - 1); };
        for (int round = 0; round < 48; ++round) {
            Bytes b = original;
            switch (round % 12) {
                case 0: set16(b, 12, ethertypes[rng() % ethertypes.size()]); break;
                case 1: set16(b, l3 - 2, ethertypes[rng() % ethertypes.size()]); break;
                case 2: set8(b, l3, (rng() % 2 ? 0x40 : 0x60) | (rng() % 16)); break;  // version, IHL
                case 3: set16(b, l3 + 2, value(16)); break;                             // IPv4 total length
                case 4: set16(b, l3 + 6, value(16)); break;                             // IPv4 flags, offset
                case 5: set16(b, l3 + 4, value(16)); break;                             // IPv6 payload length
                case 6: set8(b, l3 + 6, protos[rng() % protos.size()]); break;          // IPv6 next header
                case 7: set8(b, l3 + 9, protos[rng() % protos.size()]); break;          // IPv4 protocol
                case 8: set8(b, l4 + 12, (rng() % 16) << 4); break;                     // TCP data offset
                case 9: set16(b, l4 + 4, value(16)); break;                             // UDP length
                case 10: set16(b, l3 + 2, value(16)); set8(b, l3 + 9, protos[rng() % protos.size()]); break;
                default: set16(b, l3 + 4, value(16)); set8(b, l3 + 6, protos[rng() % protos.size()]); break;
            }
            if (round >= 24) b.resize(rng() % (b.size() + 1));  // and a snaplen
            compare(b, t, "field");
        }
    }
    report("fields", t);
    EXPECT_EQ(t.mismatches, 0u);
    EXPECT_GT(t.fast, 10000u);
}

// Ethernet with the given tags (frame_builder's ethernet() takes them as an initializer list).
Bytes eth(std::uint16_t ethertype, const std::vector<std::uint16_t>& tags) {
    Bytes b = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
    for (std::uint16_t tpid : tags) {
        put16(b, tpid);
        put16(b, 100);
    }
    put16(b, ethertype);
    return b;
}

Bytes v4(std::uint8_t proto, const Bytes& payload, std::uint16_t flags_frag = 0,
         std::optional<std::size_t> total_len = {}, const Bytes& options = {}) {
    V4 h;
    h.proto = proto;
    h.flags_frag = flags_frag;
    h.total_len = total_len;
    h.options = options;
    return ipv4(h, payload);
}

Bytes v6(std::uint8_t next, const Bytes& payload, std::optional<std::size_t> payload_len = {}) {
    V6 h;
    h.next = next;
    h.payload_len = payload_len;
    return ipv6(h, payload);
}

// (c) Crafted frames in the generator's shapes and their near misses.
TEST(FastPathEquivalence, CraftedShapes) {
    Tally t;
    const std::vector<std::vector<std::uint16_t>> tag_sets = {{}, {0x8100}, {0x88A8}, {0x9100}, {0x8100, 0x8100}, {0x88A8, 0x8100}, {0x9100, 0x88A8},
                                                                {0x88A8, 0x8100, 0x8100}, {0x8100, 0x8100, 0x8100, 0x8100},
                                                                {0x8100, 0x8100, 0x8100, 0x8100, 0x8100}};
    const Bytes payload18 = filler(18), payload0;
    std::vector<Bytes> l4s;
    std::vector<std::uint8_t> l4_protos;
    auto add = [&](std::uint8_t proto, Bytes b) { l4_protos.push_back(proto); l4s.push_back(std::move(b)); };
    for (const std::uint8_t doff : std::vector<std::uint8_t>{0, 4, 5, 6, 8, 15}) add(ipproto::tcp, tcp(1234, 443, payload18, doff));
    add(ipproto::tcp, tcp(1234, 443, payload0, 7, 20));  // data offset past the bytes
    for (std::size_t len : {0, 7, 8, 9, 26, 27, 100}) add(ipproto::udp, udp(53, 5353, payload18, len));
    add(ipproto::sctp, sctp(7, 8, payload18));
    add(ipproto::icmp, icmp(8, 0, payload18));
    add(ipproto::ipv6_icmp, icmp(128, 0, payload18));
    add(47, filler(24, 0x11));   // GRE: not read
    add(59, payload0);           // no next header
    add(ipproto::tcp, filler(12, 0));
    add(ipproto::udp, filler(4, 0));

    for (const auto& tags : tag_sets) {
        for (std::size_t i = 0; i < l4s.size(); ++i) {
            const std::uint8_t proto = l4_protos[i];
            std::vector<Bytes> frames;
            for (const std::uint16_t ff : std::vector<std::uint16_t>{0x0000, 0x4000, 0x2000, 0x0001, 0x2001, 0x1FFF}) {
                frames.push_back(cat({eth(0x0800, tags), v4(proto, l4s[i], ff)}));
            }
            frames.push_back(cat({eth(0x0800, tags), v4(proto, l4s[i], 0, {}, {1, 1, 1, 0})}));
            for (std::size_t total : {0, 19, 20, 21, 40, 60, 1500}) {
                frames.push_back(cat({eth(0x0800, tags), v4(proto, l4s[i], 0, total)}));
            }
            frames.push_back(cat({eth(0x86DD, tags), v6(proto, l4s[i])}));
            for (std::size_t plen : {0, 1, 8, 20, 28, 1000}) {
                frames.push_back(cat({eth(0x86DD, tags), v6(proto, l4s[i], plen)}));
            }
            frames.push_back(cat({eth(0x86DD, tags), v6(0, cat({ext(proto), l4s[i]}))}));
            frames.push_back(cat({eth(0x86DD, tags), v6(44, cat({fragment6(proto, 0, true), l4s[i]}))}));
            frames.push_back(cat({eth(0x86DD, tags), v6(44, cat({fragment6(proto, 0, false), l4s[i]}))}));
            frames.push_back(cat({eth(0x0800, tags), v6(proto, l4s[i])}));  // version mismatch
            frames.push_back(cat({eth(0x86DD, tags), v4(proto, l4s[i])}));
            for (Bytes& f : frames) {
                compare(f, t, "crafted");
                Bytes padded = f;  // Ethernet padding up to the 60-byte minimum and beyond
                padded.resize(std::max<std::size_t>(padded.size(), 60) + 4, 0);
                compare(padded, t, "crafted, padded");
                for (std::size_t k = 0; k < f.size(); ++k) compare(std::span(f.data(), k), t, "crafted, cut");
            }
        }
    }
    // Frames longer than 65535 bytes: ip_end saturates.
    for (const auto& tags : tag_sets) {
        Bytes big = cat({eth(0x0800, tags), v4(ipproto::udp, udp(1, 2, {}, 0xFFFF - 20), 0, 0xFFFF)});
        big.resize(70000, 0x5A);
        compare(big, t, "long frame");
        Bytes big6 = cat({eth(0x86DD, tags), v6(ipproto::tcp, tcp(1, 2), 0xFFFF)});
        big6.resize(70000, 0x5A);
        compare(big6, t, "long frame");
    }
    report("crafted", t);
    EXPECT_EQ(t.mismatches, 0u);
    EXPECT_GT(t.fast, 1000u);
}

// The shortcut must actually be taken for the common shapes, or the speed-up silently vanishes.
TEST(FastPathEquivalence, ShortcutTakesTheCommonShapes) {
    const std::vector<Bytes> common = {
        cat({ethernet(0x0800), v4(ipproto::tcp, tcp(1, 2, filler(6)))}),
        cat({ethernet(0x0800, {0x8100}), v4(ipproto::udp, udp(1, 2, filler(18)), 0x4000)}),
        cat({ethernet(0x0800), v4(ipproto::icmp, icmp(8))}),
        cat({ethernet(0x86DD), v6(ipproto::tcp, tcp(1, 2, {}, 8))}),
        cat({ethernet(0x86DD, {0x8100}), v6(ipproto::udp, udp(1, 2))}),
        cat({ethernet(0x86DD, {0x88A8, 0x8100}), v6(ipproto::tcp, tcp(1, 2))}),
        cat({ethernet(0x0800, {0x88A8, 0x8100}), v4(ipproto::sctp, sctp(1, 2))}),
        cat({ethernet(0x86DD), v6(ipproto::ipv6_icmp, icmp(128))}),
    };
    for (const Bytes& f : common) {
        ParsedPacket p;
        EXPECT_TRUE(detail::parse_common_shape(f, p)) << hex(f);
    }
}

}  // namespace
}  // namespace flowsieve::testing
