// exporter.cpp: the exporter thread: dequeue bursts, name them, write them; never touches an mbuf.
#include "dataplane/exporter.hpp"

#include <algorithm>
#include <chrono>

#include "core/country_code.hpp"
#include "dpdk/record_ring.hpp"
#include "export/record_comment.hpp"

namespace flowsieve {

namespace {
constexpr unsigned exporter_burst = 64;
}

Exporter::Exporter(std::vector<rte_ring*> rings, std::unique_ptr<RecordSink> sink)
    : rings_(std::move(rings)), sink_(std::move(sink)) {}

Exporter::~Exporter() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
}

void Exporter::adopt(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lock(mu_);
    live_.push_back(std::move(s));
}

void Exporter::retire(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lock(mu_);
    retired_.push_back(std::move(s));
}

Status Exporter::start() {
    if (auto st = sink_->open(); !st) return st;
    thread_ = std::thread([this] { loop(); });
    return Ok{};
}

const Snapshot* Exporter::find(std::uint64_t generation) {
    std::lock_guard lock(mu_);
    for (const auto& s : live_)
        if (s->generation == generation) return s.get();
    return nullptr;
}

bool Exporter::drain_once() {
    static thread_local HeaderRecord batch[exporter_burst];
    bool all_empty = true;
    const Snapshot* cached = nullptr;  // valid for this pass: snapshots leave live_ only between passes
    for (rte_ring* ring : rings_) {
        unsigned n = dequeue_records(ring, batch, exporter_burst);
        if (n == exporter_burst) all_empty = false;
        for (unsigned i = 0; i < n; ++i) {
            const HeaderRecord& r = batch[i];
            // Generations change rarely: look up (under the lock) only when the record's differs.
            if (!cached || cached->generation != r.generation) cached = find(r.generation);
            const Snapshot* s = cached;
            std::string indicator, rule = "?", auth = "?";
            if (s) {
                if (r.rule < s->rules.size()) rule = s->rules[r.rule].id;
                if (r.authorisation < s->authorisations.size()) auth = s->authorisations[r.authorisation].id;
                if (r.indicator != no_index && r.indicator < s->indicators.indicator_count())
                    indicator = s->indicators.indicator_id(r.indicator);
            }
            std::string src = country_code_text(r.src_cc), dst = country_code_text(r.dst_cc);
            std::string comment = format_record_comment({name_of(r.category), auth, rule, indicator, src, dst});
            if (auto st = sink_->write(r, comment); !st) {
                counters_.write_errors.fetch_add(1, std::memory_order_relaxed);
                last_error_ = st.error().message;
                continue;
            }
            counters_.written.fetch_add(1, std::memory_order_relaxed);
            counters_.written_by_category[static_cast<std::size_t>(r.category)].fetch_add(1, std::memory_order_relaxed);
        }
    }
    return all_empty;
}

void Exporter::loop() {
    while (!stop_.load(std::memory_order_acquire)) {
        // Snapshots retired before this pass can have records only in the rings, which this pass empties.
        std::vector<std::shared_ptr<const Snapshot>> dropping;
        {
            std::lock_guard lock(mu_);
            dropping.swap(retired_);
        }
        bool empty = drain_once();
        if (empty && !dropping.empty()) {
            std::lock_guard lock(mu_);
            for (auto& d : dropping) live_.erase(std::remove(live_.begin(), live_.end(), d), live_.end());
        } else if (!dropping.empty()) {
            std::lock_guard lock(mu_);
            retired_.insert(retired_.end(), dropping.begin(), dropping.end());
        }
        if (empty) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

Status Exporter::finish() {
    stop_.store(true, std::memory_order_release);
    if (thread_.joinable()) thread_.join();
    while (!drain_once()) {
    }
    drain_once();
    return sink_->close();
}

}  // namespace flowsieve
