// yaml_reader.hpp: strict typed reads from yaml-cpp nodes with `file:line: key: what` errors.
// Shared by the config file and authorisation file readers (control plane).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace flowsieve {

// Thrown inside the readers only, caught at their public boundary and turned into an Error.
struct YamlError {
    std::string message;
};

class YamlReader {
public:
    explicit YamlReader(std::string file) : file_(std::move(file)) {}

    // What a YAML file that is a pipe or a device is read up to: configs and authorisations are
    // kilobytes.
    static constexpr std::size_t max_yaml_bytes = std::size_t{64} << 20;
    // Loads the whole document; a syntax error names its line.
    Result<YAML::Node> load() const;
    // The same over text already read from the file (read once where it has more than one use:
    // `authority sign` signs what it parsed and writes back the very same text).
    Result<YAML::Node> parse(std::string_view text) const;

    [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& what) const;
    std::size_t line(const YAML::Node& n) const { return n.Mark().line >= 0 ? static_cast<std::size_t>(n.Mark().line) + 1 : 0; }
    // `file:line`, or `file` for a node without a line (as error_at writes it).
    std::string where(const YAML::Node& n) const { return line(n) ? file_ + ":" + std::to_string(line(n)) : file_; }

    void require_map(const YAML::Node& n, const std::string& key) const;
    // Refuses keys outside `allowed` (typos must not silently disable a setting).
    void only_keys(const YAML::Node& map, const std::string& ctx, std::initializer_list<const char*> allowed) const;

    std::string str(const YAML::Node& n, const std::string& key) const;
    // An id (rule, operator, authorisation, key, indicator set): a string of 1..max_id_bytes bytes
    // (core/record_id.hpp: ids are written into every record's comment).
    std::string id(const YAML::Node& n, const std::string& key) const;
    std::uint64_t uint(const YAML::Node& n, const std::string& key, std::uint64_t max) const;
    double number(const YAML::Node& n, const std::string& key) const;
    std::vector<std::string> str_list(const YAML::Node& n, const std::string& key) const;
    std::int64_t time(const YAML::Node& n, const std::string& key) const;

    const std::string& file() const { return file_; }

private:
    std::string file_;
};

}  // namespace flowsieve
