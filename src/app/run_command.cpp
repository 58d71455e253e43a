// run_command.cpp: `flowsieve run`: config -> validate -> snapshot -> data path -> summary.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "control/capture_info.hpp"
#include "control/config.hpp"
#include "control/signals.hpp"
#include "control/snapshot_builder.hpp"
#include "dataplane/engine.hpp"

namespace flowsieve {

namespace {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct RunArgs {
    std::string config;
    std::vector<std::string> inputs;
    std::string output, format;
    std::vector<std::string> eal;
};

Result<RunArgs> parse_run_args(const std::vector<std::string>& args) {
    RunArgs r;
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

}  // namespace

int run_command(const std::vector<std::string>& argv) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("flowsieve"));
    spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    auto args = parse_run_args(argv);
    if (!args) {
        std::fprintf(stderr, "flowsieve run: %s\n", args.error().message.c_str());
        return exit_usage;
    }
    auto loaded = load_config(args->config);
    if (!loaded) {
        std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
        return exit_error;
    }
    Config cfg = std::move(loaded.value());
    if (!args->inputs.empty()) cfg.input_pcaps = args->inputs;
    if (!args->output.empty()) cfg.output_path = args->output;
    if (args->format == "pcap") cfg.output_format = OutputFormat::pcap;
    if (args->format == "pcapng") cfg.output_format = OutputFormat::pcapng;

    EngineOptions opts;
    opts.extra_eal = args->eal;
    for (const auto& f : cfg.input_pcaps) {
        auto info = inspect_capture(f);
        if (!info) {
            std::fprintf(stderr, "%s\n", info.error().message.c_str());
            return exit_error;
        }
        opts.expected_packets += info->packets;
    }
    if (!cfg.input_pcaps.empty() && opts.expected_packets == 0) {
        std::fprintf(stderr, "input: the captures hold no packets\n");
        return exit_error;
    }
    std::error_code ec;
    auto out_dir = std::filesystem::path(cfg.output_path).parent_path();
    if (!out_dir.empty()) std::filesystem::create_directories(out_dir, ec);

    BuildReport report;
    auto snap = build_snapshot(cfg, 1, now_ns(), report);
    if (!snap) {
        std::fprintf(stderr, "%s\n", snap.error().message.c_str());
        return exit_error;
    }
    for (const auto& n : report.notes) spdlog::info("{}", n);
    for (const auto& w : report.warnings) spdlog::warn("{}", w);

    SignalFlags& flags = install_signal_handlers();
    EngineSignals sig;
    sig.stop = &flags.stop;
    sig.reload = &flags.reload;
    const std::string config_path = args->config;
    const Config base = cfg;
    sig.rebuild = [&](std::uint64_t gen) -> Result<std::shared_ptr<const Snapshot>> {
        auto c = load_config(config_path);
        if (!c) return c.error();
        // Command-line overrides of the data path stay as they were at start.
        c->input_pcaps = base.input_pcaps;
        c->output_path = base.output_path;
        c->output_format = base.output_format;
        BuildReport rep;
        auto s = build_snapshot(c.value(), gen, now_ns(), rep);
        if (!s) return s.error();
        for (const auto& w : rep.warnings) spdlog::warn("{}", w);
        return std::shared_ptr<const Snapshot>(std::move(s.value()));
    };

    auto result = run_engine(cfg, std::shared_ptr<const Snapshot>(std::move(snap.value())), opts, sig);
    if (!result) {
        std::fprintf(stderr, "%s\n", result.error().message.c_str());
        return exit_error;
    }
    std::printf("flowsieve summary (output: %s)\n%s", result->output_path.c_str(),
                format_summary(result->summary, true).c_str());
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
    return rc;
}

}  // namespace flowsieve
