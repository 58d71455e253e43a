// commands.hpp: the flowsieve subcommands (main thread). Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace flowsieve {

// Exit codes shared by every command.
inline constexpr int exit_ok = 0, exit_error = 1, exit_usage = 2, exit_invariant = 3;

int run_command(const std::vector<std::string>& args);
int check_config_command(const std::vector<std::string>& args);
int lookup_command(const std::vector<std::string>& args);
int authority_command(const std::vector<std::string>& args);
int audit_command(const std::vector<std::string>& args);
int report_command(const std::vector<std::string>& args);
int retention_command(const std::vector<std::string>& args);

}  // namespace flowsieve
