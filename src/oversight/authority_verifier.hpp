// authority_verifier.hpp: decides whether an authorisation may be used: signatures from trusted
// keys of the right role, a commission quorum, no revocation, no rollback, not expired.
// Control plane (snapshot build at start and reload, and `flowsieve authority verify`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oversight/canonical_encoding.hpp"
#include "oversight/ed25519.hpp"
#include "oversight/serial_state.hpp"
#include "policy/authorisation.hpp"

namespace flowsieve {

enum class KeyRole : std::uint8_t {
    commission = 0,  // a member of the oversight commission: signs approvals and revocations
    operator_ = 1,   // a critical-infrastructure operator: signs its own consent
};

struct TrustedKey {
    std::string id;
    KeyRole role = KeyRole::commission;
    std::string operator_id;  // role operator_: whose consent this key may sign
    PublicKey key{};
    // Role commission: the member of the commission who holds the key; empty: the key's id. A quorum
    // counts members, not keys: during a rotation a member's old and new keys are both trusted, and
    // one member signing with both must not stand for two.
    std::string member;
    const std::string& member_or_id() const { return member.empty() ? id : member; }
};

// One `signatures:` entry as read from a file; `sig` is still base64 text (decoded strictly here).
struct SignatureEntry {
    std::string key_id;
    std::string sig;
    std::string source;  // file:line
};

struct OversightPolicy {
    std::vector<TrustedKey> keys;
    std::uint32_t approval_quorum = 1;  // distinct commission keys an approval or revocation needs
    bool require_signatures = true;     // false: unsigned files pass with a warning (transition only)
};

// Each reason has its own message (and its own test).
enum class Refusal : std::uint8_t {
    none,
    unsigned_,
    bad_signature,     // does not verify: the file was altered, or the signature forged
    unknown_key,       // signed by a key that is not trusted
    key_out_of_scope,  // a trusted key of the wrong role or operator
    short_of_quorum,
    revoked,
    replayed,          // older serial, or a reused serial with other contents
    expired,
    not_yet_valid,     // reported; the window still opens by itself at valid_from
};
std::string_view name_of(Refusal r);

struct SignatureResult {
    std::string key_id;
    std::string source;
    bool valid = false;
    std::string why;  // empty when valid
};

struct AuthorityVerdict {
    Refusal refusal = Refusal::none;
    std::string message;  // why (refusal), or a warning when usable (unsigned allowed, not yet valid)
    std::vector<SignatureResult> signatures;

    // Whether anything may run under it (not_yet_valid is judged per packet by its window).
    bool usable() const { return refusal == Refusal::none || refusal == Refusal::not_yet_valid; }
};

// Signatures only: role and operator of each key, strict verification, quorum.
AuthorityVerdict check_authorisation_signatures(const Authorisation& a, const std::vector<SignatureEntry>& sigs,
                                                const OversightPolicy& policy);

// A revocation needs the commission quorum, or (for a consent) a key of the consenting operator.
// `target` is the revoked authorisation when it is loaded, else null.
AuthorityVerdict check_revocation_signatures(const Revocation& r, const std::vector<SignatureEntry>& sigs,
                                             const OversightPolicy& policy, const Authorisation* target);

// The whole judgement, in order: signatures, revocations (already verified), rollback state,
// expiry at `now_ns`. `state` may be null (no state file configured).
AuthorityVerdict judge_authorisation(const Authorisation& a, const std::vector<SignatureEntry>& sigs,
                                     const OversightPolicy& policy, const std::vector<Revocation>& revocations,
                                     const SerialState* state, std::int64_t now_ns);

}  // namespace flowsieve
