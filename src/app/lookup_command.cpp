// lookup_command.cpp: `flowsieve lookup ADDRESS --config FILE`: country, class, indicator matches.
#include <cstdio>

#include "app/commands.hpp"
#include "control/config.hpp"
#include "control/snapshot_builder.hpp"
#include "core/time_text.hpp"
#include "policy/classifier.hpp"
#include "policy/special_blocks.hpp"

namespace flowsieve {

int lookup_command(const std::vector<std::string>& args) {
    const char* const usage = "usage: flowsieve lookup ADDRESS --config FILE\n";
    if (asks_for_help(args)) {
        std::fputs(usage, stdout);
        return exit_ok;
    }
    if (const std::string o = repeated_option(args, {"--config"}); !o.empty()) {
        std::fprintf(stderr, "lookup: %s given twice\n", o.c_str());
        std::fputs(usage, stderr);
        return exit_usage;
    }
    std::string address, config;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--config" && i + 1 < args.size()) config = args[++i];
        else if (address.empty()) address = args[i];
        else address = "\n";  // more than one address: usage error below
    }
    auto ip = parse_ip(address);
    if (config.empty() || address.empty() || address == "\n") {
        std::fputs(usage, stderr);
        return exit_usage;
    }
    if (!ip) {
        std::fprintf(stderr, "lookup: '%s' is not an IPv4 or IPv6 address\n", address.c_str());
        return exit_usage;
    }
    auto cfg = load_config(config);
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
    const Snapshot& s = *snap.value();
    EndpointClass c = classify_endpoint(s, *ip);
    std::printf("address:   %s\n", to_string(*ip).c_str());
    std::printf("country:   %s\n", country_code_text(c.cc).c_str());
    std::printf("class:     %s", std::string(name_of(c.kind)).c_str());
    if (c.kind == EndpointKind::operator_) std::printf(":%s", s.operator_info[c.operator_index].id.c_str());
    if (c.kind == EndpointKind::special) {
        auto& b = special_blocks()[s.special.lookup(*ip) - 1];
        std::printf(" (%s, %s)", std::string(b.prefix).c_str(), std::string(b.what).c_str());
    }
    std::printf("\n");
    IndicatorMatch m;
    if (s.indicators.lookup(*ip, m)) {
        std::printf("indicators:");
        for (std::size_t i = 0; i < s.indicators.set_count(); ++i)
            if (m.set_mask & (1u << i)) std::printf(" %s", s.indicators.set_name(i).c_str());
        std::printf(" (most specific: %s)\n", s.indicators.indicator_id(m.indicator).c_str());
    } else {
        std::printf("indicators: none\n");
    }
    return exit_ok;
}

}  // namespace flowsieve
