// stix_loader.cpp: reads the IP indicators of a STIX 2.1 JSON bundle into an IndicatorSetSource
// (indicator_table.hpp, load_indicator_stix). Control plane (loader thread) only.
//
// JSON by nlohmann::json; the patterns by stix_pattern.cpp. What is skipped is counted by kind and
// reported in words, never dropped silently: a bundle mixes indicators flowsieve can use (addresses)
// with many it cannot (domains, hashes, certificates).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/record_id.hpp"
#include "core/time_text.hpp"
#include "tables/indicator_table.hpp"
#include "tables/stix_document.hpp"
#include "tables/stix_pattern.hpp"
#include "tables/text_file.hpp"

namespace flowsieve {

namespace {

using nlohmann::json;

std::string string_field(const json& o, const char* key) {
    const auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Whether the field is a list holding `word` (a field of another type holds nothing).
bool lists(const json& o, const char* key, std::string_view word) {
    const auto it = o.find(key);
    return it != o.end() && it->is_array() &&
           std::any_of(it->begin(), it->end(), [&](const json& e) { return e.is_string() && e.get_ref<const std::string&>() == word; });
}

// A timestamp field: nullopt when absent; `bad` set when it is there but not an RFC 3339 string.
std::optional<std::int64_t> time_field(const json& o, const char* key, bool& bad) {
    const auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    const auto t = it->is_string() ? parse_time(it->get<std::string>()) : std::nullopt;
    bad = bad || !t;
    return t;
}

// Tallies of what was skipped, with the first example of each, for the warnings.
struct Skipped {
    std::size_t count = 0;
    std::string first;
    void add(std::string example) {
        if (count++ == 0) first = std::move(example);
    }
};

}  // namespace

Result<IndicatorSetSource> load_indicator_stix(const std::string& name, const std::string& path, std::int64_t now_ns) {
    auto file = InputFile::open(path, "cannot open");
    if (!file) return file.error();
    const std::string_view text = file->text();
    // The JSON reader takes a NUL byte for the end of its input: what follows one would be ignored.
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos)
        return error_at(path, detail::count_lines(text.substr(0, nul + 1)), "not valid JSON: a NUL byte");
    // Only the fields read below (stix_document.hpp). The error's byte is the last one read: its
    // line is the error's.
    auto [doc, error] = detail::StixDocument::parse(text);
    if (error) {
        return error_at(path, detail::count_lines(text.substr(0, std::min(error->byte, text.size()))),
                        "not valid JSON: " + error->what);
    }

    // The objects: a bundle's (or a TAXII envelope's) "objects", or the document itself.
    std::vector<const json*> objects;
    if (doc.is_object() && doc.contains("objects")) {
        const json& list = doc["objects"];
        if (!list.is_array()) return error_at(path, 0, "\"objects\" is not an array");
        for (const json& o : list) objects.push_back(&o);
    } else if (doc.is_object() && string_field(doc, "type") == "indicator") {
        objects.push_back(&doc);
    } else {
        return error_at(path, 0, "not a STIX bundle: expected an object with an \"objects\" array, or an indicator");
    }

    // Objects that share an id are versions of one object; the current one has the latest
    // `modified` (the later in the file on a tie). Only it is read: an older version may name an
    // address the indicator no longer does. A revocation is final (STIX 2.1, 3.6.2): a revoked
    // version revokes the indicator whatever the order. A `modified` that is there but unreadable
    // leaves the versions unordered: the indicator is malformed.
    struct Versions {
        std::int64_t modified = std::numeric_limits<std::int64_t>::min();
        std::size_t current = 0;  // object index
        bool revoked = false, unordered = false;
    };
    std::map<std::string, Versions> versions;  // by id
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const json& o = *objects[i];
        if (!o.is_object()) return error_at(path, 0, "objects[" + std::to_string(i) + "] is not an object");
        std::string id = string_field(o, "id");
        if (string_field(o, "type") != "indicator" || id.empty()) continue;
        auto [at, added] = versions.try_emplace(std::move(id));
        Versions& v = at->second;
        bool unreadable = false;
        const std::int64_t modified = time_field(o, "modified", unreadable).value_or(std::numeric_limits<std::int64_t>::min());
        v.unordered = v.unordered || unreadable;
        v.revoked = v.revoked || (o.contains("revoked") && o["revoked"].is_boolean() && o["revoked"].get<bool>());
        if (added || (!unreadable && modified >= v.modified)) {
            v.modified = modified;
            v.current = i;
        }
    }

