// authorisation_file.cpp: strict reader for authorisation files (control plane).
#include "control/authorisation_file.hpp"

#include <sstream>

#include "control/yaml_reader.hpp"

namespace flowsieve {

namespace {

std::vector<SignatureEntry> read_signatures(const YamlReader& y, const YAML::Node& n) {
    std::vector<SignatureEntry> out;
    if (!n) return out;
    if (!n.IsSequence()) y.fail(n, "signatures", "expected a list of {key, sig}");
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string ctx = "signatures[" + std::to_string(i) + "]";
        y.only_keys(n[i], ctx, {"key", "sig"});
        if (!n[i]["key"] || !n[i]["sig"]) y.fail(n[i], ctx, "needs key and sig");
        out.push_back({y.str(n[i]["key"], ctx + ".key"), y.str(n[i]["sig"], ctx + ".sig"), y.where(n[i])});
    }
    return out;
}

}  // namespace

Result<Authorisation> load_authorisation_file(const std::string& path) {
    auto r = load_signed_authorisation_file(path);
    if (!r) return r.error();
    return std::move(r.value().authorisation);
}

namespace {

// The readers below over a document already loaded or parsed by `y`.
Result<SignedAuthorisation> signed_authorisation(const YamlReader& y, const Result<YAML::Node>& doc) {
    const std::string& path = y.file();
    if (!doc) return doc.error();
    const YAML::Node& n = doc.value();
    try {
        y.only_keys(n, "", {"id", "kind", "category", "issuer", "scope", "valid_from", "valid_until", "serial",
                           "signatures"});
        for (const char* k : {"id", "kind", "category", "issuer", "valid_from", "valid_until"})
            if (!n[k]) y.fail(n, k, "missing");
        Authorisation a;
        a.source = y.where(n);
        a.id = y.id(n["id"], "id");
        auto kind = parse_auth_kind(y.str(n["kind"], "kind"));
        if (!kind) y.fail(n["kind"], "kind", "expected approval or consent");
        a.kind = *kind;
        auto cat = parse_category(y.str(n["category"], "category"));
        if (!cat) y.fail(n["category"], "category", "expected transit, operator or threat-linked");
        a.category = *cat;
        a.issuer = y.str(n["issuer"], "issuer");
        if (auto s = n["scope"]) {
            y.only_keys(s, "scope", {"operator", "indicator_sets"});
            if (s["operator"]) a.operator_id = y.str(s["operator"], "scope.operator");
            if (s["indicator_sets"]) a.indicator_sets = y.str_list(s["indicator_sets"], "scope.indicator_sets");
        }
        a.valid_from_ns = y.time(n["valid_from"], "valid_from");
        a.valid_until_ns = y.time(n["valid_until"], "valid_until");
        if (a.valid_until_ns <= a.valid_from_ns) y.fail(n["valid_until"], "valid_until", "must be after valid_from");
        if (n["serial"]) a.serial = y.uint(n["serial"], "serial", ~0ull);
        if (a.kind == AuthKind::consent && a.operator_id.empty())
            y.fail(n, "scope.operator", "a consent must name the consenting operator");
        if (a.kind == AuthKind::consent && a.category != Category::operator_)
            y.fail(n["category"], "category", "a consent can only cover the operator category");
        if (a.kind == AuthKind::approval && a.category == Category::operator_)
            y.fail(n["category"], "category", "the operator category runs under an operator's consent, not an approval");
        if (a.category == Category::threat_linked && a.indicator_sets.empty())
            y.fail(n, "scope.indicator_sets", "a threat-linked approval must name the indicator sets it covers");
        return SignedAuthorisation{std::move(a), read_signatures(y, n["signatures"])};
    } catch (const YamlError& e) {
        return Error{e.message};
    } catch (const YAML::Exception& e) {
        return error_at(path, static_cast<std::size_t>(e.mark.line + 1), e.msg);
    }
}

Result<SignedRevocation> signed_revocation(const YamlReader& y, const Result<YAML::Node>& doc) {
    const std::string& path = y.file();
    if (!doc) return doc.error();
    const YAML::Node& n = doc.value();
    try {
        y.only_keys(n, "", {"kind", "id", "serial", "issued_at", "signatures"});
        for (const char* k : {"kind", "id", "serial", "issued_at"})
            if (!n[k]) y.fail(n, k, "missing");
        if (y.str(n["kind"], "kind") != "revocation") y.fail(n["kind"], "kind", "expected revocation");
        Revocation r;
        r.source = y.where(n);
        r.id = y.id(n["id"], "id");
        r.serial = y.uint(n["serial"], "serial", ~0ull);
        r.issued_at_ns = y.time(n["issued_at"], "issued_at");
        return SignedRevocation{std::move(r), read_signatures(y, n["signatures"])};
    } catch (const YamlError& e) {
        return Error{e.message};
    } catch (const YAML::Exception& e) {
        return error_at(path, static_cast<std::size_t>(e.mark.line + 1), e.msg);
    }
}

bool kind_is_revocation(const Result<YAML::Node>& n) {
    if (!n) return false;
    try {
        return n->IsMap() && (*n)["kind"] && (*n)["kind"].IsScalar() && (*n)["kind"].Scalar() == "revocation";
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

Result<SignedAuthorisation> load_signed_authorisation_file(const std::string& path) {
    const YamlReader y(path);
    return signed_authorisation(y, y.load());
}

Result<SignedAuthorisation> parse_signed_authorisation(const std::string& path, std::string_view text) {
    const YamlReader y(path);
    return signed_authorisation(y, y.parse(text));
}

Result<SignedRevocation> load_revocation_file(const std::string& path) {
    const YamlReader y(path);
    return signed_revocation(y, y.load());
}

Result<SignedRevocation> parse_revocation(const std::string& path, std::string_view text) {
    const YamlReader y(path);
    return signed_revocation(y, y.parse(text));
}

bool is_revocation_text(const std::string& path, std::string_view text) {
    return kind_is_revocation(YamlReader(path).parse(text));
}

std::string with_signatures(const std::string& text, const std::vector<SignatureEntry>& sigs) {
    std::istringstream in(text);
    std::string out, line;
    bool in_block = false;
    // The key at the start of a line, with or without blanks before its colon (`signatures :`
    // once stayed, and the block appended after it was a second key that readers ignored).
    const auto starts_block = [](const std::string& l) {
        constexpr std::string_view key = "signatures";
        if (l.compare(0, key.size(), key) != 0) return false;
        const std::size_t colon = l.find_first_not_of(" \t", key.size());
        return colon != std::string::npos && l[colon] == ':';
    };
    while (std::getline(in, line)) {
        if (starts_block(line)) {
            in_block = true;
            continue;
        }
        // The block is the indented (or `- `) lines after it; the next top-level line ends it.
        if (in_block && (line.empty() || line[0] == ' ' || line[0] == '-' || line[0] == '\t')) continue;
        in_block = false;
        out += line + "\n";
    }
    if (sigs.empty()) return out;
    out += "signatures:\n";
    for (const auto& s : sigs) out += "  - key: " + s.key_id + "\n    sig: " + s.sig + "\n";
    return out;
}

}  // namespace flowsieve
