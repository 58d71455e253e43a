// base64.hpp: strict standard base64 (RFC 4648, padded) for signatures and key files (control plane).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flowsieve {

std::string base64_encode(std::span<const std::uint8_t> bytes);
// Refuses anything but canonical padded base64 of the whole text (no spaces, no trailing bytes).
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace flowsieve
