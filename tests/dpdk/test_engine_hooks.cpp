// test_engine_hooks.cpp: a control-plane hook that throws while the workers run. run_engine starts
// its own EAL, and an EAL starts once per process, so meson runs each test of this executable in a
// process of its own (--gtest_filter, tests/dpdk/meson.build).
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

const std::string capture = test_data("pcap/backbone/mawi-202010011400-10k.pcap");

// A run of the MAWI capture with a transit rule (most of it is selected), whose audit tick hook
// throws on its periodic calls, its final call, or both.
struct HookRun {
    bool throw_periodic = false, throw_final = false;
    std::uint64_t expected_packets = 0;  // 0: the run goes on until something stops it
    std::vector<std::uint64_t> capture_packets;  // as counted before the start (empty: to the end)
    double idle_exit_s = 5.0;
    std::string dpdk_section;  // e.g. "dpdk: {ring_size: 256}\n"
    bool all_foreign = false;  // every address of the capture (anonymised: few are in the extract) foreign

    // The run ends when the whole capture is replayed, as run announces it (counted before the start).
    void expect_whole_capture() {
        expected_packets = read_capture(capture).packets.size();
        capture_packets = {expected_packets};
    }

    int periodic_ticks = 0;
    bool final_tick = false;
    CounterTotals final_totals;
    std::uint64_t final_written = 0;

    Result<EngineResult> run(const TempDir& dir) {
        dir.write("auth/transit.yaml", "id: A-T\nkind: approval\ncategory: transit\nissuer: commission\n"
                                       "valid_from: 2020-01-01T00:00:00Z\nvalid_until: 2021-01-01T00:00:00Z\n");
        const std::string countries =
            all_foreign ? "  files: ['" + dir.write("all-us.csv", "0.0.0.0,255.255.255.255,US\n") + "']"
                        : std::string("  files: ['@DATA@/geo/world-extract-ipv4.csv', '@DATA@/geo/world-extract-ipv6.csv']");
        const std::string path = dir.write("flowsieve.yaml", R"(domestic: [JP]
countries:
)" + countries + R"(
authorisations: [auth/transit.yaml]
rules:
  - {id: transit, category: transit, between: [foreign, foreign], authorisation: A-T}
input:
  pcap: [')" + capture + R"(']
output:
  path: )" + dir.file("out.pcapng") + "\n" + dpdk_section);
        auto cfg = load_config(path);
        if (!cfg) return cfg.error();
        BuildReport report;
        auto snap = build_snapshot(*cfg, 1, *parse_time("2020-10-01T00:00:00Z"), report, SerialRecording::record);
        if (!snap) return snap.error();

        std::atomic<bool> stop{false}, reload{false};
        EngineSignals sig;
        sig.stop = &stop;
        sig.reload = &reload;
        sig.tick_interval_s = 0.001;  // every pass of the supervision loop ticks
        sig.on_tick = [this](const CounterTotals& t, const ExportTotals& e, bool final) {
            if (final) {
                final_tick = true;
                final_totals = t;
                final_written = e.written;
                if (throw_final) throw std::runtime_error("simulated failure at the end");
                return;
            }
            ++periodic_ticks;
            if (throw_periodic) throw std::runtime_error("simulated failure");
        };
        EngineOptions opts;
        opts.expected_packets = expected_packets;
        opts.capture_packets = capture_packets;
        opts.idle_exit_s = idle_exit_s;
        return run_engine(*cfg, std::shared_ptr<const Snapshot>(std::move(snap.value())), opts, sig);
    }
};

// What holds however the run ended: invariant 6, every mbuf back, the final tick given the run's
// figures, and every emitted record in a complete output under its name.
void expect_wound_down_in_order(const HookRun& h, const EngineResult& r, const std::string& output) {
    EXPECT_TRUE(r.balanced);
    EXPECT_TRUE(r.mempool_restored) << r.mempool_detail;
    ASSERT_TRUE(h.final_tick);
    std::uint64_t received = 0, emitted = 0;
    for (const auto& w : r.summary.workers) {
        received += w.received;
        emitted += w.emitted_total();
    }
    EXPECT_EQ(h.final_totals.received, received);
    EXPECT_EQ(h.final_written, r.summary.exporter_written);
    EXPECT_EQ(emitted, r.summary.exporter_written + r.summary.exporter_errors);
    EXPECT_EQ(r.summary.exporter_errors, 0u);
    ASSERT_TRUE(std::filesystem::exists(output));
    EXPECT_EQ(read_capture(output).packets.size(), r.summary.exporter_written);
}

TEST(EngineHooks, APeriodicTickThatThrowsStopsTheRunAndLosesNothing) {
    TempDir dir;
    HookRun h;
    h.throw_periodic = true;
    auto r = h.run(dir);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->control_failure, "control plane: simulated failure");
    EXPECT_EQ(h.periodic_ticks, 1);  // it stopped at once, not at the next tick
    expect_wound_down_in_order(h, *r, dir.file("out.pcapng"));
}

