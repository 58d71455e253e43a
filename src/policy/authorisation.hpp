// authorisation.hpp: an approval (oversight commission) or consent (operator) and its validity window.
// Read in the control plane; the data path only sees the window (AuthWindow) copied into the Snapshot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/category.hpp"

namespace flowsieve {

enum class AuthKind : std::uint8_t {
    approval = 0,  // by the independent oversight commission (transit, threat-linked)
    consent = 1,   // by a critical-infrastructure operator for its own traffic (operator)
};
std::string_view name_of(AuthKind k);
std::optional<AuthKind> parse_auth_kind(std::string_view s);

// Every field a signature will cover (issue: signed authorisations) is here, so the canonical
// encoding can be defined over this struct alone.
struct Authorisation {
    std::string id;                          // e.g. "A-2026-001"
    AuthKind kind = AuthKind::approval;
    Category category = Category::transit;
    std::string issuer;                      // commission member / operator id that issued it
    std::string operator_id;                 // consent: the consenting operator (scope)
    std::vector<std::string> indicator_sets; // threat-linked approval: the sets it covers (scope)
    std::int64_t valid_from_ns = 0;          // inclusive
    std::int64_t valid_until_ns = 0;         // exclusive
    std::uint64_t serial = 0;
    std::string source;                      // `file:line` it was read from, for messages
};

// The hot copy the classifier reads: [from, until) in packet time. usable=false when refused.
struct AuthWindow {
    std::int64_t from_ns = 0;
    std::int64_t until_ns = 0;
    bool usable = false;

    bool valid_at(std::uint64_t t_ns) const noexcept {
        auto t = static_cast<std::int64_t>(t_ns);
        return usable && t >= from_ns && t < until_ns;
    }
};

}  // namespace flowsieve
