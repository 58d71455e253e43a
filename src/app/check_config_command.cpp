// check_config_command.cpp: `flowsieve check-config FILE`: load, build the snapshot, report, no EAL.
#include <pcap/pcap.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "app/commands.hpp"
#include "control/capture_info.hpp"
#include "control/config.hpp"
#include "control/snapshot_builder.hpp"
#include "core/time_text.hpp"

namespace flowsieve {

int check_config_command(const std::vector<std::string>& args) {
    const char* const usage = "usage: flowsieve check-config FILE\n";
    if (asks_for_help(args)) {
        std::fputs(usage, stdout);
        return exit_ok;
    }
    if (args.size() != 1) {
        std::fputs(usage, stderr);
        return exit_usage;
    }
    auto cfg = load_config(args[0]);
    if (!cfg) {
        std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
        return exit_error;
    }
    BuildReport report;
    auto snap = build_snapshot(cfg.value(), 1, now_unix_ns(), report, SerialRecording::judge_only);
    if (!snap) {
        std::fprintf(stderr, "%s\n", snap.error().message.c_str());
        return exit_error;
    }
    // The captures to replay, as `run` checks them before it starts (readable, a link type it takes).
    auto inputs = inspect_inputs(cfg->input_pcaps);
    if (!inputs) {
        std::fprintf(stderr, "%s\n", inputs.error().message.c_str());
        return exit_error;
    }
    for (const auto& [f, info] : inputs->files) {
        if (!info.cut_short.empty())
            report.warnings.push_back(f + ": unreadable after packet " + std::to_string(info.packets) + " (" + info.cut_short +
                                      "): only the packets before it would be filtered");
        if (const std::string w = untimed_warning(f, info, cfg->time_source); !w.empty()) report.warnings.push_back(w);
        report.notes.push_back("input " + f + ": " + std::to_string(info.packets) + " packets, link type " +
                               link_type_text(info.linktype) +
                               (info.linktype == DLT_EN10MB ? "" : ", replayed behind an Ethernet header"));
    }
    if (const std::string w = output_name_warning(cfg.value()); !w.empty()) report.warnings.push_back(w);
    for (const auto& n : report.notes) std::printf("%s\n", n.c_str());
    for (const auto& w : report.warnings) std::printf("warning: %s\n", w.c_str());
    std::printf("%s: OK\n", args[0].c_str());
    return exit_ok;
}

}  // namespace flowsieve
