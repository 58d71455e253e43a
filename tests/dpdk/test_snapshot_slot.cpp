// test_snapshot_slot.cpp: RCU grace periods of the published Snapshot: a worker still holding the
// old generation keeps it alive until it reports quiescence; then it is retired exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "dpdk/snapshot_slot.hpp"

namespace flowsieve::testing {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const Snapshot> snapshot(std::uint64_t generation) {
    auto s = std::make_shared<Snapshot>();
    s->generation = generation;
    return s;
}

// Collects what publish() retires.
struct Retired {
    std::mutex m;
    std::vector<std::uint64_t> generations;
    std::function<void(std::shared_ptr<const Snapshot>)> fn() {
        return [this](std::shared_ptr<const Snapshot> s) {
            std::lock_guard lock(m);
            generations.push_back(s->generation);
        };
    }
    std::vector<std::uint64_t> get() {
        std::lock_guard lock(m);
        return generations;
    }
};

TEST(SnapshotSlot, OldSnapshotOutlivesAReaderThatHasNotReportedQuiescence) {
    SnapshotSlot slot;
    ASSERT_TRUE(slot.init(4));
    Retired retired;
    auto first = snapshot(1);
    std::weak_ptr<const Snapshot> first_alive = first;
    slot.publish(std::move(first), retired.fn());
    EXPECT_TRUE(retired.get().empty()) << "nothing to retire on the first publish";

    // The worker: registered, takes the snapshot for a burst, and holds it until told to finish.
    slot.register_reader(0);
    std::promise<const Snapshot*> holding;
    std::promise<void> finish_burst;
    std::atomic<std::uint64_t> seen_after{0};
    std::thread worker([&, go = finish_burst.get_future()]() mutable {
        const Snapshot* s = slot.current();
        holding.set_value(s);
        go.wait();
        seen_after = s->generation;  // still readable: not retired while held
        slot.quiescent(0);
        slot.unregister_reader(0);   // a worker going offline never blocks a later publish
    });
    const Snapshot* held = holding.get_future().get();
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(held->generation, 1u);

    auto publisher = std::async(std::launch::async, [&] { slot.publish(snapshot(2), retired.fn()); });
    // The store is immediate: new bursts see generation 2 at once...
    for (int i = 0; i < 1000 && slot.current()->generation != 2; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(slot.current()->generation, 2u);
    // ...but generation 1 is not retired while the worker has not passed a quiescent point.
    const bool returned_early = publisher.wait_for(300ms) == std::future_status::ready;
    EXPECT_FALSE(returned_early) << "publish returned before the reader reported quiescence";
    EXPECT_TRUE(retired.get().empty());
    EXPECT_FALSE(first_alive.expired()) << "generation 1 was freed while a reader held it";

    finish_burst.set_value();
    worker.join();
    ASSERT_EQ(publisher.wait_for(10s), std::future_status::ready) << "publish never completed";
    publisher.get();
    EXPECT_EQ(seen_after.load(), 1u);
    EXPECT_EQ(retired.get(), (std::vector<std::uint64_t>{1}));
    EXPECT_TRUE(first_alive.expired()) << "the retired snapshot must be freed once retire drops it";

    // The reader is offline now: publishing does not wait, and generation 1 is never retired again.
    slot.publish(snapshot(3), retired.fn());
    EXPECT_EQ(retired.get(), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(slot.current()->generation, 3u);
    EXPECT_EQ(slot.owned()->generation, 3u);
}

// A quiescent report from before the publish does not count: the grace period needs one after.
TEST(SnapshotSlot, QuiescenceBeforeThePublishDoesNotEndTheGracePeriod) {
    SnapshotSlot slot;
    ASSERT_TRUE(slot.init(2));
    Retired retired;
    slot.publish(snapshot(10), retired.fn());
    slot.register_reader(1);
    slot.quiescent(1);  // a burst ended before the publish
    auto publisher = std::async(std::launch::async, [&] { slot.publish(snapshot(11), retired.fn()); });
    EXPECT_EQ(publisher.wait_for(300ms), std::future_status::timeout);
    EXPECT_TRUE(retired.get().empty());
    std::thread([&] { slot.quiescent(1); }).join();  // the next burst ends
    ASSERT_EQ(publisher.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(retired.get(), (std::vector<std::uint64_t>{10}));
    slot.unregister_reader(1);
}

}  // namespace
}  // namespace flowsieve::testing
