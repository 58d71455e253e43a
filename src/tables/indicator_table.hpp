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

// An indicator's id goes into the comment of every record that names it: one longer than
// max_id_bytes (core/record_id.hpp) is refused (CSV) or skipped (STIX) at load. List entries are
// addresses, short by their syntax.

struct IndicatorSetSource {
    std::string name;               // set name used by rules, e.g. "ipsum-level3"
    std::vector<Indicator> indicators;
    std::size_t lines = 0;          // data lines read (not blank, not only a comment)
    std::size_t unrecognised = 0;   // data lines that were not an IP/CIDR (counted, never silent)
    std::size_t normalised = 0;     // CIDRs with host bits set, kept with the host bits cleared
    std::vector<std::string> warnings;  // what was skipped, in words, for the operator (check-config, build)
};

// Plain list: one IP or CIDR per line; `#` starts a comment (whole line or trailing); blank lines
// ignored; an optional second whitespace/tab-separated column (e.g. ipsum's count) is ignored.
// Lines that are not an address (domains, URLs, address:port) are counted as unrecognised, and
// the warning says how many of each kind.
// A CIDR with host bits set (`192.0.2.7/24`) is a third-party feed's sloppiness, not junk: it is
// kept as the network it names (192.0.2.0/24) and counted in `normalised`, so an operator can see
// it happened; dropping it would silently lose coverage, refusing it would refuse whole feeds.
// Each indicator's id is its address token as written in the file. An unreadable file is an error.
Result<IndicatorSetSource> load_indicator_list(const std::string& name, const std::string& path);
// CSV with a header row naming an id column and an address column (`id_column`, `value_column`);
// the header may be the `#` comment just before the first row (abuse.ch's feeds). Strict about its
// shape: a missing column, a short row, an empty id or a value that is not an exact IP/CIDR (host
// bits set included) is a `file:line:` error; except that values which are plainly other kinds of
// indicator (address:port pairs, domain names, URLs with a scheme, file hashes: ThreatFox's export
// mixes them in one column) are skipped and counted as in a list. Fields may be quoted ("a,b",
// "" for a quote); blank lines and lines starting with `#` are skipped.
Result<IndicatorSetSource> load_indicator_csv(const std::string& name, const std::string& path,
                                              const std::string& id_column, const std::string& value_column);

// STIX 2.1 (or 2.0) JSON: a bundle, or any object with an "objects" array (a TAXII 2.1 envelope),
// or a single indicator object. Of its `indicator` objects, those whose `pattern` (pattern_type
// `stix`, the default) names IPv4/IPv6 addresses or CIDRs that match on their own
// (stix_pattern.hpp) give one Indicator per address, with the STIX `id` as its id.
// - Objects that share an id are versions of one indicator: only the current one (the latest
//   `modified`) is read, and a revocation in any version is final.
// - An address value must be an exact address or CIDR of its type (no host bits set: not widened).
// - Indicators that are revoked, whose `valid_until` has passed at `now_ns` or whose `valid_from`
//   has not come yet are skipped: validity is judged when the set is loaded (start-up and each
//   reload), not per packet.
// - `lines` counts the indicators read (current versions); `unrecognised` those that give no
//   address (domain names, URLs, hashes, addresses only inside AND / FOLLOWEDBY / qualified
//   conditions, other pattern types, patterns that do not parse, a valid_from / valid_until /
//   revoked that is there but unreadable).
// - Each kind of skip is a line in `warnings`, with a count and the first example.
// Other objects (malware, relationships...) are context and are not read. Not JSON, or no objects:
// an error naming the file (and the line, for JSON that does not parse).
Result<IndicatorSetSource> load_indicator_stix(const std::string& name, const std::string& path, std::int64_t now_ns);

struct IndicatorMatch {
    std::uint32_t set_mask = 0;    // bit i set: set i has an indicator covering the address
    std::uint32_t indicator = 0xffffffffu;  // global index of the most specific match, or none
};

// Semantics: set_mask is the union over *every* indicator covering the address, in every set (an
// address in 10.0.0.0/8 of set A and 10.1.0.0/16 of set B matches A and B). `indicator` is the
// global index (sets in order, indicators in file order) of the most specific covering indicator;
// when several sets hold that same prefix, the lowest index wins.
// Layout: exact /32 and /128 entries live in open-addressing hashes (flat arrays, linear probing);
// CIDRs live in a PrefixTable whose value indexes a small array of (set_mask, indicator). Build
// folds each CIDR's ancestors into its mask and each exact entry's covering CIDRs into its mask,
// so a lookup is one hash probe and, on a miss, one LPM: no walk up the prefix chain. In front of
// both sits a prefilter (indicator_prefilter.hpp: one bit per IPv4 /24 and per hashed IPv6 /48,
// 2 MiB each) that answers "no match" for most traffic addresses without touching either.
class IndicatorTable {
public:
    IndicatorTable() = default;
    // Set i of `sets` becomes bit i. At most max_indicator_sets sets; set names must be distinct
    // and non-empty.
    static Result<IndicatorTable> build(std::vector<IndicatorSetSource> sets);

    // Data path: noexcept, no allocation. False (and `out` reset) when no set matches.
    bool lookup(const IpAddress& a, IndicatorMatch& out) const noexcept;
    // Data path: lookup() over a burst, prefetching every exact-hash probe before the first one,
    // then the CIDR lookups of the misses in bulk, so that the cache misses overlap.
    // out[i].set_mask == 0 means no match.
    void lookup_bulk(const IpAddress* a, IndicatorMatch* out, std::size_t n) const noexcept;
    // The first line lookup_bulk reads for a (its prefilter word), fetched ahead of the call.
    void prefetch(const IpAddress& a) const noexcept;
    // Data path: the indicator to name for address a, found as `m` by lookup(), under a rule that
    // requires `sets` (m.set_mask & sets != 0): the most specific indicator covering a among those
    // sets, ties to the lowest index. m.indicator, the most specific in every set, is that one
    // unless it belongs to a set outside `sets` while another set covers a too (an address listed
    // in two feeds): only then is a looked up again, in a side table of such addresses.
    std::uint32_t named_in(const IpAddress& a, const IndicatorMatch& m, std::uint32_t sets) const noexcept;

    std::size_t set_count() const { return set_names_.size(); }
    const std::string& set_name(std::size_t i) const { return set_names_[i]; }
    int set_index(const std::string& name) const;  // -1 when absent
    const std::string& indicator_id(std::uint32_t index) const { return ids_[index]; }
    std::size_t indicator_count() const { return ids_.size(); }
    std::size_t exact_count() const;  // distinct /32 and /128 entries
    std::size_t cidr_count() const;   // distinct shorter prefixes
    std::size_t memory_bytes() const;  // heap bytes held: hashes, LPM, ids and names

private:
    std::uint32_t set_of(std::uint32_t index) const noexcept;  // the set an indicator index belongs to

    std::vector<std::string> set_names_;
    std::vector<std::string> ids_;  // global indicator index -> id text
    std::vector<std::uint32_t> set_first_;  // set i's indicators are indices [set_first_[i], set_first_[i + 1])
    // Exact-address hashes for /32 and /128 entries plus an LPM over CIDRs (indicator_table.cpp).
    struct Impl;
    std::shared_ptr<const Impl> impl_;
};

}  // namespace flowsieve
