// content_hash.cpp: BLAKE2b-256 over bytes and files (control plane).
#include "oversight/content_hash.hpp"

#include <sodium.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "oversight/ed25519.hpp"

namespace flowsieve {

namespace {

std::string hex(const std::array<unsigned char, crypto_generichash_BYTES>& h) {
    std::string out(content_hash_hex_size + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), h.data(), h.size());
    out.resize(content_hash_hex_size);
    return out;
}

}  // namespace

std::string content_hash_hex(std::string_view bytes) {
    crypto_ready();
    std::array<unsigned char, crypto_generichash_BYTES> h{};
    crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr, 0);
    return hex(h);
}

Result<std::string> file_content_hash_hex(const std::string& path) {
    crypto_ready();
    std::ifstream in(path, std::ios::binary);
    if (!in) return error_at(path, 0, "cannot read (for its content hash)");
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, crypto_generichash_BYTES);
    std::array<char, 1 << 16> buf{};
    while (in) {
        in.read(buf.data(), buf.size());
        const auto n = in.gcount();
        if (n > 0) crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(buf.data()), static_cast<unsigned long long>(n));
    }
    if (in.bad()) return error_at(path, 0, "read error (for its content hash)");
    std::array<unsigned char, crypto_generichash_BYTES> h{};
    crypto_generichash_final(&st, h.data(), h.size());
    return hex(h);
}

}  // namespace flowsieve
