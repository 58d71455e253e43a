// policy_names.cpp: names of policy enums and snapshot accounting (control plane).
#include <string_view>

#include "policy/authorisation.hpp"
#include "policy/endpoint_class.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

std::string_view name_of(EndpointKind k) {
    switch (k) {
        case EndpointKind::domestic: return "domestic";
        case EndpointKind::foreign: return "foreign";
        case EndpointKind::operator_: return "operator";
        case EndpointKind::special: return "special";
        case EndpointKind::unknown: break;
    }
    return "unknown";
}

std::string_view name_of(AuthKind k) { return k == AuthKind::consent ? "consent" : "approval"; }

std::optional<AuthKind> parse_auth_kind(std::string_view s) {
    if (s == "approval") return AuthKind::approval;
    if (s == "consent") return AuthKind::consent;
    return std::nullopt;
}

std::size_t Snapshot::memory_bytes() const {
    return sizeof(*this) + countries.memory_bytes() + special.memory_bytes() + operators.memory_bytes() +
           indicators.memory_bytes() + rules.size() * sizeof(Rule) + authorisations.size() * sizeof(Authorisation) + index.memory_bytes();
}

}  // namespace flowsieve
