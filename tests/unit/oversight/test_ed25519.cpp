// test_ed25519.cpp: sign/verify, and the strictness libsodium documents for
// crypto_sign_verify_detached (>= 1.0.16): non-canonical S, small-order and non-canonical public
// keys and small-order R are refused. The Wycheproof vector files are not in /work/shared/data, so
// these edge cases are built here by hand from their definitions (RFC 8032, section 5.1.7).
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "oversight/base64.hpp"
#include "oversight/ed25519.hpp"

namespace flowsieve::testing {
namespace {

// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
constexpr std::array<std::uint8_t, 32> group_order = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

TEST(Ed25519, SignsAndVerifies) {
    ASSERT_TRUE(crypto_ready());
    KeyPair k = generate_keypair();
    EXPECT_EQ(public_of(k.secret_key), k.public_key);
    Signature s = sign_detached("approval", k.secret_key);
    EXPECT_TRUE(verify_detached("approval", s, k.public_key));
    EXPECT_FALSE(verify_detached("approvaL", s, k.public_key));
    EXPECT_FALSE(verify_detached("approval", s, generate_keypair().public_key));
    for (std::size_t byte : {0u, 31u, 32u, 63u}) {
        Signature t = s;
        t[byte] ^= 0x01;
        EXPECT_FALSE(verify_detached("approval", t, k.public_key)) << byte;
    }
    // Deterministic (RFC 8032): the same key and message give the same signature.
    EXPECT_EQ(sign_detached("approval", k.secret_key), s);
}

TEST(Ed25519, NonCanonicalScalarIsRefused) {
    // S + L is the same scalar mod L, so a lax verifier accepts it: a second signature for free.
    KeyPair k = generate_keypair();
    Signature s = sign_detached("m", k.secret_key);
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        unsigned sum = s[32 + i] + group_order[i] + carry;
        s[32 + i] = static_cast<std::uint8_t>(sum & 0xff);
        carry = sum >> 8;
    }
    ASSERT_EQ(carry, 0u);  // S < L < 2^253, so S + L < 2^256
    EXPECT_FALSE(verify_detached("m", s, k.public_key));
}

TEST(Ed25519, SmallOrderKeyAndNonceAreRefused) {
    // Public key and R both the neutral element (y = 1), S = 0: [S]B = R + [k]A holds for every
    // message, so a cofactorless verifier without the small-order checks accepts this forgery.
    PublicKey identity{};
    identity[0] = 1;
    Signature forged{};
    forged[0] = 1;
    EXPECT_FALSE(verify_detached("anything", forged, identity));
    EXPECT_FALSE(verify_detached("", forged, identity));
    // A point of order 4 (y = 0; x = sqrt(-1)) as the key, same shape of forgery.
    PublicKey order4{};
    EXPECT_FALSE(verify_detached("anything", forged, order4));
}

TEST(Ed25519, NonCanonicalPublicKeyIsRefused) {
    // y = p = 2^255 - 19 is y = 0 written non-canonically.
    PublicKey y_is_p{};
    y_is_p.fill(0xff);
    y_is_p[0] = 0xed;
    y_is_p[31] = 0x7f;
    Signature s{};
    EXPECT_FALSE(verify_detached("m", s, y_is_p));
}

TEST(Base64, RoundTripsAndRefusesNonCanonicalText) {
    const std::array<std::uint8_t, 4> bytes{0xfb, 0xff, 0x00, 0x41};
    const std::string text = base64_encode(bytes);
    EXPECT_EQ(text, "+/8AQQ==");  // RFC 4648 alphabet: 0xfb 0xff -> "+/8"; 0x00 0x41 -> "AQQ="
    auto back = base64_decode(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), *back);
    EXPECT_FALSE(base64_decode("+/8AQR==").has_value());  // unused low bits set: another text for the same bytes
    EXPECT_FALSE(base64_decode("+/8AQQ").has_value());    // padding missing
    EXPECT_FALSE(base64_decode("+/8AQQ== ").has_value()); // trailing space
    EXPECT_FALSE(base64_decode("+/8A QQ==").has_value());
    EXPECT_FALSE(base64_decode("-_8AQQ==").has_value());  // URL-safe alphabet is not this variant
    EXPECT_TRUE(base64_decode("").has_value());
}

}  // namespace
}  // namespace flowsieve::testing
