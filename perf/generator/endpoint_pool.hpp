// endpoint_pool.hpp: draws endpoint addresses of a wanted class from the real tables: country range
// files, indicator lists, operator prefixes and the RFC 6890 special blocks. Every draw is checked
// against the same lookups flowsieve's classifier uses, so an address is what it was drawn as.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/country_code.hpp"
#include "core/ip_address.hpp"
#include "core/result.hpp"
#include "rng.hpp"
#include "policy/endpoint_class.hpp"
#include "tables/country_table.hpp"
#include "tables/indicator_table.hpp"
#include "tables/prefix.hpp"
#include "tables/prefix_table.hpp"

namespace flowsieve::gen {

struct EndpointSources {
    std::vector<std::string> country_files;                       // range CSV or RIR statistics
    std::vector<CountryCode> domestic;                            // at least one
    std::vector<std::pair<std::string, std::string>> indicators;  // set name, plain-list file
    std::vector<Prefix> operators;                                // one consenting operator's prefixes
};

enum class Role : std::uint8_t {
    foreign,            // a country other than a domestic one
    foreign_clean,      // foreign and in no indicator set
    foreign_indicator,  // foreign and in at least one indicator set
    domestic,           // a domestic country, not an operator
    domestic_clean,     // domestic and in no indicator set
    operator_,          // inside an operator prefix
    special,            // inside an RFC 6890 special-purpose block
};
inline constexpr std::size_t role_count = 7;

class EndpointPool {
public:
    static Result<EndpointPool> load(const EndpointSources& sources);

    // An address of `role` in `family` (v4 or v6), or nullopt when the tables hold none (after a
    // bounded number of rejected tries).
    std::optional<IpAddress> draw(Role role, Family family, Rng& rng) const;
    // Whether draw() can succeed for (role, family); probed once at load.
    bool available(Role role, Family family) const { return examples_[slot(role, family)].has_value(); }
    // draw(), falling back to the address the probe found when a draw is unlucky (bounded tries).
    // Only for an available (role, family).
    IpAddress draw_available(Role role, Family family, Rng& rng) const;
    // What the classifier would call `a` (special > operator > country), and whether it is an indicator.
    EndpointKind kind_of(const IpAddress& a) const;
    bool is_indicator(const IpAddress& a) const;

    const CountryTable& countries() const { return countries_; }
    const IndicatorTable& indicators() const { return indicators_; }
    std::size_t country_ranges(Family f) const { return f == Family::v4 ? foreign_v4_.size() + domestic_v4_.size()
                                                                        : foreign_v6_.size() + domestic_v6_.size(); }

private:
    static std::size_t slot(Role r, Family f) { return static_cast<std::size_t>(r) * 2 + (f == Family::v6 ? 1 : 0); }
    std::optional<IpAddress> candidate(Role role, Family family, Rng& rng) const;
    bool fits(Role role, const IpAddress& a) const;

    DomesticSet domestic_;
    CountryTable countries_;
    IndicatorTable indicators_;
    PrefixTable special_, operators_;
    // Ranges by side and family (a range is drawn uniformly, then an address inside it).
    std::vector<CountryRange> foreign_v4_, foreign_v6_, domestic_v4_, domestic_v6_;
    std::vector<Prefix> indicator_v4_, indicator_v6_, operator_v4_, operator_v6_, special_v4_, special_v6_;
    std::array<std::optional<IpAddress>, role_count * 2> examples_{};
};

// A uniformly drawn address inside [first, last] (same family), or inside a prefix.
IpAddress random_in_range(const IpAddress& first, const IpAddress& last, Rng& rng);
IpAddress random_in_prefix(const Prefix& p, Rng& rng);

}  // namespace flowsieve::gen
