// commands.hpp: the flowsieve subcommands (main thread). Each returns the process exit code.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace flowsieve {

// Exit codes shared by every command.
inline constexpr int exit_ok = 0, exit_error = 1, exit_usage = 2, exit_invariant = 3;

// True when the arguments ask for help: --help or -h anywhere before a "--" (after it come the EAL's
// arguments). Every command then prints its usage on stdout and exits 0, whatever else was given, as
// users expect of `flowsieve authority sign --help` or of --help added to a command line that failed.
inline bool asks_for_help(const std::vector<std::string>& args) {
    const auto end = std::find(args.begin(), args.end(), "--");
    return std::find(args.begin(), end, "--help") != end || std::find(args.begin(), end, "-h") != end;
}

// The run command's usage line: in `flowsieve --help` and in `flowsieve run --help`.
inline constexpr const char* run_usage_line =
    "flowsieve [run] --config FILE [--input CAPTURE]... [--output PATH] [--format pcapng|pcap] [-- EAL args]";

int run_command(const std::vector<std::string>& args);
int check_config_command(const std::vector<std::string>& args);
int lookup_command(const std::vector<std::string>& args);
int authority_command(const std::vector<std::string>& args);
int audit_command(const std::vector<std::string>& args);
int report_command(const std::vector<std::string>& args);
int retention_command(const std::vector<std::string>& args);

}  // namespace flowsieve
