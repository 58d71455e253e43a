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
    if (args.size() != 1) {
        std::fputs("usage: flowsieve check-config FILE\n", stderr);
        return exit_usage;
    }
    auto cfg = load_config(args[0]);
    if (!cfg) {
        std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
        return exit_error;
    }
    BuildReport report;
    auto snap = build_snapshot(cfg.value(), 1, now_unix_ns(), report);
    if (!snap) {
        std::fprintf(stderr, "%s\n", snap.error().message.c_str());
        return exit_error;
    }
    // The captures to replay, as `run` checks them before it starts (readable, a link type it takes).
    std::uint64_t input_packets = 0;
    for (const auto& f : cfg->input_pcaps) {
        auto info = inspect_capture(f);
        if (!info) {
            std::fprintf(stderr, "%s\n", info.error().message.c_str());
            return exit_error;
        }
        if (info->packets == 0 && !info->cut_short.empty()) {
            std::fprintf(stderr, "%s: cannot read its first packet: %s\n", f.c_str(), info->cut_short.c_str());
            return exit_error;
        }
        if (!info->cut_short.empty())
            report.warnings.push_back(f + ": unreadable after packet " + std::to_string(info->packets) + " (" + info->cut_short +
                                      "): only the packets before it would be filtered");
        input_packets += info->packets;
        const char* link = pcap_datalink_val_to_name(info->linktype);
        report.notes.push_back("input " + f + ": " + std::to_string(info->packets) + " packets, link type " +
                               (link ? link : std::to_string(info->linktype)) +
                               (info->linktype == DLT_EN10MB ? "" : " (replayed behind an Ethernet header)"));
    }
    if (!cfg->input_pcaps.empty() && input_packets == 0) {
        std::fprintf(stderr, "input: the captures hold no packets\n");
        return exit_error;
    }
    for (const auto& n : report.notes) std::printf("%s\n", n.c_str());
    for (const auto& w : report.warnings) std::printf("warning: %s\n", w.c_str());
    std::printf("%s: OK\n", args[0].c_str());
    return exit_ok;
}

}  // namespace flowsieve
