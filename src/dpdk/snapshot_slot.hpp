// snapshot_slot.hpp: the published Snapshot pointer and its RCU (rte_rcu_qsbr) grace periods.
// Workers: current() once per burst, quiescent() after it. Control plane: publish().
#pragma once

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <functional>
#include <memory>

#include "core/result.hpp"
#include "policy/snapshot.hpp"

namespace flowsieve {

class SnapshotSlot {
public:
    SnapshotSlot() = default;
    SnapshotSlot(const SnapshotSlot&) = delete;
    SnapshotSlot& operator=(const SnapshotSlot&) = delete;
    ~SnapshotSlot();

    Status init(unsigned max_readers);
    void register_reader(unsigned id);
    void unregister_reader(unsigned id);

    // Worker side.
    const Snapshot* current() const noexcept { return current_.load(std::memory_order_acquire); }
    void quiescent(unsigned id) noexcept { rte_rcu_qsbr_quiescent(qsbr_, id); }

    // Control plane: one atomic store, then waits until every registered reader has passed a
    // quiescent point, so no worker can still hold the previous snapshot. The previous one is handed
    // to `retire` (the exporter keeps it until its records are written).
    void publish(std::shared_ptr<const Snapshot> next, const std::function<void(std::shared_ptr<const Snapshot>)>& retire);
    std::shared_ptr<const Snapshot> owned() const { return owned_; }

private:
    std::atomic<const Snapshot*> current_{nullptr};
    std::shared_ptr<const Snapshot> owned_;
    rte_rcu_qsbr* qsbr_ = nullptr;
};

}  // namespace flowsieve
