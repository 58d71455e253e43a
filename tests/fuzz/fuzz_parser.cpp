// fuzz_parser.cpp: libFuzzer harness for parse_packet over a sequence of frames, with the header
// invariants (invariant 1) asserted on every frame and the policy decision run on each result.
//
// Input format (tests/fuzz/make_parser_seeds.py writes it): repeated [u16 big-endian length][bytes];
// a length past the end of the input takes what is left. Each frame is copied into its own heap
// buffer of exactly its size, so ASan reports any read past the frame (within the fuzz input it
// would land in the next frame, unseen). Parsed results go into slots reused across frames and
// inputs, as the worker reuses its burst arrays, so state leaking from one frame into the next
// shows up as a difference from a fresh parse.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "control/config.hpp"
#include "control/snapshot_builder.hpp"
#include "core/time_text.hpp"
#include "export/header_record.hpp"
#include "fuzz_support.hpp"
#include "parse/packet_parser.hpp"
#include "policy/classifier.hpp"

namespace flowsieve::fuzz {
namespace {

constexpr std::size_t burst = 32;  // the worker's burst: slots are reused modulo this

// The policy world: tests/fuzz/policy.yaml (world extract, real feeds, the example authorisations),
// compiled once by the real snapshot builder.
const Snapshot& snapshot() {
    static const std::unique_ptr<Snapshot> snap = [] {
        auto config = load_config(FLOWSIEVE_SOURCE_ROOT "/tests/fuzz/policy.yaml");
        if (!config) {
            std::fprintf(stderr, "fuzz_parser: %s\n", config.error().message.c_str());
            std::abort();
        }
        BuildReport report;
        auto s = build_snapshot(*config, 1, 0, report, SerialRecording::record);
        if (!s) {
            std::fprintf(stderr, "fuzz_parser: %s\n", s.error().message.c_str());
            std::abort();
        }
        FUZZ_CHECK(!(*s)->rules.empty());
        return std::move(s.value());
    }();
    return *snap;
}

// Packet times: inside every example authorisation's window, and before all of them.
const std::uint64_t time_inside = static_cast<std::uint64_t>(*parse_time("2026-06-01T12:00:00Z"));
const std::uint64_t time_before = static_cast<std::uint64_t>(*parse_time("2019-06-01T12:00:00Z"));

bool has_l4_ports(std::uint8_t proto) {
    return proto == ipproto::tcp || proto == ipproto::udp || proto == ipproto::sctp;
}

// The parser's own promises (packet_parser.hpp) on one frame.
void check_parse(std::span<const std::uint8_t> frame, ParseOutcome rc, const ParsedPacket& p) {
    FUZZ_CHECK(rc == p.outcome);
    if (p.outcome != ParseOutcome::ok) {
        FUZZ_CHECK(p.header_len == 0);
        FUZZ_CHECK(!p.key.has_ports);
        FUZZ_CHECK((p.outcome == ParseOutcome::anomaly) == (p.anomaly != Anomaly::none));
        return;
    }
    FUZZ_CHECK(p.anomaly == Anomaly::none);
    FUZZ_CHECK(p.vlan_count <= max_vlan_tags);
    FUZZ_CHECK(p.l3_offset == 14 + 4 * p.vlan_count);
    FUZZ_CHECK(p.key.src.family == p.key.dst.family && p.key.src.family != Family::none);
    // The other family's field is zero: the caches key an address by the two fields OR-ed together.
    for (const IpAddress* a : {&p.key.src, &p.key.dst})
        FUZZ_CHECK(a->is_v4() ? a->v6 == U128{} : a->v4 == 0);
    // Header length: past the L3 header start, never past the IP end, never past the capture.
    FUZZ_CHECK(p.header_len <= frame.size());
    FUZZ_CHECK(p.ip_end <= frame.size());
    FUZZ_CHECK(p.header_len <= p.ip_end);
    FUZZ_CHECK(p.l3_offset < p.header_len);
    FUZZ_CHECK(p.header_len - p.l3_offset >= (p.key.src.is_v4() ? 20 : 40));
    // ip_end is the captured end exactly when the IP length claims more than was captured.
    if (p.snapped) FUZZ_CHECK(p.ip_end == std::min<std::size_t>(frame.size(), 0xFFFF));
    // Ports only with a complete TCP/UDP/SCTP header, never on a non-first fragment.
    if (p.key.has_ports) FUZZ_CHECK(has_l4_ports(p.key.proto) && p.key.fragment != Fragment::non_first);
    if (p.key.fragment == Fragment::non_first) FUZZ_CHECK(p.l4_offset == 0);
    if (p.l4_offset == 0) {
        FUZZ_CHECK(!p.key.has_ports);
        return;
    }
    // An L4 header: the record ends exactly at its end (no payload byte, invariant 1).
    FUZZ_CHECK(p.l4_offset > p.l3_offset && p.l4_offset < p.header_len);
    const std::size_t l4_len = p.header_len - p.l4_offset;
    switch (p.key.proto) {
        case ipproto::tcp: FUZZ_CHECK(l4_len == static_cast<std::size_t>(frame[p.l4_offset + 12] >> 4) * 4 && l4_len >= 20); break;
        case ipproto::udp:
        case ipproto::icmp:
        case ipproto::ipv6_icmp: FUZZ_CHECK(l4_len == 8); break;
        case ipproto::sctp: FUZZ_CHECK(l4_len == 12); break;
        default: FUZZ_CHECK(false && "an L4 offset for a protocol the parser does not read");
    }
    FUZZ_CHECK(p.key.has_ports == has_l4_ports(p.key.proto));
}

// The bytes a record may carry must be enough to reparse the same header: the record is a
// self-contained, payload-free copy.
void check_header_alone(std::span<const std::uint8_t> frame, const ParsedPacket& p) {
    std::vector<std::uint8_t> head(frame.begin(), frame.begin() + p.header_len);
    ParsedPacket q;
    FUZZ_CHECK(parse_packet(head, q) == ParseOutcome::ok);
    FUZZ_CHECK(q.key.src == p.key.src && q.key.dst == p.key.dst && q.key.proto == p.key.proto);
    FUZZ_CHECK(q.key.has_ports == p.key.has_ports && q.key.src_port == p.key.src_port &&
               q.key.dst_port == p.key.dst_port && q.key.fragment == p.key.fragment);
    FUZZ_CHECK(q.header_len == p.header_len && q.l4_offset == p.l4_offset);
}

// What decide() may answer for a parsed packet (invariants 2 and 3).
void check_verdict(const Snapshot& s, const ParsedPacket& p, std::uint64_t t, const Verdict& v) {
    if (p.outcome == ParseOutcome::anomaly) FUZZ_CHECK(!v.emit && v.reason == drop_reason_of(p.anomaly));
    if (p.outcome == ParseOutcome::not_ip) FUZZ_CHECK(!v.emit && v.reason == DropReason::not_ip);
    if (!v.emit) {
        FUZZ_CHECK(v.reason != DropReason::ring_full && static_cast<std::size_t>(v.reason) < drop_reason_count);
        return;
    }
    FUZZ_CHECK(p.outcome == ParseOutcome::ok);
    FUZZ_CHECK(v.rule < s.rules.size());
    FUZZ_CHECK(v.authorisation == s.rules[v.rule].authorisation && v.authorisation < s.windows.size());
    FUZZ_CHECK(s.windows[v.authorisation].valid_at(t));
    const EndpointClass a = classify_endpoint(s, p.key.src), b = classify_endpoint(s, p.key.dst);
    FUZZ_CHECK(a.kind != EndpointKind::special && b.kind != EndpointKind::special);
    FUZZ_CHECK(!(is_national(a.kind) && is_national(b.kind)));
}

// The record exactly as process_burst (src/dataplane/worker.cpp) fills it for a selected packet.
void check_record(std::span<const std::uint8_t> frame, const ParsedPacket& p) {
    static HeaderRecord r;
    std::memset(r.bytes, 0xA5, sizeof r.bytes);
    const std::uint16_t allowed = std::min<std::uint16_t>(p.header_len, static_cast<std::uint16_t>(frame.size()));
    const std::uint16_t len = std::min<std::uint16_t>(allowed, HeaderRecord::max_header_bytes);
    r.header_len = len;
    r.truncated = allowed > len;
    std::memcpy(r.bytes, frame.data(), len);
    FUZZ_CHECK(r.header_len <= p.header_len && r.header_len <= HeaderRecord::max_header_bytes);
    FUZZ_CHECK(r.truncated == (p.header_len > HeaderRecord::max_header_bytes));
    FUZZ_CHECK(std::memcmp(r.bytes, frame.data(), len) == 0);
    for (std::size_t i = len; i < sizeof r.bytes; ++i) FUZZ_CHECK(r.bytes[i] == 0xA5);  // nothing past it
}

}  // namespace
}  // namespace flowsieve::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    flowsieve::fuzz::snapshot();  // load before the first input, so it is not timed against one
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    using namespace flowsieve::fuzz;
    static std::array<ParsedPacket, burst> slots;  // reused like Worker::parsed
    const Snapshot& snap = snapshot();
    std::size_t pos = 0;
    for (std::size_t i = 0; pos + 2 <= size; ++i) {
        const std::size_t want = std::size_t{data[pos]} << 8 | data[pos + 1];
        pos += 2;
        const std::size_t n = std::min(want, size - pos);
        // Exactly sized, so reading one byte past the frame is a heap-buffer-overflow.
        const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[n == 0 ? 1 : n]);
        if (n != 0) std::memcpy(copy.get(), data + pos, n);
        pos += n;
        const std::span<const std::uint8_t> frame(copy.get(), n);

        ParsedPacket& p = slots[i % burst];
        const ParseOutcome rc = parse_packet(frame, p);
        check_parse(frame, rc, p);
        ParsedPacket fresh;
        parse_packet(frame, fresh);
        FUZZ_CHECK(p == fresh);  // no state from an earlier frame
        ParsedPacket full;           // the common-shape shortcut must change nothing (issue #6)
        FUZZ_CHECK(detail::parse_packet_full(frame, full) == rc && p == full);
        if (p.outcome == ParseOutcome::ok) check_header_alone(frame, p);

        bool emitted = false;
        for (const std::uint64_t t : {time_inside, time_before}) {
            const Verdict v = decide(snap, p, t);
            check_verdict(snap, p, t, v);
            emitted |= v.emit;
        }
        // Every parsed packet could be selected under some rule; check the record for all of them.
        if (p.outcome == ParseOutcome::ok || emitted) check_record(frame, p);
    }
    return 0;
}
