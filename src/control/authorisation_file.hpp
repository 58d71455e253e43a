// authorisation_file.hpp: reads one authorisation (approval or consent) from a YAML file.
// Control plane. Signatures are added by the oversight module; the fields here are what they cover.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "oversight/authority_verifier.hpp"
#include "oversight/canonical_encoding.hpp"
#include "policy/authorisation.hpp"

namespace flowsieve {

// Format (one authorisation per file):
//   id: A-2026-001
//   kind: approval            # approval | consent
//   category: threat-linked   # transit | operator | threat-linked
//   issuer: oversight-commission
//   scope: { indicator_sets: [ipsum-level3] }   # consent: { operator: tokyo-power }
//   valid_from: 2026-01-01T00:00:00Z
//   valid_until: 2027-01-01T00:00:00Z
//   serial: 1
//   signatures:               # optional here; oversight.require_signatures makes them mandatory
//     - key: commission-1
//       sig: <base64 Ed25519 signature over canonical_authorisation(..., "commission-1")>
Result<Authorisation> load_authorisation_file(const std::string& path);

struct SignedAuthorisation {
    Authorisation authorisation;
    std::vector<SignatureEntry> signatures;  // as written; verified by the oversight module
};
Result<SignedAuthorisation> load_signed_authorisation_file(const std::string& path);
// The same over the file's text, already read (`path` names it in errors): for a caller that uses
// the text too and must use what it parsed (`authority sign` signs the parse and writes the text; a
// second read could see another file, or nothing, from a pipe).
Result<SignedAuthorisation> parse_signed_authorisation(const std::string& path, std::string_view text);

// A revocation file:
//   kind: revocation
//   id: A-2026-001            # the revoked authorisation
//   serial: 3                 # revokes serials up to and including 3
//   issued_at: 2026-05-01T00:00:00Z
//   signatures: [...]         # as above, over canonical_revocation()
struct SignedRevocation {
    Revocation revocation;
    std::vector<SignatureEntry> signatures;
};
Result<SignedRevocation> load_revocation_file(const std::string& path);
Result<SignedRevocation> parse_revocation(const std::string& path, std::string_view text);  // as above

// True when the document (a file's text, `path` naming it) has the top-level `kind` `revocation`: to
// pick the reader; false if it does not parse (the reader that runs next says why).
bool is_revocation_text(const std::string& path, std::string_view text);

// `text` (a whole authorisation or revocation file) with its top-level `signatures:` block
// replaced by `sigs` at the end; every other line, comments included, is kept as written.
std::string with_signatures(const std::string& text, const std::vector<SignatureEntry>& sigs);

}  // namespace flowsieve
