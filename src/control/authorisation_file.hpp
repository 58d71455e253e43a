// authorisation_file.hpp: reads one authorisation (approval or consent) from a YAML file.
// Control plane. Signatures are added by the oversight module; the fields here are what they cover.
#pragma once

#include <string>

#include "core/result.hpp"
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
Result<Authorisation> load_authorisation_file(const std::string& path);

}  // namespace flowsieve
