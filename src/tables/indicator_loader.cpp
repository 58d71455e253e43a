// indicator_loader.cpp: reads indicator files (plain lists and curated CSV) into
// IndicatorSetSource. Control plane (loader thread) only.
#include "tables/indicator_table.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowsieve {

namespace {

// Whole file as one string; fopen + fread so that a directory or an I/O error is reported
// (an ifstream opens a directory and then just reads nothing).
Result<std::string> read_whole_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return error_at(path, 0, std::string("cannot open: ") + std::strerror(errno));
    std::string data;
    char buf[1 << 16];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) return error_at(path, 0, std::string("cannot read: ") + std::strerror(err));
    return data;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Calls fn(line_number, line) for each line, without the newline.
template <class Fn>
void for_each_line(std::string_view data, Fn&& fn) {
    std::size_t line_no = 0;
    while (!data.empty()) {
        const std::size_t nl = data.find('\n');
        const std::string_view line = data.substr(0, nl);
        fn(++line_no, line);
        if (nl == std::string_view::npos) break;
        data.remove_prefix(nl + 1);
    }
}

// `addr/len` whose address has host bits set: the network it names. Anything else (including
// text that parse_prefix refused for another reason) is not taken.
std::optional<Prefix> parse_prefix_with_host_bits(std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const std::string_view len_text = text.substr(slash + 1);
    if (len_text.empty() || len_text.size() > 3) return std::nullopt;
    unsigned len = 0;
    for (char c : len_text) {
        if (c < '0' || c > '9') return std::nullopt;
        len = len * 10 + static_cast<unsigned>(c - '0');
    }
    const auto addr = parse_ip(text.substr(0, slash));
    if (!addr) return std::nullopt;
    Prefix p;
    p.len = static_cast<std::uint8_t>(len);
    if (addr->is_v4()) {
        if (len > 32) return std::nullopt;
        const std::uint32_t m = len == 0 ? 0u : addr->v4 & (0xffffffffu << (32 - len));
        if (m == addr->v4) return std::nullopt;
        p.addr = IpAddress::from_v4(m);
    } else {
        if (len > 128) return std::nullopt;
        U128 m{};
        if (len > 0 && len <= 64) m = {addr->v6.hi & (~0ull << (64 - len)), 0};
        if (len > 64) m = {addr->v6.hi, len == 128 ? addr->v6.lo : addr->v6.lo & (~0ull << (128 - len))};
        if (m == addr->v6) return std::nullopt;
        p.addr = IpAddress::from_v6(m);
    }
    return p;
}

// One CSV record (no embedded newlines): fields split on commas, RFC 4180 quotes, each unquoted
// field trimmed. False on an unterminated or misplaced quote.
bool split_csv(std::string_view line, std::vector<std::string>& fields) {
    fields.clear();
    std::size_t i = 0;
    while (true) {
        while (i < line.size() && is_space(line[i])) ++i;
        std::string field;
        if (i < line.size() && line[i] == '"') {
            ++i;
            while (true) {
                if (i >= line.size()) return false;
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += line[i++];
            }
            while (i < line.size() && is_space(line[i])) ++i;
            if (i < line.size() && line[i] != ',') return false;
        } else {
            const std::size_t end = line.find(',', i);
            const std::string_view raw = line.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
            if (raw.find('"') != std::string_view::npos) return false;
            field = std::string(trim(raw));
            i = end == std::string_view::npos ? line.size() : end;
        }
        fields.push_back(std::move(field));
        if (i >= line.size()) return true;
        ++i;  // the comma
    }
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

Result<IndicatorSetSource> load_indicator_list(const std::string& name, const std::string& path) {
    auto data = read_whole_file(path);
    if (!data) return data.error();
    IndicatorSetSource src;
    src.name = name;
    for_each_line(*data, [&](std::size_t, std::string_view line) {
        const std::size_t hash = line.find('#');
        if (hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) return;
        ++src.lines;
        std::size_t end = 0;
        while (end < line.size() && !is_space(line[end])) ++end;
        const std::string_view token = line.substr(0, end);  // further columns are ignored
        if (auto p = parse_prefix(token)) {
            src.indicators.push_back({*p, std::string(token)});
        } else if (auto q = parse_prefix_with_host_bits(token)) {
            src.indicators.push_back({*q, std::string(token)});
            ++src.normalised;
        } else {
            ++src.unrecognised;
        }
    });
    return src;
}

Result<IndicatorSetSource> load_indicator_csv(const std::string& name, const std::string& path,
                                              const std::string& id_column, const std::string& value_column) {
    auto data = read_whole_file(path);
    if (!data) return data.error();
    IndicatorSetSource src;
    src.name = name;
    std::optional<Error> error;
    std::size_t header_fields = 0, id_at = 0, value_at = 0;
    bool have_header = false;
    std::vector<std::string> fields;
    for_each_line(*data, [&](std::size_t line_no, std::string_view line) {
        if (error) return;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (trim(line).empty() || trim(line).front() == '#') return;
        if (!split_csv(line, fields)) {
            error = error_at(path, line_no, "unterminated or misplaced quote");
            return;
        }
        if (!have_header) {
            have_header = true;
            header_fields = fields.size();
            const auto find_column = [&](const std::string& column, std::size_t& at) {
                std::size_t hits = 0;
                for (std::size_t i = 0; i < fields.size(); ++i) {
                    if (fields[i] == column) {
                        at = i;
                        ++hits;
                    }
                }
                if (hits == 0) error = error_at(path, line_no, "header has no column " + quoted(column));
                if (hits > 1) error = error_at(path, line_no, "header names column " + quoted(column) + " more than once");
                return hits == 1;
            };
            if (find_column(id_column, id_at)) find_column(value_column, value_at);
            return;
        }
        ++src.lines;
        if (fields.size() != header_fields) {
            error = error_at(path, line_no, "row has " + std::to_string(fields.size()) + " fields, header has " +
                                                std::to_string(header_fields));
            return;
        }
        if (fields[id_at].empty()) {
            error = error_at(path, line_no, "empty " + quoted(id_column));
            return;
        }
        auto p = parse_prefix(fields[value_at]);
        if (!p) {
            error = error_at(path, line_no, "column " + quoted(value_column) + ": " + p.error().message);
            return;
        }
        src.indicators.push_back({*p, std::move(fields[id_at])});
    });
    if (error) return *error;
    if (!have_header) return error_at(path, 0, "no header row");
    return src;
}

}  // namespace flowsieve
