// canonical_encoding.hpp: the exact bytes a signature covers, for authorisations and revocations.
// Control plane. Any change here invalidates every signature ever made: bump the version prefix.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "policy/authorisation.hpp"

namespace flowsieve {

// A signed withdrawal of authorisation `id` up to and including `serial`: a re-issue with a
// higher serial is not affected.
struct Revocation {
    std::string id;  // the revoked authorisation
    std::uint64_t serial = 0;
    std::int64_t issued_at_ns = 0;
    std::string source;  // file:line
};

inline constexpr std::string_view authorisation_domain{"flowsieve-authorisation-v1\0", 27};
inline constexpr std::string_view revocation_domain{"flowsieve-revocation-v1\0", 24};

// Layout (all integers big-endian; every string is a u32 length then its bytes):
//   domain prefix, id, kind name, category name, issuer, scope.operator,
//   u32 count + each scope.indicator_sets entry (in file order), valid_from (i64 ns),
//   valid_until (i64 ns), serial (u64), signing key id.
// The key id is inside so a signature cannot be re-attributed to another key.
std::string canonical_authorisation(const Authorisation& a, std::string_view key_id);

// domain prefix, "revocation", id, serial (u64), issued_at (i64 ns), signing key id.
std::string canonical_revocation(const Revocation& r, std::string_view key_id);

// Hex BLAKE2b-256 of the encoding without a key id: tells two files with the same id and serial apart.
std::string content_digest(const Authorisation& a);

}  // namespace flowsieve
