// record_ring.hpp: the per-worker SPSC ring of HeaderRecords (worker -> exporter), fixed-size elements.
#pragma once

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>

#include <string>

#include "core/result.hpp"
#include "export/header_record.hpp"

namespace flowsieve {

Result<rte_ring*> create_record_ring(const std::string& name, unsigned size, int socket);

// Never blocks: returns how many were enqueued; the rest are the caller's ring_full drops.
inline unsigned enqueue_records(rte_ring* r, const HeaderRecord* recs, unsigned n) noexcept {
    return rte_ring_sp_enqueue_burst_elem(r, recs, sizeof(HeaderRecord), n, nullptr);
}

// The worker's zero-copy side: up to n free slots of the ring, as at most two runs (the ring wraps),
// to be written in place (no staging copy of 256 bytes per record), then published in order.
class RecordSlots {
public:
    RecordSlots(rte_ring* r, unsigned n) noexcept {
        rte_ring_zc_data zcd{};
        count_ = rte_ring_enqueue_zc_burst_elem_start(r, sizeof(HeaderRecord), n, &zcd, nullptr);
        if (count_ == 0) return;
        first_ = static_cast<HeaderRecord*>(zcd.ptr1);
        n_first_ = zcd.n1;
        second_ = static_cast<HeaderRecord*>(zcd.ptr2);
    }
    unsigned count() const noexcept { return count_; }
    HeaderRecord& operator[](unsigned i) noexcept { return i < n_first_ ? first_[i] : second_[i - n_first_]; }
    // Makes the first n (<= count()) slots visible to the exporter; the rest stay free.
    static void publish(rte_ring* r, unsigned n) noexcept { rte_ring_enqueue_zc_elem_finish(r, n); }

private:
    HeaderRecord* first_ = nullptr;
    HeaderRecord* second_ = nullptr;
    unsigned n_first_ = 0;
    unsigned count_ = 0;
};

inline unsigned dequeue_records(rte_ring* r, HeaderRecord* recs, unsigned n) noexcept {
    return rte_ring_sc_dequeue_burst_elem(r, recs, sizeof(HeaderRecord), n, nullptr);
}

// The exporter's zero-copy side: up to n records at the ring's head, read in place (as at most two
// runs: the ring wraps) instead of copied out 256 bytes each, then released to the worker in one go.
// The slots stay the exporter's until release(): a batch is held only while it is written.
class RecordBatch {
public:
    RecordBatch(rte_ring* r, unsigned n) noexcept {
        rte_ring_zc_data zcd{};
        count_ = rte_ring_dequeue_zc_burst_elem_start(r, sizeof(HeaderRecord), n, &zcd, nullptr);
        if (count_ == 0) return;
        first_ = static_cast<const HeaderRecord*>(zcd.ptr1);
        n_first_ = zcd.n1;
        second_ = static_cast<const HeaderRecord*>(zcd.ptr2);
    }
    unsigned count() const noexcept { return count_; }
    const HeaderRecord& operator[](unsigned i) const noexcept { return i < n_first_ ? first_[i] : second_[i - n_first_]; }
    // Frees the batch's count() slots for the worker; its records must not be read after this.
    static void release(rte_ring* r, unsigned n) noexcept { rte_ring_dequeue_zc_elem_finish(r, n); }

private:
    const HeaderRecord* first_ = nullptr;
    const HeaderRecord* second_ = nullptr;
    unsigned n_first_ = 0;
    unsigned count_ = 0;
};

}  // namespace flowsieve
