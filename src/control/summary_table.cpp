// summary_table.cpp: formatting of counters (control plane / main thread).
#include "control/summary_table.hpp"

#include <cstdio>

namespace flowsieve {

namespace {

void row(std::string& out, const std::string& name, const std::vector<std::uint64_t>& cells) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %-34s", name.c_str());
    out += buf;
    for (auto c : cells) {
        std::snprintf(buf, sizeof buf, " %12llu", static_cast<unsigned long long>(c));
        out += buf;
    }
    out += "\n";
}

}  // namespace

std::string format_summary(const SummaryInput& in, bool all_reasons) {
    std::string out;
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %-34s", "");
    out += buf;
    for (std::size_t w = 0; w < in.workers.size(); ++w) {
        std::snprintf(buf, sizeof buf, " %12s", ("worker " + std::to_string(w)).c_str());
        out += buf;
    }
    std::snprintf(buf, sizeof buf, " %12s\n", "total");
    out += buf;
    auto cells = [&](auto get) {
        std::vector<std::uint64_t> v;
        std::uint64_t sum = 0;
        for (const auto& w : in.workers) {
            v.push_back(get(w));
            sum += get(w);
        }
        v.push_back(sum);
        return v;
    };
    row(out, "received", cells([](const CounterTotals& t) { return t.received; }));
    out += "  emitted by category\n";
    for (std::size_t c = 0; c < category_count; ++c)
        row(out, "  " + std::string(category_names[c]), cells([c](const CounterTotals& t) { return t.emitted[c]; }));
    out += "  dropped by reason\n";
    for (std::size_t r = 0; r < drop_reason_count; ++r) {
        auto v = cells([r](const CounterTotals& t) { return t.dropped[r]; });
        if (!all_reasons && v.back() == 0) continue;
        row(out, "  " + std::string(drop_reason_names[r]), v);
    }
    row(out, "accounted (emitted + dropped)",
        cells([](const CounterTotals& t) { return t.emitted_total() + t.dropped_total(); }));
    // A cache's two rows, once it has been asked at all.
    const auto cache_rows = [&](const char* hit_row, const char* miss_row, std::uint64_t CounterTotals::*hits,
                                std::uint64_t CounterTotals::*misses) {
        if (cells([&](const CounterTotals& t) { return t.*hits + t.*misses; }).back() == 0) return;
        row(out, hit_row, cells([&](const CounterTotals& t) { return t.*hits; }));
        row(out, miss_row, cells([&](const CounterTotals& t) { return t.*misses; }));
    };
    cache_rows("flow verdicts (cache hits)", "flow verdicts (decided)", &CounterTotals::flow_cache_hits,
               &CounterTotals::flow_cache_misses);
    cache_rows("endpoint lookups (cache hits)", "endpoint lookups (tables)", &CounterTotals::endpoint_cache_hits,
               &CounterTotals::endpoint_cache_misses);
    std::snprintf(buf, sizeof buf, "  %-34s %12llu\n", "exporter written", static_cast<unsigned long long>(in.exporter_written));
    out += buf;
    if (in.exporter_errors) {
        std::snprintf(buf, sizeof buf, "  %-34s %12llu\n", "exporter write errors", static_cast<unsigned long long>(in.exporter_errors));
        out += buf;
    }
    if (in.port_missed) {
        std::snprintf(buf, sizeof buf, "  %-34s %12llu\n", "lost by the ports (never received)",
                      static_cast<unsigned long long>(in.port_missed));
        out += buf;
    }
    return out;
}

std::string format_stats_line(const CounterTotals& t, std::uint64_t written, std::uint64_t write_errors) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "rx=%llu emitted=%llu (transit=%llu operator=%llu threat-linked=%llu) dropped=%llu written=%llu",
                  static_cast<unsigned long long>(t.received), static_cast<unsigned long long>(t.emitted_total()),
                  static_cast<unsigned long long>(t.emitted[0]), static_cast<unsigned long long>(t.emitted[1]),
                  static_cast<unsigned long long>(t.emitted[2]), static_cast<unsigned long long>(t.dropped_total()),
                  static_cast<unsigned long long>(written));
    std::string line = buf;
    // Selected records the output refused (a full disk): shown from the first, on every line after.
    if (write_errors != 0) line += " write_errors=" + std::to_string(write_errors);
    const auto hit_share = [&](const char* name, std::uint64_t hits, std::uint64_t misses) {
        if (hits + misses == 0) return;
        std::snprintf(buf, sizeof buf, " %s=%.1f%%", name, 100.0 * static_cast<double>(hits) / static_cast<double>(hits + misses));
        line += buf;
    };
    hit_share("flow_cache", t.flow_cache_hits, t.flow_cache_misses);
    hit_share("endpoint_cache", t.endpoint_cache_hits, t.endpoint_cache_misses);
    return line;
}

}  // namespace flowsieve
