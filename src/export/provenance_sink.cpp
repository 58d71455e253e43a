// provenance_sink.cpp: forwarding sink that records the provenance of the output. Exporter thread.
#include "export/provenance_sink.hpp"

#include <algorithm>
#include <new>

#include "export/record_comment.hpp"

namespace flowsieve {

std::vector<std::uint64_t> OutputProvenance::generations() const {
    std::vector<std::uint64_t> out;
    for (const auto& p : pairs) out.push_back(p.generation);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<std::string> OutputProvenance::authorisations() const {
    std::vector<std::string> out;
    for (const auto& p : pairs) out.push_back(p.authorisation_id);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Status ProvenanceSink::open() {
    seen_ = {};
    try {
        seen_.pairs.reserve(64);  // generations x authorisations of a run: a new pair almost never allocates
    } catch (const std::bad_alloc&) {
        return Error{"provenance: cannot allocate"};
    }
    if (digest_) digest_->reset();
    return inner_->open();
}

Status ProvenanceSink::close() {
    Status closed = inner_->close();
    try {
        // Even a failed commit may have moved an earlier output aside first: the run records that.
        if (const CommitReport* c = inner_->commit_report()) seen_.commit = *c;
        if (closed && digest_) seen_.content_hash = digest_->hex();
    } catch (const std::bad_alloc&) {
        if (closed) return Error{"provenance: cannot allocate"};
    }
    return closed;
}

// Newest first: records come from the current generation's few authorisations, so the search ends
// within them however many reloads (each adding its pairs) the run has seen.
bool ProvenanceSink::seen(const HeaderRecord& r) const {
    return std::any_of(seen_.pairs.rbegin(), seen_.pairs.rend(), [&](const ProvenancePair& p) {
        return p.generation == r.generation && p.authorisation == r.authorisation;
    });
}

Status ProvenanceSink::write(const HeaderRecord& r, std::string_view comment) {
    if (auto s = inner_->write(r, comment); !s) return s;
    if (seen_.records == 0 || r.time_ns < seen_.first_ns) seen_.first_ns = r.time_ns;
    if (seen_.records == 0 || r.time_ns > seen_.last_ns) seen_.last_ns = r.time_ns;
    ++seen_.records;
    if (seen(r)) return Ok{};
    try {
        const std::string id = record_comment_text(record_comment_value(comment, "auth"));
        seen_.pairs.push_back({r.generation, r.authorisation, id.empty() ? std::string("?") : id});
    } catch (const std::bad_alloc&) {
        // The record is written (an error now would miscount it): the manifest says what is missing.
        seen_.complete = false;
    }
    return Ok{};
}

}  // namespace flowsieve
