// eal.hpp: EAL start-up and shutdown (main thread). The only place rte_eal_init is called.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"

namespace flowsieve {

class Eal {
public:
    // `args` excludes argv[0]. Refuses a second initialisation in one process. At exit, the EAL
    // runtime directory is removed when DPDK has left it empty and its file-prefix ends in this
    // process's pid (the default one does; a prefix that others may share is left alone).
    static Status init(const std::vector<std::string>& args);
    static void cleanup();
};

}  // namespace flowsieve
