// engine.cpp: data-path lifecycle (main thread): set-up in order, launch, supervise, drain, tear down.
#include "dataplane/engine.hpp"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <thread>

#include "dataplane/exporter.hpp"
#include "dataplane/worker.hpp"
#include "dpdk/capture_replay.hpp"
#include "dpdk/eal.hpp"
#include "dpdk/port.hpp"
#include "dpdk/record_ring.hpp"
#include "dpdk/snapshot_slot.hpp"
#include "dpdk/telemetry.hpp"
#include "oversight/retention_manifest.hpp"

namespace flowsieve {

namespace {

bool has_arg(const std::vector<std::string>& args, std::initializer_list<const char*> names) {
    for (const auto& a : args)
        for (const char* n : names)
            if (a == n || a.rfind(std::string(n) + "=", 0) == 0) return true;
    return false;
}

std::unique_ptr<ProvenanceSink> make_sink(const Config& cfg, const std::string& label) {
    return make_output_sink(cfg.output_path, cfg.output_format == OutputFormat::pcap ? "pcap" : "pcapng", label);
}

// The virtual network devices the EAL arguments name (`--vdev`, or `-a`/`--allow`, which take a
// vdev too), as written: `net_*`, or the `eth_*` aliases of their drivers. Other vdevs (crypto,
// event...) are no ports.
std::vector<std::string> net_vdevs(const std::vector<std::string>& eal) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < eal.size(); ++i) {
        const std::string& a = eal[i];
        std::string v;
        if (a.rfind("--", 0) == 0) {
            // A long option, which getopt also takes by an unambiguous prefix (--vd, --al).
            const std::size_t eq = a.find('=');
            const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            const bool device = (name.size() >= 2 && std::string_view("vdev").substr(0, name.size()) == name) ||
                                (!name.empty() && std::string_view("allow").substr(0, name.size()) == name);
            if (device) v = eq != std::string::npos ? a.substr(eq + 1) : i + 1 < eal.size() ? eal[i + 1] : "";
        } else if (a == "-a" && i + 1 < eal.size()) {
            v = eal[i + 1];
        } else if (a.size() > 2 && a.rfind("-a", 0) == 0) {
            v = a.substr(2);  // -aNAME
        }
        if (v.rfind("vdev:", 0) == 0) v = v.substr(5);  // the bus named in front, as DPDK also takes it
        v = v.substr(0, v.find(','));
        if (v.rfind("net_", 0) == 0 || v.rfind("eth_", 0) == 0) out.push_back(v);
    }
    return out;
}

// Whether a port exists whose device is `name` (a vdev's ports are named after it, or, as
// net_ring's with nodeaction, otherwise: then their device still is).
bool has_port_of_device(const std::string& name) {
    std::uint16_t pid;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) == 0) return true;
    for (pid = rte_eth_find_next(0); pid < RTE_MAX_ETHPORTS; pid = rte_eth_find_next(static_cast<std::uint16_t>(pid + 1))) {
        rte_eth_dev_info info{};
        if (rte_eth_dev_info_get(pid, &info) == 0 && info.device != nullptr && name == rte_dev_name(info.device)) return true;
    }
    return false;
}

// Ports to use: the configured ones by device name, else every port the EAL probed, provided
// that every network vdev the EAL arguments name is among them: DPDK skips a device that fails to
// start (an interface name mistyped) with a line of its own, and the filter would otherwise watch
// part of the link with exit 0.
Result<std::vector<std::pair<std::uint16_t, std::uint16_t>>> select_ports(const Config& cfg, const std::vector<std::string>& eal) {
    std::vector<std::pair<std::uint16_t, std::uint16_t>> out;  // (port id, rx queues)
    if (cfg.ports.empty()) {
        for (const std::string& name : net_vdevs(eal))
            if (!has_port_of_device(name))
                return Error{"dpdk.eal: the device " + name +
                             " did not start (DPDK's message above says why); flowsieve runs on every port it names, "
                             "or on none"};
        for (std::uint16_t pid = rte_eth_find_next(0); pid < RTE_MAX_ETHPORTS;
             pid = rte_eth_find_next(static_cast<std::uint16_t>(pid + 1)))
            out.push_back({pid, 1});
    } else {
        for (std::size_t i = 0; i < cfg.ports.size(); ++i) {
            std::uint16_t pid;
            if (rte_eth_dev_get_port_by_name(cfg.ports[i].device.c_str(), &pid) != 0)
                return Error{cfg.path + ": dpdk.ports[" + std::to_string(i) + "].device: no DPDK port named '" +
                             cfg.ports[i].device + "' (bind the NIC to a DPDK driver or add a --vdev)"};
            out.push_back({pid, cfg.ports[i].rx_queues});
        }
    }
    if (out.empty()) return Error{"no DPDK ports: give input.pcap, dpdk.ports, or a --vdev/PCI device"};
    return out;
}

