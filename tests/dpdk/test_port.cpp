// test_port.cpp: port set-up on vdevs: several RX queues only with a symmetric RSS key the device
// provably holds, a clear error otherwise; one queue works; every received mbuf returns to the pool.
#include <gtest/gtest.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "dpdk/port.hpp"
#include "dpdk_test_env.hpp"

namespace flowsieve::testing {
namespace {

class PortTest : public ::testing::Test {
protected:
    void SetUp() override {
        static int n = 0;
        const std::string name = "fs_test_pool" + std::to_string(n++);
        // No per-lcore cache: rte_mempool_in_use_count is then exact.
        pool = rte_pktmbuf_pool_create(name.c_str(), 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        ASSERT_NE(pool, nullptr) << rte_strerror(rte_errno);
    }
    void TearDown() override { rte_mempool_free(pool); }

    rte_mempool* pool = nullptr;
};

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

// net_ring has no RSS: two queues would split a flow's directions across workers, so set-up refuses
// and says why; more queues than the device has is refused with the device's limit; one queue works,
// frames go through intact and every mbuf is back in the pool after rx + free.
TEST_F(PortTest, RingWithoutRssTakesOneQueueAndReturnsEveryMbuf) {
    auto port = port_by_name(ring_vdev);
    ASSERT_TRUE(port);
    rte_eth_dev_info dev{};
    ASSERT_EQ(rte_eth_dev_info_get(*port, &dev), 0);
    ASSERT_EQ(dev.flow_type_rss_offloads, 0u) << "net_ring was expected to lack RSS";

    auto two = setup_port(*port, {2, 1024, true}, pool);
    ASSERT_FALSE(two) << "two queues accepted on a device without RSS";
    EXPECT_TRUE(contains(two.error().message, "rx_queues: 2")) << two.error().message;
    EXPECT_TRUE(contains(two.error().message, "RSS")) << two.error().message;
    EXPECT_TRUE(contains(two.error().message, ring_vdev)) << two.error().message;

    const auto too_many = static_cast<std::uint16_t>(dev.max_rx_queues + 1);
    auto over = setup_port(*port, {too_many, 1024, true}, pool);
    ASSERT_FALSE(over);
    EXPECT_TRUE(contains(over.error().message, "> device max " + std::to_string(dev.max_rx_queues)))
        << over.error().message;

    const unsigned start = rte_mempool_in_use_count(pool);
    auto one = setup_port(*port, {1, 1024, true}, pool);
    ASSERT_TRUE(one) << one.error().message;
    EXPECT_EQ(one->rx_queues, 1u);
    EXPECT_FALSE(one->rss);

    // Real frames, sent on TX queue 0, come back on RX queue 0 (net_ring loops a queue's ring).
    auto cap = read_capture(test_data("pcap/ipv4/udp-syslog.pcap"));
    ASSERT_FALSE(cap.packets.empty());
    const std::size_t n = std::min<std::size_t>(cap.packets.size(), 32);
    std::vector<rte_mbuf*> tx(n);
    for (std::size_t i = 0; i < n; ++i) {
        tx[i] = rte_pktmbuf_alloc(pool);
        ASSERT_NE(tx[i], nullptr);
        const auto& b = cap.packets[i].bytes;
        char* d = rte_pktmbuf_append(tx[i], static_cast<std::uint16_t>(b.size()));
        ASSERT_NE(d, nullptr);
        std::memcpy(d, b.data(), b.size());
    }
    EXPECT_EQ(rte_mempool_in_use_count(pool), start + n);
    ASSERT_EQ(rte_eth_tx_burst(*port, 0, tx.data(), static_cast<std::uint16_t>(n)), n);

    std::vector<rte_mbuf*> rx(64);
    const std::uint16_t got = rte_eth_rx_burst(*port, 0, rx.data(), static_cast<std::uint16_t>(rx.size()));
    ASSERT_EQ(got, n);
    for (std::size_t i = 0; i < got; ++i) {
        const auto& b = cap.packets[i].bytes;
        ASSERT_EQ(rte_pktmbuf_pkt_len(rx[i]), b.size());
        EXPECT_EQ(std::memcmp(rte_pktmbuf_mtod(rx[i], const void*), b.data(), b.size()), 0) << "frame " << i;
    }
    rte_pktmbuf_free_bulk(rx.data(), got);
    EXPECT_EQ(rte_mempool_in_use_count(pool), start) << "mbufs leaked";
    stop_port(*port);
}

// net_null advertises RSS and accepts mq_mode RSS, yet ignores the key handed to
// rte_eth_dev_configure (it keeps the default, asymmetric key): set-up must leave the symmetric key
// in the device, as read back through ethdev, before it reports rss. RX on every queue then frees.
TEST_F(PortTest, NullWithRssHoldsTheSymmetricKeyOnEveryQueue) {
    auto port = port_by_name(null_vdev);
    ASSERT_TRUE(port);
    const unsigned start = rte_mempool_in_use_count(pool);
    auto info = setup_port(*port, {4, 512, true}, pool);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_TRUE(info->rss);
    EXPECT_EQ(info->rx_queues, 4u);

    std::array<std::uint8_t, rss_key_max_len> key{};
    rte_eth_rss_conf conf{};
    conf.rss_key = key.data();
    conf.rss_key_len = static_cast<std::uint8_t>(key.size());
    ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(*port, &conf), 0);
    const auto want = symmetric_rss_key();
    EXPECT_TRUE(std::equal(want.begin(), want.end(), key.begin())) << "device key is not the symmetric key";

    std::array<rte_mbuf*, 32> rx{};
    for (std::uint16_t q = 0; q < 4; ++q) {
        const std::uint16_t got = rte_eth_rx_burst(*port, q, rx.data(), static_cast<std::uint16_t>(rx.size()));
        EXPECT_GT(got, 0u) << "queue " << q;
        EXPECT_EQ(rte_mempool_in_use_count(pool), start + got);
        rte_pktmbuf_free_bulk(rx.data(), got);
    }
    EXPECT_EQ(rte_mempool_in_use_count(pool), start) << "mbufs leaked";
    stop_port(*port);
}

// net_tap advertises RSS hash types, yet gives no usable symmetric RSS: it cannot report its key
// (rss_hash_conf_get is not implemented), its eBPF RSS works only through rte_flow with kernel
// qdisc support, and it wants as many TX as RX queues. Several queues must be refused, never
// reported as symmetric RSS. Needs CAP_NET_ADMIN and /dev/net/tun, else skipped.
TEST_F(PortTest, TapRefusesSeveralQueues) {
    const std::string name = "net_tap_fs" + std::to_string(::getpid());
    const std::string args = name + ",iface=fst" + std::to_string(::getpid() % 100000);
    if (rte_dev_probe(args.c_str()) != 0) GTEST_SKIP() << "cannot create a tap interface here";
    auto port = port_by_name(name);
    ASSERT_TRUE(port);
    rte_eth_dev_info dev{};
    ASSERT_EQ(rte_eth_dev_info_get(*port, &dev), 0);
    EXPECT_NE(dev.flow_type_rss_offloads, 0u) << "net_tap advertises RSS hash types";
    auto two = setup_port(*port, {2, 512, true}, pool);
    EXPECT_FALSE(two) << "tap reported as holding the symmetric key";
    if (!two) {
        EXPECT_TRUE(contains(two.error().message, name)) << two.error().message;
    }
    stop_port(*port);
}

}  // namespace
}  // namespace flowsieve::testing
