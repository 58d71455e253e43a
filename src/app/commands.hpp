// commands.hpp: the flowsieve subcommands (main thread). Each returns the process exit code.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
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

// The first of `once` (options that take one value) given more than once before a "--", else "".
// Such a command line is a usage error: the last value silently winning surprised users
// (`authority sign F --key A --key B` signed with B alone where two signatures were meant).
inline std::string repeated_option(const std::vector<std::string>& args, std::initializer_list<std::string_view> once) {
    const auto end = std::find(args.begin(), args.end(), "--");
    for (const std::string_view o : once)
        if (std::count(args.begin(), end, o) > 1) return std::string(o);
    return {};
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