// What an exception says.
std::string exception_text(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "an unknown exception";
    }
}

}  // namespace

std::vector<std::string> eal_arguments(const Config& cfg, const std::vector<std::string>& extra, unsigned workers) {
    std::vector<std::string> args = cfg.eal_args;
    args.insert(args.end(), extra.begin(), extra.end());
    // Replaying captures needs neither hugepages nor PCI devices: default to the no-NIC set-up so the
    // offline mode runs on any machine. Real NIC ports (dpdk.ports) keep the EAL defaults.
    if (cfg.ports.empty() && !has_arg(args, {"--no-huge", "--huge-dir", "--socket-mem", "--in-memory"})) {
        args.insert(args.end(), {"--no-huge", "--no-pci", "--no-shconf"});
        if (!has_arg(args, {"-m"})) {
            // mbufs (data room + headroom + header) and record rings, plus room for the EAL itself.
            std::uint64_t bytes = std::uint64_t{cfg.mbufs} * (RTE_MBUF_DEFAULT_BUF_SIZE + 256) +
                                  std::uint64_t{workers} * cfg.ring_size * 256;
            args.push_back("-m");
            args.push_back(std::to_string(64 + bytes / (1u << 20)));
        }
    }
    if (!has_arg(args, {"--file-prefix"})) args.push_back("--file-prefix=flowsieve-" + std::to_string(getpid()));
    if (!has_arg(args, {"-l", "--lcores", "-c"})) {
        // Main lcore + one lcore per worker, mapped onto the CPUs we have (oversubscribed if fewer).
        unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
        std::string map;
        for (unsigned l = 0; l <= workers; ++l) {
            // Appended piece by piece: `"," + std::to_string(l)` made GCC 12 warn (-Wrestrict, a
            // false positive in its inlined string insert).
            if (l) map += ',';
            map += std::to_string(l);
            map += '@';
            map += std::to_string(l % cpus);
        }
        args.push_back("--lcores=" + map);
    }
    if (!has_arg(args, {"--log-level"})) args.push_back("--log-level=lib.*:warning");
    return args;
}

