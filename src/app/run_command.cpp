// run_command.cpp: `flowsieve run`: config -> validate -> snapshot -> data path -> summary.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>

#include "app/commands.hpp"
#include "control/capture_info.hpp"
#include "control/config.hpp"
#include "control/signals.hpp"
#include "control/snapshot_builder.hpp"
#include "core/time_text.hpp"
#include "dataplane/engine.hpp"
#include "export/output_label.hpp"
#include "oversight/audit_recorder.hpp"
#include "oversight/retention_manifest.hpp"

namespace flowsieve {

namespace {

struct RunArgs {
    std::string config;
    std::vector<std::string> inputs;
    std::string output, format;
    std::vector<std::string> eal;
};

// Said when a stop signal came before the data path started (run_command, at two points).
constexpr const char* stopped_in_start_up = "stopped by a signal during start-up, before any packet was read";

Result<RunArgs> parse_run_args(const std::vector<std::string>& args) {
    RunArgs r;
    if (const std::string o = repeated_option(args, {"--config", "--output", "--format"}); !o.empty())
        return Error{o + " given twice (it takes one value; --input may be repeated)"};
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> Result<std::string> {
            if (i + 1 >= args.size()) return Error{a + " needs a value"};
            return args[++i];
        };
        if (a == "--") {
            r.eal.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
            break;
        }
        Result<std::string> v = Error{""};
        if (a == "--config" || a == "--input" || a == "--output" || a == "--format") {
            v = value();
            if (!v) return v.error();
        }
        if (a == "--config") r.config = v.value();
        else if (a == "--input") r.inputs.push_back(v.value());
        else if (a == "--output") r.output = v.value();
        else if (a == "--format") r.format = v.value();
        else return Error{"unknown option '" + a + "'"};
    }
    if (r.config.empty()) return Error{"--config FILE is required"};
    if (!r.format.empty() && r.format != "pcapng" && r.format != "pcap") return Error{"--format: expected pcapng or pcap"};
    return r;
}

// The files a generation is built from, for their content hashes in the audit log.
std::vector<AuditedFile> audited_files(const Config& c) {
    std::vector<AuditedFile> f{{"config", c.path}};
    for (const auto& p : c.country_files) f.push_back({"countries", p});
    for (const auto& s : c.indicator_sets) f.push_back({"indicators:" + s.name, s.path});
    for (const auto& p : c.authorisation_files) f.push_back({"authorisation", p});
    for (const auto& p : c.oversight.revocation_files) f.push_back({"revocation", p});
    return f;
}

Result<std::unique_ptr<AuditRecorder>> open_audit(const Config& c) {
    auto key = read_secret_key_file(c.audit.key_path);
    if (!key) return key.error();
    auto log = AuditLog::open(c.audit.log_path, key.value(), c.audit.checkpoint_every);
    if (!log) return log.error();
    return std::make_unique<AuditRecorder>(std::move(log.value()));
}

WrittenTotals written_of(const ExportTotals& e) {
    return {e.written, e.write_errors, e.written_by_category, e.by_authorisation};
}

// The path as the audit log records paths: absolute, normalised (as given if that fails).
std::string absolute_text(const std::string& path) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(path, ec).lexically_normal().string();
    return ec ? path : abs;
}

// A `.partial` beside the output is a run's output that was never committed (that run crashed or was
// killed): incomplete by definition and never recorded as written. This run's output is about to
// truncate it; say so rather than let it vanish silently.
void warn_of_stale_partial(const std::string& output_path) {
    const std::string partial = output_path + ".partial";
    std::error_code ec;
    if (std::filesystem::is_symlink(std::filesystem::symlink_status(partial, ec))) {
        spdlog::warn("{} is a symbolic link: it is removed, and what it points to is left as it is", partial);
        return;
    }
    const auto size = std::filesystem::file_size(partial, ec);
    if (ec) return;
    spdlog::warn("an incomplete earlier output {} ({} bytes, never committed) is discarded", partial, size);
}

