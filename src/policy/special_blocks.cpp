// special_blocks.cpp: the built-in list of special-purpose blocks (control plane, built once).
#include "policy/special_blocks.hpp"

#include <cstdint>

namespace flowsieve {

const std::vector<SpecialBlock>& special_blocks() {
    // Global-but-special blocks (e.g. 192.88.99.0/24 6to4 relay anycast, 2001::/23 TEREDO's parent) are
    // included because traffic to them does not identify a country.
    static const std::vector<SpecialBlock> blocks = {
        {"0.0.0.0/8", "this network (RFC 791)"},
        {"10.0.0.0/8", "private-use (RFC 1918)"},
        {"100.64.0.0/10", "shared address space, CGNAT (RFC 6598)"},
        {"127.0.0.0/8", "loopback (RFC 1122)"},
        {"169.254.0.0/16", "link-local (RFC 3927)"},
        {"172.16.0.0/12", "private-use (RFC 1918)"},
        {"192.0.0.0/24", "IETF protocol assignments (RFC 6890)"},
        {"192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"},
        {"192.31.196.0/24", "AS112-v4 (RFC 7535)"},
        {"192.52.193.0/24", "AMT (RFC 7450)"},
        {"192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"},
        {"192.168.0.0/16", "private-use (RFC 1918)"},
        {"192.175.48.0/24", "direct delegation AS112 service (RFC 7534)"},
        {"198.18.0.0/15", "benchmarking (RFC 2544)"},
        {"198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"},
        {"203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"},
        {"224.0.0.0/4", "multicast (RFC 5771)"},
        {"240.0.0.0/4", "reserved, class E (RFC 1112); includes limited broadcast"},
        {"::/128", "unspecified address (RFC 4291)"},
        {"::1/128", "loopback (RFC 4291)"},
        {"::ffff:0:0/96", "IPv4-mapped (RFC 4291)"},
        {"64:ff9b::/96", "IPv4-IPv6 translation (RFC 6052)"},
        {"64:ff9b:1::/48", "local-use IPv4-IPv6 translation (RFC 8215)"},
        {"100::/64", "discard-only (RFC 6666)"},
        {"100:0:0:1::/64", "dummy IPv6 prefix (IANA special-purpose registry, 2025)"},
        {"2001::/23", "IETF protocol assignments (RFC 2928), incl. TEREDO 2001::/32"},
        {"2001:db8::/32", "documentation (RFC 3849)"},
        {"2002::/16", "6to4 (RFC 3056)"},
        {"2620:4f:8000::/48", "direct delegation AS112 service (RFC 7534)"},
        {"3fff::/20", "documentation (RFC 9637)"},
        {"5f00::/16", "segment routing SIDs (RFC 9602)"},
        {"fc00::/7", "unique-local (RFC 4193)"},
        {"fe80::/10", "link-local unicast (RFC 4291)"},
        {"ff00::/8", "multicast (RFC 4291)"},
    };
    return blocks;
}

PrefixTable build_special_table() {
    std::vector<PrefixTable::Entry> entries;
    const auto& blocks = special_blocks();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        auto p = parse_prefix(blocks[i].prefix);
        // The list is a compile-time constant checked by tests; a bad entry is a programming error.
        if (p) entries.push_back({p.value(), static_cast<std::uint32_t>(i + 1)});
    }
    return PrefixTable::build(std::move(entries));
}

}  // namespace flowsieve
