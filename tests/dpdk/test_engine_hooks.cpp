// test_engine_hooks.cpp: a control-plane hook that throws while the workers run. run_engine starts
// its own EAL, so this is an executable of its own (one EAL per process), not part of dpdk_tests.
//
// Before the hooks were guarded, the exception unwound run_engine with the workers still polling
// the rings, pool and snapshot slot it owned: freed memory under running lcores, then a crash.
// Now the run stops as on a signal and winds down in order.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>

#include "capture_file.hpp"
#include "control/config.hpp"
#include "control/snapshot_builder.hpp"
#include "control_test_util.hpp"
#include "core/time_text.hpp"
#include "dataplane/engine.hpp"

namespace flowsieve::testing {
namespace {

TEST(EngineHooks, AThrowingHookStopsTheRunAndLosesNothing) {
    TempDir dir;
    dir.write("auth/transit.yaml", "id: A-T\nkind: approval\ncategory: transit\nissuer: commission\n"
                                   "valid_from: 2020-01-01T00:00:00Z\nvalid_until: 2021-01-01T00:00:00Z\n");
    const std::string out = dir.file("out.pcapng");
    const std::string path = dir.write("flowsieve.yaml", R"(domestic: [JP]
countries:
  files: ['@DATA@/geo/world-extract-ipv4.csv', '@DATA@/geo/world-extract-ipv6.csv']
authorisations: [auth/transit.yaml]
rules:
  - {id: transit, category: transit, between: [foreign, foreign], authorisation: A-T}
input:
  pcap: ['@DATA@/pcap/backbone/mawi-202010011400-10k.pcap']
output:
  path: )" + out + "\n");
    auto cfg = load_config(path);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    BuildReport report;
    auto snap = build_snapshot(*cfg, 1, *parse_time("2020-10-01T00:00:00Z"), report);
    ASSERT_TRUE(snap.ok()) << snap.error().message;

    std::atomic<bool> stop{false}, reload{false};
    EngineSignals sig;
    sig.stop = &stop;
    sig.reload = &reload;
    sig.tick_interval_s = 0.001;  // the first pass of the supervision loop ticks
    int ticks = 0;
    bool final_tick = false;
    CounterTotals final_totals;
    std::uint64_t final_written = 0;
    sig.on_tick = [&](const CounterTotals& t, const ExportTotals& e, bool final) {
        if (final) {
            final_tick = true;
            final_totals = t;
            final_written = e.written;
            return;
        }
        ++ticks;
        throw std::runtime_error("audit tick: simulated failure");
    };
    EngineOptions opts;  // no expected_packets: the run goes on until something stops it
    auto r = run_engine(*cfg, std::shared_ptr<const Snapshot>(std::move(snap.value())), opts, sig);
    ASSERT_TRUE(r.ok()) << r.error().message;

    EXPECT_EQ(r->control_failure, "control plane: audit tick: simulated failure");
    EXPECT_EQ(ticks, 1);  // it stopped at once, not at the next tick
    EXPECT_TRUE(r->balanced);  // received = emitted + dropped, per worker (invariant 6)
    EXPECT_TRUE(r->mempool_restored) << r->mempool_detail;
    // The last audit tick still ran, with the run's final figures.
    ASSERT_TRUE(final_tick);
    std::uint64_t received = 0, emitted = 0;
    for (const auto& w : r->summary.workers) {
        received += w.received;
        emitted += w.emitted_total();
    }
    EXPECT_EQ(final_totals.received, received);
    EXPECT_EQ(final_written, r->summary.exporter_written);
    // Everything accepted was written, and the output is a complete capture under its name.
    EXPECT_EQ(emitted, r->summary.exporter_written + r->summary.exporter_errors);
    EXPECT_EQ(r->summary.exporter_errors, 0u);
    ASSERT_TRUE(std::filesystem::exists(out));
    EXPECT_EQ(read_capture(out).packets.size(), r->summary.exporter_written);
}

}  // namespace
}  // namespace flowsieve::testing
