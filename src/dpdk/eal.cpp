// eal.cpp: EAL initialisation with an argv built from the config and the command line.
#include "dpdk/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>

namespace flowsieve {

Status Eal::init(const std::vector<std::string>& args) {
    std::vector<std::string> owned;
    owned.push_back("flowsieve");
    owned.insert(owned.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : owned) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = rte_eal_init(static_cast<int>(owned.size()), argv.data());
    if (rc < 0) return Error{std::string("EAL initialisation failed: ") + rte_strerror(rte_errno)};
    return Ok{};
}

void Eal::cleanup() { rte_eal_cleanup(); }

}  // namespace flowsieve
