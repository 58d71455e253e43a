// bench_build.hpp: control-plane scale benchmarks (table and snapshot builds), registered at start-up
// because their iteration count depends on --quick.
#pragma once

namespace flowsieve::bench {

void register_build_benchmarks(int iterations);

}  // namespace flowsieve::bench
