// eal_environment.cpp: the one rte_eal_init of the DPDK test executable, as a gtest global
// environment (an EAL can be initialised only once per process).
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "dpdk/eal.hpp"
#include "dpdk_test_env.hpp"

namespace flowsieve::testing {

std::optional<std::uint16_t> port_by_name(const std::string& name) {
    std::uint16_t id = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) return std::nullopt;
    return id;
}

namespace {

class EalEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        // No hugepages, no PCI, no shared files; a per-process prefix so concurrent runs never meet.
        std::vector<std::string> args = {"-l", "0", "--no-huge", "--no-pci", "--no-shconf", "-m", "256",
                                         "--file-prefix=flowsieve-dpdk-test-" + std::to_string(::getpid()),
                                         "--log-level=warning", std::string("--vdev=") + ring_vdev,
                                         std::string("--vdev=") + null_vdev};
        auto s = Eal::init(args);
        ASSERT_TRUE(s) << s.error().message;
        ASSERT_TRUE(port_by_name(ring_vdev).has_value()) << ring_vdev << " did not probe";
        ASSERT_TRUE(port_by_name(null_vdev).has_value()) << null_vdev << " did not probe";
        started_ = true;
    }
    void TearDown() override {
        if (started_) Eal::cleanup();
    }

private:
    bool started_ = false;
};

// Registered before main() runs the tests (gtest_main); gtest owns the object.
[[maybe_unused]] ::testing::Environment* const eal_environment =
    ::testing::AddGlobalTestEnvironment(new EalEnvironment);

}  // namespace
}  // namespace flowsieve::testing
