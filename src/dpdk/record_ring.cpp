// record_ring.cpp: ring creation (main thread).
#include "dpdk/record_ring.hpp"

#include <rte_errno.h>

namespace flowsieve {

Result<rte_ring*> create_record_ring(const std::string& name, unsigned size, int socket) {
    // RING_F_EXACT_SZ: the configured size is the usable capacity.
    rte_ring* r = rte_ring_create_elem(name.c_str(), sizeof(HeaderRecord), size, socket,
                                       RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
    if (!r) return Error{"cannot create ring " + name + ": " + rte_strerror(rte_errno)};
    return r;
}

}  // namespace flowsieve
