// test_record_ring.cpp: the per-worker SPSC ring of HeaderRecords: exact capacity, a full ring
// refuses (the worker counts ring_full), FIFO order, all 256 bytes of every record intact, and the
// exporter's zero-copy batches.
#include <gtest/gtest.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "capture_file.hpp"
#include "dpdk/record_ring.hpp"
#include "parse/packet_parser.hpp"

namespace flowsieve::testing {
namespace {

// Records as a worker makes them: the headers of real packets, every field set, distinct per index.
std::vector<HeaderRecord> real_records(std::size_t n) {
    auto cap = read_capture(test_data("pcap/ipv4/tcp-http.pcap"));
    std::vector<HeaderRecord> out;
    for (std::size_t i = 0; out.size() < n; ++i) {
        const auto& p = cap.packets[i % cap.packets.size()];
        ParsedPacket pp;
        if (parse_packet(p.bytes, pp) != ParseOutcome::ok) continue;
        HeaderRecord r;
        r.time_ns = p.time_ns + out.size();
        r.generation = 7;
        r.wire_len = p.wire_len;
        r.rule = static_cast<std::uint32_t>(out.size() % 5);
        r.authorisation = static_cast<std::uint32_t>(out.size() % 3);
        r.header_len = std::min<std::uint16_t>(pp.header_len, HeaderRecord::max_header_bytes);
        r.port = static_cast<std::uint16_t>(out.size() % 4);
        r.worker = static_cast<std::uint8_t>(out.size());
        std::memcpy(r.bytes, p.bytes.data(), r.header_len);
        out.push_back(r);
    }
    return out;
}

bool same_record(const HeaderRecord& a, const HeaderRecord& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

struct RingGuard {
    rte_ring* r = nullptr;
    ~RingGuard() { rte_ring_free(r); }
};

TEST(RecordRing, HoldsExactlyItsSizeThenRefusesInFifoOrder) {
    constexpr unsigned size = 100;  // not a power of two: RING_F_EXACT_SZ makes it the capacity
    auto ring = create_record_ring("fs_test_ring_fifo", size, SOCKET_ID_ANY);
    ASSERT_TRUE(ring) << ring.error().message;
    RingGuard guard{*ring};
    EXPECT_EQ(rte_ring_get_capacity(*ring), size);

    const auto recs = real_records(size + 30);
    // Uneven bursts up to capacity, as workers enqueue them.
    unsigned in = 0;
    for (unsigned burst : {1u, 32u, 7u, 32u, 28u}) {
        EXPECT_EQ(enqueue_records(*ring, recs.data() + in, burst), burst);
        in += burst;
    }
    ASSERT_EQ(in, size);
    // Full: nothing more goes in; a burst is cut at what fits, the rest are the worker's drops.
    EXPECT_EQ(enqueue_records(*ring, &recs[in], 1), 0u);
    EXPECT_EQ(enqueue_records(*ring, &recs[in], 30), 0u);

    std::vector<HeaderRecord> got(size + 30);
    ASSERT_EQ(dequeue_records(*ring, got.data(), 10), 10u);
    EXPECT_EQ(enqueue_records(*ring, &recs[in], 30), 10u) << "only the 10 freed slots";
    ASSERT_EQ(dequeue_records(*ring, got.data() + 10, 200), size);
    EXPECT_EQ(dequeue_records(*ring, got.data(), 1), 0u) << "empty after draining";
    for (unsigned i = 0; i < size + 10; ++i) EXPECT_TRUE(same_record(got[i], recs[i])) << "record " << i;
}

TEST(RecordRing, ProducerAndConsumerThreadsKeepOrderAndContents) {
    auto ring = create_record_ring("fs_test_ring_spsc", 256, SOCKET_ID_ANY);
    ASSERT_TRUE(ring) << ring.error().message;
    RingGuard guard{*ring};
    const auto recs = real_records(1000);
    constexpr std::uint64_t total = 200'000;

    std::atomic<bool> done{false};
    std::uint64_t ring_full = 0;
    std::thread producer([&] {
        std::array<HeaderRecord, 32> burst;
        for (std::uint64_t seq = 0; seq < total;) {
            const auto n = static_cast<unsigned>(std::min<std::uint64_t>(burst.size(), total - seq));
            for (unsigned i = 0; i < n; ++i) {
                burst[i] = recs[(seq + i) % recs.size()];
                burst[i].generation = seq + i;  // sequence number
            }
            const unsigned put = enqueue_records(*ring, burst.data(), n);
            ring_full += n - put;  // what a worker counts as ring_full drops
            seq += n;
        }
        done.store(true, std::memory_order_release);
    });
    std::uint64_t received = 0, last = 0, bad = 0;
    std::array<HeaderRecord, 64> out;
    for (;;) {
        const bool finished = done.load(std::memory_order_acquire);
        unsigned n = dequeue_records(*ring, out.data(), static_cast<unsigned>(out.size()));
        for (unsigned i = 0; i < n; ++i) {
            const auto seq = out[i].generation;
            HeaderRecord want = recs[seq % recs.size()];
            want.generation = seq;
            if ((received > 0 && seq <= last) || !same_record(out[i], want)) ++bad;
            last = seq;
            ++received;
        }
        if (finished && n == 0) break;
    }
    producer.join();
    EXPECT_EQ(bad, 0u) << "records out of order or altered";
    EXPECT_EQ(received + ring_full, total) << "every record is either delivered or counted as dropped";
    EXPECT_GT(received, 0u);
}

// The exporter's side: a batch is read in place across the ring's wrap, in order and intact, and its
// slots stay taken until it is released (a worker meanwhile finds the ring as full as before).
TEST(RecordRing, BatchReadsInPlaceAcrossTheWrapAndFreesItsSlotsOnRelease) {
    constexpr unsigned size = 64;
    auto ring = create_record_ring("fs_test_ring_batch", size, SOCKET_ID_ANY);
    ASSERT_TRUE(ring) << ring.error().message;
    RingGuard guard{*ring};
    const auto recs = real_records(size + 40);
    std::vector<HeaderRecord> got(size);
    // Move the head 40 slots on, so that the next 64 records wrap around the ring's end.
    ASSERT_EQ(enqueue_records(*ring, recs.data(), 40), 40u);
    ASSERT_EQ(dequeue_records(*ring, got.data(), 40), 40u);
    ASSERT_EQ(enqueue_records(*ring, recs.data() + 40, size), size);

    const RecordBatch first(*ring, 50);
    ASSERT_EQ(first.count(), 50u);
    for (unsigned i = 0; i < first.count(); ++i) EXPECT_TRUE(same_record(first[i], recs[40 + i])) << "record " << i;
    EXPECT_EQ(enqueue_records(*ring, recs.data(), 1), 0u) << "a batch's slots are not free before its release";
    RecordBatch::release(*ring, first.count());
    EXPECT_EQ(rte_ring_count(*ring), size - 50);
    EXPECT_EQ(enqueue_records(*ring, recs.data(), 50), 50u) << "released slots take new records";

    const RecordBatch rest(*ring, size);
    ASSERT_EQ(rest.count(), size);
    for (unsigned i = 0; i < size - 50; ++i) EXPECT_TRUE(same_record(rest[i], recs[90 + i])) << "record " << 50 + i;
    for (unsigned i = 0; i < 50; ++i) EXPECT_TRUE(same_record(rest[size - 50 + i], recs[i])) << "new record " << i;
    RecordBatch::release(*ring, rest.count());
    EXPECT_EQ(RecordBatch(*ring, 1).count(), 0u) << "empty after both batches";
}

TEST(RecordRing, DuplicateNameIsAClearError) {
    auto first = create_record_ring("fs_test_ring_dup", 64, SOCKET_ID_ANY);
    ASSERT_TRUE(first) << first.error().message;
    RingGuard guard{*first};
    auto second = create_record_ring("fs_test_ring_dup", 64, SOCKET_ID_ANY);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("fs_test_ring_dup"), std::string::npos) << second.error().message;
}

}  // namespace
}  // namespace flowsieve::testing
