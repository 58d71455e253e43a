// test_worker_burst.cpp: the real worker burst (process_burst) on mbufs from a mempool, against a
// snapshot built from the real world extract: no heap allocation on the data path (invariant 5), a
// full record ring drops and counts exactly without blocking (invariant 5), every mbuf is freed and
// every packet accounted for (invariant 6), records hold the headers only (invariant 1).
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <new>
#include <vector>

#include "control/config.hpp"
#include "control/snapshot_builder.hpp"
#include "control/summary_table.hpp"
#include "dataplane/worker.hpp"
#include "dpdk/record_ring.hpp"

// Counting allocator for the whole test executable; only counts while `counting` is set. new and
// delete are replaced as a pair over malloc/free, which GCC cannot see across translation units.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace flowsieve {
namespace {

namespace fs = std::filesystem;

// Two addresses the committed world extract registers abroad (AU, CN): a transit pair under JP.
constexpr std::uint8_t src_ip[4] = {1, 0, 0, 1}, dst_ip[4] = {1, 0, 1, 1};
constexpr std::size_t header_len = 14 + 20 + 20;

std::vector<std::uint8_t> transit_frame(std::uint16_t sport, std::size_t payload) {
    std::vector<std::uint8_t> f(header_len + payload, 0xAB);  // payload bytes: 0xAB
    std::uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    std::memcpy(f.data(), eth, 14);
    std::uint8_t* ip = f.data() + 14;
    const auto total = static_cast<std::uint16_t>(20 + 20 + payload);
    std::uint8_t iph[20] = {0x45, 0, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total), 0, 1, 0x40, 0, 64, 6};
    std::memcpy(ip, iph, 20);
    std::memcpy(ip + 12, src_ip, 4);
    std::memcpy(ip + 16, dst_ip, 4);
    std::uint8_t* tcp = ip + 20;
    std::memset(tcp, 0, 20);
    tcp[0] = static_cast<std::uint8_t>(sport >> 8);
    tcp[1] = static_cast<std::uint8_t>(sport);
    tcp[2] = 0x01;  // dport 443
    tcp[3] = 0xBB;
    tcp[12] = 0x50;  // data offset 5
    tcp[13] = 0x18;
    return f;
}

class WorkerBurst : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("fs-worker-" + std::to_string(getpid()));
        fs::create_directories(dir_);
        const std::string geo = std::string(FLOWSIEVE_TEST_DATA) + "/geo/";
        std::ofstream(dir_ / "a.yaml") << "id: A\nkind: approval\ncategory: transit\nissuer: test\n"
                                          "valid_from: 2000-01-01T00:00:00Z\nvalid_until: 2100-01-01T00:00:00Z\n";
        std::ofstream(dir_ / "c.yaml") << "countries:\n  files: [" << geo << "world-extract-ipv4.csv, " << geo
                                       << "world-extract-ipv6.csv]\nauthorisations: [a.yaml]\nrules:\n"
                                          "  - {id: t, category: transit, between: [foreign, foreign], authorisation: A}\n";
        auto cfg = load_config((dir_ / "c.yaml").string());
        ASSERT_TRUE(cfg) << cfg.error().message;
        BuildReport rep;
        auto snap = build_snapshot(cfg.value(), 1, 0, rep);
        ASSERT_TRUE(snap) << snap.error().message;
        snap_ = std::move(snap.value());

        pool_ = rte_pktmbuf_pool_create(("wb" + std::to_string(counter_)).c_str(), 511, 0, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE, 0);
        ASSERT_NE(pool_, nullptr);
        auto ring = create_record_ring("wb_ring" + std::to_string(counter_++), 40, 0);
        ASSERT_TRUE(ring) << ring.error().message;
        worker_ = std::make_unique<Worker>();
        worker_->ring = ring.value();
        worker_->clock = WallClock::calibrate();
    }
    void TearDown() override {
        if (worker_) rte_ring_free(worker_->ring);
        rte_mempool_free(pool_);
        fs::remove_all(dir_);
    }

    // Fills the worker's burst with `n` transit frames carrying `payload` payload bytes.
    void fill(unsigned n, std::size_t payload) {
        for (unsigned i = 0; i < n; ++i) {
            auto f = transit_frame(static_cast<std::uint16_t>(40000 + i), payload);
            rte_mbuf* m = rte_pktmbuf_alloc(pool_);
            ASSERT_NE(m, nullptr);
            char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size()));
            ASSERT_NE(d, nullptr);
            std::memcpy(d, f.data(), f.size());
            worker_->mbufs[i] = m;
        }
    }

    static inline int counter_ = 0;
    fs::path dir_;
    std::unique_ptr<Snapshot> snap_;
    rte_mempool* pool_ = nullptr;
    std::unique_ptr<Worker> worker_;
};

