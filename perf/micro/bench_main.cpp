// bench_main.cpp: flowsieve's micro benchmarks: an in-process EAL (for rte_lpm and rte_rdtsc), then
// Google Benchmark. `--quick` (ours, removed before Google Benchmark sees the arguments) runs each
// table build once instead of three times.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_build.hpp"
#include "dpdk/eal.hpp"

int main(int argc, char** argv) {
    bool quick = false;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
        else args.push_back(argv[i]);
    }
    const std::string prefix = "--file-prefix=perf" + std::to_string(::getpid());
    const std::vector<std::string> eal = {"--no-huge", "--no-pci", "--no-shconf", "-m", "512", "-l", "0",
                                    "--log-level=lib.eal:error", prefix};
    // The EAL pins this thread to lcore 0's CPU, and the TBB threads the build benchmarks start
    // would inherit that: "every core" would be every thread on one CPU. The lookups are single
    // threaded and need no pinning, so the thread gets its CPUs back.
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    const bool have_cpus = pthread_getaffinity_np(pthread_self(), sizeof cpus, &cpus) == 0;
    if (auto st = flowsieve::Eal::init(eal); !st) {
        std::fprintf(stderr, "micro_bench: %s\n", st.error().message.c_str());
        return 1;
    }
    if (have_cpus) pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
    flowsieve::bench::register_build_benchmarks(quick ? 1 : 3);
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    flowsieve::Eal::cleanup();
    return 0;
}
