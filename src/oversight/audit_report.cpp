// audit_report.cpp: sums the counters entries of an audit log over a period and formats the report
// (`flowsieve report`, main thread).
#include "oversight/audit_report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "core/category.hpp"
#include "core/ip_address.hpp"
#include "core/time_text.hpp"
#include "oversight/audit_entry.hpp"
#include "oversight/audit_verifier.hpp"

namespace flowsieve {

namespace {

using Fields = std::map<std::string, std::string>;

const std::string* field(const Fields& f, const char* key) {
    auto it = f.find(key);
    return it == f.end() ? nullptr : &it->second;
}

std::optional<std::string> text_field(const Fields& f, const char* key) {
    const std::string* raw = field(f, key);
    return raw ? json_string_value(*raw) : std::nullopt;
}

std::optional<std::int64_t> time_field(const Fields& f, const char* key) {
    auto t = text_field(f, key);
    return t ? parse_time(*t) : std::nullopt;
}

// The strings of a JSON array of strings; an item that does not read ends the list.
std::vector<std::string> string_array(std::string_view raw) {
    std::vector<std::string> out;
    for (auto item : json_array_items(raw).value_or(std::vector<std::string_view>{})) {
        auto s = json_string_value(item);
        if (!s) break;
        out.push_back(*s);
    }
    return out;
}

struct Figures {
    std::uint64_t packets = 0, header_bytes = 0, flows = 0, flows_untracked = 0;
    std::int64_t first_ns = 0, last_ns = 0;
};
using StreamKey = std::pair<std::string, std::string>;  // (authorisation id, category name)
using StreamFigures = std::map<StreamKey, Figures>;

// `authorisations` of a counters/stop entry: {id: {category: {packets, header_bytes, flows, ...}}}.
Result<StreamFigures> read_authorisations(std::string_view raw, std::uint64_t seq) {
    auto where = [&] { return "seq " + std::to_string(seq) + ": authorisations: "; };
    auto ids = scan_audit_line(raw);
    if (!ids) return Error{where() + "not a JSON object"};
    StreamFigures out;
    for (const auto& [id, by_category_raw] : *ids) {
        auto cats = scan_audit_line(by_category_raw);
        if (!cats) return Error{where() + id + ": not a JSON object"};
        for (const auto& [cat, fig_raw] : *cats) {
            auto fig = scan_audit_line(fig_raw);
            if (!fig || !parse_category(cat)) return Error{where() + id + ": " + cat + ": not a category's figures"};
            Figures f;
            auto num = [&](const char* k, std::uint64_t& v) {
                const std::string* r = field(*fig, k);
                auto n = r ? json_uint_value(*r) : std::nullopt;
                if (n) v = *n;
                return n.has_value();
            };
            if (!num("packets", f.packets) || !num("header_bytes", f.header_bytes) || !num("flows", f.flows) ||
                !num("flows_untracked", f.flows_untracked))
                return Error{where() + id + ": " + cat + ": packets, header_bytes, flows or flows_untracked missing"};
            if (f.packets) {
                auto first = time_field(*fig, "first"), last = time_field(*fig, "last");
                if (!first || !last) return Error{where() + id + ": " + cat + ": first or last missing"};
                f.first_ns = *first;
                f.last_ns = *last;
            }
            out[{id, cat}] = f;
        }
    }
    return out;
}

void add_into(Figures& into, const Figures& f) {
    if (f.packets == 0) return;
    if (into.packets == 0 || f.first_ns < into.first_ns) into.first_ns = f.first_ns;
    if (into.packets == 0 || f.last_ns > into.last_ns) into.last_ns = f.last_ns;
    into.packets += f.packets;
    into.header_bytes += f.header_bytes;
    into.flows += f.flows;
    into.flows_untracked += f.flows_untracked;
}

bool in_period(std::int64_t t, const ReportPeriod& p) {
    return (!p.from_ns || t >= *p.from_ns) && (!p.to_ns || t < *p.to_ns);
}

void record_event(std::map<std::string, ReportEvent>& events, const std::string& id, const std::string& category,
                  std::int64_t t, const std::vector<std::string>& details) {
    ReportEvent& e = events[id];
    e.authorisation = id;
    if (e.category.empty()) e.category = category;
    if (e.count == 0 || t < e.first_ns) e.first_ns = t;
    if (e.count == 0 || t > e.last_ns) e.last_ns = t;
    ++e.count;
    for (const auto& d : details) {
        std::string clean = scrub_addresses(d);
        if (std::find(e.details.begin(), e.details.end(), clean) == e.details.end()) e.details.push_back(clean);
    }
}

// One run's intervals summed in full, checked against its stop entry's totals.
struct RunCheck {
    std::uint64_t index = 0;  // 1-based run number in the log
    std::uint64_t start_seq = 0;
    StreamFigures summed;
    bool has_figures = true;  // every counters entry carried `authorisations`
    std::uint64_t outputs = 0, output_records = 0;
};

// Whether the run's counted packets all reached an output; a flag and a note when not. Runs
// without per-authorisation figures (an older flowsieve) cannot be checked.
void check_output(const RunCheck& run, const std::string& state, const std::string& reason, AuditReport& rep) {
    if (!run.has_figures) return;
    ReportRunOutput o;
    o.start_seq = run.start_seq;
    o.state = state;
    o.stop_reason = reason;
    for (const auto& [k, f] : run.summed) o.packets += f.packets;
    o.outputs = run.outputs;
    o.output_records = run.output_records;
    o.output_matches = state == "open" || o.packets == o.output_records;
    if (!o.output_matches) {
        const std::string how = state == "crashed" ? "it did not stop (crashed)" : "it stopped with '" + reason + "'";
        if (o.outputs == 0)
            rep.notes.push_back("the run started at seq " + std::to_string(o.start_seq) + " counted " +
                                std::to_string(o.packets) + " packets, but no output_written entry records its output (" +
                                how + "): its packets are in this report but in no complete output");
        else
            rep.notes.push_back("the run started at seq " + std::to_string(o.start_seq) + " counted " +
                                std::to_string(o.packets) + " packets, but its output_written entries record " +
                                std::to_string(o.output_records) + " records: this report and its output differ");
    }
    rep.run_outputs.push_back(std::move(o));
}

void check_run(const RunCheck& run, const StreamFigures& stop_total, std::vector<std::string>& notes) {
    if (!run.has_figures) return;
    std::set<StreamKey> keys;
    for (const auto& [k, f] : run.summed) keys.insert(k);
    for (const auto& [k, f] : stop_total)
        if (f.packets) keys.insert(k);
    for (const auto& k : keys) {
        Figures a, b;
        if (auto it = run.summed.find(k); it != run.summed.end()) a = it->second;
        if (auto it = stop_total.find(k); it != stop_total.end()) b = it->second;
        if (a.packets != b.packets || a.header_bytes != b.header_bytes || a.flows != b.flows ||
            a.flows_untracked != b.flows_untracked || (a.packets && (a.first_ns != b.first_ns || a.last_ns != b.last_ns)))
            notes.push_back("the run started at seq " + std::to_string(run.start_seq) + ": its counters entries for " +
                            k.first + "/" + k.second + " sum to " + std::to_string(a.packets) +
                            " packets, but its stop entry records " + std::to_string(b.packets) +
                            " (or bytes, flows or times differ)");
    }
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
    return out;
}

std::string json_strings(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out.append(i ? "," : "").append(json_string(v[i]));
    return out + "]";
}

std::string period_text(const std::optional<std::int64_t>& t, const char* open) {
    return t ? rfc3339_ns(*t) : open;
}

}  // namespace

std::string scrub_addresses(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    auto is_sep = [](char c) { return c == ' ' || c == '\t' || c == ',' || c == ';' || c == '(' || c == ')' || c == '[' ||
                                      c == ']' || c == '\'' || c == '"' || c == '=' || c == '<' || c == '>'; };
    while (i < text.size()) {
        if (is_sep(text[i])) {
            out += text[i++];
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && !is_sep(text[j])) ++j;
        std::string_view tok = text.substr(i, j - i);
        // A token may end in sentence punctuation ("at 192.0.2.1." or "192.0.2.0/24:"), and an IPv6
        // address may itself end in ':' ("2001:db8::"): try the whole token, then shorter.
        bool scrubbed = false;
        for (std::string_view core = tok; !core.empty();) {
            const std::size_t slash = core.find('/');
            std::string_view addr = core.substr(0, slash);
            const bool prefix_ok = slash == std::string_view::npos ||
                                   (slash + 1 < core.size() && core.find_first_not_of("0123456789", slash + 1) == std::string_view::npos);
            if (!addr.empty() && prefix_ok && parse_ip(addr)) {
                out += "[address]" + std::string(tok.substr(core.size()));
                scrubbed = true;
                break;
            }
            if (core.back() != '.' && core.back() != ':') break;
            core.remove_suffix(1);
        }
        if (!scrubbed) out += tok;
        i = j;
    }
    return out;
}

namespace {

// The seq ranges [first, last] that checkpoints adopted (audit_log.hpp): a crashed run's tail,
// sealed as the next run found it, which nothing vouches the filter wrote.
std::vector<std::pair<std::uint64_t, std::uint64_t>> adopted_ranges(std::string_view text, std::vector<std::string>& notes) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        const std::string_view line = text.substr(start, nl - start);
        start = nl + 1;
        auto f = scan_audit_line(line);
        if (!f || text_field(*f, "type") != "checkpoint" || !field(*f, "adopted")) continue;
        const std::string* seq_raw = field(*f, "seq");
        const std::uint64_t seq = seq_raw ? json_uint_value(*seq_raw).value_or(0) : 0;
        const std::uint64_t adopted = json_uint_value(*field(*f, "adopted")).value_or(0);
        if (adopted == 0 || adopted > seq) continue;  // the verifier refuses these
        out.emplace_back(seq - adopted, seq - 1);
        notes.push_back(adopted_range(seq, adopted) +
                        " were left unsealed by a run that did not stop cleanly and sealed as found by the next: no "
                        "signature vouches that the filter wrote them, so they are not in this report");
    }
    return out;
}

}  // namespace