Result<EngineResult> run_engine(const Config& cfg, std::shared_ptr<const Snapshot> first, const EngineOptions& opts,
                                const EngineSignals& sig) {
    // Workers: one per RX queue. Counted before the EAL starts so lcores can be requested.
    unsigned queues_wanted = static_cast<unsigned>(cfg.input_pcaps.size());
    for (const auto& p : cfg.ports) queues_wanted += p.rx_queues;
    if (queues_wanted == 0) queues_wanted = 1;
    // Polling workers must not share a CPU with each other or the main thread: with fewer CPUs than
    // queues, workers take several queues each (-l/--lcores in the EAL arguments overrides this).
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    queues_wanted = std::min(queues_wanted, std::max(1u, cpus - 1));
    const std::vector<std::string> eal = eal_arguments(cfg, opts.extra_eal, queues_wanted);
    if (auto st = Eal::init(eal); !st) {
        // Ports in the config keep the EAL's defaults, hugepages among them (eal_arguments).
        if (!cfg.ports.empty() && !has_arg(eal, {"--no-huge", "--huge-dir", "--in-memory"}) &&
            st.error().message.find(rte_strerror(EACCES)) != std::string::npos)  // no hugepages; not a bad lcore list
            return Error{st.error().message +
                         " (dpdk.ports runs with hugepages, as a NIC needs: reserve some (README, Running on a NIC), or, "
                         "for virtual devices, add --no-huge to dpdk.eal)"};
        return st.error();
    }
    struct EalGuard {
        ~EalGuard() { Eal::cleanup(); }
    } eal_guard;

    // Offline input: each capture is replayed into a port of its own, with capture times.
    std::vector<std::unique_ptr<CaptureReplay>> replays;
    struct ReplayGuard {
        std::vector<std::unique_ptr<CaptureReplay>>& r;
        ~ReplayGuard() { r.clear(); }  // feeders stop before the pool and the EAL go away
    };
    // One replay port per worker at most (ports are a scarce resource: RTE_MAX_ETHPORTS); the
    // captures are dealt round-robin and each port replays its share one file after the other.
    const std::size_t n_replays = std::min<std::size_t>(cfg.input_pcaps.size(), queues_wanted);
    // The replays' rings together hold no more than a record ring can take beside two bursts: what
    // they hold still reaches the workers after the feeders pause for the exporter (below), and must
    // not overflow a record ring (an offline run loses nothing). A small dpdk.ring_size made it drop
    // records. Shared out as if one worker polled them all (an EAL -l list shorter than the captures).
    if (!cfg.input_pcaps.empty() && cfg.ring_size < 2u * cfg.burst + n_replays)
        return Error{"dpdk.ring_size: " + std::to_string(cfg.ring_size) + " records are too few to replay captures beside two bursts of " +
                     std::to_string(cfg.burst) + " (dpdk.burst): give more than " + std::to_string(2u * cfg.burst + n_replays - 1)};
    const unsigned replay_ring =
        n_replays == 0 ? cfg.rx_descriptors
                       : std::min<unsigned>(cfg.rx_descriptors, (cfg.ring_size - 2u * cfg.burst) / static_cast<unsigned>(n_replays));
    std::vector<std::vector<ReplayFile>> shares(n_replays);
    for (std::size_t i = 0; i < cfg.input_pcaps.size(); ++i)
        shares[i % n_replays].push_back(
            {cfg.input_pcaps[i], i < opts.capture_packets.size() ? opts.capture_packets[i] : ReplayFile{}.packets});
    for (std::size_t i = 0; i < n_replays; ++i) {
        auto r = CaptureReplay::create("in" + std::to_string(i), shares[i], replay_ring, static_cast<int>(rte_socket_id()));
        if (!r) return r.error();
        replays.push_back(std::move(r.value()));
    }
    auto ports = select_ports(cfg, eal);
    if (!ports) return ports.error();
    rte_mempool* pool = rte_pktmbuf_pool_create("flowsieve_mbufs", cfg.mbufs, cfg.mbuf_cache, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (!pool) return Error{"dpdk.mbufs: cannot create a pool of " + std::to_string(cfg.mbufs) + " mbufs"};
    ReplayGuard replay_guard{replays};

    std::vector<RxQueue> all_queues;
    std::vector<PortInfo> infos;
    bool want_ts = cfg.time_source != TimeSource::clock;
    for (auto [pid, nq] : ports.value()) {
        auto info = setup_port(pid, {nq, cfg.rx_descriptors, want_ts}, pool);
        if (!info) return info.error();
        const bool replay = std::any_of(replays.begin(), replays.end(), [port = pid](auto& r) { return r->port_id() == port; });
        if (replay) info->rx_timestamp = cfg.time_source != TimeSource::clock;  // the feeder stamps capture times
        if (cfg.time_source == TimeSource::capture && !info->rx_timestamp)
            return Error{cfg.path + ": dpdk.time_source: capture, but port " + info->name +
                         " gives no capture timestamps (replayed captures do; a NIC's own timestamps are not Unix time)"};
        spdlog::info("port {} ({}): {} rx queue(s){}{}", pid, info->name, info->rx_queues,
                     info->rss ? ", symmetric RSS" : "", info->rx_timestamp ? ", packet time from capture timestamps" : ", packet time from the clock");
        for (std::uint16_t q = 0; q < info->rx_queues; ++q)
            all_queues.push_back({pid, q, info->rx_timestamp, replay ? wire_len_field() : -1});
        infos.push_back(info.value());
    }

    std::vector<unsigned> lcores;
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) lcores.push_back(lc);
    if (lcores.empty()) return Error{"no worker lcores: give the EAL at least two lcores (-l 0-1)"};
    const unsigned n_workers = std::min<unsigned>(static_cast<unsigned>(lcores.size()), static_cast<unsigned>(all_queues.size()));
    if (all_queues.size() > n_workers * max_queues_per_worker)
        return Error{"too many RX queues for the worker lcores (" + std::to_string(all_queues.size()) + ")"};
    // A replay's feeder thread allocates from the shared pool, which the workers' per-lcore caches
    // (each up to 1.5 times dpdk.mbuf_cache before it flushes) can drain: the replay then waits for
    // ever. So can other ports' receive rings, filled when they started (net_tap: its ring whole).
    // NIC drivers allocate on the worker's own lcore, from the cache its frees filled.
    if (!replays.empty()) {
        // What the ports' start left in this lcore's cache goes back to the pool first: only the
        // main thread could take it from there.
        if (rte_mempool_cache* c = rte_mempool_default_cache(pool, rte_lcore_id())) rte_mempool_cache_flush(c, pool);
        const std::uint64_t cached = n_workers * cfg.mbufs_a_cache_holds(), burst = cfg.burst;
        const std::uint64_t held = rte_mempool_in_use_count(pool);  // by the ports' receive rings
        if (cfg.mbufs <= held + cached + 2 * burst)
            return Error{"dpdk.mbufs: " + std::to_string(cfg.mbufs) + " mbufs are too few to replay captures with " +
                         std::to_string(n_workers) + " worker(s), whose caches (dpdk.mbuf_cache " +
                         std::to_string(cfg.mbuf_cache) + ") can hold " + std::to_string(cached) + " of them" +
                         (held ? ", beside the " + std::to_string(held) + " the ports' receive rings hold" : std::string()) +
                         ": give more than " + std::to_string(held + cached + 2 * burst) + ", or a smaller cache"};
    }

    SnapshotSlot slot;
    if (auto st = slot.init(n_workers); !st) return st.error();
    std::atomic<bool> workers_stop{false};
    auto ts = rx_timestamp_field();
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<rte_ring*> rings;
    for (unsigned w = 0; w < n_workers; ++w) {
        auto wk = std::make_unique<Worker>();
        wk->id = w;
        wk->burst = cfg.burst;
        wk->slot = &slot;
        wk->stop = &workers_stop;
        wk->clock = WallClock::calibrate();
        wk->ts_offset = ts.offset;
        wk->ts_flag = ts.flag;
        wk->cache = EndpointCache(cfg.endpoint_cache);
        wk->flows = FlowCache(cfg.flow_cache);
        auto ring = create_record_ring("fs_records_" + std::to_string(w), cfg.ring_size, static_cast<int>(rte_socket_id()));
        if (!ring) return ring.error();
        wk->ring = ring.value();
        rings.push_back(ring.value());
        workers.push_back(std::move(wk));
    }
    for (std::size_t q = 0; q < all_queues.size(); ++q) {
        Worker& wk = *workers[q % n_workers];
        wk.queues[wk.queue_count++] = all_queues[q];
    }

    auto sink = make_sink(cfg, opts.output_label);
    const ProvenanceSink& provenance = *sink;  // read after exporter.finish(), when its thread is gone
    Exporter exporter(rings, std::move(sink));
    exporter.adopt(first);
    slot.publish(first, [](auto) {});
    if (auto st = exporter.start(); !st) return st.error();
    const unsigned in_use_at_start = rte_mempool_in_use_count(pool);
    // Telemetry reads the counters of `workers` and `exporter`, both declared before it: it is
    // withdrawn first, on every way out of this function (the control plane serves the stats).
    std::atomic<std::uint64_t> generation{first->generation};
    TelemetrySource telemetry_source{{}, &exporter.counters().written, &exporter.counters().write_errors, &generation};
    for (const auto& w : workers) telemetry_source.workers.push_back(&w->counters);
    const TelemetryAttachment telemetry(std::move(telemetry_source));

    // The last step that may refuse the start: no worker or feeder is launched yet, so no packet has
    // been judged (the exporter's thread runs, idle).
    if (sig.on_ready) {
        try {
            sig.on_ready();
        } catch (const std::exception& e) {
            return Error{e.what()};
        }
    }
    for (unsigned w = 0; w < n_workers; ++w) {
        slot.register_reader(w);
        rte_eal_remote_launch(worker_main, workers[w].get(), lcores[w]);
    }
    // From here until the workers are stopped below, nothing may unwind this function: they poll the
    // slot, rings and pool it owns. What can throw (a feeder thread that cannot start, the control
    // plane's hooks) runs inside the one try block further down.
    // Replayed input waits for the exporter: when a record ring has less room than the mbufs a
    // worker may still hold (its replay ring plus two bursts), the feeders pause, so offline runs lose
    // nothing. The replay ring is sized so that this room always exists (above).
    const unsigned headroom =
        (replays.empty() ? cfg.rx_descriptors : replay_ring * static_cast<unsigned>(replays.size())) + 2u * cfg.burst;
    const unsigned high_water = cfg.ring_size > headroom ? cfg.ring_size - headroom : 0;
    const auto exporter_behind = [&rings, high_water] {
        for (rte_ring* ring : rings)
            if (rte_ring_count(ring) > high_water) return true;
        return false;
    };
    const auto start_feeders = [&] {
        for (auto& r : replays) {
            r->set_hold(exporter_behind);
            r->start(pool);
        }
        spdlog::info("{} worker(s) running; output {}", n_workers, cfg.output_path);
    };

    auto totals = [&] {
        CounterTotals t;
        for (auto& w : workers) t.add(w->counters);
        return t;
    };
    auto port_lost = [&] {
        std::uint64_t lost = 0;
        for (const auto& p : infos) {
            rte_eth_stats st{};
            if (rte_eth_stats_get(p.port_id, &st) == 0) lost += st.imissed + st.ierrors + st.rx_nombuf;
        }
        for (const auto& r : replays) lost += r->refused();
        return lost;
    };
    auto export_totals = [&] {
        ExportTotals e;
        e.written = exporter.counters().written.load();
        e.write_errors = exporter.counters().write_errors.load();
        for (std::size_t c = 0; c < category_count; ++c)
            e.written_by_category[c] = exporter.counters().written_by_category[c].load();
        e.by_authorisation = exporter.take_authorisation_figures();  // starts the next audit interval
        return e;
    };
    using clock = std::chrono::steady_clock;
    std::string input_shortfall;  // set when offline input stopped coming before its last packet
    std::uint64_t last_replayed = 0, last_queued = 0;
    auto last_stats = clock::now(), last_progress = clock::now(), last_tick = clock::now(), last_sweep = clock::now();
    // The supervision loop runs the control plane's hooks (reload, audit ticks, retention sweeps).
    // One that throws stops the run as a signal would: the workers drain, everything accepted is
    // written, and the caller hears why (EngineResult::control_failure).
    const auto supervise = [&] {
        while (!sig.stop->load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            CounterTotals t = totals();
            if (opts.expected_packets) {
                // Judged by the replays alone: other ports (a dpdk.eal vdev) may bring packets too.
                std::uint64_t replayed = 0, queued = 0;
                std::string replay_error;
                for (auto& r : replays) {
                    replayed += r->fed() + r->refused();
                    queued += r->queued();
                    if (r->done() && !r->error().empty()) replay_error = r->error();
                }
                // A feeder held back while the exporter catches up (a slow disk) waits; it has not stalled.
                if (replayed != last_replayed || queued != last_queued || exporter_behind()) {
                    last_replayed = replayed;
                    last_queued = queued;
                    last_progress = clock::now();
                }
                // Every replayed mbuf taken (a net_ring port receives straight from that ring, and
                // each count was read before its ring): the workers finish the bursts they hold
                // before they see the stop, and the exporter drains the records. No wait for idle
                // workers: another port's steady traffic would keep them busy for ever.
                if (queued == 0 && replayed >= opts.expected_packets) break;
                if (std::chrono::duration<double>(clock::now() - last_progress).count() > opts.idle_exit_s) {
                    // The rest of the captures was never filtered: the run stops (what came is written)
                    // and fails, rather than ending as if its input were complete.
                    input_shortfall = fmt::format("input idle for {} s with {} of {} packets replayed{}", opts.idle_exit_s,
                                                  replayed, opts.expected_packets,
                                                  replay_error.empty() ? "" : " (" + replay_error + ")");
                    spdlog::error("{}: stopping; the rest of the input is not filtered", input_shortfall);
                    break;
                }
            }
            if (sig.reload && sig.reload->exchange(false) && sig.rebuild) {
                auto next = sig.rebuild(generation + 1);
                if (!next) {
                    spdlog::error("reload refused, generation {} stays: {}", generation.load(), next.error().message);
                } else {
                    exporter.adopt(next.value());
                    slot.publish(next.value(), [&](std::shared_ptr<const Snapshot> old) { exporter.retire(std::move(old)); });
                    generation = next.value()->generation;
                    spdlog::info("reload: generation {} published", generation.load());
                }
            }
            if (std::chrono::duration<double>(clock::now() - last_stats).count() >= cfg.stats_interval_s) {
                last_stats = clock::now();
                spdlog::info("{}", format_stats_line(t, exporter.counters().written.load(), exporter.counters().write_errors.load()));
            }
            if (sig.on_tick && sig.tick_interval_s > 0 &&
                std::chrono::duration<double>(clock::now() - last_tick).count() >= sig.tick_interval_s) {
                last_tick = clock::now();
                sig.on_tick(t, export_totals(), false);
            }
            if (sig.on_sweep && sig.sweep_interval_s > 0 && !sig.stop->load() &&
                std::chrono::duration<double>(clock::now() - last_sweep).count() >= sig.sweep_interval_s) {
                sig.on_sweep();
                last_sweep = clock::now();  // after it: a slow sweep is not immediately followed by the next
            }
        }
    };
    // Only the exception is kept here: building its message allocates, and memory may be what ran
    // out. It is read once the workers have stopped.
    std::exception_ptr failure;
    try {
        start_feeders();
        supervise();
    } catch (...) {
        failure = std::current_exception();
    }

    for (auto& r : replays) r->stop();
    for (auto& r : replays) r->join();
    workers_stop.store(true);
    rte_eal_mp_wait_lcore();
    // The workers are gone: from here an exception would only skip the tear-down below, which the
    // EAL's clean-up covers.
    std::string control_failure;
    if (failure) {
        control_failure = "control plane: " + exception_text(failure);
        spdlog::error("stopped: {}", control_failure);
    }
    std::vector<std::string> input_notes;
    for (auto& r : replays) {
        r->drain();  // an early stop (SIGINT) leaves frames queued: back to the pool, not leaked
        if (!r->error().empty()) spdlog::error("{}", r->error());
        for (const std::string& note : r->notes()) {
            spdlog::warn("{}", note);
            input_notes.push_back(note);
        }
        if (r->refused()) spdlog::warn("input port {}: {} frames too large for the mbuf pool were not replayed", r->port_id(), r->refused());
    }
    for (unsigned w = 0; w < n_workers; ++w) slot.unregister_reader(w);
    auto fin = exporter.finish();

    EngineResult res;
    res.output_path = cfg.output_path;
    res.output = provenance.provenance();
    res.balanced = true;
    for (auto& w : workers) {
        CounterTotals t;
        t.add(w->counters);
        res.balanced = res.balanced && t.balanced();
        res.summary.workers.push_back(t);
    }
    res.summary.exporter_written = exporter.counters().written.load();
    res.summary.exporter_errors = exporter.counters().write_errors.load();
    res.export_error = exporter.last_error();  // its thread has finished
    res.summary.port_missed = port_lost();
    res.input_shortfall = input_shortfall;
    res.input_notes = std::move(input_notes);
    if (sig.on_tick) {  // the last audit entry: tried even after a failed tick, which may have been passing
        CounterTotals all;
        for (auto& w : workers) all.add(w->counters);
        try {
            sig.on_tick(all, export_totals(), true);
        } catch (...) {
            const std::string why = "final audit tick: " + exception_text(std::current_exception());
            spdlog::error("{}", why);
            if (control_failure.empty()) control_failure = why;
        }
    }
    res.control_failure = control_failure;
    const unsigned in_use_at_end = rte_mempool_in_use_count(pool);
    res.mempool_restored = in_use_at_end == in_use_at_start;
    res.mempool_detail = "mbufs in use: " + std::to_string(in_use_at_start) + " at start, " +
                         std::to_string(in_use_at_end) + " at exit";
    for (const auto& p : infos) stop_port(p.port_id);
    for (auto* r : rings) rte_ring_free(r);
    rte_mempool_free(pool);
    if (!fin) res.output_failure = fin.error().message;
    return res;
}

}  // namespace flowsieve
