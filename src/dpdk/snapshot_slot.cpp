// snapshot_slot.cpp: QSBR set-up and the publish/grace-period/retire sequence (control plane).
#include "dpdk/snapshot_slot.hpp"

#include <rte_malloc.h>

namespace flowsieve {

SnapshotSlot::~SnapshotSlot() { rte_free(qsbr_); }

Status SnapshotSlot::init(unsigned max_readers) {
    std::size_t sz = rte_rcu_qsbr_get_memsize(max_readers);
    qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("flowsieve_qsbr", sz, RTE_CACHE_LINE_SIZE));
    if (!qsbr_ || rte_rcu_qsbr_init(qsbr_, max_readers) != 0) return Error{"cannot allocate the RCU state"};
    return Ok{};
}

void SnapshotSlot::register_reader(unsigned id) {
    rte_rcu_qsbr_thread_register(qsbr_, id);
    rte_rcu_qsbr_thread_online(qsbr_, id);
}

void SnapshotSlot::unregister_reader(unsigned id) {
    rte_rcu_qsbr_thread_offline(qsbr_, id);
    rte_rcu_qsbr_thread_unregister(qsbr_, id);
}

void SnapshotSlot::publish(std::shared_ptr<const Snapshot> next,
                           const std::function<void(std::shared_ptr<const Snapshot>)>& retire) {
    current_.store(next.get(), std::memory_order_release);
    auto previous = std::move(owned_);
    owned_ = std::move(next);
    if (!previous) return;
    rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
    retire(std::move(previous));
}

}  // namespace flowsieve
