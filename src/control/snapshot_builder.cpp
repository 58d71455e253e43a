// snapshot_builder.cpp: table loading (parallel), rule/authorisation binding, refusals (control plane).
#include "control/snapshot_builder.hpp"

#include <tbb/parallel_invoke.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "control/authorisation_file.hpp"
#include "core/time_text.hpp"
#include "oversight/authority_verifier.hpp"
#include "oversight/serial_state.hpp"
#include "policy/classifier.hpp"
#include "policy/special_blocks.hpp"

namespace flowsieve {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// An error about a whole file the config names (it cannot be opened or read: "PATH: what", no
// line) gets where the config names it, which the loaders, given only the path, cannot say:
// "PATH: cannot open: No such file or directory (countries.files[0] at flowsieve.yaml:5)".
Error named_in_config(Error e, const std::string& path, const std::string& key, const std::string& source) {
    if (!source.empty() && e.message.rfind(path + ": ", 0) == 0) e.message += " (" + key + " at " + source + ")";
    return e;
}
template <typename T>
Result<T> named_in_config(Result<T> r, const std::string& path, const std::string& key, const std::vector<std::string>& sources,
                          std::size_t i) {
    if (r.ok() || i >= sources.size()) return r;
    return named_in_config(r.error(), path, key + "[" + std::to_string(i) + "]", sources[i]);
}

// Runs load(0..count-1) concurrently; the first error (in index order) wins.
template <class T, class Load>
Result<std::vector<T>> load_all(std::size_t count, Load load) {
    // Pre-sized slots assigned in place (GCC 12 warns, wrongly, about an emplaced temporary here).
    std::vector<Result<T>> results(count, Result<T>(Error{"not loaded"}));
    tbb::task_group g;
    for (std::size_t i = 0; i < count; ++i) g.run([&, i] { results[i] = load(i); });
    g.wait();
    std::vector<T> out;
    for (auto& r : results) {
        if (!r.ok()) return r.error();
        out.push_back(std::move(r.value()));
    }
    return out;
}

std::string days_old(const std::string& yyyymmdd, std::int64_t now_ns, std::uint32_t max_days, bool& stale) {
    stale = false;
    if (yyyymmdd.size() != 8) return {};
    auto t = parse_time(yyyymmdd.substr(0, 4) + "-" + yyyymmdd.substr(4, 2) + "-" + yyyymmdd.substr(6, 2));
    if (!t) return {};
    std::int64_t days = (now_ns - *t) / (86400ll * 1'000'000'000);
    stale = days > static_cast<std::int64_t>(max_days);
    return std::to_string(days);
}

// Why `a` cannot authorise `r`, or empty when it can.
std::string scope_problem(const Rule& r, const RuleConfig& rc, const Authorisation& a) {
    if (a.category != r.category)
        return "authorisation " + a.id + " covers category " + std::string(name_of(a.category)) + ", rule " + r.id +
               " is " + std::string(name_of(r.category));
    if (r.category == Category::operator_) {
        if (a.kind != AuthKind::consent) return "the operator category needs the operator's consent";
        if (a.operator_id != rc.operator_id)
            return "consent " + a.id + " is from operator '" + a.operator_id + "', rule " + r.id + " covers '" +
                   rc.operator_id + "'";
    } else if (a.kind != AuthKind::approval) {
        return "category " + std::string(name_of(r.category)) + " needs an approval of the oversight commission";
    }
    // An authorisation without indicator sets covers its whole category (threat-linked approvals
    // always name sets: authorisation_file.cpp), so a rule narrowed to sets under it is covered too.
    if (!a.indicator_sets.empty())
        for (const auto& s : rc.indicator_sets)
            if (std::find(a.indicator_sets.begin(), a.indicator_sets.end(), s) == a.indicator_sets.end())
                return std::string(name_of(a.kind)) + " " + a.id + " does not cover indicator set '" + s + "' used by rule " + r.id;
    // An authorisation scoped to indicator sets covers only traffic that hits them; a rule without
    // sets would select the whole category under it (invariant 2).
    if (rc.indicator_sets.empty() && !a.indicator_sets.empty())
        return std::string(name_of(a.kind)) + " " + a.id + " covers only indicator sets (" + a.indicator_sets.front() +
               (a.indicator_sets.size() > 1 ? ", ..." : "") + "), rule " + r.id + " names none";
    return {};
}

// Signed authorisations: verifies revocations, judges every authorisation (signatures, quorum,
// revocation, rollback, expiry), refuses the failures (their windows become unusable: nothing
// runs under them) and persists the raised serials. An error refuses the whole build.
// Returns the serial state to save once the whole build has succeeded (nullopt: nothing to save).
Result<std::optional<SerialState>> apply_oversight(const Config& cfg, Snapshot& s,
                                                   const std::vector<std::vector<SignatureEntry>>& signatures,
                                                   std::int64_t now_ns, BuildReport& report) {
    const OversightConfig& o = cfg.oversight;
    auto find = [&](const std::string& id) -> const Authorisation* {
        for (const auto& a : s.authorisations)
            if (a.id == id) return &a;
        return nullptr;
    };
    std::vector<Revocation> revocations;
    for (std::size_t i = 0; i < o.revocation_files.size(); ++i) {
        auto r = named_in_config(load_revocation_file(o.revocation_files[i]), o.revocation_files[i], "oversight.revocations",
                                 o.revocation_sources, i);
        if (!r) return r.error();
        const Revocation& rev = r->revocation;
        AuthorityVerdict v = check_revocation_signatures(rev, r->signatures, o.policy, find(rev.id));
        // A revocation that cannot be trusted is a config error, not something to skip quietly.
        if (!v.usable()) return Error{rev.source + ": revocation of " + rev.id + " refused: " + v.message};
        if (!find(rev.id)) report.notes.push_back(rev.source + ": revocation of " + rev.id + " (not loaded)");
        revocations.push_back(rev);
    }
    std::optional<SerialState> state;
    if (!o.state_file.empty()) {
        auto st = SerialState::load(o.state_file);
        if (!st) return st.error();
        state = std::move(st.value());
    }
    bool state_changed = false;
    if (state)
        for (const Revocation& rev : revocations) state_changed |= state->record_revocation(rev.id, rev.serial);
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < s.authorisations.size(); ++i) {
        const Authorisation& a = s.authorisations[i];
        AuthorityVerdict v = judge_authorisation(a, signatures[i], o.policy, revocations, state ? &*state : nullptr, now_ns);
        if (!v.usable()) {
            s.windows[i].usable = false;  // invariant 2: the classifier emits nothing under it
            s.refusals.push_back(a.source + ": authorisation " + a.id + " refused: " + v.message);
            report.warnings.push_back(s.refusals.back());
            continue;
        }
        ++accepted;
        if (!v.message.empty()) report.warnings.push_back(a.source + ": authorisation " + a.id + " " + v.message);
        if (state) state_changed |= state->record(a);
    }
    report.notes.push_back("oversight: " + std::to_string(accepted) + " of " + std::to_string(s.authorisations.size()) +
                           " authorisations verified (approval quorum " + std::to_string(o.policy.approval_quorum) +
                           ", " + std::to_string(o.policy.keys.size()) + " trusted keys, " +
                           std::to_string(revocations.size()) + " revocations)");
    if (!state_changed) state.reset();
    return state;
}

}  // namespace

