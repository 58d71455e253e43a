// traffic_profile.hpp: what the generator is asked for (GeneratorConfig) and the two profiles' mixes
// of intended outcomes. `demo` makes every category and every drop reason appear; `mix` is a
// realistic load without deliberate anomalies, for benchmarks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "endpoint_pool.hpp"
#include "intent.hpp"
#include "payload_fill.hpp"

namespace flowsieve::gen {

enum class Profile : std::uint8_t { demo, mix };
enum class SizeModel : std::uint8_t {
    natural,  // per protocol: bare ACKs, small requests, full-size segments
    min64,    // 64-byte frames on the wire (60 captured: no FCS), or the headers alone when longer
    imix,     // simple IMIX, 7:4:1 of 64, 594 and 1518 bytes on the wire
};

std::optional<Profile> parse_profile(std::string_view s);
std::optional<SizeModel> parse_size_model(std::string_view s);

// 2026-06-01T00:00:00Z: the default start of packet time.
inline constexpr std::int64_t default_start_ns = 1780272000LL * 1'000'000'000LL;

struct GeneratorConfig {
    EndpointSources endpoints;
    Profile profile = Profile::demo;
    std::uint64_t seed = 1;
    PayloadMode payload = PayloadMode::zero;
    std::uint64_t payload_seed = 1;
    std::uint64_t packets = 200000;
    std::uint32_t flows = 10000;
    std::int64_t start_ns = default_start_ns;
    double ipv6_share = 0.3;
    double vlan_share = 0.1;
    std::optional<SizeModel> size;  // default: natural for demo, imix for mix
    bool l4_checksums = false;      // off: headers must not depend on payload (non-interference)
};

// Relative weight of each intent in a profile (0 = never generated). `unauthorised` packets are
// emitted-category packets shifted one year before the start of packet time.
std::array<std::uint32_t, intent_count> profile_weights(Profile p);

}  // namespace flowsieve::gen
