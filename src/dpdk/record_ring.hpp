// record_ring.hpp: the per-worker SPSC ring of HeaderRecords (worker -> exporter), fixed-size elements.
#pragma once

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <string>

#include "core/result.hpp"
#include "export/header_record.hpp"

namespace flowsieve {

Result<rte_ring*> create_record_ring(const std::string& name, unsigned size, int socket);

// Never blocks: returns how many were enqueued; the rest are the caller's ring_full drops.
inline unsigned enqueue_records(rte_ring* r, const HeaderRecord* recs, unsigned n) noexcept {
    return rte_ring_sp_enqueue_burst_elem(r, recs, sizeof(HeaderRecord), n, nullptr);
}

inline unsigned dequeue_records(rte_ring* r, HeaderRecord* recs, unsigned n) noexcept {
    return rte_ring_sc_dequeue_burst_elem(r, recs, sizeof(HeaderRecord), n, nullptr);
}

}  // namespace flowsieve
