// ed25519.cpp: thin wrappers over libsodium's crypto_sign_* (control plane).
#include "oversight/ed25519.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include "oversight/base64.hpp"

namespace flowsieve {

std::optional<Signature> signature_from_base64(std::string_view text) {
    const auto bytes = base64_decode(text);
    Signature sig{};
    if (!bytes || bytes->size() != sig.size()) return std::nullopt;
    std::copy(bytes->begin(), bytes->end(), sig.begin());
    return sig;
}

bool crypto_ready() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

KeyPair generate_keypair() {
    if (!crypto_ready()) std::abort();  // no randomness source: never hand out a weak key
    KeyPair k;
    crypto_sign_keypair(k.public_key.data(), k.secret_key.data());
    return k;
}

Signature sign_detached(std::string_view message, const SecretKey& secret) {
    if (!crypto_ready()) std::abort();
    Signature s{};
    crypto_sign_detached(s.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         secret.data());
    return s;
}

bool verify_detached(std::string_view message, const Signature& sig, const PublicKey& key) {
    if (!crypto_ready()) return false;
    return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(message.data()),
                                       message.size(), key.data()) == 0;
}

bool verify_detached(std::string_view message, std::span<const std::uint8_t> sig, std::span<const std::uint8_t> key) {
    Signature s{};
    PublicKey k{};
    if (sig.size() != s.size() || key.size() != k.size()) return false;
    std::copy(sig.begin(), sig.end(), s.begin());
    std::copy(key.begin(), key.end(), k.begin());
    return verify_detached(message, s, k);
}

PublicKey public_of(const SecretKey& secret) {
    PublicKey p{};
    crypto_sign_ed25519_sk_to_pk(p.data(), secret.data());
    return p;
}

}  // namespace flowsieve
