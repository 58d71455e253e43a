// payload_fill.cpp: payload byte patterns (generator packet loop, one thread).
#include "payload_fill.hpp"

#include <algorithm>

namespace flowsieve::gen {

std::optional<PayloadMode> parse_payload_mode(std::string_view s) {
    if (s == "zero") return PayloadMode::zero;
    if (s == "marker") return PayloadMode::marker;
    if (s == "random") return PayloadMode::random;
    return std::nullopt;
}

void PayloadFill::fill(std::span<std::uint8_t> bytes) {
    switch (mode_) {
        case PayloadMode::zero: std::fill(bytes.begin(), bytes.end(), std::uint8_t{0}); return;
        case PayloadMode::marker:
            for (std::size_t i = 0; i < bytes.size(); ++i)
                bytes[i] = static_cast<std::uint8_t>(payload_marker[i % payload_marker.size()]);
            return;
        case PayloadMode::random:
            for (std::size_t i = 0; i < bytes.size(); i += 8) {
                std::uint64_t v = rng_();
                for (std::size_t j = i; j < std::min(i + 8, bytes.size()); ++j, v >>= 8)
                    bytes[j] = static_cast<std::uint8_t>(v);
            }
            return;
    }
}

}  // namespace flowsieve::gen
