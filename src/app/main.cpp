// main.cpp: wiring only: picks the subcommand and hands it the arguments.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "app/commands.hpp"

namespace {

// The run line is shared with `flowsieve run --help` (commands.hpp).
const std::string usage = std::string("usage:\n  ") + flowsieve::run_usage_line + "\n" +
                          "  flowsieve check-config FILE\n"
                          "  flowsieve lookup ADDRESS --config FILE\n"
                          "  flowsieve authority keygen|sign|verify ...   (flowsieve authority --help)\n"
                          "  flowsieve audit verify LOG [--key FILTER.pub]...   (flowsieve audit --help)\n"
                          "  flowsieve report LOG [--from T1] [--to T2] [--format table|json|csv] [--key FILTER.pub]...   "
                          "(flowsieve report --help)\n"
                          "  flowsieve retention sweep DIR [--config FILE] [--now TIME] [--dry-run]   (flowsieve retention --help)\n"
                          "  flowsieve --help | --version\n";

// Picks the subcommand and hands it the arguments.
int dispatch(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::fputs(usage.c_str(), args.empty() ? stderr : stdout);
        return args.empty() ? flowsieve::exit_usage : flowsieve::exit_ok;
    }
    if (args[0] == "--version") {
        std::puts("flowsieve " FLOWSIEVE_VERSION);
        return flowsieve::exit_ok;
    }
    std::string cmd = args[0];
    if (cmd == "check-config") return flowsieve::check_config_command({args.begin() + 1, args.end()});
    if (cmd == "lookup") return flowsieve::lookup_command({args.begin() + 1, args.end()});
    if (cmd == "authority") return flowsieve::authority_command({args.begin() + 1, args.end()});
    if (cmd == "audit") return flowsieve::audit_command({args.begin() + 1, args.end()});
    if (cmd == "report") return flowsieve::report_command({args.begin() + 1, args.end()});
    if (cmd == "retention") return flowsieve::retention_command({args.begin() + 1, args.end()});
    if (cmd == "run") return flowsieve::run_command({args.begin() + 1, args.end()});
    if (cmd.rfind("-", 0) == 0) return flowsieve::run_command(args);
    std::fprintf(stderr, "flowsieve: unknown command '%s'\n%s", cmd.c_str(), usage.c_str());
    return flowsieve::exit_usage;
}

}  // namespace

// The commands turn bad input into errors that say where; an exception that still escapes one (a
// library's, or memory) ends the process with its message and exit status 1, not with an abort.
int main(int argc, char** argv) {
    try {
        return dispatch({argv + 1, argv + argc});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "flowsieve: error: %s\n", e.what());
        return flowsieve::exit_error;
    }
}
