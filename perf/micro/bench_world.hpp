// bench_world.hpp: what every benchmark runs against: the full real world country table, the
// synthetic 1M IP + 100k CIDR indicators, the demo snapshot carrying them, and 64-byte `mix` frames
// from the traffic generator. Built once per process (control-plane code, main thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ip_address.hpp"
#include "core/result.hpp"
#include "policy/snapshot.hpp"
#include "tables/country_table.hpp"
#include "tables/indicator_table.hpp"
#include "tables/prefix.hpp"

namespace flowsieve::bench {

inline constexpr std::uint64_t bench_seed = 2026;
inline constexpr std::size_t indicator_ips = 1'000'000;
inline constexpr std::size_t indicator_cidrs = 100'000;
// 2021-06-01T00:00:00Z, the demo's packet time: inside every example authorisation but the expired one.
inline constexpr std::int64_t bench_start_ns = 1622505600LL * 1'000'000'000LL;

std::string source_root();
std::string world_file_v4();
std::string world_file_v6();
std::string demo_config();

// Both world range files, concatenated as the snapshot builder does (IPv4 first).
const std::vector<CountryRange>& world_ranges();

// The painted, disjoint IPv4 country segments decomposed into prefixes (the exact input an LPM
// such as rte_lpm needs to answer like CountryTable), with their country codes.
struct PrefixValue {
    std::uint32_t addr;  // host order, host bits zero
    std::uint8_t len;
    CountryCode cc;
};
std::vector<PrefixValue> world_prefixes_v4(const std::vector<CountryRange>& ranges);

// Synthetic indicators: seeded draws of addresses uniformly over the world table's foreign (non-JP)
// address space (a range with probability proportional to its size, an address uniformly inside). IPs: 80% IPv4, 20% IPv6. CIDRs: the
// drawn address masked to /22../30 (IPv4, 80%) or /40../64 (IPv6). Ids are the text forms.
std::vector<Indicator> synthetic_ips(std::size_t n, std::uint64_t seed);
std::vector<Indicator> synthetic_cidrs(std::size_t n, std::uint64_t seed);

// Files for the snapshot: the demo's real `ipsum` list followed by the 1M synthetic IPs, and the
// real `scanners` list followed by the 100k synthetic CIDRs (same sets, so the demo's rules and
// approvals apply unchanged). Written once per process into the build directory.
struct IndicatorFiles {
    std::string ipsum_plus, scanners_plus;
};
const IndicatorFiles& indicator_files();
// The same two files written to `dir` as ipsum-plus-1m<tag>.txt and scanners-plus-100k<tag>.txt,
// kept (the end-to-end comparison hands them to the flowsieve binary).
IndicatorFiles write_indicator_files(const std::string& dir, const std::string& tag = "");

// config/demo.yaml (full world table, real feeds, example operator, rules and authorisations) with
// its ipsum and scanners sets replaced by indicator_files(). `build_s`: wall time of build_snapshot.
Result<std::unique_ptr<Snapshot>> build_bench_snapshot(double* build_s = nullptr);
const Snapshot& bench_snapshot();

// Frames of the generator's `mix` profile, 64 bytes on the wire, with the demo's endpoints (world
// table, JP domestic, the demo's feeds and operator prefixes), packet times from 2021-06-01.
struct Frames {
    std::vector<std::uint8_t> bytes;    // frame i at offset[i], length offset[i+1] - offset[i]
    std::vector<std::uint32_t> offset;  // size() == count + 1
    std::vector<std::uint64_t> time_ns;
    std::size_t count() const { return time_ns.size(); }
    const std::uint8_t* data(std::size_t i) const { return bytes.data() + offset[i]; }
    std::uint32_t size(std::size_t i) const { return offset[i + 1] - offset[i]; }
};
Result<Frames> mix_frames(std::size_t n, std::uint64_t seed = bench_seed);

// Lookup keys: an address drawn uniformly inside a world-table range chosen uniformly (every range
// equally likely, so the many small ranges of the dense regions dominate), or uniform over the
// whole 32-bit space.
std::vector<std::uint32_t> range_addresses_v4(std::size_t n, std::uint64_t seed);
std::vector<U128> range_addresses_v6(std::size_t n, std::uint64_t seed);
std::vector<std::uint32_t> uniform_addresses_v4(std::size_t n, std::uint64_t seed);

}  // namespace flowsieve::bench
