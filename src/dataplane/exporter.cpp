// exporter.cpp: the exporter thread: dequeue bursts, name them, write them; never touches an mbuf.
#include "dataplane/exporter.hpp"

#include <algorithm>
#include <chrono>
#include <new>
#include <random>
#include <tuple>

#include <spdlog/spdlog.h>

#include "core/country_code.hpp"
#include "dpdk/record_ring.hpp"
#include "export/record_comment.hpp"
#include "parse/packet_parser.hpp"

namespace flowsieve {

namespace {
constexpr unsigned exporter_burst = 64;

// The two halves of a 64x64-bit product folded together: one multiplication mixes two words.
std::uint64_t fold(std::uint64_t a, std::uint64_t b) {
    __extension__ using u128 = unsigned __int128;
    const u128 p = static_cast<u128>(a) * b;
    return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

U128 as_u128(const IpAddress& a) { return a.is_v4() ? U128{0, a.v4} : a.v6; }

// The flow hash's seed: from the system's random source, else (it can throw where there is none)
// from the clock, which an outsider cannot read either.
std::uint64_t flow_seed() noexcept {
    try {
        std::random_device rd;
        return std::uint64_t{rd()} << 32 ^ rd();
    } catch (...) {
        return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) *
               0x9e3779b97f4a7c15ull;
    }
}
}  // namespace

// Three multiplications over the six words of a key (wyhash's construction): the seed and the
// constants keep a zero word from zeroing a product.
std::size_t Exporter::FlowHash::operator()(const FlowEntry& e) const noexcept {
    constexpr std::uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull,
                            k3 = 0x589965cc75374cc3ull;
    const std::uint64_t tail = std::uint64_t{e.lo_port} << 48 | std::uint64_t{e.hi_port} << 32 |
                               std::uint64_t{e.proto} << 24 | std::uint64_t{e.family} << 16;
    const std::uint64_t h = fold(e.lo_addr.hi ^ seed ^ k0, e.lo_addr.lo ^ k1) ^
                            fold(e.hi_addr.hi ^ seed ^ k2, e.hi_addr.lo ^ k3) ^
                            fold(tail ^ seed ^ k1, (std::uint64_t{e.stream} << 32 | e.stream) ^ k2);
    return static_cast<std::size_t>(fold(h, k3 ^ seed));
}

Exporter::Exporter(std::vector<rte_ring*> rings, std::unique_ptr<RecordSink> sink, std::size_t flow_limit,
                   std::size_t memo_slots)
    : rings_(std::move(rings)),
      sink_(std::move(sink)),
      memo_(std::max<std::size_t>(memo_slots, 1)),
      flows_(0, FlowHash{flow_seed()}),
      flow_limit_(flow_limit) {
    comment_.reserve(256);  // a comment's usual size several times over: grows only for long indicator ids
    for (MemoComment& m : memo_) m.text.reserve(256);  // 64 KiB for 256 slots
}

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

// The record's comment, from the memo when a record made of the same parts had it, else formatted
// into the memo's slot (from views into the snapshot, live for this pass). No allocation per record
// (it was a third of this thread's time at line rate, perf): the slots keep their capacity. Valid
// until the next call. A record whose snapshot is not found is formatted into comment_ instead.
std::string_view Exporter::comment_of(const HeaderRecord& r, const Snapshot* s) {
    const auto format = [&](std::string& out) {
        std::string_view indicator, rule = "?", auth = "?";
        if (s) {
            if (r.rule < s->rules.size()) rule = s->rules[r.rule].id;
            if (r.authorisation < s->authorisations.size()) auth = s->authorisations[r.authorisation].id;
            if (r.indicator != no_index && r.indicator < s->indicators.indicator_count())
                indicator = s->indicators.indicator_id(r.indicator);
        }
        const std::string src = country_code_text(r.src_cc), dst = country_code_text(r.dst_cc);  // short: no allocation
        format_record_comment({name_of(r.category), auth, rule, indicator, src, dst, r.truncated != 0}, out);
    };
    // Without the snapshot the ids read "?": such a comment is not remembered under its generation.
    if (!s) {
        format(comment_);
        return comment_;
    }
    // The slot leaves the generation out (after a reload a record's parts take their old slot back);
    // the parts in two words that do not overlap, mixed by one multiplication (FlowHash's constants).
    const std::uint64_t h = fold((std::uint64_t{r.rule} << 32 | r.authorisation) ^ 0xa0761d6478bd642full,
                                 (std::uint64_t{r.indicator} << 32 | std::uint64_t{r.src_cc} << 16 | r.dst_cc) ^
                                     0xe7037ed1a0b428dbull) ^
                            static_cast<std::uint64_t>(r.category) * 0x8ebc6af09c88c6e3ull;
    MemoComment& m = memo_[(h * 0x9e3779b97f4a7c15ull >> 32) % memo_.size()];
    if (!m.used || m.generation != r.generation || m.rule != r.rule || m.authorisation != r.authorisation ||
        m.indicator != r.indicator || m.src_cc != r.src_cc || m.dst_cc != r.dst_cc || m.category != r.category ||
        m.truncated != (r.truncated != 0)) {
        format(m.text);
        m.generation = r.generation;
        m.rule = r.rule;
        m.authorisation = r.authorisation;
        m.indicator = r.indicator;
        m.src_cc = r.src_cc;
        m.dst_cc = r.dst_cc;
        m.category = r.category;
        m.truncated = r.truncated != 0;
        m.used = true;
    }
    return m.text;
}

bool Exporter::drain_once() {
    bool all_empty = true;
    const Snapshot* cached = nullptr;  // valid for this pass: snapshots leave live_ only between passes
    for (rte_ring* ring : rings_) {
        const RecordBatch batch(ring, exporter_burst);  // read in place: released below, once figured
        const unsigned n = batch.count();
        if (n == exporter_burst) all_empty = false;
        Tally tallies[exporter_burst];  // a kilobyte: on the stack (the batch itself stays in the ring)
        unsigned written = 0, tallied = 0;
        std::array<std::uint64_t, category_count> by_category{};
        for (unsigned i = 0; i < n; ++i) {
            const HeaderRecord& r = batch[i];
            // Generations change rarely: look up (under the lock) only when the record's differs.
            if (!cached || cached->generation != r.generation) cached = find(r.generation);
            const Snapshot* s = cached;
            // A classic pcap has no place for a comment, and the provenance knows the pair.
            const std::string_view comment = sink_->needs_comment(r) ? comment_of(r, s) : std::string_view{};
            if (auto st = sink_->write(r, comment); !st) {
                // Said when it happens, once (a live filter may run for days after its disk filled);
                // the count goes on in the stats lines and the summary.
                if (counters_.write_errors.fetch_add(1, std::memory_order_relaxed) == 0)
                    spdlog::error("the output refused a record: {} (it and any refused after it are counted as exporter "
                                  "write errors)", st.error().message);
                last_error_ = st.error().message;
                continue;
            }
            ++written;
            ++by_category[static_cast<std::size_t>(r.category)];
            try {
                tallies[tallied] = tally(r, s);
                ++tallied;
            } catch (const std::bad_alloc&) {
                // No room for a new (authorisation, category) slot: the record stays written, but is
                // in no figures; `flowsieve report` flags the run (its packets differ from the output's records).
            }
        }
        // Once per batch, not per record: each is an atomic read-modify-write.
        counters_.written.fetch_add(written, std::memory_order_relaxed);
        for (std::size_t c = 0; c < category_count; ++c)
            if (by_category[c]) counters_.written_by_category[c].fetch_add(by_category[c], std::memory_order_relaxed);
        add_figures(tallies, tallied);
        RecordBatch::release(ring, n);
    }
    return all_empty;
}

// The figures slot of the record's (authorisation id, category): ids, not indices, so that figures
// continue across reloads that reorder the authorisations.
std::uint32_t Exporter::stream_of(const HeaderRecord& r, const Snapshot* s) {
    constexpr std::uint32_t unset = 0xffffffffu;
    const auto cat = static_cast<std::size_t>(r.category);
    const bool known = s && r.authorisation < s->authorisations.size();
    if (known) {
        if (s->generation != stream_cache_generation_) {
            // The generation is noted only once the cache is sized for it (assign may throw).
            stream_cache_.assign(s->authorisations.size(), {});
            for (auto& a : stream_cache_) a.fill(unset);
            stream_cache_generation_ = s->generation;
        }
        if (std::uint32_t cached = stream_cache_[r.authorisation][cat]; cached != unset) return cached;
    }
    std::pair<std::string, Category> key{known ? s->authorisations[r.authorisation].id : std::string("?"), r.category};
    auto it = stream_index_.find(key);
    if (it == stream_index_.end()) {
        AuthorisationFigures f;
        f.authorisation = key.first;
        f.category = key.second;
        std::lock_guard lock(figures_mu_);
        // Room first, so that a bad_alloc leaves the index and figures_ as they were (never an index
        // without its figures); the push_backs after it cannot throw.
        if (figures_.size() == figures_.capacity()) figures_.reserve(2 * figures_.size() + 8);
        if (interval_seen_.size() == interval_seen_.capacity()) interval_seen_.reserve(2 * interval_seen_.size() + 8);
        it = stream_index_.emplace(std::move(key), static_cast<std::uint32_t>(figures_.size())).first;
        figures_.push_back(std::move(f));
        interval_seen_.push_back(false);
    }
    if (known) stream_cache_[r.authorisation][cat] = it->second;
    return it->second;
}

Exporter::Tally Exporter::tally(const HeaderRecord& r, const Snapshot* s) {
    Tally t{&r, stream_of(r, s), false, false};
    // The flow, read back from the bytes written (the record keeps no key of its own).
    ParsedPacket p;
    if (parse_packet({r.bytes, r.header_len}, p) != ParseOutcome::ok) return t;
    FlowEntry e;
    U128 a = as_u128(p.key.src), b = as_u128(p.key.dst);
    std::uint16_t pa = p.key.src_port, pb = p.key.dst_port;
    if (std::tie(b, pb) < std::tie(a, pa)) {
        std::swap(a, b);
        std::swap(pa, pb);
    }
    e.lo_addr = a;
    e.hi_addr = b;
    e.lo_port = pa;
    e.hi_port = pb;
    e.proto = p.key.proto;
    e.family = static_cast<std::uint8_t>(p.key.src.family);
    e.stream = t.stream;
    if (flows_.size() < flow_limit_) {
        // Runs on the exporter thread: a bad_alloc here would terminate the filter. The record is
        // already written; its flow is counted untracked instead (flows stays a lower bound).
        try {
            t.new_flow = flows_.insert(e).second;
            t.tracked = true;
        } catch (const std::bad_alloc&) {
            t.tracked = flows_.count(e) != 0;
        }
    } else {
        t.tracked = flows_.count(e) != 0;
    }
    return t;
}

void Exporter::add_figures(const Tally* tallies, unsigned n) {
    if (n == 0) return;
    std::lock_guard lock(figures_mu_);
    for (const Tally* t = tallies; t != tallies + n; ++t) {
        const HeaderRecord& r = *t->record;
        const auto time = static_cast<std::int64_t>(r.time_ns);
        AuthorisationFigures& f = figures_[t->stream];
        if (f.packets == 0 || time < f.first_ns) f.first_ns = time;
        if (f.packets == 0 || time > f.last_ns) f.last_ns = time;
        ++f.packets;
        f.header_bytes += r.header_len;
        f.flows += t->new_flow ? 1 : 0;
        f.flows_untracked += t->tracked ? 0 : 1;
        if (!interval_seen_[t->stream] || time < f.interval_first_ns) f.interval_first_ns = time;
        if (!interval_seen_[t->stream] || time > f.interval_last_ns) f.interval_last_ns = time;
        interval_seen_[t->stream] = true;
    }
}

std::vector<AuthorisationFigures> Exporter::take_authorisation_figures() {
    std::lock_guard lock(figures_mu_);
    std::vector<AuthorisationFigures> out = figures_;
    for (std::size_t i = 0; i < figures_.size(); ++i) {
        if (!interval_seen_[i]) out[i].interval_first_ns = out[i].interval_last_ns = 0;
        interval_seen_[i] = false;
    }
    return out;
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
