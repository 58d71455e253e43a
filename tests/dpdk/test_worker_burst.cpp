// test_worker_burst.cpp: the real worker burst (process_burst) on mbufs from a mempool, against a
// snapshot built from the real world extract: no heap allocation and no log line on the data path
// (invariant 5), a full record ring drops and counts exactly without blocking (invariant 5), every
// mbuf is freed and every packet accounted for (invariant 6), records hold the headers only
// (invariant 1); and the worker loop itself decides each burst against one generation while the
// snapshot changes under it (invariant 4).
#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control/config.hpp"
#include "control/snapshot_builder.hpp"
#include "control/summary_table.hpp"
#include "core/time_text.hpp"
#include "dataplane/worker.hpp"
#include "dpdk/port.hpp"
#include "dpdk/record_ring.hpp"
#include "dpdk/snapshot_slot.hpp"

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
        snap_ = snapshot_until("2100-01-01T00:00:00Z", 1);
        ASSERT_NE(snap_, nullptr);

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

    // A snapshot (generation `gen`) of one transit rule whose approval runs from 2000 to `until`.
    std::unique_ptr<Snapshot> snapshot_until(const std::string& until, std::uint64_t gen) {
        const std::string geo = std::string(FLOWSIEVE_TEST_DATA) + "/geo/";
        const std::string tag = std::to_string(gen);
        std::ofstream(dir_ / ("a" + tag + ".yaml")) << "id: A\nkind: approval\ncategory: transit\nissuer: test\n"
                                                       "valid_from: 2000-01-01T00:00:00Z\nvalid_until: " << until << "\n";
        std::ofstream(dir_ / ("c" + tag + ".yaml"))
            << "countries:\n  files: [" << geo << "world-extract-ipv4.csv, " << geo << "world-extract-ipv6.csv]\n"
            << "authorisations: [a" << tag << ".yaml]\nrules:\n"
               "  - {id: t, category: transit, between: [foreign, foreign], authorisation: A}\n";
        auto cfg = load_config((dir_ / ("c" + tag + ".yaml")).string());
        EXPECT_TRUE(cfg) << cfg.error().message;
        if (!cfg) return nullptr;
        BuildReport rep;
        auto snap = build_snapshot(cfg.value(), gen, 0, rep, SerialRecording::record);
        EXPECT_TRUE(snap) << snap.error().message;
        return snap ? std::move(snap.value()) : nullptr;
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

TEST_F(WorkerBurst, ABurstAllocatesNothingLogsNothingAndFreesEveryMbuf) {
    const unsigned in_use = rte_mempool_in_use_count(pool_);
    fill(32, 600);
    // Whatever spdlog or DPDK's log (every log type, at every level) would print during the burst is
    // caught instead (invariant 5).
    std::ostringstream spdlog_text;
    const auto previous_logger = spdlog::default_logger();
    auto catcher = std::make_shared<spdlog::logger>("catcher", std::make_shared<spdlog::sinks::ostream_sink_mt>(spdlog_text));
    catcher->set_level(spdlog::level::trace);
    spdlog::set_default_logger(catcher);
    FILE* const rte_text = std::tmpfile();
    ASSERT_NE(rte_text, nullptr);
    FILE* const previous_stream = rte_log_get_stream();
    const std::uint32_t previous_level = rte_log_get_global_level();
    // Each registered log type's own level applies beside the global one: all raised, then restored
    // (types are numbered from 0; rte_log_get_level fails past the last). A change of level is
    // itself logged: into a scratch stream, not the one checked.
    std::vector<int> previous_levels;
    for (std::uint32_t type = 0; rte_log_get_level(type) >= 0; ++type) previous_levels.push_back(rte_log_get_level(type));
    ASSERT_GT(previous_levels.size(), 10u) << "DPDK registers dozens of log types (eal, mbuf, ethdev...)";
    FILE* const level_changes = std::tmpfile();
    ASSERT_NE(level_changes, nullptr);
    rte_openlog_stream(level_changes);
    rte_log_set_global_level(RTE_LOG_DEBUG);
    for (std::uint32_t type = 0; type < previous_levels.size(); ++type) rte_log_set_level(type, RTE_LOG_DEBUG);
    rte_openlog_stream(rte_text);
    counting = true;
    process_burst(*worker_, *snap_, RxQueue{}, 32);
    counting = false;
    rte_openlog_stream(level_changes);
    for (std::uint32_t type = 0; type < previous_levels.size(); ++type)
        rte_log_set_level(type, static_cast<std::uint32_t>(previous_levels[type]));
    rte_log_set_global_level(previous_level);
    rte_openlog_stream(previous_stream);
    std::fclose(level_changes);
    spdlog::set_default_logger(previous_logger);
    EXPECT_EQ(allocations.load(), 0) << "the data path must not allocate";
    EXPECT_EQ(spdlog_text.str(), "") << "the data path must not log";
    std::string rte_logged(static_cast<std::size_t>(std::max(0L, std::ftell(rte_text))), '\0');
    std::rewind(rte_text);
    rte_logged.resize(std::fread(rte_logged.data(), 1, rte_logged.size(), rte_text));
    std::fclose(rte_text);
    EXPECT_EQ(rte_logged, "") << "the data path must not log through DPDK";
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
    // Records the output refused (its disk full) show on every stats line from the first, not only at exit.
    EXPECT_EQ(format_stats_line(second, 7).find("write_errors"), std::string::npos);
    EXPECT_NE(format_stats_line(second, 7, 3).find(" written=7 write_errors=3 "), std::string::npos)
        << format_stats_line(second, 7, 3);
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

// Packets without a capture timestamp are judged (and stamped) at the worker's clock, which
// extrapolates the TSC from a reading of the system clock. A reading a second old is taken again,
// so a clock stepped by NTP, or a TSC rate estimated a little wrong, is followed within a second
// rather than drifting for the life of the run; a younger one is extrapolated.
TEST_F(WorkerBurst, PacketTimesFollowTheSystemClock) {
    auto realtime_ns = [] { return static_cast<std::uint64_t>(now_unix_ns()); };
    constexpr std::uint64_t hour_ns = 3600ull * 1'000'000'000u, second_ns = 1'000'000'000u;
    WallClock& clock = worker_->clock;
    ASSERT_GT(clock.rebase_tsc, 0u);
    // A reading an hour off and more than a second old: the burst gets the system clock's time.
    fill(2, 0);
    clock.base_ns = realtime_ns() - hour_ns;
    clock.base_tsc = rte_rdtsc() - clock.rebase_tsc;
    const std::uint64_t before = realtime_ns();
    process_burst(*worker_, *snap_, RxQueue{}, 2);
    const std::uint64_t after = realtime_ns();
    HeaderRecord out[2];
    ASSERT_EQ(dequeue_records(worker_->ring, out, 2), 2u);
    for (const HeaderRecord& r : out) {
        EXPECT_GE(r.time_ns, before);
        EXPECT_LE(r.time_ns, after);
    }
    // The same error in a fresh reading is extrapolated until that reading is a second old.
    fill(2, 0);
    clock.base_ns = realtime_ns() - hour_ns;
    clock.base_tsc = rte_rdtsc();
    process_burst(*worker_, *snap_, RxQueue{}, 2);
    ASSERT_EQ(dequeue_records(worker_->ring, out, 2), 2u);
    for (const HeaderRecord& r : out) {
        EXPECT_LT(r.time_ns, realtime_ns() - hour_ns + second_ns);
        EXPECT_GT(r.time_ns + hour_ns + second_ns, realtime_ns());
    }
}

// Invariant 4 at the worker's own loop (worker_main on a net_ring port): while the control plane
// keeps replacing the snapshot, each burst is decided against one of them, and its records carry
// that one's generation. Generation 1 authorises the transit flow, generation 2 has its approval
// ended in 2001: so every burst of 32 is emitted whole (under generation 1) or dropped whole
// (unauthorised), never split, and no record of generation 2 exists.
TEST_F(WorkerBurst, EachBurstIsDecidedAgainstOneGeneration) {
    // A net_ring port of its own (the shared one may have been closed by an earlier test): what is
    // sent on it is received from it.
    rte_ring* const loop = rte_ring_create(("wb_gen" + std::to_string(counter_)).c_str(), 64, 0, 0);
    ASSERT_NE(loop, nullptr);
    const int port_id = rte_eth_from_ring(loop);
    ASSERT_GE(port_id, 0);
    const auto port = static_cast<std::uint16_t>(port_id);
    auto info = setup_port(port, {1, 1024, false}, pool_);
    ASSERT_TRUE(info) << info.error().message;
    std::shared_ptr<const Snapshot> open = std::move(snap_), shut = snapshot_until("2001-01-01T00:00:00Z", 2);
    ASSERT_NE(shut, nullptr);
    SnapshotSlot slot;
    ASSERT_TRUE(slot.init(1));
    slot.publish(open, [](auto) {});
    slot.register_reader(0);
    std::atomic<bool> stop_worker{false}, stop_flipping{false};
    Worker& w = *worker_;
    w.slot = &slot;
    w.stop = &stop_worker;
    w.queues[0] = RxQueue{port, 0, false, -1};
    w.queue_count = 1;
    w.burst = 32;
    std::thread worker([&] { worker_main(&w); });
    std::thread flipper([&] {
        for (unsigned i = 0; !stop_flipping.load(); ++i) {
            slot.publish(i % 2 ? open : shut, [](auto) {});
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    });

    // The bursts, until both outcomes have been seen (at least 300, at most a minute's worth). A
    // failure ends the loop with its reason, so that the threads are always stopped and joined.
    unsigned whole_emitted = 0, whole_dropped = 0;
    std::uint64_t received = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto feed = [&]() -> std::string {
        for (unsigned b = 0; b < 300 || whole_emitted == 0 || whole_dropped == 0; ++b) {
            if (std::chrono::steady_clock::now() > give_up) return "";  // the counts below then say what is missing
            std::array<rte_mbuf*, 32> tx{};
            for (unsigned i = 0; i < tx.size(); ++i) {
                const auto f = transit_frame(static_cast<std::uint16_t>(40000 + i), 100);
                tx[i] = rte_pktmbuf_alloc(pool_);
                if (!tx[i]) return "mbuf pool exhausted";
                std::memcpy(rte_pktmbuf_append(tx[i], static_cast<std::uint16_t>(f.size())), f.data(), f.size());
            }
            // net_ring enqueues the 32 at once, so the worker receives them as one burst.
            if (rte_eth_tx_burst(port, 0, tx.data(), static_cast<std::uint16_t>(tx.size())) != tx.size())
                return "the port took less than a burst";
            received += tx.size();
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (w.counters.received.load() < received && std::chrono::steady_clock::now() < deadline)
                std::this_thread::yield();
            if (w.counters.received.load() != received) return "the worker did not take burst " + std::to_string(b);
            HeaderRecord out[32];
            const unsigned n = dequeue_records(w.ring, out, 32);
            if (n != 0 && n != 32) return "burst " + std::to_string(b) + " was split: " + std::to_string(n) + " of 32 emitted";
            for (unsigned i = 0; i < n; ++i)
                if (out[i].generation != 1)
                    return "burst " + std::to_string(b) + " has a record of generation " + std::to_string(out[i].generation);
            ++(n ? whole_emitted : whole_dropped);
        }
        return "";
    };
    const std::string failure = feed();
    stop_flipping = true;
    flipper.join();
    stop_worker = true;
    worker.join();
    slot.unregister_reader(0);
    stop_port(port);
    rte_ring_free(loop);
    ASSERT_EQ(failure, "");
    // Both generations met bursts, so the snapshot really changed under the worker.
    EXPECT_GT(whole_emitted, 0u);
    EXPECT_GT(whole_dropped, 0u);
    CounterTotals t;
    t.add(w.counters);
    EXPECT_EQ(t.emitted[static_cast<std::size_t>(Category::transit)], 32u * whole_emitted);
    EXPECT_EQ(t.dropped[static_cast<std::size_t>(DropReason::unauthorised)], 32u * whole_dropped);
    EXPECT_TRUE(t.balanced());
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

// A burst that mixes selected packets with dropped ones of two reasons, meeting a ring with fewer
// free slots than it selects: the records are the selected packets' in their order, up to the free
// slots; every other packet is counted once, against its own reason or as ring_full (invariant 6).
TEST_F(WorkerBurst, SelectedAndDroppedPacketsInOneBurstAreEachCountedOnce) {
    fill(30, 100);  // 30 of the ring's 40 slots taken, left there
    process_burst(*worker_, *snap_, RxQueue{}, 30);
    constexpr unsigned n = 48;
    std::vector<std::uint8_t> arp(60, 0);  // Ethernet + ARP request, padded: not IP
    arp[12] = 0x08;
    arp[13] = 0x06;
    std::vector<std::vector<std::uint8_t>> frames;
    std::vector<std::uint16_t> selected_ports;
    for (unsigned i = 0; i < n; ++i) {
        auto f = transit_frame(static_cast<std::uint16_t>(42000 + i), 10);
        if (i % 3 == 0) f = arp;
        if (i % 3 == 2) f[14] = 0x55;  // IP version 5 behind an IPv4 EtherType: an anomaly
        if (i % 3 == 1) selected_ports.push_back(static_cast<std::uint16_t>(42000 + i));
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        ASSERT_NE(m, nullptr);
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
        worker_->mbufs[i] = m;
        frames.push_back(std::move(f));
    }
    ParsedPacket bad;
    ASSERT_EQ(parse_packet(frames[2], bad), ParseOutcome::anomaly);
    const auto anomaly = static_cast<std::size_t>(drop_reason_of(bad.anomaly));
    process_burst(*worker_, *snap_, RxQueue{}, n);

    HeaderRecord out[40];
    ASSERT_EQ(dequeue_records(worker_->ring, out, 40), 40u);
    for (unsigned k = 0; k < 10; ++k) {  // the 10 free slots: the first 10 selected packets, in order
        const HeaderRecord& r = out[30 + k];
        EXPECT_EQ((r.bytes[34] << 8) | r.bytes[35], selected_ports[k]) << "record " << k;
        EXPECT_EQ(r.header_len, header_len);
        EXPECT_EQ(r.wire_len, header_len + 10);
    }
    CounterTotals t;
    t.add(worker_->counters);
    EXPECT_EQ(t.received, 30u + n);
    EXPECT_EQ(t.emitted[static_cast<std::size_t>(Category::transit)], 40u);
    EXPECT_EQ(t.dropped[static_cast<std::size_t>(DropReason::not_ip)], 16u);
    EXPECT_EQ(t.dropped[anomaly], 16u);
    EXPECT_EQ(t.dropped[static_cast<std::size_t>(DropReason::ring_full)], 6u);  // 16 selected, 10 slots
    std::uint64_t dropped = 0;
    for (const auto d : t.dropped) dropped += d;
    EXPECT_EQ(dropped, 16u + 16u + 6u) << "no packet counted against another reason";
    EXPECT_TRUE(t.balanced());
    EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);
}

}  // namespace
}  // namespace flowsieve
