// authority_verifier.cpp: signature, role, quorum, revocation, rollback and expiry checks (control plane).
#include "oversight/authority_verifier.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "core/time_text.hpp"

namespace flowsieve {

std::string_view name_of(Refusal r) {
    switch (r) {
        case Refusal::none: return "accepted";
        case Refusal::unsigned_: return "unsigned";
        case Refusal::bad_signature: return "bad signature";
        case Refusal::unknown_key: return "unknown key";
        case Refusal::key_out_of_scope: return "key out of scope";
        case Refusal::short_of_quorum: return "short of quorum";
        case Refusal::revoked: return "revoked";
        case Refusal::replayed: return "replayed";
        case Refusal::expired: return "expired";
        case Refusal::not_yet_valid: return "not yet valid";
    }
    return "?";
}

namespace {

const TrustedKey* find_key(const OversightPolicy& p, const std::string& id) {
    auto it = std::find_if(p.keys.begin(), p.keys.end(), [&](const TrustedKey& k) { return k.id == id; });
    return it == p.keys.end() ? nullptr : &*it;
}

// Why `key` may not sign this document, or empty. `consent_of` is the consenting operator when the
// document is (or revokes) a consent, else empty; `revocation` lets a commission key revoke a consent.
std::string role_problem(const TrustedKey& key, const std::string& consent_of, bool revocation) {
    if (key.role == KeyRole::operator_) {
        if (consent_of.empty())
            return "key '" + key.id + "' is operator '" + key.operator_id + "''s key: only commission keys sign " +
                   (revocation ? "this revocation" : "an approval");
        if (key.operator_id != consent_of)
            return "key '" + key.id + "' belongs to operator '" + key.operator_id + "', not to the consenting operator '" +
                   consent_of + "'";
    } else if (!consent_of.empty() && !revocation) {
        return "key '" + key.id + "' is a commission key: a consent is signed by the consenting operator '" + consent_of +
               "'";
    }
    return {};
}

struct Tally {
    std::set<std::string> commission;     // distinct members whose key signed validly, in scope
    std::set<std::string> operator_keys;  // distinct operator keys that did
};

// Verifies every entry; the verdict holds the first failure (any failure refuses the document:
// a stray bad signature means someone altered or forged something, which is worth stopping for).
AuthorityVerdict check_each(const std::function<std::string(const std::string&)>& encode,
                            const std::vector<SignatureEntry>& sigs, const OversightPolicy& policy,
                            const std::string& consent_of, bool revocation, Tally& tally) {
    AuthorityVerdict v;
    auto fail = [&](Refusal r, const std::string& why) {
        v.signatures.back().why = why;
        if (v.refusal == Refusal::none) {
            v.refusal = r;
            v.message = why;
        }
    };
    for (const auto& s : sigs) {
        v.signatures.push_back({s.key_id, s.source, false, {}});
        const TrustedKey* key = find_key(policy, s.key_id);
        if (!key) {
            fail(Refusal::unknown_key, "signed by unknown key '" + s.key_id + "' (" + s.source +
                                           "): not among oversight.trusted_keys");
            continue;
        }
        const auto sig = signature_from_base64(s.sig);
        if (!sig) {
            fail(Refusal::bad_signature, "bad signature by key '" + s.key_id + "' (" + s.source +
                                             "): not the base64 of a 64-byte Ed25519 signature");
            continue;
        }
        if (!verify_detached(encode(key->id), *sig, key->key)) {
            fail(Refusal::bad_signature, "bad signature by key '" + s.key_id + "' (" + s.source +
                                             "): it does not verify, so the file was altered or the signature forged");
            continue;
        }
        if (auto why = role_problem(*key, consent_of, revocation); !why.empty()) {
            fail(Refusal::key_out_of_scope, "out of scope: " + why);
            continue;
        }
        v.signatures.back().valid = true;
        if (key->role == KeyRole::commission) tally.commission.insert(key->member_or_id());
        else tally.operator_keys.insert(key->id);
    }
    return v;
}

std::string quorum_text(std::size_t have, std::size_t need, const std::string& whose) {
    return "short of quorum: " + std::to_string(have) + " of " + std::to_string(need) + " required " + whose +
           " signatures";
}

}  // namespace

AuthorityVerdict check_authorisation_signatures(const Authorisation& a, const std::vector<SignatureEntry>& sigs,
                                                const OversightPolicy& policy) {
    if (sigs.empty()) {
        AuthorityVerdict v;
        if (policy.require_signatures) {
            v.refusal = Refusal::unsigned_;
            v.message = "unsigned: oversight.require_signatures is on and the file has no signatures";
        } else {
            v.message = "unsigned: accepted only because oversight.require_signatures is false";
        }
        return v;
    }
    const std::string consent_of = a.kind == AuthKind::consent ? a.operator_id : std::string{};
    Tally tally;
    AuthorityVerdict v = check_each([&](const std::string& key) { return canonical_authorisation(a, key); }, sigs,
                                    policy, consent_of, false, tally);
    if (v.refusal != Refusal::none) return v;
    if (a.kind == AuthKind::consent) {
        if (tally.operator_keys.empty()) {  // unreachable with all signatures valid; kept for safety
            v.refusal = Refusal::short_of_quorum;
            v.message = quorum_text(0, 1, "operator '" + a.operator_id + "'");
        }
    } else if (tally.commission.size() < policy.approval_quorum) {
        v.refusal = Refusal::short_of_quorum;
        v.message = quorum_text(tally.commission.size(), policy.approval_quorum, "commission") +
                    (tally.commission.size() < sigs.size()
                         ? " (a member counts once however often, and with however many of its keys, it signs)"
                         : "");
    }
    return v;
}

AuthorityVerdict check_revocation_signatures(const Revocation& r, const std::vector<SignatureEntry>& sigs,
                                             const OversightPolicy& policy, const Authorisation* target) {
    AuthorityVerdict v;
    if (sigs.empty()) {
        v.refusal = Refusal::unsigned_;
        v.message = "unsigned: a revocation must be signed";
        return v;
    }
    const std::string consent_of = target && target->kind == AuthKind::consent ? target->operator_id : std::string{};
    Tally tally;
    v = check_each([&](const std::string& key) { return canonical_revocation(r, key); }, sigs, policy, consent_of, true,
                   tally);
    if (v.refusal != Refusal::none) return v;
    if (tally.commission.size() < policy.approval_quorum && tally.operator_keys.empty()) {
        v.refusal = Refusal::short_of_quorum;
        v.message = quorum_text(tally.commission.size(), policy.approval_quorum, "commission");
    }
    return v;
}

AuthorityVerdict judge_authorisation(const Authorisation& a, const std::vector<SignatureEntry>& sigs,
                                     const OversightPolicy& policy, const std::vector<Revocation>& revocations,
                                     const SerialState* state, std::int64_t now_ns) {
    AuthorityVerdict v = check_authorisation_signatures(a, sigs, policy);
    if (!v.usable()) return v;
    auto refuse = [&](Refusal r, std::string why) {
        v.refusal = r;
        v.message = std::move(why);
        return v;
    };
    for (const auto& r : revocations)
        if (r.id == a.id && a.serial <= r.serial)
            return refuse(Refusal::revoked, "revoked by " + r.source + " (serials up to " + std::to_string(r.serial) +
                                                ", issued " + format_time(r.issued_at_ns) + ")");
    if (state) {
        if (auto why = state->revocation_problem(a); !why.empty()) return refuse(Refusal::revoked, why);
        if (auto why = state->replay_problem(a); !why.empty()) return refuse(Refusal::replayed, why);
    }
    if (now_ns >= a.valid_until_ns)
        return refuse(Refusal::expired, "expired at " + format_time(a.valid_until_ns) + ": nothing runs under it");
    if (now_ns < a.valid_from_ns)
        return refuse(Refusal::not_yet_valid, "not valid before " + format_time(a.valid_from_ns) +
                                                  ": only packets from then on (by their own time) are emitted under it");
    return v;
}

}  // namespace flowsieve
