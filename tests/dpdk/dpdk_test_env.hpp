// dpdk_test_env.hpp: what the DPDK tests share: the vdev names the one EAL of the executable is
// started with, and a lookup of their port ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace flowsieve::testing {

// Named on the EAL command line by eal_environment.cpp. net_ring: TX on queue q loops back to RX on
// queue q, no RSS. net_null: RX yields zero-filled frames, accepts an RSS configuration.
inline constexpr const char* ring_vdev = "net_ring0";
inline constexpr const char* null_vdev = "net_null0";

std::optional<std::uint16_t> port_by_name(const std::string& name);

}  // namespace flowsieve::testing
