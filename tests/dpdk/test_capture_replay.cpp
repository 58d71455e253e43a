// test_capture_replay.cpp: the replay feeder's copy of a frame into mbufs (frame_to_mbuf): the
// stand-in Ethernet header and the capture's own bytes, byte for byte, over as many chained segments
// as the pool's mbufs need (up to DPDK's limit), and nothing kept from the pool when it fails.
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "dpdk/capture_replay.hpp"
#include "parse/link_header.hpp"

namespace flowsieve::testing {
namespace {

// A pool of `n` mbufs holding `room` data bytes each (after the headroom).
rte_mempool* pool_of(unsigned n, std::uint16_t room) {
    static int serial = 0;
    const std::string name = "cr" + std::to_string(serial++);
    return rte_pktmbuf_pool_create(name.c_str(), n, 0, 0, static_cast<std::uint16_t>(RTE_PKTMBUF_HEADROOM + room), 0);
}

// The largest frame of a real Linux cooked capture (7,196 bytes: a TSO-sized segment) with its
// stand-in header, as the feeder makes them.
struct Frame {
    EthernetStandIn eth;
    std::vector<std::uint8_t> captured;
    std::span<const std::uint8_t> head() const { return {eth.header.data(), eth.length}; }
    std::span<const std::uint8_t> body() const { return std::span(captured).subspan(eth.skip); }
};

Frame largest_cooked_frame() {
    const auto cap = read_capture(test_data("pcap/ipv4/mptcp-v1.pcap"));
    const auto it = std::max_element(cap.packets.begin(), cap.packets.end(),
                                     [](const auto& a, const auto& b) { return a.bytes.size() < b.bytes.size(); });
    Frame f;
    f.captured = it->bytes;
    f.eth = ethernet_stand_in(cap.linktype, f.captured);
    return f;
}

std::vector<std::uint8_t> bytes_of(const rte_mbuf* m) {
    std::vector<std::uint8_t> out;
    for (const rte_mbuf* s = m; s != nullptr; s = s->next) {
        const auto* p = rte_pktmbuf_mtod(s, const std::uint8_t*);
        out.insert(out.end(), p, p + s->data_len);
    }
    return out;
}

// The mbuf frame_to_mbuf makes from `pool` (of `room`-byte segments) holds head then body, byte for
// byte, in as few segments as they fit: every one full but the last.
void expect_copied(rte_mempool* pool, std::uint16_t room, std::span<const std::uint8_t> head, std::span<const std::uint8_t> body) {
    std::vector<std::uint8_t> want(head.begin(), head.end());
    want.insert(want.end(), body.begin(), body.end());
    rte_mbuf* m = frame_to_mbuf(pool, head, body);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->pkt_len, want.size());
    EXPECT_EQ(m->nb_segs, std::max<std::size_t>(1, (want.size() + room - 1) / room));
    for (const rte_mbuf* s = m; s != nullptr; s = s->next)
        EXPECT_EQ(s->data_len, s->next ? room : want.size() - (m->nb_segs - 1u) * room);
    EXPECT_EQ(bytes_of(m), want);
    rte_pktmbuf_free(m);
}

// Also frames with an empty head or body, each size of segment.
TEST(FrameToMbuf, CopiesTheStandInAndTheFrameByteForByteOverAsManySegmentsAsItTakes) {
    const Frame f = largest_cooked_frame();
    ASSERT_EQ(f.captured.size(), 7196u);
    ASSERT_EQ(f.eth.length, 14u);
    ASSERT_EQ(f.eth.skip, 16u);  // the cooked header
    // Segments smaller than the stand-in (it then spans two or three), of odd sizes, and one large
    // enough for the whole frame.
    constexpr std::uint16_t rooms[] = {5, 10, 14, 100, 1000, 2048, 8192};
    for (const std::uint16_t room : rooms) {
        SCOPED_TRACE("segment room " + std::to_string(room));
        rte_mempool* pool = pool_of(2047, room);
        ASSERT_NE(pool, nullptr);
        expect_copied(pool, room, f.head(), f.body());
        expect_copied(pool, room, f.head(), {});  // a frame that was nothing but its link header
        expect_copied(pool, room, {}, {});        // an empty frame: one empty segment, for the parser to count
        expect_copied(pool, room, {}, f.body().first(200));  // an Ethernet capture: no stand-in
        EXPECT_EQ(rte_mempool_avail_count(pool), 2047u);
        rte_mempool_free(pool);
    }
}

TEST(FrameToMbuf, APoolThatRunsOutGivesNothingAndKeepsNothing) {
    const Frame f = largest_cooked_frame();
    // 7,194 bytes (the 14-byte stand-in and 7,180 after the cooked header) in 1,000-byte segments
    // need 8 mbufs; with 7 the copy fails part way, in the body.
    rte_mempool* pool = pool_of(7, 1000);
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(frame_to_mbuf(pool, f.head(), f.body()), nullptr);
    EXPECT_EQ(rte_mempool_avail_count(pool), 7u);  // the segments already filled went back
    // And with no mbuf at all, and with only the first one.
    std::vector<rte_mbuf*> taken(7);
    ASSERT_EQ(rte_pktmbuf_alloc_bulk(pool, taken.data(), 7), 0);
    EXPECT_EQ(frame_to_mbuf(pool, f.head(), f.body()), nullptr);
    rte_pktmbuf_free(taken.back());
    taken.pop_back();
    EXPECT_EQ(frame_to_mbuf(pool, f.head(), f.body()), nullptr);
    EXPECT_EQ(rte_mempool_avail_count(pool), 1u);
    for (rte_mbuf* m : taken) rte_pktmbuf_free(m);
    // The same frame fits once the pool has its 8 segments.
    rte_mempool_free(pool);
    pool = pool_of(8, 1000);
    ASSERT_NE(pool, nullptr);
    ASSERT_EQ(f.head().size() + f.body().size(), 7194u);
    expect_copied(pool, 1000, f.head(), f.body());
    rte_mempool_free(pool);
}

// A chain may not have more than RTE_MBUF_MAX_NB_SEGS segments: a frame that would need one more
// (here in 1-byte segments, from a pool that has them) is refused, and the segments it had taken go
// back to the pool; one segment less still fits.
TEST(FrameToMbuf, AChainPastTheSegmentLimitIsRefusedAndKeepsNothing) {
    const Frame f = largest_cooked_frame();
    std::vector<std::uint8_t> body;
    while (body.size() < RTE_MBUF_MAX_NB_SEGS) body.insert(body.end(), f.body().begin(), f.body().end());
    constexpr unsigned mbufs = RTE_MBUF_MAX_NB_SEGS + 100;
    rte_mempool* pool = pool_of(mbufs, 1);
    ASSERT_NE(pool, nullptr);
    const auto one_too_many = std::span(body).first(RTE_MBUF_MAX_NB_SEGS + 1 - f.head().size());
    EXPECT_EQ(frame_to_mbuf(pool, f.head(), one_too_many), nullptr);
    EXPECT_EQ(rte_mempool_avail_count(pool), mbufs);
    rte_mbuf* m = frame_to_mbuf(pool, f.head(), one_too_many.first(one_too_many.size() - 1));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->nb_segs, RTE_MBUF_MAX_NB_SEGS);
    EXPECT_EQ(m->pkt_len, RTE_MBUF_MAX_NB_SEGS);
    rte_pktmbuf_free(m);
    EXPECT_EQ(rte_mempool_avail_count(pool), mbufs);
    rte_mempool_free(pool);
}

}  // namespace
}  // namespace flowsieve::testing