Result<std::unique_ptr<Snapshot>> build_snapshot(const Config& cfg, std::uint64_t generation, std::int64_t now_ns,
                                                 BuildReport& report, SerialRecording serials) {
    auto snap = std::make_unique<Snapshot>();
    Snapshot& s = *snap;
    s.generation = generation;
    for (const auto& cc : cfg.domestic) s.domestic.add(*parse_country_code(cc));

    // Country files, indicator sets and authorisations are independent: load them side by side.
    auto t0 = std::chrono::steady_clock::now();
    std::vector<CountryTableInfo> infos(cfg.country_files.size());
    std::optional<Result<std::vector<std::vector<CountryRange>>>> ranges;
    std::optional<Result<std::vector<IndicatorSetSource>>> sets;
    std::optional<Result<std::vector<SignedAuthorisation>>> auths;
    tbb::parallel_invoke(
        [&] {
            ranges.emplace(load_all<std::vector<CountryRange>>(
                cfg.country_files.size(), [&](std::size_t i) {
                    return named_in_config(load_country_file(cfg.country_files[i], &infos[i]), cfg.country_files[i],
                                           "countries.files", cfg.country_sources, i);
                }));
        },
        [&] {
            sets.emplace(load_all<IndicatorSetSource>(cfg.indicator_sets.size(), [&](std::size_t i) {
                const auto& c = cfg.indicator_sets[i];
                auto r = c.format == "csv"    ? load_indicator_csv(c.name, c.path, c.id_column, c.value_column)
                         : c.format == "stix" ? load_indicator_stix(c.name, c.path, now_ns)
                                              : load_indicator_list(c.name, c.path);
                if (r.ok()) return r;
                return Result<IndicatorSetSource>(
                    named_in_config(r.error(), c.path, "indicators[" + std::to_string(i) + "].file",
                                    c.file_source.empty() ? c.source : c.file_source));
            }));
        },
        [&] {
            auths.emplace(load_all<SignedAuthorisation>(cfg.authorisation_files.size(), [&](std::size_t i) {
                return named_in_config(load_signed_authorisation_file(cfg.authorisation_files[i]), cfg.authorisation_files[i],
                                       "authorisations", cfg.authorisation_sources, i);
            }));
        });
    if (!ranges->ok()) return ranges->error();
    if (!sets->ok()) return sets->error();
    if (!auths->ok()) return auths->error();

    std::vector<CountryRange> all;
    for (auto& r : ranges->value()) all.insert(all.end(), r.begin(), r.end());
    if (all.empty()) return error_at(cfg.path, 0, "countries.files: the country table is empty");
    // A domestic country the tables do not name has no address: said, as it may be a mistake (a
    // registry's file of another region alone), but a table without it is still a table.
    for (std::size_t i = 0; i < cfg.domestic.size(); ++i) {
        const CountryCode cc = *parse_country_code(cfg.domestic[i]);
        if (std::none_of(all.begin(), all.end(), [cc](const CountryRange& r) { return r.cc == cc; }))
            report.warnings.push_back((i < cfg.domestic_source.size() ? cfg.domestic_source[i] : cfg.path) + ": domestic: " +
                                      cfg.domestic[i] + " is named by no country table (countries.files): no address is domestic by it");
    }
    for (std::size_t i = 0; i < infos.size(); ++i) {
        bool stale = false;
        std::string age = days_old(infos[i].newest_date, now_ns, cfg.country_max_age_days, stale);
        if (stale)
            report.warnings.push_back(cfg.country_files[i] + ": country data is stale: newest record " +
                                      infos[i].newest_date + " is " + age + " days old (countries.max_age_days " +
                                      std::to_string(cfg.country_max_age_days) + ")");
    }
    s.countries = CountryTable::build(all);
    for (const auto& src : sets->value()) {
        const std::string set = "indicator set " + src.name + ": ";
        for (const auto& w : src.warnings) report.warnings.push_back(set + w);
        if (src.indicators.empty()) report.warnings.push_back(set + "no indicators: it matches nothing");
        if (src.normalised)
            report.warnings.push_back(set + std::to_string(src.normalised) +
                                      " CIDRs have host bits set and were taken as the networks they name "
                                      "(as 192.0.2.7/24 is taken as 192.0.2.0/24)");
        // A threat indicator names servers; one wider than a /8 (IPv4) or a /16 (IPv6), 0.0.0.0/0
        // at worst, lets a rule requiring the set select a large share of all traffic.
        std::size_t wide = 0;
        const Indicator* first_wide = nullptr;
        for (const auto& i : src.indicators)
            if (i.prefix.len < (i.prefix.addr.is_v4() ? 8 : 16) && wide++ == 0) first_wide = &i;
        if (wide)
            report.warnings.push_back(set + std::to_string(wide) + " indicators are wider than a /8 (IPv4) or a /16 (IPv6), " +
                                      first_wide->id + " the first: a rule requiring this set selects every flow they cover");
    }
    auto ind = IndicatorTable::build(std::move(sets->value()));
    if (!ind) return ind.error();
    s.indicators = std::move(ind.value());
    s.special = build_special_table();

    std::vector<PrefixTable::Entry> op_entries;
    for (std::size_t i = 0; i < cfg.operators.size(); ++i) {
        s.operator_info.push_back({cfg.operators[i].id, cfg.operators[i].name});
        for (const auto& p : cfg.operators[i].prefixes) op_entries.push_back({p, static_cast<std::uint32_t>(i + 1)});
    }
    s.operators = PrefixTable::build(std::move(op_entries));
    report.notes.push_back("tables built in " + std::to_string(seconds_since(t0)) + " s: " +
                           std::to_string(s.countries.lpm().prefix_count_v4()) + " IPv4 + " +
                           std::to_string(s.countries.lpm().prefix_count_v6()) + " IPv6 country prefixes, " +
                           std::to_string(s.indicators.indicator_count()) + " indicators in " +
                           std::to_string(s.indicators.set_count()) + " sets, " +
                           std::to_string(cfg.operators.size()) + " operators");

    // Authorisations: unique ids; each window starts usable and is refused by a failed scope check.
    std::map<std::string, std::uint32_t> by_id;
    std::vector<std::vector<SignatureEntry>> signatures;  // parallel to s.authorisations
    for (auto& signed_auth : auths->value()) {
        Authorisation& a = signed_auth.authorisation;
        if (!by_id.emplace(a.id, static_cast<std::uint32_t>(s.authorisations.size())).second)
            return Error{a.source + ": id: authorisation '" + a.id + "' is defined twice"};
        s.windows.push_back({a.valid_from_ns, a.valid_until_ns, true});
        signatures.push_back(std::move(signed_auth.signatures));
        // Without oversight, expiry is only reported; with it, judge_authorisation refuses it below.
        if (!cfg.oversight.enabled && now_ns >= a.valid_until_ns)
            report.warnings.push_back(a.source + ": authorisation " + a.id + " expired at " +
                                      format_time(a.valid_until_ns) + ": nothing live runs under it");
        else if (!cfg.oversight.enabled && now_ns < a.valid_from_ns)
            report.warnings.push_back(a.source + ": authorisation " + a.id + " is not valid before " +
                                      format_time(a.valid_from_ns));
        s.authorisations.push_back(std::move(a));
    }
    std::optional<SerialState> raised_serials;
    if (cfg.oversight.enabled) {
        auto st = apply_oversight(cfg, s, signatures, now_ns, report);
        if (!st) return st.error();
        raised_serials = std::move(st.value());
    } else {
        // A note, not a warning: unsigned remains the documented default (the warning list is for
        // problems with a given file or table).
        report.notes.push_back("warning: authorisations are unsigned (no oversight section in " + cfg.path +
                               "): anyone who can edit the authorisation files can authorise monitoring");
    }

    for (const auto& rc : cfg.rules) {
        Rule r;
        r.id = rc.id;
        r.category = rc.category;
        r.near = rc.near;
        r.source = rc.source;
        if (rc.near == EndpointKind::operator_) {
            auto it = std::find_if(cfg.operators.begin(), cfg.operators.end(),
                                   [&](const OperatorConfig& o) { return o.id == rc.operator_id; });
            r.operator_index = static_cast<std::uint16_t>(it - cfg.operators.begin());
        }
        for (const auto& name : rc.indicator_sets) r.required_sets |= 1u << s.indicators.set_index(name);
        for (auto p : rc.excluded_protocols) r.excluded_protocols.set(p);
        for (auto p : rc.excluded_ports) r.excluded_ports.set(p);
        r.excludes_ports = r.excluded_ports.any();
        auto it = by_id.find(rc.authorisation);
        if (it == by_id.end())
            return Error{(rc.authorisation_source.empty() ? rc.source + ": authorisation" : rc.authorisation_source) +
                         ": no authorisation with id '" + rc.authorisation +
                         "' among the authorisation files"};
        r.authorisation = it->second;
        std::string why = scope_problem(r, rc, s.authorisations[it->second]);
        if (!why.empty()) {
            // Refused: nothing runs under this authorisation (invariant 2), the rest of the config does.
            s.windows[it->second].usable = false;
            s.refusals.push_back(rc.source + ": rule " + r.id + " refused: " + why);
            report.warnings.push_back(s.refusals.back());
        }
        s.rules.push_back(std::move(r));
    }
    // Last: derived from the tables and rules above (one endpoint LPM, rule candidates per pair).
    for (const std::uint16_t op : prepare_classifier(s))
        report.warnings.push_back(cfg.operators[op].source + ": operator " + cfg.operators[op].id +
                                  ": some of its prefixes hold addresses the country tables give to a country "
                                  "not in `domestic`; they count as the operator (national), so traffic between "
                                  "them and foreign hosts runs under its consent: check the prefixes "
                                  "(`flowsieve lookup ADDRESS` shows an address's country and class)");
    report.notes.push_back("snapshot generation " + std::to_string(generation) + ": " +
                           std::to_string(s.rules.size()) + " rules, " + std::to_string(s.authorisations.size()) +
                           " authorisations, " + std::to_string(s.memory_bytes() >> 20) + " MiB");
    // Only a build that succeeded raises the recorded serials (a refused reload changes nothing).
    if (raised_serials && serials != SerialRecording::judge_only) {
        // What the snapshot runs under: the save is refused if the file has superseded one meanwhile.
        std::vector<Authorisation> in_use;
        for (std::size_t i = 0; i < s.authorisations.size(); ++i)
            if (s.windows[i].usable) in_use.push_back(s.authorisations[i]);
        if (serials == SerialRecording::record) {
            if (auto st = raised_serials->merge_into(cfg.oversight.state_file, in_use); !st)
                return Error{"oversight.state_file: " + st.error().message};
        } else {  // defer
            report.unrecorded_serials = std::move(raised_serials);
            report.unrecorded_in_use = std::move(in_use);
        }
    }
    return snap;
}

}  // namespace flowsieve
