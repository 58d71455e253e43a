// ed25519.hpp: Ed25519 keys, detached signatures and strict verification (libsodium; control plane).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace flowsieve {

using PublicKey = std::array<std::uint8_t, 32>;
using SecretKey = std::array<std::uint8_t, 64>;  // libsodium layout: seed || public key
using Signature = std::array<std::uint8_t, 64>;

struct KeyPair {
    PublicKey public_key{};
    SecretKey secret_key{};
};

// Initialises libsodium once (thread-safe); false only when the library cannot start.
bool crypto_ready();

KeyPair generate_keypair();
Signature sign_detached(std::string_view message, const SecretKey& secret);
// Strict: libsodium (>= 1.0.16) refuses non-canonical S, small-order R and public keys, and
// non-canonical encodings, so one message has no second valid signature under one key.
bool verify_detached(std::string_view message, const Signature& sig, const PublicKey& key);
// The same for bytes as decoded from a file or a test vector: a signature of other than 64 bytes or
// a key of other than 32 is refused here, since libsodium reads a fixed 64 and 32 and cannot tell.
bool verify_detached(std::string_view message, std::span<const std::uint8_t> sig, std::span<const std::uint8_t> key);
// A signature as written in authorisation files and audit checkpoints: the canonical base64 of
// exactly 64 bytes (base64.hpp); nullopt for anything else.
std::optional<Signature> signature_from_base64(std::string_view text);
// The public half stored inside a secret key (to check a key file's two halves agree).
PublicKey public_of(const SecretKey& secret);

}  // namespace flowsieve
