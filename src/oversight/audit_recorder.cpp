// audit_recorder.cpp: the entries of the audit log and their payloads (main thread).
#include "oversight/audit_recorder.hpp"

#include <algorithm>
#include <cctype>

#include "oversight/content_hash.hpp"

namespace flowsieve {

namespace {

AuditFields per_category(const std::array<std::uint64_t, category_count>& v) {
    AuditFields f;
    for (std::size_t c = 0; c < category_count; ++c) f.add(category_names[c], v[c]);
    return f;
}

std::array<std::uint64_t, category_count> minus(const std::array<std::uint64_t, category_count>& a,
                                                const std::array<std::uint64_t, category_count>& b) {
    std::array<std::uint64_t, category_count> d{};
    for (std::size_t c = 0; c < category_count; ++c) d[c] = a[c] - b[c];
    return d;
}

// `authorisations` of a counters or stop entry: {id: {category: figures}}, ids in first-written order.
// With `last` (the previous entry's totals): the change since then, only where packets were written,
// with the interval's first/last packet time.
AuditFields per_authorisation(const std::vector<AuthorisationFigures>& now, const std::vector<AuthorisationFigures>* last) {
    std::vector<std::string> ids;
    for (const auto& f : now)
        if (std::find(ids.begin(), ids.end(), f.authorisation) == ids.end()) ids.push_back(f.authorisation);
    AuditFields out;
    for (const auto& id : ids) {
        AuditFields by_category;
        for (const auto& f : now) {
            if (f.authorisation != id) continue;
            AuthorisationFigures d = f;
            if (last) {
                for (const auto& l : *last)
                    if (l.authorisation == f.authorisation && l.category == f.category) {
                        d.packets -= l.packets;
                        d.header_bytes -= l.header_bytes;
                        d.flows -= l.flows;
                        d.flows_untracked -= l.flows_untracked;
                    }
                if (d.packets == 0) continue;
                d.first_ns = f.interval_first_ns;
                d.last_ns = f.interval_last_ns;
            }
            AuditFields fig;
            fig.add("packets", d.packets)
                .add("header_bytes", d.header_bytes)
                .add("flows", d.flows)
                .add("flows_untracked", d.flows_untracked);
            if (d.packets) fig.add("first", rfc3339_ns(d.first_ns)).add("last", rfc3339_ns(d.last_ns));
            by_category.add_object(name_of(f.category), fig);
        }
        if (!by_category.empty()) out.add_object(id, by_category);
    }
    return out;
}

// `id` as a whole word in `line` (ids such as A-1 and A-10 must not match each other).
bool mentions(const std::string& line, const std::string& id) {
    auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; };
    for (auto at = line.find(id); at != std::string::npos; at = line.find(id, at + 1)) {
        const std::size_t end = at + id.size();
        const bool before_ok = at == 0 || !word_char(line[at - 1]);
        // A trailing '.' ends a sentence rather than continuing the id.
        const bool after_ok = end == line.size() || !word_char(line[end]) ||
                              (line[end] == '.' && (end + 1 == line.size() || line[end + 1] == ' '));
        if (before_ok && after_ok) return true;
    }
    return false;
}

}  // namespace

Status AuditRecorder::start(const std::string& config_path, const std::string& version, std::int64_t now_ns) {
    last_counters_ns_ = now_ns;
    return log_->append("start", audit_start_fields(*log_, config_path, version), now_ns);
}

Status AuditRecorder::generation(const Snapshot& s, const std::vector<AuditedFile>& files, std::int64_t now_ns) {
    std::vector<AuditFields> hashed;
    for (const auto& [role, path] : files) {
        AuditFields h;
        h.add("role", role).add("path", path);
        auto hash = file_content_hash_hex(path);
        if (hash) h.add("blake2b", hash.value());
        else h.add("error", hash.error().message);  // recorded, not fatal: the build already read it
        hashed.push_back(std::move(h));
    }
    std::uint64_t usable = 0;
    for (const auto& w : s.windows) usable += w.usable ? 1 : 0;
    AuditFields g;
    g.add("generation", s.generation)
        .add_objects("files", hashed)
        .add("rules", std::uint64_t{s.rules.size()})
        .add("authorisations", std::uint64_t{s.authorisations.size()})
        .add("accepted", usable)
        .add("refused", std::uint64_t{s.authorisations.size()} - usable);
    if (auto st = log_->append("generation", g, now_ns); !st) return st;

    generation_ = s.generation;
    accepted_.clear();
    for (std::size_t i = 0; i < s.authorisations.size(); ++i) {
        const Authorisation& a = s.authorisations[i];
        const bool ok = i < s.windows.size() && s.windows[i].usable;
        AuditFields f;
        f.add("generation", s.generation)
            .add("id", a.id)
            .add("kind", name_of(a.kind))
            .add("category", name_of(a.category))
            .add("issuer", a.issuer);
        if (!a.operator_id.empty()) f.add("operator", a.operator_id);
        if (!a.indicator_sets.empty()) f.add("indicator_sets", a.indicator_sets);
        f.add("serial", a.serial)
            .add("valid_from", rfc3339_ns(a.valid_from_ns))
            .add("valid_until", rfc3339_ns(a.valid_until_ns))
            .add("source", a.source);
        if (!ok) {
            // The builder's refusal lines name the authorisation (or the rule refused under it).
            std::vector<std::string> why;
            for (const auto& r : s.refusals)
                if (mentions(r, a.id))
                    why.push_back(r);
            f.add("reasons", why);
        } else {
            accepted_.push_back({a.id, a.valid_until_ns});
        }
        if (auto st = log_->append(ok ? "authorisation_accepted" : "authorisation_refused", f, now_ns); !st) return st;
    }
    return expiries(now_ns);
}