TEST_F(WorkerBurst, ABurstAllocatesNothingAndFreesEveryMbuf) {
    const unsigned in_use = rte_mempool_in_use_count(pool_);
    fill(32, 600);
    counting = true;
    process_burst(*worker_, *snap_, RxQueue{}, 32);
    counting = false;
    EXPECT_EQ(allocations.load(), 0) << "the data path must not allocate";
    EXPECT_EQ(rte_mempool_in_use_count(pool_), in_use) << "every mbuf freed by the worker";
    CounterTotals t;
    t.add(worker_->counters);
    EXPECT_EQ(t.received, 32u);
    EXPECT_EQ(t.emitted[static_cast<std::size_t>(Category::transit)], 32u);
    EXPECT_TRUE(t.balanced());
}

// The caches' figures reach the counters the stats line reads. Every frame here is of one flow: the
// first burst decides all 32 packets and looks all 64 endpoints up (the caches are filled after
// the burst), the second is answered by the flow cache alone; with the flow cache off, the third
// finds every endpoint in the endpoint cache.
TEST_F(WorkerBurst, CacheFiguresReachTheCounters) {
    const auto burst = [&] {  // 32 frames of the flow, then the worker's counters so far
        fill(32, 0);
        process_burst(*worker_, *snap_, RxQueue{}, 32);
        CounterTotals t;
        t.add(worker_->counters);
        return t;
    };
    const CounterTotals first = burst();
    EXPECT_EQ(first.flow_cache_misses, 32u);
    EXPECT_EQ(first.flow_cache_hits, 0u);
    EXPECT_EQ(first.endpoint_cache_hits + first.endpoint_cache_misses, 64u);  // two endpoints per packet
    EXPECT_EQ(first.endpoint_cache_misses, 64u);
    const CounterTotals second = burst();
    EXPECT_EQ(second.flow_cache_hits, 32u);
    EXPECT_EQ(second.flow_cache_misses, 32u);
    EXPECT_EQ(second.endpoint_cache_hits + second.endpoint_cache_misses, 64u);  // not asked again
    EXPECT_NE(format_stats_line(second, 0).find(" flow_cache=50.0% endpoint_cache=0.0%"), std::string::npos)
        << format_stats_line(second, 0);
    worker_->flows = FlowCache(0);
    const CounterTotals third = burst();
    EXPECT_EQ(third.endpoint_cache_hits, 64u);  // all seen in the first burst
    EXPECT_EQ(third.endpoint_cache_misses, 64u);
    EXPECT_NE(format_stats_line(third, 0).find(" endpoint_cache=50.0%"), std::string::npos) << format_stats_line(third, 0);
}