// What the output's commit did about an earlier file under the output's name (export/output_keeper.hpp):
// logs it and records it in the audit log. Returns where this run's output is.
// When the output failed (output_failure), says where what it holds is, if anywhere.
std::string report_commit(const EngineResult& r, AuditRecorder* audit, const std::function<void(Status)>& audited) {
    const CommitReport& c = r.output.commit;
    if (!c.earlier_kept_as.empty()) {
        spdlog::info("earlier output {} kept as {}", r.output_path, c.earlier_kept_as);
        if (audit) {
            auto kept = read_manifest(manifest_path_of(c.earlier_kept_as));
            audited(audit->output_kept(absolute_text(r.output_path), absolute_text(c.earlier_kept_as),
                                       kept ? kept->blake2b : "", now_unix_ns()));
        }
    }
    if (!r.output_failure.empty()) {
        spdlog::error("output {}: {}", r.output_path, r.output_failure);
        // The last resort of a commit that could put the complete output nowhere else (README:
        // Retention); any other failure discarded it.
        // The summary's `exporter written` counts what reached that file; say where it went.
        if (!c.left_in_partial)
            return "none: the " + std::to_string(r.summary.exporter_written) +
                   (r.summary.exporter_written == 1 ? " record written went" : " records written went") + " with the discarded file";
        return r.output_path + ".partial (complete, under its partial name: move it before the next run)";
    }
    if (!c.problem.empty())
        spdlog::error("output {}: {}: this run's output is {} instead", r.output_path, c.problem, c.path);
    return c.path.empty() ? r.output_path : c.path;
}

}  // namespace

