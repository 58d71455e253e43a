// intent.hpp: what the generator meant a packet to become: emitted in one of the three categories,
// or dropped for one drop reason (anomalies included). Indexes follow core/category.hpp and
// core/drop_reason.hpp, so a new drop reason shows up in the generator's summary by itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/category.hpp"
#include "core/drop_reason.hpp"

namespace flowsieve::gen {

// 0..2: Category; 3..: category_count + DropReason.
using Intent = std::uint8_t;
inline constexpr std::size_t intent_count = category_count + drop_reason_count;

constexpr Intent intent_of(Category c) { return static_cast<Intent>(c); }
constexpr Intent intent_of(DropReason r) { return static_cast<Intent>(category_count + static_cast<std::size_t>(r)); }
constexpr Intent intent_of(Anomaly a) { return intent_of(drop_reason_of(a)); }

constexpr bool is_emitted(Intent i) { return i < category_count; }
constexpr Category category_of(Intent i) { return static_cast<Category>(i); }
constexpr DropReason drop_reason_of_intent(Intent i) { return static_cast<DropReason>(i - category_count); }
constexpr bool is_anomaly(Intent i) { return !is_emitted(i) && i - category_count < anomaly_count; }
constexpr Anomaly anomaly_of(Intent i) { return static_cast<Anomaly>(i - category_count + 1); }

constexpr std::string_view intent_name(Intent i) {
    return is_emitted(i) ? name_of(category_of(i)) : name_of(drop_reason_of_intent(i));
}

}  // namespace flowsieve::gen
