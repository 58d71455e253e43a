// payload_fill.hpp: fills the bytes past a frame's headers (L4 payload, fragment data, Ethernet
// padding). It owns its own random source, seeded apart from the header one, so that changing the
// payload seed changes payload bytes and nothing else (the non-interference test input).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "rng.hpp"

namespace flowsieve::gen {

enum class PayloadMode : std::uint8_t {
    zero,    // all zero bytes
    marker,  // the marker text repeated from the first payload byte, so a leak is easy to grep for
    random,  // bytes from the payload random source
};

inline constexpr std::string_view payload_marker = "FLOWSIEVE-CANARY!";

std::optional<PayloadMode> parse_payload_mode(std::string_view s);

class PayloadFill {
public:
    PayloadFill(PayloadMode mode, std::uint64_t seed) : mode_(mode), rng_(seed) {}
    PayloadMode mode() const { return mode_; }
    void fill(std::span<std::uint8_t> bytes);

private:
    PayloadMode mode_;
    Rng rng_;
};

}  // namespace flowsieve::gen