Result<AuditReport> build_audit_report(std::string_view text, const ReportPeriod& period) {
    AuditReport rep;
    rep.period = period;
    const auto adopted = adopted_ranges(text, rep.notes);
    StreamFigures selected;
    std::map<std::string, ReportEvent> refusals, expiries;
    std::map<std::string, std::string> category_of;  // authorisation id -> category (accepted/refused entries)
    std::set<std::uint64_t> runs_selected;
    std::uint64_t run = 0, without_figures = 0;
    RunCheck current;
    bool in_run = false;

    std::size_t start = 0, line_no = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        const std::string_view line = text.substr(start, nl - start);
        start = nl + 1;
        ++line_no;
        if (line.empty()) continue;
        auto f = scan_audit_line(line);
        auto type = f ? text_field(*f, "type") : std::nullopt;
        auto time = f ? time_field(*f, "time") : std::nullopt;
        const std::string* seq_raw = f ? field(*f, "seq") : nullptr;
        auto seq = seq_raw ? json_uint_value(*seq_raw) : std::nullopt;
        if (!type || !time || !seq) return Error{"line " + std::to_string(line_no) + ": not an audit entry"};
        const std::int64_t at = time.value_or(0);
        const std::uint64_t seq_no = seq.value_or(0);
        if (std::any_of(adopted.begin(), adopted.end(), [&](const auto& r) { return seq_no >= r.first && seq_no <= r.second; }))
            continue;

        if (*type == "start") {
            if (in_run && runs_selected.count(current.index)) check_output(current, "crashed", "", rep);
            ++run;
            current = RunCheck{};
            current.index = run;
            current.start_seq = seq_no;
            in_run = true;
        } else if (*type == "output_written") {
            const std::string* records_raw = field(*f, "records");
            auto records = records_raw ? json_uint_value(*records_raw) : std::nullopt;
            if (!records) return Error{"seq " + std::to_string(seq_no) + ": output_written entry without records"};
            ++current.outputs;
            current.output_records += *records;
        } else if (*type == "counters") {
            const std::string* interval_raw = field(*f, "interval");
            auto interval = interval_raw ? scan_audit_line(*interval_raw) : std::nullopt;
            auto from = time_field(*f, "from");
            if (!interval || !from) return Error{"seq " + std::to_string(seq_no) + ": counters entry without interval or from"};
            const std::string* auth_raw = field(*interval, "authorisations");
            StreamFigures figs;
            if (auth_raw) {
                auto r = read_authorisations(*auth_raw, seq_no);
                if (!r) return r.error();
                figs = std::move(r.value());
                for (const auto& [k, fig] : figs) add_into(current.summed[k], fig);
            } else {
                current.has_figures = false;
            }
            if (in_period(at, period)) {
                if (!auth_raw) ++without_figures;
                if (rep.intervals == 0 || *from < rep.covered_from_ns) rep.covered_from_ns = *from;
                if (rep.intervals == 0 || at > rep.covered_to_ns) rep.covered_to_ns = at;
                ++rep.intervals;
                runs_selected.insert(run);
                for (const auto& [k, fig] : figs) add_into(selected[k], fig);
            }
        } else if (*type == "stop") {
            const std::string* total_raw = field(*f, "total");
            auto total = total_raw ? scan_audit_line(*total_raw) : std::nullopt;
            const std::string* auth_raw = total ? field(*total, "authorisations") : nullptr;
            // A run that ended in an error may stop before its final totals were taken: no check.
            const std::string reason = text_field(*f, "reason").value_or("");
            const bool failed = reason.rfind("error", 0) == 0;
            if (in_run && auth_raw && !failed) {
                auto r = read_authorisations(*auth_raw, seq_no);
                if (!r) return r.error();
                check_run(current, r.value(), rep.notes);
            }
            if (in_run && runs_selected.count(current.index)) check_output(current, "stopped", reason, rep);
            in_run = false;
        } else if (*type == "authorisation_accepted" || *type == "authorisation_refused") {
            auto id = text_field(*f, "id");
            auto cat = text_field(*f, "category");
            if (id && cat) category_of[*id] = *cat;
            if (*type == "authorisation_refused" && id && in_period(at, period)) {
                const std::string* reasons = field(*f, "reasons");
                record_event(refusals, *id, cat.value_or(""), at, reasons ? string_array(*reasons) : std::vector<std::string>{});
            }
        } else if (*type == "authorisation_expired") {
            auto id = text_field(*f, "id");
            if (id && in_period(at, period)) {
                auto until = text_field(*f, "valid_until");
                auto cat = category_of.find(*id);
                record_event(expiries, *id, cat == category_of.end() ? "" : cat->second, at,
                             until ? std::vector<std::string>{"valid_until " + *until} : std::vector<std::string>{});
            }
        }
    }

    if (in_run && runs_selected.count(current.index)) check_output(current, "open", "", rep);
    rep.runs = runs_selected.size();
    for (const auto& [k, f] : selected) {
        if (f.packets == 0) continue;
        rep.rows.push_back({k.first, k.second, f.packets, f.flows, f.flows_untracked, f.header_bytes, f.first_ns, f.last_ns});
    }
    // By id, then in the categories' own order.
    std::sort(rep.rows.begin(), rep.rows.end(), [](const ReportRow& a, const ReportRow& b) {
        if (a.authorisation != b.authorisation) return a.authorisation < b.authorisation;
        return parse_category(a.category).value_or(Category::transit) < parse_category(b.category).value_or(Category::transit);
    });
    for (auto& [id, e] : refusals) rep.refusals.push_back(std::move(e));
    for (auto& [id, e] : expiries) rep.expiries.push_back(std::move(e));
    if (without_figures)
        rep.notes.push_back(std::to_string(without_figures) +
                            " selected counters entries carry no per-authorisation figures (written by an older "
                            "flowsieve): their packets are not in this report");
    if (rep.intervals == 0) rep.notes.push_back("no counters entry lies in the period");
    for (const auto& r : rep.rows)
        if (r.flows_untracked)
            rep.notes.push_back(r.authorisation + "/" + r.category + ": " + std::to_string(r.flows_untracked) +
                                " packets' flows could not be tracked (flow table full, or headers cut short): flows "
                                "is a lower bound");
    return rep;
}

