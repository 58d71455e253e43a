// test_eal_arguments.cpp: the EAL command line flowsieve builds from a config: the no-NIC defaults
// for replayed input, memory sized from the mbufs and record rings, one lcore per worker plus the
// main one mapped onto the CPUs there are, and whatever the operator wrote left as written.
#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "control/config.hpp"
#include "dataplane/engine.hpp"

namespace flowsieve::testing {
namespace {

bool has(const std::vector<std::string>& args, const std::string& a) {
    return std::find(args.begin(), args.end(), a) != args.end();
}

std::string after(const std::vector<std::string>& args, const std::string& a) {
    auto it = std::find(args.begin(), args.end(), a);
    return it != args.end() && it + 1 != args.end() ? *(it + 1) : std::string{};
}

TEST(EalArguments, ReplayWithoutPortsGetsTheNoNicSetUpAndAnLcoreForEachWorker) {
    Config cfg;
    const auto args = eal_arguments(cfg, {}, 3);
    EXPECT_TRUE(has(args, "--no-huge"));
    EXPECT_TRUE(has(args, "--no-pci"));
    EXPECT_TRUE(has(args, "--no-shconf"));
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    std::string want = "--lcores=";
    for (unsigned l = 0; l <= 3; ++l) {
        if (l) want += ',';
        want += std::to_string(l) + '@' + std::to_string(l % cpus);
    }
    EXPECT_TRUE(has(args, want)) << want;
    EXPECT_TRUE(has(args, "--log-level=lib.*:warning"));
    // Memory for the mbufs and three record rings of 256-byte records, plus the EAL's own 64 MiB.
    const std::uint64_t mbuf_bytes = std::uint64_t{cfg.mbufs} * (RTE_MBUF_DEFAULT_BUF_SIZE + 256);
    const std::uint64_t ring_bytes = 3ull * cfg.ring_size * 256;
    EXPECT_EQ(after(args, "-m"), std::to_string(64 + (mbuf_bytes + ring_bytes) / (1u << 20)));
}

TEST(EalArguments, WhatTheOperatorWroteIsKept) {
    Config cfg;
    cfg.eal_args = {"-l", "2-3", "-m", "900", "--file-prefix", "mine", "--log-level", "debug"};
    const auto args = eal_arguments(cfg, {"--vdev=net_null0"}, 1);
    EXPECT_EQ(after(args, "-m"), "900");
    EXPECT_EQ(after(args, "-l"), "2-3");
    EXPECT_EQ(std::count_if(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--lcores", 0) == 0; }), 0);
    EXPECT_EQ(std::count(args.begin(), args.end(), "-m"), 1);
    EXPECT_TRUE(has(args, "--vdev=net_null0"));
    EXPECT_EQ(after(args, "--file-prefix"), "mine");
    EXPECT_FALSE(has(args, "--log-level=lib.*:warning"));
}

}  // namespace
}  // namespace flowsieve::testing