Status AuditRecorder::generation_refused(std::uint64_t generation, const std::string& why, std::int64_t now_ns) {
    AuditFields f;
    f.add("generation", generation).add("kept", generation_).add("reason", why);
    return log_->append("generation_refused", f, now_ns);
}

Status AuditRecorder::expiries(std::int64_t now_ns) {
    for (const auto& a : accepted_) {
        if (a.until_ns > now_ns) continue;
        if (!expired_.insert(a.id + "@" + std::to_string(a.until_ns)).second) continue;
        AuditFields f;
        // Emission stops at valid_until in packet time (the data path judges every packet); this
        // entry records when the control plane's clock passed it.
        f.add("generation", generation_).add("id", a.id).add("valid_until", rfc3339_ns(a.until_ns));
        if (auto st = log_->append("authorisation_expired", f, now_ns); !st) return st;
    }
    return Ok{};
}

AuditFields AuditRecorder::counter_fields(const CounterTotals& p, const WrittenTotals& w) const {
    AuditFields f;
    f.add("received", p.received)
        .add_object("emitted", per_category(p.emitted))
        .add("dropped", p.dropped_total())
        .add_object("written", per_category(w.by_category))
        .add("write_errors", w.write_errors)
        .add_object("authorisations", per_authorisation(w.by_authorisation, nullptr));
    return f;
}

Status AuditRecorder::counters(const CounterTotals& p, const WrittenTotals& written, std::int64_t now_ns) {
    // An entry that could not be written (a full disk, say) leaves the previous one's totals and
    // time in place, so the next entry covers both intervals. The exporter has started a new
    // interval of packet times meanwhile: the unwritten interval's times are merged in here.
    WrittenTotals w = written;
    for (AuthorisationFigures& f : w.by_authorisation)
        for (const AuthorisationFigures& u : unwritten_times_) {
            if (u.authorisation != f.authorisation || u.category != f.category || u.interval_first_ns == 0) continue;
            const bool seen = f.interval_first_ns != 0;
            f.interval_first_ns = seen ? std::min(f.interval_first_ns, u.interval_first_ns) : u.interval_first_ns;
            f.interval_last_ns = seen ? std::max(f.interval_last_ns, u.interval_last_ns) : u.interval_last_ns;
        }
    AuditFields delta;
    delta.add("received", p.received - last_packets_.received)
        .add_object("emitted", per_category(minus(p.emitted, last_packets_.emitted)))
        .add("dropped", p.dropped_total() - last_packets_.dropped_total())
        .add_object("written", per_category(minus(w.by_category, last_written_.by_category)))
        .add_object("authorisations", per_authorisation(w.by_authorisation, &last_written_.by_authorisation));
    AuditFields f;
    f.add("generation", generation_)
        .add("from", rfc3339_ns(last_counters_ns_))
        .add_object("interval", delta)
        .add_object("total", counter_fields(p, w));
    // Written or not is told by the log's sequence number, not by the status: the entry may be
    // written and the checkpoint after it fail (a full disk has room for a short line), and an
    // entry written twice would count its interval twice.
    const std::uint64_t seq = log_->next_seq();
    const Status st = log_->append("counters", f, now_ns);
    if (log_->next_seq() == seq) {
        unwritten_times_ = std::move(w.by_authorisation);
        return st;
    }
    last_packets_ = p;
    last_written_ = std::move(w);
    last_counters_ns_ = now_ns;
    unwritten_times_.clear();
    if (!st) return st;
    // Sealed at once: `flowsieve report` on a running filter's log reports up to the last checkpoint.
    return log_->seal(now_ns);
}

Status AuditRecorder::output_written(const std::string& path, const OutputManifest& m, std::int64_t now_ns) {
    AuditFields f = manifest_fields(m);
    f.add("path", path).add("manifest", manifest_path_of(path));
    return log_->append("output_written", f, now_ns);
}

Status AuditRecorder::output_kept(const std::string& path, const std::string& kept_as, const std::string& blake2b,
                                  std::int64_t now_ns) {
    AuditFields f;
    f.add("path", path).add("kept_as", kept_as);
    if (!blake2b.empty()) f.add("blake2b", blake2b);
    return log_->append("output_kept", f, now_ns);
}

Result<SweepReport> AuditRecorder::retention_sweep(SweepOptions opts) {
    opts.own_run = false;
    opts.dry_run = false;
    return flowsieve::retention_sweep(opts, log_.get());
}

Status AuditRecorder::stop(const std::string& reason, const CounterTotals& p, const WrittenTotals& w, bool balanced,
                           std::int64_t now_ns) {
    AuditFields f;
    f.add("reason", reason).add("generation", generation_).add_object("total", counter_fields(p, w)).add("balanced", balanced);
    return log_->stop(f, now_ns);
}

}  // namespace flowsieve
