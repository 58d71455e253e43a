// indicator_table.hpp: named IP threat-indicator sets (IPv4/IPv6 addresses and CIDRs).
// Built in the control plane; read-only on workers. Lookup yields which sets match and the id of
// the most specific matching indicator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ip_address.hpp"
#include "core/result.hpp"
#include "tables/prefix.hpp"

namespace flowsieve {

inline constexpr std::size_t max_indicator_sets = 32;

// One indicator as loaded: a prefix and its id (the CSV id column, or the entry's own text).
struct Indicator {
    Prefix prefix;
    std::string id;
};

struct IndicatorSetSource {
    std::string name;               // set name used by rules, e.g. "ipsum-level3"
    std::vector<Indicator> indicators;
    std::size_t lines = 0;          // data lines read
    std::size_t unrecognised = 0;   // data lines that were not an IP/CIDR (counted, never silent)
};

// Plain list: one IP or CIDR per line; `#` starts a comment (whole line or trailing); blank lines
// ignored; an optional second whitespace/tab-separated column (e.g. ipsum's count) is ignored.
// Lines that are not an address (domains, URLs, address:port) are counted as unrecognised.
Result<IndicatorSetSource> load_indicator_list(const std::string& name, const std::string& path);
// CSV with a header row naming an id column and an address column (`id_column`, `value_column`).
Result<IndicatorSetSource> load_indicator_csv(const std::string& name, const std::string& path,
                                              const std::string& id_column, const std::string& value_column);

struct IndicatorMatch {
    std::uint32_t set_mask = 0;    // bit i set: set i has an indicator covering the address
    std::uint32_t indicator = 0xffffffffu;  // global index of the most specific match, or none
};

class IndicatorTable {
public:
    IndicatorTable() = default;
    // Set i of `sets` becomes bit i. At most max_indicator_sets sets.
    static Result<IndicatorTable> build(std::vector<IndicatorSetSource> sets);

    bool lookup(const IpAddress& a, IndicatorMatch& out) const noexcept;  // false: no set matches

    std::size_t set_count() const { return set_names_.size(); }
    const std::string& set_name(std::size_t i) const { return set_names_[i]; }
    int set_index(const std::string& name) const;  // -1 when absent
    const std::string& indicator_id(std::uint32_t index) const { return ids_[index]; }
    std::size_t indicator_count() const { return ids_.size(); }
    std::size_t memory_bytes() const;

private:
    std::vector<std::string> set_names_;
    std::vector<std::string> ids_;  // global indicator index -> id text
    // Implementation detail chosen by tables/: exact-address hash for /32 and /128 entries plus
    // an LPM over CIDRs. Values encode (set mask, indicator index).
    struct Impl;
    std::shared_ptr<const Impl> impl_;
};

}  // namespace flowsieve