TEST(EngineHooks, AFinalTickThatThrowsIsReported) {
    // The whole capture is read (offline mode); only the last audit entry fails, and the caller
    // must hear of it, not take the run for a clean one.
    TempDir dir;
    HookRun h;
    h.throw_final = true;
    h.expect_whole_capture();
    auto r = h.run(dir);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->control_failure, "final audit tick: simulated failure at the end");
    EXPECT_EQ(h.final_totals.received, h.expected_packets);
    EXPECT_TRUE(r->input_notes.empty());  // counted as it is: nothing to report
    expect_wound_down_in_order(h, *r, dir.file("out.pcapng"));
}

// A capture still being written when the run starts (tcpdump -w): counted with 1,000 packets, it
// holds the 10,000 of the MAWI file by the time it is replayed. Exactly the 1,000 are filtered, and
// the user hears that more came; the replay read on while the run stopped at 1,000, so that as many
// packets were filtered as happened to come first.
TEST(EngineHooks, ACaptureThatGrewIsFilteredAsItWasCounted) {
    TempDir dir;
    HookRun h;
    h.expected_packets = 1000;
    h.capture_packets = {1000};
    auto r = h.run(dir);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(h.final_totals.received, 1000u);
    EXPECT_EQ(r->input_notes, std::vector<std::string>{capture + ": it grew while it was read: the 1000 packets it held at the "
                                                                 "start were filtered, not those added since"});
    EXPECT_TRUE(r->input_shortfall.empty()) << r->input_shortfall;
    EXPECT_EQ(r->summary.workers.at(0).dropped[static_cast<std::size_t>(DropReason::ring_full)], 0u);
    expect_wound_down_in_order(h, *r, dir.file("out.pcapng"));
}

// A record ring smaller than the replay's default ring (1024 frames): what that ring held when the
// feeder paused for the exporter still reached the worker and overflowed the record ring, and an
// offline run lost selected records as ring_full (6,616 of 9,796 at ring_size 64). The replay's ring
// is now sized to the record ring.
TEST(EngineHooks, ASmallRecordRingLosesNothingOffline) {
    TempDir dir;
    HookRun h;
    h.expect_whole_capture();
    h.dpdk_section = "dpdk: {ring_size: 256}\n";
    h.all_foreign = true;
    auto r = h.run(dir);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(h.final_totals.received, h.expected_packets);
    EXPECT_EQ(r->summary.workers.at(0).dropped[static_cast<std::size_t>(DropReason::ring_full)], 0u);
    EXPECT_GT(r->summary.exporter_written, h.expected_packets / 2);  // most of it is selected
    expect_wound_down_in_order(h, *r, dir.file("out.pcapng"));
}

// Input that stops before the count it was announced with (a replay that stalled): after the idle
// time the run stops rather than waiting for ever or ending as if complete; what came is filtered
// and written, and the shortfall is reported (run exits 1 on it).
TEST(EngineHooks, InputThatStopsShortOfItsCountEndsTheRunWithAShortfall) {
    TempDir dir;
    HookRun h;
    const std::uint64_t in_file = read_capture(capture).packets.size();
    h.expected_packets = in_file + 1;
    h.idle_exit_s = 0.5;
    auto r = h.run(dir);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->input_shortfall, "input idle for 0.5 s with " + std::to_string(in_file) + " of " + std::to_string(in_file + 1) +
                                      " packets replayed");
    EXPECT_EQ(h.final_totals.received, in_file);
    expect_wound_down_in_order(h, *r, dir.file("out.pcapng"));
}

// A network vdev of the EAL arguments that does not start (an interface name mistyped) is skipped
// by DPDK with a line of its own; the filter ran on the other ports with exit 0, half of a link
// unwatched. It now refuses to start. The error of a run whose dpdk.eal is `eal` ("" if it ran).
std::string refusal_with_eal(const std::string& eal) {
    TempDir dir;
    HookRun h;
    h.dpdk_section = "dpdk: {eal: [" + eal + "]}\n";
    auto r = h.run(dir);
    return r.ok() ? std::string() : r.error().message;
}

// Given with -a, its bus in front and by its driver's eth_ alias, as DPDK also takes it.
TEST(EngineHooks, AVdevThatDoesNotStartIsAnError) {
    const std::string e = refusal_with_eal("'-a', 'vdev:eth_pcap9,rx_iface=flowsieve-no-such-if0'");
    EXPECT_NE(e.find("the device eth_pcap9 did not start"), std::string::npos) << e;
}

// The same by its long option, abbreviated as getopt takes it.
TEST(EngineHooks, AVdevByAnAbbreviatedOptionThatDoesNotStartIsAnError) {
    const std::string e = refusal_with_eal("'--vd=net_pcap9,rx_iface=flowsieve-no-such-if0'");
    EXPECT_NE(e.find("the device net_pcap9 did not start"), std::string::npos) << e;
}

// A net_ring vdev with nodeaction names its port after the node, not after itself: it started, and
// is no reason to refuse the run.
TEST(EngineHooks, ARingVdevWhosePortIsNamedAfterItsNodeRuns) {
    TempDir dir;
    HookRun h;
    h.expect_whole_capture();
    h.dpdk_section = "dpdk: {eal: ['--vdev=net_ring0,nodeaction=flowsieve_r0:0:CREATE']}\n";
    auto r = h.run(dir);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(h.final_totals.received, h.expected_packets);
}

}  // namespace
}  // namespace flowsieve::testing
