// header_record.hpp: the fixed-size record a worker puts on its ring for each selected packet.
// Written by a worker lcore, read by the exporter. Holds headers only (invariant 1).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/category.hpp"
#include "core/country_code.hpp"

namespace flowsieve {

inline constexpr std::uint32_t no_index = 0xffffffffu;

struct alignas(64) HeaderRecord {
    static constexpr std::size_t max_header_bytes = 192;

    std::uint64_t time_ns = 0;          // packet time (capture time when replaying), ns since epoch
    std::uint64_t generation = 0;       // snapshot generation that classified it
    std::uint32_t wire_len = 0;         // original frame length
    std::uint32_t rule = no_index;      // index into the snapshot's rules
    std::uint32_t authorisation = no_index;  // index into the snapshot's authorisations
    std::uint32_t indicator = no_index; // global indicator index in the snapshot, or no_index
    std::uint16_t header_len = 0;       // bytes of `bytes` that are valid (<= max_header_bytes)
    std::uint16_t port = 0;             // DPDK port id it arrived on
    CountryCode src_cc = no_country;
    CountryCode dst_cc = no_country;
    Category category = Category::transit;
    std::uint8_t worker = 0;
    std::uint8_t truncated = 0;         // 1 when the allowed header exceeded max_header_bytes
    std::uint8_t reserved_[21] = {};
    std::uint8_t bytes[max_header_bytes];  // frame bytes [0, header_len)
};
static_assert(sizeof(HeaderRecord) == 256, "HeaderRecord is four cache lines");
static_assert(offsetof(HeaderRecord, bytes) == 64, "metadata fills exactly the first cache line");

}  // namespace flowsieve
