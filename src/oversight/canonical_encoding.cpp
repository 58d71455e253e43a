// canonical_encoding.cpp: length-prefixed, fixed-order field encoding (control plane).
#include "oversight/canonical_encoding.hpp"

#include <sodium.h>

#include <array>

#include "core/category.hpp"

namespace flowsieve {

namespace {

void put_u64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_i64(std::string& out, std::int64_t v) { put_u64(out, static_cast<std::uint64_t>(v)); }
// Length prefix: "ab"+"c" and "a"+"bc" must never encode alike.
void put_str(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}

std::string body(const Authorisation& a) {
    std::string out(authorisation_domain);
    put_str(out, a.id);
    put_str(out, name_of(a.kind));
    put_str(out, name_of(a.category));
    put_str(out, a.issuer);
    put_str(out, a.operator_id);
    put_u32(out, static_cast<std::uint32_t>(a.indicator_sets.size()));
    for (const auto& s : a.indicator_sets) put_str(out, s);
    put_i64(out, a.valid_from_ns);
    put_i64(out, a.valid_until_ns);
    put_u64(out, a.serial);
    return out;
}

}  // namespace

std::string canonical_authorisation(const Authorisation& a, std::string_view key_id) {
    std::string out = body(a);
    put_str(out, key_id);
    return out;
}

std::string canonical_revocation(const Revocation& r, std::string_view key_id) {
    std::string out(revocation_domain);
    put_str(out, "revocation");
    put_str(out, r.id);
    put_u64(out, r.serial);
    put_i64(out, r.issued_at_ns);
    put_str(out, key_id);
    return out;
}

std::string content_digest(const Authorisation& a) {
    const std::string b = body(a);
    std::array<unsigned char, 32> h{};
    crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(b.data()), b.size(), nullptr, 0);
    std::array<char, 65> hex{};
    sodium_bin2hex(hex.data(), hex.size(), h.data(), h.size());
    return std::string(hex.data(), 64);
}

}  // namespace flowsieve