int run_command(const std::vector<std::string>& argv) {
    if (asks_for_help(argv)) {
        std::printf("usage: %s\n", run_usage_line);
        return exit_ok;
    }
    spdlog::set_default_logger(spdlog::stderr_color_mt("flowsieve"));
    spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    // From the start a signal is a request the filter answers: the start-up (the config, counting
    // the captures' packets, the tables, feeds, the EAL) takes seconds, and a stop or reload sent
    // meanwhile used to kill the process silently, with no `stop` in the audit log. A stop is taken
    // once the first generation is built, a reload once the data path runs.
    SignalFlags& flags = install_signal_handlers();
    auto args = parse_run_args(argv);
    if (!args) {
        std::fprintf(stderr, "flowsieve run: %s\nusage: %s\n", args.error().message.c_str(), run_usage_line);
        return exit_usage;
    }
    auto loaded = load_config(args->config);
    if (!loaded) {
        std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
        return exit_error;
    }
    const Config as_loaded = loaded.value();  // what a reload's config is compared with
    Config cfg = std::move(loaded.value());
    if (!args->inputs.empty()) cfg.input_pcaps = args->inputs;
    if (!args->inputs.empty() && !cfg.ports.empty()) {  // as the config's own input.pcap (config.cpp)
        std::fprintf(stderr, "--input: cannot be combined with dpdk.ports of %s (%s): use a config without dpdk.ports\n",
                     cfg.path.c_str(), captures_beside_ports_problem);
        return exit_error;
    }
    if (!args->output.empty()) cfg.output_path = args->output;
    if (args->format == "pcap") cfg.output_format = OutputFormat::pcap;
    if (args->format == "pcapng") cfg.output_format = OutputFormat::pcapng;

    if (const std::string w = output_name_warning(cfg); !w.empty()) spdlog::warn("{}", w);

    EngineOptions opts;
    opts.extra_eal = args->eal;
    auto inputs = inspect_inputs(cfg.input_pcaps);
    if (!inputs) {
        std::fprintf(stderr, "%s\n", inputs.error().message.c_str());
        return exit_error;
    }
    for (const auto& [f, info] : inputs->files) {
        // The packets before the break are filtered (the replay stops at the same record), not lost
        // with the rest of the file.
        if (!info.cut_short.empty())
            spdlog::warn("{}: unreadable after packet {} ({}): its {} packets are filtered, nothing after them", f,
                         info.packets, info.cut_short, info.packets);
        if (const std::string w = untimed_warning(f, info, cfg.time_source); !w.empty()) spdlog::warn("{}", w);
    }
    opts.expected_packets = inputs->packets;
    for (const auto& [f, info] : inputs->files) opts.capture_packets.push_back(info.packets);
    if (flags.stop.load()) {  // counting large captures takes a while: nothing is recorded yet
        spdlog::info("{}", stopped_in_start_up);
        return exit_ok;
    }
    std::error_code ec;
    auto out_dir = std::filesystem::path(cfg.output_path).parent_path();
    if (!out_dir.empty()) std::filesystem::create_directories(out_dir, ec);

    // The audit log (control thread only). A failure to record stops the filter: what it emits must
    // be accounted for.
    std::unique_ptr<AuditRecorder> audit;
    bool audit_failed = false;
    auto audited = [&](Status st) {
        if (st) return;
        spdlog::error("audit log: {}", st.error().message);
        audit_failed = true;
    };
    if (cfg.audit.enabled) {
        auto a = open_audit(cfg);
        if (!a) {
            std::fprintf(stderr, "%s\n", a.error().message.c_str());
            return exit_error;
        }
        audit = std::move(a.value());
        audited(audit->start(cfg.path, FLOWSIEVE_VERSION, now_unix_ns()));
    }

    BuildReport report;
    auto snap = build_snapshot(cfg, 1, now_unix_ns(), report, SerialRecording::defer);
    if (!snap) {
        std::fprintf(stderr, "%s\n", snap.error().message.c_str());
        if (audit) {
            audited(audit->generation_refused(1, snap.error().message, now_unix_ns()));
            audited(audit->stop("refused: no first generation", {}, {}, true, now_unix_ns()));
        }
        return exit_error;
    }
    if (audit) audited(audit->generation(*snap.value(), audited_files(cfg), now_unix_ns()));
    if (audit_failed) return exit_error;
    for (const auto& n : report.notes) spdlog::info("{}", n);
    for (const auto& w : report.warnings) spdlog::warn("{}", w);
    if (flags.stop.load()) {
        spdlog::info("{}", stopped_in_start_up);
        if (audit) audited(audit->stop("signal", {}, {}, true, now_unix_ns()));
        return audit_failed ? exit_error : exit_ok;
    }

    EngineSignals sig;
    // The first generation's serials are recorded once the data path is ready, before any packet is
    // judged: a start that fails (a port, the EAL) leaves the state as it was, and the config in use
    // is not made to look replayed. A state that cannot be saved refuses the start.
    sig.on_ready = [&] {
        if (!report.unrecorded_serials) return;
        if (auto st = report.unrecorded_serials->merge_into(cfg.oversight.state_file, report.unrecorded_in_use); !st)
            throw std::runtime_error("oversight.state_file: the accepted serials cannot be saved: " + st.error().message);
        report.unrecorded_serials.reset();
    };
    sig.stop = &flags.stop;
    sig.reload = &flags.reload;
    const std::string config_path = args->config;
    const Config base = cfg;
    const auto rebuild = [&](std::uint64_t gen) -> Result<std::shared_ptr<const Snapshot>> {
        auto c = load_config(config_path);
        if (!c) {
            if (audit) audited(audit->generation_refused(gen, c.error().message, now_unix_ns()));
            return c.error();
        }
        // The file against the file, before the command line's overrides go in (with --output, the
        // overridden path would otherwise read as a change at every reload).
        const std::string changed = start_only_changes(as_loaded, c.value());
        // Command-line overrides of the data path stay as they were at start.
        c->input_pcaps = base.input_pcaps;
        c->output_path = base.output_path;
        c->output_format = base.output_format;
        BuildReport rep;
        auto s = build_snapshot(c.value(), gen, now_unix_ns(), rep, SerialRecording::record);
        if (!s) {
            if (audit) audited(audit->generation_refused(gen, s.error().message, now_unix_ns()));
            return s.error();
        }
        for (const auto& w : rep.warnings) spdlog::warn("{}", w);
        if (!changed.empty())
            spdlog::warn("reload: {} changed in {}: a running filter keeps them as they were at its start (restart it "
                         "for them); the tables, feeds, operators, rules and authorisations are reloaded",
                         changed, config_path);
        // The log and key of the running filter stay those it started with.
        if (audit) audited(audit->generation(*s.value(), audited_files(c.value()), now_unix_ns()));
        return std::shared_ptr<const Snapshot>(std::move(s.value()));
    };
    // Whatever a bad edit provokes, even an exception the loaders do not turn into an error (a
    // library's, or memory), the reload is refused and the running filter keeps its snapshot.
    sig.rebuild = [&](std::uint64_t gen) -> Result<std::shared_ptr<const Snapshot>> {
        try {
            return rebuild(gen);
        } catch (const std::exception& e) {
            Error err = error_at(config_path, 0, std::string("reload failed: ") + e.what());
            if (audit) audited(audit->generation_refused(gen, err.message, now_unix_ns()));
            return err;
        }
    };

    CounterTotals final_packets;
    WrittenTotals final_written;
    if (audit) {
        sig.tick_interval_s = cfg.audit.interval_s;
        sig.on_tick = [&](const CounterTotals& t, const ExportTotals& e, bool final) {
            if (final) {
                final_packets = t;
                final_written = written_of(e);
            }
            audited(audit->expiries(now_unix_ns()));
            audited(audit->counters(t, written_of(e), now_unix_ns()));
            if (audit_failed) flags.stop.store(true);
        };
    }

    // output.retention_sweep: the filter deletes expired outputs itself (the command cannot while this
    // process holds the audit log), recording into its own log; never its own output, named or partial.
    if (audit && cfg.retention_sweep.enabled) {
        sig.sweep_interval_s = cfg.retention_sweep.interval_s;
        sig.on_sweep = [&, dir = retention_sweep_dir(cfg), refused = std::set<std::string>()]() mutable {
            SweepOptions o;
            o.refusals_recorded = &refused;  // a file kept for the same reason: recorded once per run
            o.dir = dir;
            o.now_ns = now_unix_ns();
            o.config_path = cfg.path;
            o.version = FLOWSIEVE_VERSION;
            o.never_delete = {cfg.output_path, cfg.output_path + ".partial"};
            o.cancel = &flags.stop;
            auto r = audit->retention_sweep(o);
            if (!r) {
                audited(r.error());
                if (audit_failed) flags.stop.store(true);
                return;
            }
            for (const auto& item : r->items)
                if (item.outcome == SweepOutcome::deleted) spdlog::info("retention sweep: {}: {}", item.path, item.message);
                else if (item.outcome != SweepOutcome::kept && item.outcome != SweepOutcome::unknown)
                    spdlog::warn("retention sweep: {}: {}: {}", name_of(item.outcome), item.path, item.message);
            const std::size_t deleted = r->count(SweepOutcome::deleted);
            const std::size_t problems = r->items.size() - deleted - r->count(SweepOutcome::kept) - r->count(SweepOutcome::unknown);
            if (deleted || problems)
                spdlog::info("retention sweep {}: {} deleted, {} refused (mismatch, or not in the audit log), {} bad manifest, "
                             "{} failed, "
                             "{} kept (not expired)",
                             dir, deleted, r->count(SweepOutcome::hash_mismatch), r->count(SweepOutcome::bad_manifest),
                             r->count(SweepOutcome::failed), r->count(SweepOutcome::kept));
        };
    }

    // Retention: the output expires retention_days after it is opened (now); pcapng carries it in its
    // section header, every format in the manifest written beside it at the end.
    const OutputLabel label = make_output_label(now_unix_ns(), cfg.output_retention_days);
    opts.output_label = format_output_label(label);
    warn_of_stale_partial(cfg.output_path);
    auto result = run_engine(cfg, std::shared_ptr<const Snapshot>(std::move(snap.value())), opts, sig);
    if (!result) {
        std::fprintf(stderr, "%s\n", result.error().message.c_str());
        if (audit) audited(audit->stop("error: " + result.error().message, final_packets, final_written, false, now_unix_ns()));
        return exit_error;
    }
    // An earlier output under the same name was kept, never replaced (README: Retention). Without an
    // output (its disk filled, say) the counters below still say what was received and selected.
    const bool has_output = result->output_failure.empty();
    const std::string output_path = report_commit(result.value(), audit.get(), audited);
    std::printf("flowsieve summary (output: %s)\n%s", output_path.c_str(), format_summary(result->summary, true).c_str());
    std::uint64_t emitted = 0;
    for (const auto& w : result->summary.workers) emitted += w.emitted_total();
    int rc = exit_ok;
    if (!result->balanced) {
        spdlog::error("accounting identity violated: received != emitted + dropped for some worker");
        rc = exit_invariant;
    }
    if (emitted != result->summary.exporter_written + result->summary.exporter_errors) {
        spdlog::error("exporter wrote {} records of {} emitted", result->summary.exporter_written, emitted);
        rc = exit_invariant;
    }
    if (!result->mempool_restored) {
        spdlog::error("mbuf leak: {}", result->mempool_detail);
        rc = exit_invariant;
    }
    if (rc == exit_ok) spdlog::info("accounting identity holds; {}", result->mempool_detail);
    // Accounted for, but missing from the output: whoever reads it must learn that it is incomplete.
    // (Without an output, its failure above already said why.)
    if (result->summary.exporter_errors != 0 && has_output) {
        spdlog::error("the output lacks {} selected records that it refused (the last: {})", result->summary.exporter_errors,
                      result->export_error);
        if (rc == exit_ok) rc = exit_error;
    }
    // The run was cut short, but wound down in order: the output is complete up to the stop, and
    // gets its manifest and audit entries below like any other.
    if (!result->control_failure.empty() && rc == exit_ok) rc = exit_error;
    if (!result->input_shortfall.empty() && rc == exit_ok) rc = exit_error;
    // The output is safe, but not under its configured name: whoever looks for it there must notice.
    if (!result->output.commit.problem.empty() && rc == exit_ok) rc = exit_error;
    std::string manifest_problem;  // the output is complete, but its manifest could not be made or written
    // The audit log's last entry: why the run ended, after the output's failure where it failed.
    const auto audit_stop = [&](int status) {
        if (!audit) return status;
        std::string why = !result->control_failure.empty() ? "error: " + result->control_failure
                          : !result->input_shortfall.empty() ? "error: " + result->input_shortfall
                          : flags.stop.load()               ? (audit_failed ? "audit log failure" : "signal")
                                                            : "input finished";
        if (!has_output) why = "error: output " + cfg.output_path + ": " + result->output_failure + "; " + why;
        if (!manifest_problem.empty()) why = "error: output manifest: " + manifest_problem + "; " + why;
        audited(audit->stop(why, final_packets, final_written, result->balanced, now_unix_ns()));
        if (!audit_failed) spdlog::info("audit log: {} (next seq {})", audit->log().path(), audit->log().next_seq());
        return audit_failed && status == exit_ok ? exit_error : status;
    };
    if (!has_output) return audit_stop(rc == exit_ok ? exit_error : rc);
    // The output is complete: its manifest (hash, provenance, expiry), then the audit entry that ties
    // the file to the generations and authorisations that produced it.
    auto manifest = describe_output(output_path, cfg.output_format == OutputFormat::pcap ? "pcap" : "pcapng", label,
                                    result->output);
    if (!manifest) manifest_problem = manifest.error().message;
    else if (auto st = write_manifest(output_path, manifest.value()); !st) manifest_problem = st.error().message;
    if (!manifest_problem.empty()) {
        spdlog::error("output manifest: {} (the output {} is complete, but a retention sweep never deletes it without its "
                      "manifest)", manifest_problem, output_path);
        if (rc == exit_ok) rc = exit_error;
    }
    // The output is complete and described: recorded even where its manifest file could not be written
    // (a full disk), so that the audit log and `report` still account for the file and what it holds.
    if (manifest && audit) audited(audit->output_written(absolute_text(output_path), manifest.value(), now_unix_ns()));
    return audit_stop(rc);
}

}  // namespace flowsieve