    IndicatorSetSource src;
    src.name = name;
    Skipped not_address, not_stix, broken, inactive, partial, bad_value, superseded, benign;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const json& o = *objects[i];
        if (string_field(o, "type") != "indicator") continue;  // context: malware, relationships, sightings...
        const std::string id = string_field(o, "id");
        const Versions* const versions_of = id.empty() ? nullptr : &versions.at(id);
        if (versions_of && versions_of->current != i) {
            superseded.add(id);
            continue;
        }
        ++src.lines;
        const std::string where = id.empty() ? "objects[" + std::to_string(i) + "]" : id;
        const std::string pattern = string_field(o, "pattern");
        if (!versions_of || pattern.empty()) {
            broken.add(where + ": no \"id\" or no \"pattern\"");
            continue;
        }
        if (id.size() > max_id_bytes) {
            broken.add(id.substr(0, 64) + "...: an \"id\" longer than " + std::to_string(max_id_bytes) + " bytes");
            continue;
        }
        const Versions& v = *versions_of;
        // Validity when the set is loaded. A field that is there but unreadable makes the indicator
        // malformed: read as absent, a bad valid_until would keep an indicator for good.
        std::string bad_field;
        bool bad_until = false, bad_from = false;
        const auto until = time_field(o, "valid_until", bad_until), from = time_field(o, "valid_from", bad_from);
        if (bad_until) bad_field = "valid_until";
        if (bad_from) bad_field = "valid_from";
        if (o.contains("revoked") && !o["revoked"].is_boolean()) bad_field = "revoked";
        if (v.unordered) bad_field = "modified";
        if (o.contains("pattern_type") && !o["pattern_type"].is_string()) bad_field = "pattern_type";
        if (!bad_field.empty()) {
            broken.add(where + ": \"" + bad_field + "\" is not " +
                       (bad_field == "revoked" ? "true or false" : bad_field == "pattern_type" ? "a string" : "a timestamp"));
            continue;
        }
        const bool revoked = v.revoked;
        if (revoked || (until && *until <= now_ns) || (from && *from > now_ns)) {
            inactive.add(where + (revoked ? ": revoked" : until && *until <= now_ns ? ": valid_until passed" : ": valid_from not yet come"));
            continue;
        }
        // Known good: STIX's indicator-type vocabulary has "benign" for indicators of activity that is
        // not malicious; such an address is no threat to select traffic by. STIX 2.0 gave the type in
        // `labels`, which 2.1 keeps for free-form tags: read only where there is no indicator_types.
        if (o.contains("indicator_types") ? lists(o, "indicator_types", "benign") : lists(o, "labels", "benign")) {
            benign.add(where);
            continue;
        }
        if (const std::string type = string_field(o, "pattern_type"); !type.empty() && type != "stix") {
            not_stix.add(where + ": pattern_type " + type);
            continue;
        }
        auto read = stix_pattern_addresses(pattern);
        if (!read) {
            broken.add(where + ": pattern: " + read.error().message);
            continue;
        }
        std::size_t taken = 0;
        for (const StixAddress& a : read->addresses) {
            // Exact: a CIDR with host bits set is not widened to its network here (unlike a plain
            // list's sloppiness, in a structured feed it is an error, and '198.51.100.7/0' would
            // widen to every address).
            const auto p = parse_prefix(a.value);
            if (!p || p->addr.is_v6() != a.v6) {
                bad_value.add(where + ": " + a.path + " '" + a.value + "'");
                continue;
            }
            src.indicators.push_back({*p, id});
            ++taken;
        }
        if (taken == 0 && !read->addresses.empty()) {
            broken.add(where + ": no address value is an address or exact CIDR of its type");
        } else if (taken == 0) {
            not_address.add(where);
        } else if (!read->complete || taken < read->addresses.size()) {
            partial.add(where);
        }
    }
    src.unrecognised = not_address.count + not_stix.count + broken.count + benign.count;

    const auto warn = [&](const Skipped& s, const std::string& what) {
        if (s.count)
            src.warnings.push_back(std::to_string(s.count) + " of " + std::to_string(src.lines) + " indicators " + what +
                                   " (the first: " + s.first + ")");
    };
    warn(not_address, "name no IP address that matches on its own (domains, URLs, hashes, or addresses only inside "
                      "AND / FOLLOWEDBY / qualified conditions): skipped");
    warn(partial, "also name things other than addresses: only their addresses are used");
    warn(not_stix, "have a pattern language other than STIX: skipped");
    warn(broken, "are malformed: skipped");
    warn(inactive, "are revoked or outside their validity at load time: skipped");
    warn(benign, "are of the type \"benign\" (indicator_types, or STIX 2.0's labels: known good activity, not a threat): skipped");
    warn(bad_value, "hold an address value that is not an address or CIDR of its type: that value skipped");
    if (superseded.count)
        src.warnings.push_back(std::to_string(superseded.count) + " indicator objects are older versions of another with the same id "
                               "(not the latest \"modified\"): only the current version is read (the first: " + superseded.first + ")");
    return src;
}

}  // namespace flowsieve
