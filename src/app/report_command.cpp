// report_command.cpp: `flowsieve report LOG [--from T1] [--to T2] [--format table|json|csv] [--key FILTER.pub]`:
// verifies an audit log, then sums its counters entries over the period per authorisation and
// category, with refusals and expiries (main thread, no EAL). A log that does not verify is refused:
// a report is only ever made from figures the filter's signed checkpoints vouch for. A log whose only
// finding is an open tail (a running filter) is reported up to its last checkpoint, with a note.
#include <cstdio>

#include "app/commands.hpp"
#include "core/input_file.hpp"
#include "core/time_text.hpp"
#include "oversight/audit_report.hpp"
#include "oversight/audit_verifier.hpp"
#include "oversight/key_file.hpp"

namespace flowsieve {

namespace {

const char* report_usage =
    "usage:\n"
    "  flowsieve report LOG [--from T1] [--to T2] [--format table|json|csv] [--key FILTER.pub]...\n"
    "      per authorisation and category: packets, flows, header bytes, first and last packet time\n"
    "      emitted, plus refusals and expiries; counts only, never addresses. The log is verified first\n"
    "      (as `flowsieve audit verify`) and refused unless intact, except that an open tail after the\n"
    "      last checkpoint (a running filter, or a crashed run) is left out, with a note. T1 (inclusive)\n"
    "      and T2 (exclusive) are RFC 3339 times or dates (2026-01-01, 2026-01-01T09:00:00+09:00);\n"
    "      they select counters intervals by the time the filter wrote them (exit 0, 1 not intact or\n"
    "      unreadable, 2 usage)\n";

int usage(const char* why = nullptr) {
    if (why) std::fprintf(stderr, "flowsieve report: %s\n", why);
    std::fputs(report_usage, stderr);
    return exit_usage;
}

}  // namespace

int report_command(const std::vector<std::string>& args) {
    if (asks_for_help(args)) {
        std::fputs(report_usage, stdout);
        return exit_ok;
    }
    if (const std::string o = repeated_option(args, {"--from", "--to", "--format"}); !o.empty())
        return usage((o + " given twice").c_str());
    std::string log, format = "table";
    ReportPeriod period;
    std::vector<PublicKeyFile> keys;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const bool has_value = i + 1 < args.size();
        if ((a == "--from" || a == "--to") && has_value) {
            auto t = parse_time(args[++i]);
            if (!t) {
                const std::string why = a + ": '" + args[i] + "' is not an RFC 3339 time or date";
                return usage(why.c_str());
            }
            (a == "--from" ? period.from_ns : period.to_ns) = *t;
        } else if (a == "--format" && has_value) {
            format = args[++i];
            if (format != "table" && format != "json" && format != "csv") return usage("--format: table, json or csv");
        } else if (a == "--key" && has_value) {
            auto k = read_public_key_file(args[++i]);
            if (!k) {
                std::fprintf(stderr, "flowsieve report: %s\n", k.error().message.c_str());
                return exit_error;
            }
            keys.push_back(std::move(k.value()));
        } else if (a.rfind("--", 0) != 0 && log.empty()) {
            log = a;
        } else {
            return usage();
        }
    }
    if (log.empty()) return usage();
    if (period.from_ns && period.to_ns && *period.from_ns >= *period.to_ns) return usage("--from must be before --to");

    auto text = InputFile::open(log, "cannot open");
    if (!text) {
        std::fprintf(stderr, "flowsieve report: %s\n", text.error().message.c_str());
        return exit_error;
    }
    const std::string_view all = text->text();
    const AuditVerdict v = verify_audit_log(all, keys);
    // An open tail after the last checkpoint (a running filter, or a crashed last run) is the only
    // finding a report tolerates: everything up to that checkpoint verified, and only that is reported.
    auto part = reportable_part(all, v);
    if (!part) {
        std::fprintf(stderr,
                     "flowsieve report: %s: %s\n"
                     "flowsieve report: refused: a report is made only from a log that verifies intact up to its "
                     "last checkpoint\n",
                     log.c_str(), part.error().message.c_str());
        return exit_error;
    }
    const bool open_tail = part->open_tail;
    for (const auto& n : v.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    auto report = build_audit_report(part->text, period);
    if (!report) {
        std::fprintf(stderr, "flowsieve report: %s: %s\n", log.c_str(), report.error().message.c_str());
        return exit_error;
    }
    std::string verification = v.message;
    if (open_tail) {
        mark_open_tail(report.value(), part->sealed_seq, part->left_out);
        verification = "sealed up to seq " + std::to_string(v.sealed_seq) + ": " + std::to_string(v.sealed_lines) +
                       " entries, " + std::to_string(v.checkpoints) + " checkpoints verified; " +
                       std::to_string(part->left_out) + " after it not yet sealed";
        std::fprintf(stderr, "note: %s: %s\n", log.c_str(), v.message.c_str());
    }
    const ReportSource src{log, verification};
    const std::string out = format == "json"  ? format_report_json(report.value(), src)
                            : format == "csv" ? format_report_csv(report.value(), src)
                                              : format_report_table(report.value(), src);
    std::fputs(out.c_str(), stdout);
    return exit_ok;
}

}  // namespace flowsieve
