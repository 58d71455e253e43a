// authorisation_file.cpp: strict reader for authorisation files (control plane).
#include "control/authorisation_file.hpp"

#include "control/yaml_reader.hpp"

namespace flowsieve {

Result<Authorisation> load_authorisation_file(const std::string& path) {
    YamlReader y(path);
    auto doc = y.load();
    if (!doc) return doc.error();
    const YAML::Node& n = doc.value();
    try {
        y.only_keys(n, "", {"id", "kind", "category", "issuer", "scope", "valid_from", "valid_until", "serial"});
        for (const char* k : {"id", "kind", "category", "issuer", "valid_from", "valid_until"})
            if (!n[k]) y.fail(n, k, "missing");
        Authorisation a;
        a.source = y.where(n);
        a.id = y.str(n["id"], "id");
        if (a.id.empty()) y.fail(n["id"], "id", "must not be empty");
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
        return a;
    } catch (const YamlError& e) {
        return Error{e.message};
    } catch (const YAML::Exception& e) {
        return error_at(path, static_cast<std::size_t>(e.mark.line + 1), e.msg);
    }
}

}  // namespace flowsieve
