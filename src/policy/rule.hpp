// rule.hpp: a policy rule: which endpoint pair, which indicators, which exclusions, under which authority.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

#include "core/category.hpp"
#include "export/header_record.hpp"
#include "policy/endpoint_class.hpp"

namespace flowsieve {

// Ports excluded by default: SMTP 25, submission 587, SMTPS 465, POP3 110, POP3S 995, IMAP 143,
// IMAPS 993 (e-mail is out of scope by law). Applied to TCP, UDP and SCTP, source or destination.
inline constexpr std::uint16_t default_excluded_ports[] = {25, 110, 143, 465, 587, 993, 995};

struct Rule {
    std::string id;
    Category category = Category::transit;
    // The pair is unordered; `near` is the non-foreign side (foreign for transit).
    EndpointKind near = EndpointKind::foreign;
    std::uint16_t operator_index = 0;   // near == operator_: which operator
    std::uint32_t required_sets = 0;    // indicator-set bitmask; threat-linked needs a hit in one of them
    std::bitset<256> excluded_protocols;
    std::bitset<65536> excluded_ports;  // TCP/UDP/SCTP ports, either direction
    bool excludes_ports = false;        // any bit of excluded_ports set
    std::uint32_t authorisation = no_index;  // index into Snapshot::authorisations
    std::string source;                 // `file:line` of the rule in the config
};

}  // namespace flowsieve
