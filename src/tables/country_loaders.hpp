// country_loaders.hpp: private entry points of the country-table loaders, on text already in
// memory (load_country_file reads once and sniffs). Control plane.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tables/country_table.hpp"

namespace flowsieve::detail {

Result<std::vector<CountryRange>> parse_range_csv(const std::string& path, std::string_view text,
                                                  CountryTableInfo* info);
Result<std::vector<CountryRange>> parse_rir_stats(const std::string& path, std::string_view text,
                                                  CountryTableInfo* info);

// MaxMind DB (binary): looks_like_mmdb finds its metadata marker; parse_mmdb walks the file's
// `bytes` (as read; `path` names it in errors).
bool looks_like_mmdb(std::string_view bytes);
Result<std::vector<CountryRange>> parse_mmdb(const std::string& path, std::string_view bytes, CountryTableInfo* info);

// Prefix count of a range's minimal CIDR cover (for CountryTableInfo).
std::size_t cover_prefix_count(const CountryRange& r);

}  // namespace flowsieve::detail
