// opaque.hpp: a value the optimiser cannot see through, for the data path's branch-free steps.
// Used on worker lcores; no cost but the register the value must sit in.
#pragma once

#include <type_traits>

namespace flowsieve {

// Returns v unchanged, but GCC no longer knows how it was computed: it must be materialised in a
// register, and code that uses it cannot be threaded back into the comparisons it came from.
// Why: for arithmetic written to avoid a branch on data a predictor cannot learn (whether a packet
// is selected), GCC still chose to branch on the value behind it (callgrind's branch simulation
// showed four in ten of those branches mispredicted); an opaque value stops that.
template <class T>
    requires std::is_integral_v<T>
inline T opaque(T v) noexcept {
    asm("" : "+r"(v));
    return v;
}

}  // namespace flowsieve