Result<SealedPart> reportable_part(std::string_view text, const AuditVerdict& v) {
    if (v.intact()) return SealedPart{text, false, 0, 0};
    if (v.finding != AuditFinding::truncated || v.sealed_lines == 0)
        return Error{std::string(name_of(v.finding)) + ": " + v.message};
    SealedPart out;
    out.open_tail = true;
    out.sealed_seq = v.sealed_seq;
    std::size_t start = 0, lines = 0;
    while (lines < v.sealed_lines && start < text.size()) {
        std::size_t nl = text.find('\n', start);
        start = nl == std::string_view::npos ? text.size() : nl + 1;
        ++lines;
    }
    out.text = text.substr(0, start);
    for (std::size_t i = start; i < text.size();) {
        std::size_t nl = text.find('\n', i);
        ++out.left_out;
        i = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    return out;
}

void mark_open_tail(AuditReport& r, std::uint64_t sealed_seq, std::uint64_t left_out) {
    r.open_tail = true;
    r.sealed_seq = sealed_seq;
    r.unsealed_entries = left_out;
    r.notes.insert(r.notes.begin(), "open log (a running filter, or a run that crashed): " + std::to_string(left_out) +
                                        " entries after seq " + std::to_string(sealed_seq) +
                                        " are not yet sealed by a checkpoint and were left out; the report covers the "
                                        "log up to that checkpoint");
}

std::string format_report_table(const AuditReport& r, const ReportSource& src) {
    std::string out;
    char buf[512];
    out += "flowsieve report: " + src.log + " (" + src.verification + ")\n";
    if (r.open_tail)
        out += "NOTE: open log: " + std::to_string(r.unsealed_entries) + " entries after seq " + std::to_string(r.sealed_seq) +
               " are not yet sealed by a checkpoint and are left out of this report\n";
    out += "period: " + period_text(r.period.from_ns, "start of log") + " .. " + period_text(r.period.to_ns, "end of log") +
           " (audit log time)\n";
    if (r.intervals)
        out += "covered: " + std::to_string(r.intervals) + " counters intervals in " + std::to_string(r.runs) +
               " run(s), " + rfc3339_ns(r.covered_from_ns) + " .. " + rfc3339_ns(r.covered_to_ns) + "\n";
    out += "\nemitted (first/last: packet time)\n";
    std::snprintf(buf, sizeof buf, "  %-26s %-14s %12s %10s %14s  %-30s  %-30s\n", "authorisation", "category", "packets",
                  "flows", "header bytes", "first", "last");
    out += buf;
    std::uint64_t packets = 0, flows = 0, bytes = 0;
    for (const auto& row : r.rows) {
        std::snprintf(buf, sizeof buf, "  %-26s %-14s %12llu %10llu %14llu  %-30s  %-30s\n", row.authorisation.c_str(),
                      row.category.c_str(), static_cast<unsigned long long>(row.packets),
                      static_cast<unsigned long long>(row.flows), static_cast<unsigned long long>(row.header_bytes),
                      rfc3339_ns(row.first_ns).c_str(), rfc3339_ns(row.last_ns).c_str());
        out += buf;
        packets += row.packets;
        flows += row.flows;
        bytes += row.header_bytes;
    }
    if (r.rows.empty()) out += "  (nothing emitted)\n";
    std::snprintf(buf, sizeof buf, "  %-26s %-14s %12llu %10llu %14llu\n", "total", "", static_cast<unsigned long long>(packets),
                  static_cast<unsigned long long>(flows), static_cast<unsigned long long>(bytes));
    out += buf;
    auto events = [&](const char* title, const std::vector<ReportEvent>& list) {
        out += std::string("\n") + title + " (first/last: audit log time)\n";
        if (list.empty()) {
            out += "  (none)\n";
            return;
        }
        for (const auto& e : list) {
            std::snprintf(buf, sizeof buf, "  %-26s %-14s %6llu x  %s .. %s\n", e.authorisation.c_str(), e.category.c_str(),
                          static_cast<unsigned long long>(e.count), rfc3339_ns(e.first_ns).c_str(),
                          rfc3339_ns(e.last_ns).c_str());
            out += buf;
            for (const auto& d : e.details) out += "      " + d + "\n";
        }
    };
    events("refused", r.refusals);
    events("expired", r.expiries);
    if (!r.notes.empty()) {
        out += "\nnotes\n";
        for (const auto& n : r.notes) out += "  " + n + "\n";
    }
    return out;
}

std::string format_report_json(const AuditReport& r, const ReportSource& src) {
    auto opt_time = [](const std::optional<std::int64_t>& t) { return t ? json_string(rfc3339_ns(*t)) : std::string("null"); };
    std::string out = "{";
    out += "\"log\":" + json_string(src.log) + ",\"verification\":" + json_string(src.verification);
    out += ",\"from\":" + opt_time(r.period.from_ns) + ",\"to\":" + opt_time(r.period.to_ns);
    out += ",\"runs\":" + std::to_string(r.runs) + ",\"intervals\":" + std::to_string(r.intervals);
    out += ",\"covered_from\":" + (r.intervals ? json_string(rfc3339_ns(r.covered_from_ns)) : std::string("null"));
    out += ",\"covered_to\":" + (r.intervals ? json_string(rfc3339_ns(r.covered_to_ns)) : std::string("null"));
    out += ",\"emitted\":[";
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
        const ReportRow& row = r.rows[i];
        out += (i ? ",{" : "{");
        out += "\"authorisation\":" + json_string(row.authorisation) + ",\"category\":" + json_string(row.category) +
               ",\"packets\":" + std::to_string(row.packets) + ",\"flows\":" + std::to_string(row.flows) +
               ",\"flows_untracked\":" + std::to_string(row.flows_untracked) +
               ",\"header_bytes\":" + std::to_string(row.header_bytes) + ",\"first\":" + json_string(rfc3339_ns(row.first_ns)) +
               ",\"last\":" + json_string(rfc3339_ns(row.last_ns)) + ",\"first_ns\":" + std::to_string(row.first_ns) +
               ",\"last_ns\":" + std::to_string(row.last_ns) + "}";
    }
    out += "]";
    auto events = [&](const char* name, const char* details, const std::vector<ReportEvent>& list) {
        out += std::string(",\"") + name + "\":[";
        for (std::size_t i = 0; i < list.size(); ++i) {
            const ReportEvent& e = list[i];
            out += (i ? ",{" : "{");
            out += "\"authorisation\":" + json_string(e.authorisation) + ",\"category\":" + json_string(e.category) +
                   ",\"count\":" + std::to_string(e.count) + ",\"first_recorded\":" + json_string(rfc3339_ns(e.first_ns)) +
                   ",\"last_recorded\":" + json_string(rfc3339_ns(e.last_ns)) + ",\"" + details +
                   "\":" + json_strings(e.details) + "}";
        }
        out += "]";
    };
    events("refused", "reasons", r.refusals);
    events("expired", "details", r.expiries);
    out += ",\"run_outputs\":[";
    for (std::size_t i = 0; i < r.run_outputs.size(); ++i) {
        const ReportRunOutput& o = r.run_outputs[i];
        out += (i ? ",{" : "{");
        out += "\"start_seq\":" + std::to_string(o.start_seq) + ",\"state\":" + json_string(o.state) +
               ",\"stop_reason\":" + json_string(o.stop_reason) + ",\"packets\":" + std::to_string(o.packets) +
               ",\"output_records\":" + std::to_string(o.output_records) + ",\"outputs\":" + std::to_string(o.outputs) +
               ",\"output_matches\":" + (o.output_matches ? "true" : "false") + "}";
    }
    out += "]";
    out += ",\"unsealed\":";
    out += r.open_tail ? "{\"after_seq\":" + std::to_string(r.sealed_seq) +
                             ",\"entries\":" + std::to_string(r.unsealed_entries) + "}"
                       : std::string("null");
    out += ",\"notes\":" + json_strings(r.notes) + "}\n";
    return out;
}

