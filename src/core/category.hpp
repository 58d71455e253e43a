// category.hpp: the three authorised categories of the law, and their names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace flowsieve {

enum class Category : std::uint8_t {
    transit = 0,        // foreign <-> foreign crossing the country
    operator_ = 1,      // foreign <-> a consenting critical-infrastructure operator
    threat_linked = 2,  // foreign <-> domestic involving a threat indicator, with approval
};
inline constexpr std::size_t category_count = 3;
inline constexpr std::array<std::string_view, category_count> category_names = {"transit", "operator",
                                                                                 "threat-linked"};

constexpr std::string_view name_of(Category c) { return category_names[static_cast<std::size_t>(c)]; }

inline std::optional<Category> parse_category(std::string_view s) {
    for (std::size_t i = 0; i < category_count; ++i)
        if (category_names[i] == s) return static_cast<Category>(i);
    return std::nullopt;
}

}  // namespace flowsieve