TEST_F(WorkerBurst, RecordsHoldTheHeadersOnly) {
    fill(4, 300);
    process_burst(*worker_, *snap_, RxQueue{}, 4);
    HeaderRecord out[4];
    ASSERT_EQ(dequeue_records(worker_->ring, out, 4), 4u);
    for (unsigned i = 0; i < 4; ++i) {
        auto f = transit_frame(static_cast<std::uint16_t>(40000 + i), 300);
        EXPECT_EQ(out[i].header_len, header_len);
        EXPECT_EQ(out[i].wire_len, f.size());
        EXPECT_EQ(std::memcmp(out[i].bytes, f.data(), header_len), 0);
        // No payload byte (0xAB) was copied past the headers.
        for (std::size_t b = header_len; b < HeaderRecord::max_header_bytes; ++b)
            ASSERT_NE(out[i].bytes[b], 0xAB) << "record " << i << " byte " << b;
    }
}

// The worker returns a burst of plain mbufs with one mempool put; these bursts must not take that
// way: a chained (two-segment) mbuf first in its burst, one that something else still holds, one
// from another pool, a clone (indirect: it must be detached from its parent). Every segment goes
// back to its own pool, the held one only when its holder lets it go.
TEST_F(WorkerBurst, MbufsThatAreNotPlainAreFreedWhole) {
    const std::unique_ptr<rte_mempool, void (*)(rte_mempool*)> other(
        rte_pktmbuf_pool_create(("wbo" + std::to_string(counter_++)).c_str(), 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0),
        rte_mempool_free);
    ASSERT_NE(other, nullptr);
    const unsigned in_use = rte_mempool_in_use_count(pool_);

    fill(4, 100);
    rte_mbuf* tail = rte_pktmbuf_alloc(pool_);
    ASSERT_NE(tail, nullptr);
    ASSERT_NE(rte_pktmbuf_append(tail, 10), nullptr);
    ASSERT_EQ(rte_pktmbuf_chain(worker_->mbufs[0], tail), 0);
    process_burst(*worker_, *snap_, RxQueue{}, 4);
    EXPECT_EQ(rte_mempool_in_use_count(pool_), in_use) << "both segments of the chained mbuf freed";

    fill(4, 100);
    rte_mbuf* held = worker_->mbufs[2];
    rte_mbuf_refcnt_update(held, 1);
    process_burst(*worker_, *snap_, RxQueue{}, 4);
    EXPECT_EQ(rte_mempool_in_use_count(pool_), in_use + 1) << "the held mbuf stays out of the pool";
    EXPECT_EQ(rte_mbuf_refcnt_read(held), 1);
    rte_pktmbuf_free(held);
    EXPECT_EQ(rte_mempool_in_use_count(pool_), in_use);

    fill(4, 100);
    const auto f = transit_frame(40003, 100);
    rte_mbuf* from_other = rte_pktmbuf_alloc(other.get());
    ASSERT_NE(from_other, nullptr);
    std::memcpy(rte_pktmbuf_append(from_other, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
    rte_pktmbuf_free(worker_->mbufs[3]);
    worker_->mbufs[3] = from_other;
    process_burst(*worker_, *snap_, RxQueue{}, 4);
    EXPECT_EQ(rte_mempool_in_use_count(pool_), in_use);
    EXPECT_EQ(rte_mempool_in_use_count(other.get()), 0u) << "an mbuf goes back to its own pool";

    fill(4, 100);
    rte_mbuf* parent = worker_->mbufs[2];
    rte_mbuf* clone = rte_pktmbuf_clone(parent, pool_);
    ASSERT_NE(clone, nullptr);
    worker_->mbufs[2] = clone;  // the burst carries the clone; the test holds the parent
    process_burst(*worker_, *snap_, RxQueue{}, 4);
    EXPECT_EQ(rte_mbuf_refcnt_read(parent), 1) << "the clone was detached from its parent";
    rte_pktmbuf_free(parent);
    EXPECT_EQ(rte_mempool_in_use_count(pool_), in_use);

    CounterTotals t;
    t.add(worker_->counters);
    EXPECT_EQ(t.received, 16u);
    EXPECT_TRUE(t.balanced());
}

// Every header length a TCP header can give (data offsets 5 to 15: 54 to 114 bytes of headers, whole
// 32-byte blocks and partial ones): the record holds exactly the headers, not one payload byte.
TEST_F(WorkerBurst, RecordsHoldTheHeadersOnlyWhateverTheirLength) {
    constexpr unsigned n = 11;
    std::vector<std::vector<std::uint8_t>> frames;
    for (unsigned i = 0; i < n; ++i) {
        const std::size_t options = 4 * i;
        auto f = transit_frame(static_cast<std::uint16_t>(41000 + i), options + 100);
        std::uint8_t* tcp = f.data() + 14 + 20;
        tcp[12] = static_cast<std::uint8_t>((5 + i) << 4);
        std::memset(tcp + 20, 0x01, options);  // NOP options: header bytes, not 0xAB
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        ASSERT_NE(m, nullptr);
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
        worker_->mbufs[i] = m;
        frames.push_back(std::move(f));
    }
    process_burst(*worker_, *snap_, RxQueue{}, n);
    HeaderRecord out[n];
    ASSERT_EQ(dequeue_records(worker_->ring, out, n), n);
    for (unsigned i = 0; i < n; ++i) {
        const std::size_t want = header_len + 4 * i;
        ASSERT_EQ(out[i].header_len, want) << "record " << i;
        EXPECT_EQ(std::memcmp(out[i].bytes, frames[i].data(), want), 0) << "record " << i;
        for (std::size_t b = want; b < HeaderRecord::max_header_bytes; ++b)
            ASSERT_NE(out[i].bytes[b], 0xAB) << "record " << i << " byte " << b;
    }
}

// Records are written in place into the ring's free slots, which wrap around its end: every record
// must still arrive whole and in order (bursts of 20, 32, 32 cross the end of the 64-slot ring).
TEST_F(WorkerBurst, RecordsWrittenInPlaceSurviveTheRingWrapping) {
    unsigned next_port = 40000;
    for (unsigned burst : {20u, 32u, 32u, 32u}) {
        for (unsigned i = 0; i < burst; ++i) {
            auto f = transit_frame(static_cast<std::uint16_t>(next_port + i), 50);
            rte_mbuf* m = rte_pktmbuf_alloc(pool_);
            ASSERT_NE(m, nullptr);
            std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
            worker_->mbufs[i] = m;
        }
        process_burst(*worker_, *snap_, RxQueue{}, burst);
        HeaderRecord out[32];
        ASSERT_EQ(dequeue_records(worker_->ring, out, 32), burst);
        for (unsigned i = 0; i < burst; ++i) {
            const auto f = transit_frame(static_cast<std::uint16_t>(next_port + i), 50);
            ASSERT_EQ(out[i].header_len, header_len) << "burst of " << burst << ", record " << i;
            ASSERT_EQ(std::memcmp(out[i].bytes, f.data(), header_len), 0) << "burst of " << burst << ", record " << i;
        }
        next_port += burst;
    }
    CounterTotals t;
    t.add(worker_->counters);
    EXPECT_EQ(t.emitted[static_cast<std::size_t>(Category::transit)], 116u);
    EXPECT_TRUE(t.balanced());
}

TEST_F(WorkerBurst, AFullRingDropsAndCountsWithoutBlocking) {
    // The ring holds 40 records: the first burst fits, the second enqueues 8 and drops 24.
    fill(32, 100);
    process_burst(*worker_, *snap_, RxQueue{}, 32);
    fill(32, 100);
    process_burst(*worker_, *snap_, RxQueue{}, 32);
    CounterTotals t;
    t.add(worker_->counters);
    EXPECT_EQ(t.received, 64u);
    EXPECT_EQ(t.emitted[static_cast<std::size_t>(Category::transit)], 40u);
    EXPECT_EQ(t.dropped[static_cast<std::size_t>(DropReason::ring_full)], 24u);
    EXPECT_TRUE(t.balanced());
    EXPECT_EQ(rte_ring_count(worker_->ring), 40u);
    EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);
}

}  // namespace
}  // namespace flowsieve
