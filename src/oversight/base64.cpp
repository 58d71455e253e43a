// base64.cpp: libsodium's constant-time base64 codec, with the result re-encoded to refuse
// non-canonical spellings (a signature must have exactly one text form).
#include "oversight/base64.hpp"

#include <sodium.h>

namespace flowsieve {

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    const int variant = sodium_base64_VARIANT_ORIGINAL;
    std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
    out.pop_back();  // the terminating NUL sodium writes
    return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    std::vector<std::uint8_t> out(text.size() / 4 * 3 + 3);
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    if (end != text.data() + text.size()) return std::nullopt;
    out.resize(len);
    // Unused low bits of the last character make several texts decode alike; only one is canonical.
    if (base64_encode(out) != text) return std::nullopt;
    return out;
}

}  // namespace flowsieve
