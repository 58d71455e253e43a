// rng.hpp: the generator's random source (std::mt19937_64) and the bounded draws it makes.
// The draws are written out here instead of using <random> distributions, whose algorithms the
// standard leaves to each library: the same seed must give the same bytes everywhere.
#pragma once

#include <cstdint>
#include <random>

namespace flowsieve::gen {

using Rng = std::mt19937_64;

// Uniform in [0, n) for n > 0, by rejection (exact, no modulo bias); 0 when n == 0.
inline std::uint64_t below(Rng& rng, std::uint64_t n) {
    if (n == 0) return 0;
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t v = rng();
    while (v >= limit) v = rng();
    return v % n;
}

// Uniform in [lo, hi] (lo <= hi).
inline std::uint64_t between(Rng& rng, std::uint64_t lo, std::uint64_t hi) {
    const std::uint64_t span = hi - lo;
    return span == ~std::uint64_t{0} ? rng() : lo + below(rng, span + 1);
}

// Uniform in [0, 1) with 53 bits.
inline double unit(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

inline bool chance(Rng& rng, double p) { return unit(rng) < p; }

}  // namespace flowsieve::gen
