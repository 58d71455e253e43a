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

void ContentHasher::reset() {
    crypto_ready();
    crypto_generichash_init(&st_, nullptr, 0, crypto_generichash_BYTES);
}

void ContentHasher::update(const void* p, std::size_t n) {
    crypto_generichash_update(&st_, static_cast<const unsigned char*>(p), static_cast<unsigned long long>(n));
}

std::string ContentHasher::hex() {
    std::array<unsigned char, crypto_generichash_BYTES> h{};
    crypto_generichash_final(&st_, h.data(), h.size());
    return flowsieve::hex(h);
}

Result<std::string> file_content_hash_hex(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error_at(path, 0, "cannot read (for its content hash)");
    ContentHasher hasher;
    std::array<char, 1 << 16> buf{};
    while (in) {
        in.read(buf.data(), buf.size());
        const auto n = in.gcount();
        if (n > 0) hasher.update(buf.data(), static_cast<std::size_t>(n));
    }
    if (in.bad()) return error_at(path, 0, "read error (for its content hash)");
    return hasher.hex();
}

}  // namespace flowsieve
