// retention_command.cpp: `flowsieve retention sweep DIR [--config FILE] [--now T] [--dry-run]`: deletes
// expired output files and records each deletion in the audit log (main thread, no EAL).
#include <cstdio>
#include <memory>

#include "app/commands.hpp"
#include "control/config.hpp"
#include "core/time_text.hpp"
#include "oversight/audit_log.hpp"
#include "oversight/key_file.hpp"
#include "oversight/retention_sweep.hpp"

namespace flowsieve {

namespace {

const char* retention_usage =
    "usage:\n"
    "  flowsieve retention sweep DIR [--config FILE] [--now TIME] [--dry-run]\n"
    "      deletes the output files under DIR whose expiry (in their manifest, <file>.manifest.json)\n"
    "      has passed, after checking their content hash, and records each deletion in the audit log\n"
    "      named by FILE's audit section. Files without a valid manifest are never touched; an expired\n"
    "      file whose hash does not match, or that the audit log does not record as written\n"
    "      (output_written with the same hash and expiry), is kept and reported. --now: judge expiry\n"
    "      at TIME (RFC 3339)\n"
    "      instead of the clock (a TIME later than the clock only with --dry-run).\n"
    "      --dry-run: report only (needs no config).\n"
    "      A running filter holds its audit log: for a filter that never stops, set\n"
    "      output.retention_sweep in its config and it sweeps its output directory itself.\n"
    "      (exit 0 done, 1 error or a file that needs attention, 2 usage)\n";

int usage() {
    std::fputs(retention_usage, stderr);
    return exit_usage;
}

int sweep(const std::vector<std::string>& args) {
    if (const std::string twice = repeated_option(args, {"--config", "--now"}); !twice.empty()) {
        std::fprintf(stderr, "retention sweep: %s given twice\n", twice.c_str());
        return usage();
    }
    SweepOptions o;
    std::string config, now_text;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if ((a == "--config" || a == "--now") && i + 1 < args.size()) {
            (a == "--config" ? config : now_text) = args[++i];
        } else if (a == "--dry-run") {
            o.dry_run = true;
        } else if (a.rfind("-", 0) != 0 && o.dir.empty()) {
            o.dir = a;
        } else {
            std::fprintf(stderr, "retention sweep: unexpected argument '%s'\n", a.c_str());
            return usage();
        }
    }
    if (o.dir.empty()) return usage();
    o.now_ns = now_unix_ns();
    if (!now_text.empty()) {
        auto t = parse_time(now_text);
        if (!t) {
            std::fprintf(stderr, "retention sweep: --now: '%s' is not an RFC 3339 time\n", now_text.c_str());
            return exit_usage;
        }
        // Judging at a later time only previews: deleting before a file's expiry would break the
        // retention it was written with (an earlier --now only deletes less).
        if (*t > o.now_ns && !o.dry_run) {
            std::fprintf(stderr,
                         "retention sweep: --now %s is later than the clock: it would delete output before its "
                         "expiry; a later --now is only allowed with --dry-run\n",
                         now_text.c_str());
            return exit_usage;
        }
        o.now_ns = *t;
    }
    if (config.empty() && !o.dry_run) {
        std::fprintf(stderr,
                     "retention sweep: --config FILE is required to delete: every deletion is recorded in the audit "
                     "log its audit section names (--dry-run needs none)\n");
        return exit_usage;
    }

    std::unique_ptr<AuditLog> log;
    if (!config.empty()) {
        auto cfg = load_config(config);
        if (!cfg) {
            std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
            return exit_error;
        }
        if (!cfg->audit.enabled && !o.dry_run) {
            std::fprintf(stderr, "%s: no audit section: a retention sweep records every deletion in the audit log\n",
                         config.c_str());
            return exit_error;
        }
        o.config_path = cfg->path;
        // A dry run reads the log (no lock, no write) so that its "would delete" means what a sweep would.
        if (o.dry_run && cfg->audit.enabled) o.dry_run_audit_log = cfg->audit.log_path;
        if (!o.dry_run) {
            auto key = read_secret_key_file(cfg->audit.key_path);
            if (!key) {
                std::fprintf(stderr, "%s\n", key.error().message.c_str());
                return exit_error;
            }
            auto opened = AuditLog::open(cfg->audit.log_path, key.value(), cfg->audit.checkpoint_every);
            if (!opened) {
                std::fprintf(stderr, "retention sweep: %s\n", opened.error().message.c_str());
                // A filter that runs for good never releases the lock: tell the operator the way out.
                if (opened.error().message.find("is locked by another flowsieve process") != std::string::npos)
                    std::fprintf(stderr,
                                 "retention sweep: a filter that keeps running holds its audit log for good: set "
                                 "output.retention_sweep in its config (e.g. `retention_sweep: {interval_s: 3600}`) and "
                                 "restart it; the running filter then sweeps %s itself and records the deletions in its "
                                 "own log\n",
                                 o.dir.c_str());
                return exit_error;
            }
            log = std::move(opened.value());
        }
    }
    o.version = FLOWSIEVE_VERSION;

    auto report = retention_sweep(o, log.get());
    if (!report) {
        std::fprintf(stderr, "%s\n", report.error().message.c_str());
        return exit_error;
    }
    for (const auto& item : report->items)
        std::printf("%-12s %s: %s\n", std::string(name_of(item.outcome)).c_str(), item.path.c_str(), item.message.c_str());
    std::printf("retention sweep %s%s at %s: %zu deleted, %zu would be deleted, %zu kept (not expired), %zu not "
                "flowsieve output, %zu bad manifest, %zu refused (hash or label mismatch, or not in the audit log), "
                "%zu failed\n",
                o.dir.c_str(), o.dry_run ? " (dry run)" : "", format_time(o.now_ns).c_str(),
                report->count(SweepOutcome::deleted), report->count(SweepOutcome::would_delete),
                report->count(SweepOutcome::kept),
                report->count(SweepOutcome::unknown), report->count(SweepOutcome::bad_manifest),
                report->count(SweepOutcome::hash_mismatch), report->count(SweepOutcome::failed));
    if (!report->log_consulted)
        std::printf("audit log: not consulted (dry run without --config): a sweep deletes only outputs whose "
                    "output_written entry in its audit log has the manifest's hash and expiry\n");
    if (log) std::printf("audit log: %s (next seq %llu)\n", log->path().c_str(), static_cast<unsigned long long>(log->next_seq()));
    return report->clean() ? exit_ok : exit_error;
}

}  // namespace

int retention_command(const std::vector<std::string>& args) {
    if (args.empty()) return usage();
    if (asks_for_help(args)) {
        std::fputs(retention_usage, stdout);
        return exit_ok;
    }
    if (args[0] == "sweep") return sweep({args.begin() + 1, args.end()});
    std::fprintf(stderr, "flowsieve retention: unknown subcommand '%s'\n", args[0].c_str());
    return usage();
}

}  // namespace flowsieve
