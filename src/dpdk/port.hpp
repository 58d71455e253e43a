// port.hpp: ethdev set-up: RX queues with symmetric RSS where the device has RSS, RX timestamps
// where they are Unix times (net_pcap: the capture time; never a NIC's own clock). Main thread,
// before workers start.
#pragma once

#include <rte_mempool.h>

#include <array>
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace flowsieve {

// The Toeplitz key 0x6d5a repeated makes the hash symmetric: swapping source and destination
// (addresses and ports) gives the same hash, so both directions of a flow reach one queue.
// A key has the device's own length (dev_info.hash_key_size: 40 on most PMDs, 52 on i40e/ice);
// rss_key_len is used where the device reports none.
inline constexpr std::size_t rss_key_len = 40;
inline constexpr std::size_t rss_key_max_len = 128;
std::array<std::uint8_t, rss_key_len> symmetric_rss_key();

struct PortInfo {
    std::uint16_t port_id = 0;
    std::string name;
    std::uint16_t rx_queues = 1;
    bool rss = false;          // symmetric RSS programmed and read back from the device
    bool rx_timestamp = false; // mbufs carry the capture time (Unix ns) in the RX timestamp dynfield
};

struct PortSetup {
    std::uint16_t rx_queues = 1;
    std::uint16_t rx_descriptors = 1024;
    bool want_timestamps = true;
};

Result<PortInfo> setup_port(std::uint16_t port_id, const PortSetup& setup, rte_mempool* pool);
void stop_port(std::uint16_t port_id);

// Offset and flag of the RX timestamp dynfield, registered once (-1/0 when unavailable).
struct RxTimestamp {
    int offset = -1;
    std::uint64_t flag = 0;
};
RxTimestamp rx_timestamp_field();

}  // namespace flowsieve