std::string format_report_csv(const AuditReport& r, const ReportSource& src) {
    (void)src;
    std::string out =
        "section,authorisation,category,packets,flows,flows_untracked,header_bytes,first,last,count,details\n";
    for (const auto& row : r.rows)
        out += "emitted," + csv_field(row.authorisation) + "," + csv_field(row.category) + "," + std::to_string(row.packets) +
               "," + std::to_string(row.flows) + "," + std::to_string(row.flows_untracked) + "," +
               std::to_string(row.header_bytes) + "," + rfc3339_ns(row.first_ns) + "," + rfc3339_ns(row.last_ns) + ",,\n";
    auto events = [&](const char* section, const std::vector<ReportEvent>& list) {
        for (const auto& e : list)
            out += std::string(section) + "," + csv_field(e.authorisation) + "," + csv_field(e.category) + ",,,,," +
                   rfc3339_ns(e.first_ns) + "," + rfc3339_ns(e.last_ns) + "," + std::to_string(e.count) + "," +
                   csv_field(join(e.details, " | ")) + "\n";
    };
    events("refused", r.refusals);
    events("expired", r.expiries);
    // An open log: one row, count = the entries left out, details = the last sealed seq.
    if (r.open_tail)
        out += "unsealed,,,,,,,,," + std::to_string(r.unsealed_entries) + ",after seq " + std::to_string(r.sealed_seq) + "\n";
    return out;
}

}  // namespace flowsieve
