// audit_command.cpp: `flowsieve audit verify LOG [--key FILTER.pub]...`: checks an audit log's chain
// and signed checkpoints (main thread, no EAL).
#include <cstdio>

#include "app/commands.hpp"
#include "core/input_file.hpp"
#include "oversight/audit_verifier.hpp"
#include "oversight/key_file.hpp"

namespace flowsieve {

namespace {

const char* audit_usage =
    "usage:\n"
    "  flowsieve audit verify LOG [--key FILTER.pub]...\n"
    "      checks every entry's chain hash and seq and every checkpoint's signature; prints\n"
    "      `intact: N entries, K checkpoints`, or where the log was edited, truncated or reordered\n"
    "      (exit 0 intact, 1 not intact or unreadable, 2 usage)\n";

int usage() {
    std::fputs(audit_usage, stderr);
    return exit_usage;
}

int verify(const std::vector<std::string>& args) {
    std::string log;
    std::vector<PublicKeyFile> keys;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--key" && i + 1 < args.size()) {
            auto k = read_public_key_file(args[++i]);
            if (!k) {
                std::fprintf(stderr, "audit verify: %s\n", k.error().message.c_str());
                return exit_error;
            }
            keys.push_back(std::move(k.value()));
        } else if (args[i].rfind("--", 0) != 0 && log.empty()) {
            log = args[i];
        } else {
            return usage();
        }
    }
    if (log.empty()) return usage();
    auto text = InputFile::open(log, "cannot open");
    if (!text) {
        std::fprintf(stderr, "audit verify: %s\n", text.error().message.c_str());
        return exit_error;
    }
    const AuditVerdict v = verify_audit_log(text->text(), keys);
    for (const auto& n : v.notes) std::printf("note: %s\n", n.c_str());
    if (v.intact()) {
        std::printf("%s\n", v.message.c_str());
        return exit_ok;
    }
    std::printf("%s: %s: %s\n", log.c_str(), std::string(name_of(v.finding)).c_str(), v.message.c_str());
    return exit_error;
}

}  // namespace

int audit_command(const std::vector<std::string>& args) {
    if (args.empty()) return usage();
    if (asks_for_help(args)) {
        std::fputs(audit_usage, stdout);
        return exit_ok;
    }
    if (args[0] == "verify") return verify({args.begin() + 1, args.end()});
    std::fprintf(stderr, "flowsieve audit: unknown subcommand '%s'\n", args[0].c_str());
    return usage();
}

}  // namespace flowsieve
