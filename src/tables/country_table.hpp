// country_table.hpp: the foreign-endpoint table, IP -> country code, IPv4 and IPv6 LPM.
// Built in the control plane from registry-derived range files; read-only on workers.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/country_code.hpp"
#include "core/ip_address.hpp"
#include "core/result.hpp"
#include "tables/prefix_table.hpp"

namespace flowsieve {

// One line of a range file: [first, last] belongs to cc.
struct CountryRange {
    IpAddress first;
    IpAddress last;
    CountryCode cc = no_country;
    friend bool operator==(const CountryRange&, const CountryRange&) = default;
};

struct CountryTableInfo {
    std::size_t ranges_v4 = 0, ranges_v6 = 0;
    std::size_t prefixes_v4 = 0, prefixes_v6 = 0;
    std::size_t skipped = 0;          // lines taken as not-a-country (e.g. RIR "ZZ"/reserved)
    std::string newest_date;          // YYYYMMDD: RIR statistics header end date, or the newest record
                                      // date when later; empty for range CSV (no dates)
};

class CountryTable {
public:
    CountryTable() = default;
    // Ranges are decomposed into prefixes; a later range overrides an earlier one where they overlap.
    static CountryTable build(const std::vector<CountryRange>& ranges);

    CountryCode lookup(const IpAddress& a) const noexcept { return static_cast<CountryCode>(lpm_.lookup(a)); }
    CountryCode lookup_v4(std::uint32_t a) const noexcept { return static_cast<CountryCode>(lpm_.lookup_v4(a)); }
    CountryCode lookup_v6(U128 a) const noexcept { return static_cast<CountryCode>(lpm_.lookup_v6(a)); }
    const PrefixTable& lpm() const { return lpm_; }
    std::size_t memory_bytes() const { return lpm_.memory_bytes(); }

private:
    PrefixTable lpm_;
};

// Range CSV as published by the ip-location-db project: `start,end,CC` per line, IPv4 or IPv6
// text addresses (also the `-num` variant with integer addresses for IPv4). Errors: file:line.
Result<std::vector<CountryRange>> load_range_csv(const std::string& path, CountryTableInfo* info = nullptr);

// RIR delegated / delegated-extended statistics (`registry|cc|type|start|value|date|status...`).
// ipv4 value = address count, ipv6 value = prefix length; asn lines, the version line and the
// summary lines are skipped; records without a country (status available/reserved, cc "ZZ" or
// empty) are counted in info->skipped, never mapped.
Result<std::vector<CountryRange>> load_rir_stats(const std::string& path, CountryTableInfo* info = nullptr);

// A MaxMind DB file (GeoLite2-Country, DB-IP country, ip-location-db's -mmdb packages): every
// network of its search tree with the country its record names (`country.iso_code`, else
// `registered_country.iso_code`, else `country_code`); networks without one, or with "ZZ", are
// counted in info->skipped. IPv4 is read from ::/96 of an IPv6 tree, as libmaxminddb reads it (and
// ::/96 is then not IPv6's); the subtree's aliases are not walked. newest_date is the build date.
Result<std::vector<CountryRange>> load_mmdb(const std::string& path, CountryTableInfo* info = nullptr);

// Picks the loader by content (a MaxMind DB's metadata marker, or a name ending in .mmdb -> MaxMind
// DB; else a '|' in the first data line -> RIR statistics, else range CSV).
Result<std::vector<CountryRange>> load_country_file(const std::string& path, CountryTableInfo* info = nullptr);

}  // namespace flowsieve
