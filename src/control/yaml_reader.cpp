// yaml_reader.cpp: strict scalar/list readers over yaml-cpp (control plane).
#include "control/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <yaml-cpp/depthguard.h>

#include "core/input_file.hpp"
#include "core/record_id.hpp"
#include "core/time_text.hpp"

namespace flowsieve {

Result<YAML::Node> YamlReader::load() const {
    auto in = InputFile::open(file_, "cannot open file", max_yaml_bytes);
    if (!in) return in.error();
    return parse(in->text());
}

Result<YAML::Node> YamlReader::parse(std::string_view text) const {
    try {
        YAML::Node n = YAML::Load(std::string(text));
        if (!n.IsMap()) return error_at(file_, n.IsDefined() ? line(n) : 1, "expected a mapping at the top level");
        return n;
    } catch (const YAML::DeepRecursion& e) {  // its own message is only "bad file"
        return error_at(file_, static_cast<std::size_t>(e.mark.line + 1),
                        "YAML syntax: nested deeper than the reader takes (hundreds of levels)");
    } catch (const YAML::Exception& e) {
        return error_at(file_, static_cast<std::size_t>(e.mark.line + 1), "YAML syntax: " + e.msg);
    } catch (const std::exception& e) {  // anything else yaml-cpp lets out (std::bad_alloc)
        return error_at(file_, 0, std::string("cannot read: ") + e.what());
    }
}

// As every other error: error_at makes the key and `what` (which may quote the value) printable. A
// node without a mark (one the reader made, not the file) has no line: `file: key: what`.
void YamlReader::fail(const YAML::Node& at, const std::string& key, const std::string& what) const {
    throw YamlError{error_at(file_, line(at), key.empty() ? what : key + ": " + what).message};
}

void YamlReader::require_map(const YAML::Node& n, const std::string& key) const {
    if (!n.IsMap()) fail(n, key, "expected a mapping");
}

void YamlReader::only_keys(const YAML::Node& map, const std::string& ctx,
                           std::initializer_list<const char*> allowed) const {
    require_map(map, ctx);
    std::vector<std::pair<std::string, std::size_t>> seen;  // key, line: maps here have a few keys
    for (const auto& kv : map) {
        if (!kv.first.IsScalar()) fail(kv.first, ctx, "a key must be a plain word, not a list or a map");
        const std::string& k = kv.first.Scalar();
        const std::string key = ctx.empty() ? k : ctx + "." + k;
        if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; })) {
            std::string list;
            for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
            fail(kv.first, key, "unknown key (expected one of: " + list + ")");
        }
        // yaml-cpp keeps both and answers with the first: a setting appended further down to
        // override one (or a field added to a signed authorisation) would be ignored in silence.
        for (const auto& [other, at] : seen)
            if (other == k) fail(kv.first, key, "given twice (first on line " + std::to_string(at) + ")");
        seen.emplace_back(k, line(kv.first));
    }
}

std::string YamlReader::id(const YAML::Node& n, const std::string& key) const {
    std::string s = str(n, key);
    if (s.empty()) fail(n, key, "must not be empty");
    if (const std::string why = id_problem(s); !why.empty()) fail(n, key, why);
    return s;
}

std::string YamlReader::str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a string");
    return n.Scalar();
}

std::uint64_t YamlReader::uint(const YAML::Node& n, const std::string& key, std::uint64_t max) const {
    if (!n.IsScalar()) fail(n, key, "expected a number");
    const std::string& s = n.Scalar();
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) fail(n, key, "'" + s + "' is not a non-negative integer");
    if (v > max) fail(n, key, s + " > maximum " + std::to_string(max));
    return v;
}

double YamlReader::number(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a number");
    try {
        std::size_t used = 0;
        double v = std::stod(n.Scalar(), &used);
        // nan would pass every range check a caller makes (no comparison with it is true).
        if (used == n.Scalar().size()) {
            if (!std::isfinite(v)) fail(n, key, "'" + n.Scalar() + "' is not a finite number");
            return v;
        }
    } catch (const std::invalid_argument&) {
    } catch (const std::out_of_range&) {
    }
    fail(n, key, "'" + n.Scalar() + "' is not a number");
}

std::vector<std::string> YamlReader::str_list(const YAML::Node& n, const std::string& key) const {
    std::vector<std::string> out;
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence()) fail(n, key, "expected a list");
    for (std::size_t i = 0; i < n.size(); ++i) out.push_back(str(n[i], key + "[" + std::to_string(i) + "]"));
    return out;
}

std::int64_t YamlReader::time(const YAML::Node& n, const std::string& key) const {
    std::string s = str(n, key);
    auto t = parse_time(s);
    if (!t) fail(n, key, "'" + s + "' is not an RFC 3339 time with a zone (e.g. 2026-01-01T00:00:00Z)");
    return *t;
}

}  // namespace flowsieve
