// eal.cpp: EAL initialisation with an argv built from the config and the command line.
#include "dpdk/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace flowsieve {

namespace {

// DPDK removes its telemetry socket at exit (an atexit handler) but not the runtime directory it
// made for the file-prefix: every run would leave an empty one under /var/run/dpdk. This handler,
// registered before rte_eal_init and so run after DPDK's (reverse order), removes it, but only a
// directory named after this process (a prefix ending in its pid, as the default `flowsieve-<pid>`
// and the benchmarks' are): a shared prefix's directory may be empty only because another process
// is still starting, and removing it would make that one's EAL initialisation fail. rmdir removes
// only an empty directory. Static storage: it is read at exit.
char runtime_dir[4096];
void remove_runtime_dir() {
    if (runtime_dir[0] != '\0') ::rmdir(runtime_dir);
}

bool named_after_this_process(std::string_view dir) {
    const std::string pid = std::to_string(::getpid());
    if (dir.size() <= pid.size() || dir.substr(dir.size() - pid.size()) != pid) return false;
    const char before = dir[dir.size() - pid.size() - 1];
    return before < '0' || before > '9';
}

}  // namespace

Status Eal::init(const std::vector<std::string>& args) {
    std::vector<std::string> owned;
    owned.push_back("flowsieve");
    owned.insert(owned.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : owned) argv.push_back(a.data());
    argv.push_back(nullptr);
    static const bool at_exit = std::atexit(remove_runtime_dir) == 0;
    int rc = rte_eal_init(static_cast<int>(owned.size()), argv.data());
    // Noted whether or not the EAL started: a failed start may have made the directory too.
    if (at_exit && named_after_this_process(rte_eal_get_runtime_dir()))
        std::snprintf(runtime_dir, sizeof runtime_dir, "%s", rte_eal_get_runtime_dir());
    if (rc < 0) return Error{std::string("EAL initialisation failed: ") + rte_strerror(rte_errno)};
    return Ok{};
}

void Eal::cleanup() { rte_eal_cleanup(); }

}  // namespace flowsieve
