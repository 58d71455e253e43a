// test_audit_report.cpp: `flowsieve report` over logs written through AuditRecorder: interval deltas
// sum back to the totals, periods select intervals by entry time [from, to) and partition the log,
// first/last are the packet times of the selected intervals, refusals and expiries are gathered, a
// log from an older flowsieve or with disagreeing stop totals is noted, addresses never appear, and
// the three formats carry the same figures.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "control_test_util.hpp"
#include "oversight/audit_log.hpp"
#include "oversight/audit_recorder.hpp"
#include "oversight/audit_report.hpp"
#include "oversight/audit_verifier.hpp"
#include "oversight/content_hash.hpp"

namespace flowsieve::testing {
namespace {

constexpr std::int64_t t0 = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z (log time)
constexpr std::int64_t p0 = 1'622'505'600'000'000'000;  // 2021-06-01T00:00:00Z (packet time)
constexpr std::int64_t sec = 1'000'000'000;

AuthorisationFigures fig(const std::string& id, Category c, std::uint64_t packets, std::uint64_t bytes, std::uint64_t flows,
                         std::int64_t first, std::int64_t last, std::int64_t ifirst, std::int64_t ilast) {
    AuthorisationFigures f;
    f.authorisation = id;
    f.category = c;
    f.packets = packets;
    f.header_bytes = bytes;
    f.flows = flows;
    f.first_ns = first;
    f.last_ns = last;
    f.interval_first_ns = ifirst;
    f.interval_last_ns = ilast;
    return f;
}

struct Log {
    TempDir dir;
    KeyPair pair = generate_keypair();
    SecretKeyFile key{"filter-1", pair.secret_key};
    std::string path = dir.file("audit.log");

    std::string text() const {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    std::unique_ptr<AuditRecorder> recorder() {
        auto log = AuditLog::open(path, key, 8);
        EXPECT_TRUE(log.ok()) << log.error().message;
        return std::make_unique<AuditRecorder>(std::move(log.value()));
    }
};

// The output_written entry of a run whose output holds `records` records.
void output(AuditRecorder& rec, std::uint64_t records, std::int64_t at) {
    OutputManifest m;
    m.file = "out.pcapng";
    m.output_format = "pcapng";
    m.blake2b = std::string(64, 'a');
    m.records = records;
    ASSERT_TRUE(rec.output_written("/tmp/out.pcapng", m, at).ok());
}

// One run, log times t0+1s .. t0+4s: three counters intervals (ending t0+1s, +2s, +3s) and a stop.
//   A/transit:      interval 1: 10 packets (packet times p0+5 .. p0+9), interval 3: 5 more (p0+12 .. p0+20)
//   B/threat-linked: interval 2: 4 packets (p0+7 .. p0+8)
void write_run(Log& l, std::int64_t base = t0) {
    auto rec = l.recorder();
    ASSERT_TRUE(rec->start("config.yaml", "test", base).ok());
    CounterTotals p;
    WrittenTotals w;
    w.by_authorisation = {fig("A", Category::transit, 10, 600, 3, p0 + 5, p0 + 9, p0 + 5, p0 + 9)};
    ASSERT_TRUE(rec->counters(p, w, base + 1 * sec).ok());
    w.by_authorisation = {fig("A", Category::transit, 10, 600, 3, p0 + 5, p0 + 9, 0, 0),
                          fig("B", Category::threat_linked, 4, 200, 1, p0 + 7, p0 + 8, p0 + 7, p0 + 8)};
    ASSERT_TRUE(rec->counters(p, w, base + 2 * sec).ok());
    w.by_authorisation = {fig("A", Category::transit, 15, 900, 4, p0 + 5, p0 + 20, p0 + 12, p0 + 20),
                          fig("B", Category::threat_linked, 4, 200, 1, p0 + 7, p0 + 8, 0, 0)};
    ASSERT_TRUE(rec->counters(p, w, base + 3 * sec).ok());
    output(*rec, 19, base + 4 * sec);
    ASSERT_TRUE(rec->stop("input finished", p, w, true, base + 4 * sec).ok());
}

// A run started at t0 with one counters entry at t0+1s: A/transit, 10 packets at p0. Returns the
// figures written, for the caller's further entries.
WrittenTotals start_with_one_interval(AuditRecorder& rec) {
    WrittenTotals w;
    w.by_authorisation = {fig("A", Category::transit, 10, 600, 3, p0, p0, p0, p0)};
    EXPECT_TRUE(rec.start("config.yaml", "test", t0).ok());
    EXPECT_TRUE(rec.counters(CounterTotals{}, w, t0 + sec).ok());
    return w;
}

const ReportRow* row(const AuditReport& r, const std::string& id, const std::string& cat) {
    for (const auto& x : r.rows)
        if (x.authorisation == id && x.category == cat) return &x;
    return nullptr;
}

AuditReport report(const std::string& text, std::optional<std::int64_t> from = {}, std::optional<std::int64_t> to = {}) {
    auto r = build_audit_report(text, {from, to});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : AuditReport{};
}

TEST(AuditReport, WholeLogSumsToTheStopTotals) {
    Log l;
    write_run(l);
    ASSERT_TRUE(verify_audit_log(l.text(), {}).intact());
    // The recorder writes only what changed in an interval.
    EXPECT_NE(l.text().find("\"interval\":{\"received\":0,\"emitted\":{\"transit\":0,\"operator\":0,\"threat-linked\":0},"
                            "\"dropped\":0,\"written\":{\"transit\":0,\"operator\":0,\"threat-linked\":0},"
                            "\"authorisations\":{\"B\":{\"threat-linked\":{\"packets\":4,\"header_bytes\":200,\"flows\":1,"
                            "\"flows_untracked\":0,\"first\":\"2021-06-01T00:00:00.000000007Z\",\"last\":"
                            "\"2021-06-01T00:00:00.000000008Z\"}}}}"),
              std::string::npos)
        << l.text();
    AuditReport r = report(l.text());
    EXPECT_EQ(r.intervals, 3u);
    EXPECT_EQ(r.runs, 1u);
    EXPECT_EQ(r.covered_from_ns, t0);
    EXPECT_EQ(r.covered_to_ns, t0 + 3 * sec);
    ASSERT_EQ(r.rows.size(), 2u);
    const ReportRow* a = row(r, "A", "transit");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->packets, 15u);
    EXPECT_EQ(a->header_bytes, 900u);
    EXPECT_EQ(a->flows, 4u);
    EXPECT_EQ(a->first_ns, p0 + 5);
    EXPECT_EQ(a->last_ns, p0 + 20);
    const ReportRow* b = row(r, "B", "threat-linked");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->packets, 4u);
    EXPECT_TRUE(r.notes.empty()) << r.notes.front();
    ASSERT_EQ(r.run_outputs.size(), 1u);
    EXPECT_EQ(r.run_outputs[0].state, "stopped");
    EXPECT_EQ(r.run_outputs[0].packets, 19u);
    EXPECT_EQ(r.run_outputs[0].output_records, 19u);
    EXPECT_TRUE(r.run_outputs[0].output_matches);
    EXPECT_FALSE(r.open_tail);
}

TEST(AuditReport, PeriodsSelectIntervalsByEntryTimeHalfOpen) {
    Log l;
    write_run(l);
    const std::string text = l.text();
    // [t0+2s, t0+3s): only the interval written at t0+2s (B's).
    AuditReport mid = report(text, t0 + 2 * sec, t0 + 3 * sec);
    EXPECT_EQ(mid.intervals, 1u);
    ASSERT_EQ(mid.rows.size(), 1u);
    EXPECT_EQ(mid.rows[0].authorisation, "B");
    EXPECT_EQ(mid.covered_from_ns, t0 + 1 * sec);
    // The third interval alone: A's 5 packets, with that interval's own first/last packet times.
    AuditReport last = report(text, t0 + 3 * sec);
    ASSERT_EQ(last.rows.size(), 1u);
    EXPECT_EQ(last.rows[0].packets, 5u);
    EXPECT_EQ(last.rows[0].header_bytes, 300u);
    EXPECT_EQ(last.rows[0].flows, 1u);
    EXPECT_EQ(last.rows[0].first_ns, p0 + 12);
    EXPECT_EQ(last.rows[0].last_ns, p0 + 20);
    // The first interval: A's first 10.
    AuditReport first = report(text, {}, t0 + 2 * sec);
    ASSERT_EQ(first.rows.size(), 1u);
    EXPECT_EQ(first.rows[0].packets, 10u);
    EXPECT_EQ(first.rows[0].first_ns, p0 + 5);
    EXPECT_EQ(first.rows[0].last_ns, p0 + 9);
    // Consecutive periods add up to the whole.
    AuditReport before = report(text, {}, t0 + 3 * sec), after = report(text, t0 + 3 * sec);
    EXPECT_EQ(before.intervals + after.intervals, 3u);
    EXPECT_EQ(row(before, "A", "transit")->packets + row(after, "A", "transit")->packets, 15u);
    // Nothing in a period after the log.
    AuditReport none = report(text, t0 + 100 * sec);
    EXPECT_EQ(none.intervals, 0u);
    EXPECT_TRUE(none.rows.empty());
    EXPECT_FALSE(none.notes.empty());
}

// The file size limit (RLIMIT_FSIZE) stands for a full disk while `call` runs.
template <class Call>
auto with_file_size_limit(std::size_t bytes, Call call) {
    rlimit old{};
    EXPECT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit full = old;
    full.rlim_cur = static_cast<rlim_t>(bytes);
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &full), 0);
    auto result = call();
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    return result;
}

// A counters entry that cannot be written (a full disk, simulated with RLIMIT_FSIZE) is not lost:
// the next entry covers both intervals, from the last written entry's time, with the packet times
// of both (the exporter started a new interval for the unwritten one's).
TEST(AuditReport, AnIntervalWhoseEntryFailedIsInTheNextEntry) {
    Log l;
    auto rec = l.recorder();
    WrittenTotals w = start_with_one_interval(*rec);  // t0+1s: A, 10 packets at p0
    CounterTotals p;
    p.received = 100;
    w.by_authorisation = {fig("A", Category::transit, 15, 900, 4, p0, p0 + 4, p0 + 3, p0 + 4)};
    const Status st = with_file_size_limit(l.text().size(), [&] { return rec->counters(p, w, t0 + 2 * sec); });  // no byte more
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("audit log write failed"), std::string::npos) << st.error().message;
    p.received = 150;
    w.by_authorisation = {fig("A", Category::transit, 17, 1020, 5, p0, p0 + 11, p0 + 10, p0 + 11)};
    ASSERT_TRUE(rec->counters(p, w, t0 + 3 * sec).ok());
    output(*rec, 17, t0 + 4 * sec);
    ASSERT_TRUE(rec->stop("signal", p, w, true, t0 + 4 * sec).ok());

    const std::string text = l.text();
    ASSERT_TRUE(verify_audit_log(text, {}).intact());
    AuditReport last = report(text, t0 + 2 * sec);  // the entry written at t0+3s
    EXPECT_EQ(last.intervals, 1u);
    EXPECT_EQ(last.covered_from_ns, t0 + 1 * sec);
    ASSERT_EQ(last.rows.size(), 1u);
    EXPECT_EQ(last.rows[0].packets, 7u);
    EXPECT_EQ(last.rows[0].header_bytes, 420u);
    EXPECT_EQ(last.rows[0].flows, 2u);
    EXPECT_EQ(last.rows[0].first_ns, p0 + 3);
    EXPECT_EQ(last.rows[0].last_ns, p0 + 11);
    AuditReport all = report(text);
    ASSERT_EQ(all.rows.size(), 1u);
    EXPECT_EQ(all.rows[0].packets, 17u);  // the intervals still sum to the totals
    EXPECT_TRUE(all.notes.empty()) << all.notes.front();
}

// A line the disk had room for only part of is cut off again: the log still verifies, and the
// next entry continues the chain.
TEST(AuditReport, APartlyWrittenEntryIsCutOffAndTheLogStaysIntact) {
    Log l;
    auto rec = l.recorder();
    WrittenTotals w = start_with_one_interval(*rec);
    const std::size_t before = l.text().size();
    w.by_authorisation = {fig("A", Category::transit, 15, 900, 4, p0, p0 + 4, p0 + 3, p0 + 4)};
    const Status st = with_file_size_limit(before + 10, [&] { return rec->counters(CounterTotals{}, w, t0 + 2 * sec); });
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("audit log write failed: short write"), std::string::npos) << st.error().message;
    EXPECT_EQ(l.text().size(), before);
    ASSERT_TRUE(rec->counters(CounterTotals{}, w, t0 + 3 * sec).ok());
    output(*rec, 15, t0 + 4 * sec);
    ASSERT_TRUE(rec->stop("signal", CounterTotals{}, w, true, t0 + 4 * sec).ok());
    ASSERT_TRUE(verify_audit_log(l.text(), {}).intact());
    AuditReport all = report(l.text());
    ASSERT_EQ(all.rows.size(), 1u);
    EXPECT_EQ(all.rows[0].packets, 15u);
    EXPECT_TRUE(all.notes.empty()) << all.notes.front();
}

// An entry written whose checkpoint then failed is written: the next entry must not count its
// interval again (the intervals would no longer sum to the totals).
TEST(AuditReport, AnEntryWrittenBeforeItsCheckpointFailedIsNotCountedTwice) {
    // The same calls on a twin log give the length of the entry, so that the limit lets the entry
    // through and stops the checkpoint that follows it (every entry is checkpointed here).
    const auto run = [](Log& l, std::optional<std::size_t> limit_past_entry) {
        auto log = AuditLog::open(l.path, l.key, 1);
        EXPECT_TRUE(log.ok());
        AuditRecorder rec(std::move(log.value()));
        WrittenTotals w = start_with_one_interval(rec);
        w.by_authorisation = {fig("A", Category::transit, 15, 900, 4, p0, p0 + 4, p0 + 3, p0 + 4)};
        const std::size_t before = l.text().size();
        Status st = Ok{};
        if (limit_past_entry) st = with_file_size_limit(before + *limit_past_entry, [&] { return rec.counters(CounterTotals{}, w, t0 + 2 * sec); });
        else st = rec.counters(CounterTotals{}, w, t0 + 2 * sec);
        w.by_authorisation = {fig("A", Category::transit, 17, 1020, 5, p0, p0 + 11, p0 + 10, p0 + 11)};
        EXPECT_TRUE(rec.counters(CounterTotals{}, w, t0 + 3 * sec).ok());
        output(rec, 17, t0 + 4 * sec);
        EXPECT_TRUE(rec.stop("signal", CounterTotals{}, w, true, t0 + 4 * sec).ok());
        return std::pair{st, before};
    };
    Log twin;
    const std::size_t twin_before = run(twin, std::nullopt).second;
    const std::string twin_text = twin.text();
    const std::size_t entry_len = twin_text.find('\n', twin_before) + 1 - twin_before;  // the counters line
    ASSERT_NE(twin_text.substr(twin_before, entry_len).find("\"type\":\"counters\""), std::string::npos);

    Log l;
    const auto [st, before] = run(l, entry_len);
    ASSERT_EQ(before, twin_before);
    ASSERT_FALSE(st.ok());  // the checkpoint after the entry did not fit
    const std::string text = l.text();
    ASSERT_TRUE(verify_audit_log(text, {}).intact()) << verify_audit_log(text, {}).message << "\n" << text;
    AuditReport all = report(text);
    ASSERT_EQ(all.rows.size(), 1u);
    EXPECT_EQ(all.rows[0].packets, 17u);  // 10 + 5 + 2, the 5 once
    EXPECT_TRUE(all.notes.empty()) << all.notes.front();
    AuditReport last = report(text, t0 + 2 * sec + 1);  // the entry written at t0+3s: its own 2
    ASSERT_EQ(last.rows.size(), 1u);
    EXPECT_EQ(last.rows[0].packets, 2u);
}

TEST(AuditReport, SeveralRunsAddUp) {
    Log l;
    write_run(l);
    write_run(l, t0 + 10 * sec);
    AuditReport r = report(l.text());
    EXPECT_EQ(r.runs, 2u);
    EXPECT_EQ(r.intervals, 6u);
    EXPECT_EQ(row(r, "A", "transit")->packets, 30u);
    EXPECT_EQ(row(r, "A", "transit")->flows, 8u);
    EXPECT_TRUE(r.notes.empty());
    AuditReport second = report(l.text(), t0 + 10 * sec);
    EXPECT_EQ(second.runs, 1u);
    EXPECT_EQ(row(second, "A", "transit")->packets, 15u);
}

TEST(AuditReport, RefusalsAndExpiriesAreGatheredWithoutAddresses) {
    Log l;
    {
        auto log = AuditLog::open(l.path, l.key, 8);
        ASSERT_TRUE(log.ok());
        AuditFields start;
        start.add("format", audit_format).add("checkpoint_every", std::uint64_t{8});
        ASSERT_TRUE(log.value()->append("start", start, t0).ok());
        for (int gen = 1; gen <= 2; ++gen) {
            AuditFields refused;
            refused.add("generation", std::uint64_t(gen)).add("id", "R-1").add("category", "transit")
                .add("reasons", std::vector<std::string>{"r.yaml:2: R-1 refused: scope 198.51.100.0/24, peer 2001:db8::1.",
                                                           "r.yaml:2: R-1 refused: \"quoted\", with a comma"});
            ASSERT_TRUE(log.value()->append("authorisation_refused", refused, t0 + gen * sec).ok());
        }
        AuditFields accepted;
        accepted.add("generation", std::uint64_t{1}).add("id", "E-1").add("category", "operator");
        ASSERT_TRUE(log.value()->append("authorisation_accepted", accepted, t0).ok());
        AuditFields expired;
        expired.add("generation", std::uint64_t{1}).add("id", "E-1").add("valid_until", "2026-01-01T00:00:05.000000000Z");
        ASSERT_TRUE(log.value()->append("authorisation_expired", expired, t0 + 5 * sec).ok());
        ASSERT_TRUE(log.value()->stop(AuditFields{}, t0 + 6 * sec).ok());
    }
    AuditReport r = report(l.text());
    ASSERT_EQ(r.refusals.size(), 1u);
    EXPECT_EQ(r.refusals[0].authorisation, "R-1");
    EXPECT_EQ(r.refusals[0].category, "transit");
    EXPECT_EQ(r.refusals[0].count, 2u);
    EXPECT_EQ(r.refusals[0].first_ns, t0 + 1 * sec);
    EXPECT_EQ(r.refusals[0].last_ns, t0 + 2 * sec);
    ASSERT_EQ(r.refusals[0].details.size(), 2u);  // distinct reasons, not one per generation
    EXPECT_EQ(r.refusals[0].details[0], "r.yaml:2: R-1 refused: scope [address], peer [address].");
    ASSERT_EQ(r.expiries.size(), 1u);
    EXPECT_EQ(r.expiries[0].authorisation, "E-1");
    EXPECT_EQ(r.expiries[0].category, "operator");
    EXPECT_EQ(r.expiries[0].details, std::vector<std::string>{"valid_until 2026-01-01T00:00:05.000000000Z"});
    // Only the second refusal lies in [t0+2s, ..).
    EXPECT_EQ(report(l.text(), t0 + 2 * sec).refusals.at(0).count, 1u);
    EXPECT_TRUE(report(l.text(), t0 + 6 * sec).expiries.empty());

    const ReportSource src{"audit.log", "intact"};
    for (const std::string& out : {format_report_table(r, src), format_report_json(r, src), format_report_csv(r, src)}) {
        EXPECT_EQ(out.find("198.51.100"), std::string::npos) << out;
        EXPECT_EQ(out.find("2001:db8"), std::string::npos) << out;
        EXPECT_NE(out.find("R-1"), std::string::npos) << out;
    }
    // CSV quotes a field with commas and quotes (RFC 4180).
    EXPECT_NE(format_report_csv(r, src).find("refused,R-1,transit,,,,,2026-01-01T00:00:01.000000000Z,"
                                             "2026-01-01T00:00:02.000000000Z,2,\"r.yaml:2: R-1 refused: scope [address], "
                                             "peer [address]. | r.yaml:2: R-1 refused: \"\"quoted\"\", with a comma\"\n"),
              std::string::npos)
        << format_report_csv(r, src);
}

TEST(AuditReport, FormatsCarryTheSameFigures) {
    Log l;
    write_run(l);
    AuditReport r = report(l.text(), {}, t0 + 2 * sec);
    const ReportSource src{"x/audit.log", "intact: 9 entries, 2 checkpoints"};
    const std::string json = format_report_json(r, src);
    EXPECT_NE(json.find("\"emitted\":[{\"authorisation\":\"A\",\"category\":\"transit\",\"packets\":10,\"flows\":3,"
                        "\"flows_untracked\":0,\"header_bytes\":600,\"first\":\"2021-06-01T00:00:00.000000005Z\","
                        "\"last\":\"2021-06-01T00:00:00.000000009Z\",\"first_ns\":1622505600000000005,"
                        "\"last_ns\":1622505600000000009}]"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("\"from\":null,\"to\":\"2026-01-01T00:00:02.000000000Z\""), std::string::npos) << json;
    EXPECT_NE(format_report_csv(r, src).find("emitted,A,transit,10,3,0,600,2021-06-01T00:00:00.000000005Z,"
                                             "2021-06-01T00:00:00.000000009Z,,\n"),
              std::string::npos);
    const std::string table = format_report_table(r, src);
    EXPECT_NE(table.find("intact: 9 entries, 2 checkpoints"), std::string::npos) << table;
    EXPECT_NE(table.find("A                          transit                  10          3            600"),
              std::string::npos)
        << table;
}

TEST(AuditReport, OlderEntriesAndDisagreeingTotalsAreNoted) {
    Log l;
    {
        auto rec = l.recorder();
        const CounterTotals p;
        WrittenTotals w = start_with_one_interval(*rec);
        // The stop entry claims more than the intervals add up to.
        w.by_authorisation[0].packets = 11;
        output(*rec, 10, t0 + 2 * sec);
        ASSERT_TRUE(rec->stop("input finished", p, w, true, t0 + 2 * sec).ok());
    }
    AuditReport r = report(l.text());
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("sum to 10 packets, but its stop entry records 11"), std::string::npos) << r.notes[0];

    // A counters entry without per-authorisation figures (an older flowsieve).
    Log old;
    {
        auto log = AuditLog::open(old.path, old.key, 8);
        ASSERT_TRUE(log.ok());
        ASSERT_TRUE(log.value()->append("start", AuditFields{}, t0).ok());
        AuditFields interval;
        interval.add("received", std::uint64_t{5});
        AuditFields c;
        c.add("generation", std::uint64_t{1}).add("from", rfc3339_ns(t0)).add_object("interval", interval);
        ASSERT_TRUE(log.value()->append("counters", c, t0 + sec).ok());
        ASSERT_TRUE(log.value()->stop(AuditFields{}, t0 + 2 * sec).ok());
    }
    AuditReport o = report(old.text());
    EXPECT_EQ(o.intervals, 1u);
    EXPECT_TRUE(o.rows.empty());
    ASSERT_EQ(o.notes.size(), 1u);
    EXPECT_NE(o.notes[0].find("no per-authorisation figures"), std::string::npos);
}

std::string join(const std::vector<std::string>& lines) {
    std::string t;
    for (const auto& l : lines) t += l + "\n";
    return t;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// A running filter's log (or a crashed run's): reported up to its last checkpoint, with a note.
TEST(AuditReport, OpenTailIsReportedUpToTheLastCheckpoint) {
    Log l;
    write_run(l);
    // start, counters, checkpoint (the recorder seals every counters entry), counters, checkpoint,
    // counters, checkpoint, output_written, stop, checkpoint.
    const auto lines = lines_of(l.text());
    ASSERT_EQ(lines.size(), 10u);
    ASSERT_NE(lines[6].find("\"type\":\"checkpoint\""), std::string::npos) << lines[6];
    // The third counters entry written but not yet sealed (seq 5, after the checkpoint at seq 4).
    const std::string open = join({lines.begin(), lines.begin() + 6});
    AuditVerdict v = verify_audit_log(open, {});
    ASSERT_EQ(v.finding, AuditFinding::truncated) << v.message;
    auto part = reportable_part(open, v);
    ASSERT_TRUE(part.ok()) << part.error().message;
    EXPECT_TRUE(part->open_tail);
    EXPECT_EQ(part->sealed_seq, 4u);
    EXPECT_EQ(part->left_out, 1u);
    EXPECT_EQ(part->text, join({lines.begin(), lines.begin() + 5}));
    AuditReport r = report(std::string(part->text));
    mark_open_tail(r, part->sealed_seq, part->left_out);
    EXPECT_EQ(r.intervals, 2u);
    EXPECT_EQ(row(r, "A", "transit")->packets, 10u);  // not the unsealed interval's 5
    EXPECT_EQ(row(r, "B", "threat-linked")->packets, 4u);
    ASSERT_EQ(r.run_outputs.size(), 1u);
    EXPECT_EQ(r.run_outputs[0].state, "open");
    EXPECT_TRUE(r.run_outputs[0].output_matches);  // not written yet: nothing to flag
    ASSERT_FALSE(r.notes.empty());
    EXPECT_NE(r.notes[0].find("1 entries after seq 4 are not yet sealed"), std::string::npos) << r.notes[0];
    const ReportSource src{"audit.log", "sealed"};
    EXPECT_NE(format_report_table(r, src).find("NOTE: open log: 1 entries after seq 4 are not yet sealed"),
              std::string::npos)
        << format_report_table(r, src);
    EXPECT_NE(format_report_json(r, src).find("\"unsealed\":{\"after_seq\":4,\"entries\":1}"), std::string::npos);
    EXPECT_NE(format_report_csv(r, src).find("unsealed,,,,,,,,,1,after seq 4\n"), std::string::npos);

    // Cut mid-line after the third checkpoint (seq 6): output_written complete, stop cut short.
    const std::string cut = join({lines.begin(), lines.begin() + 8}) + lines[8].substr(0, 20);
    v = verify_audit_log(cut, {});
    ASSERT_EQ(v.finding, AuditFinding::truncated) << v.message;
    part = reportable_part(cut, v);
    ASSERT_TRUE(part.ok());
    EXPECT_EQ(part->sealed_seq, 6u);
    EXPECT_EQ(part->left_out, 2u);
    EXPECT_EQ(report(std::string(part->text)).intervals, 3u);

    // An intact log is reported whole.
    const std::string whole = l.text();  // part->text views it
    part = reportable_part(whole, verify_audit_log(whole, {}));
    ASSERT_TRUE(part.ok());
    EXPECT_FALSE(part->open_tail);
    EXPECT_EQ(part->text, whole);
}

TEST(AuditReport, EditedOrUnsealedOnlyLogIsStillRefused) {
    Log l;
    write_run(l);
    auto lines = lines_of(l.text());
    lines.resize(6);  // an open tail, as above
    // A sealed counters entry edited (A's packets): the chain breaks, whatever the tail.
    const auto at = lines[1].find("\"packets\":10") + 11;
    lines[1][at] = '9';
    AuditVerdict v = verify_audit_log(join(lines), {});
    EXPECT_EQ(v.finding, AuditFinding::edited) << v.message;
    auto part = reportable_part(join(lines), v);
    ASSERT_FALSE(part.ok());
    EXPECT_NE(part.error().message.find("edited"), std::string::npos) << part.error().message;
    // An entry removed before the tail.
    lines = lines_of(l.text());
    lines.erase(lines.begin() + 3);
    lines.resize(6);
    v = verify_audit_log(join(lines), {});
    EXPECT_NE(v.finding, AuditFinding::truncated) << v.message;
    EXPECT_FALSE(reportable_part(join(lines), v).ok());
    // Nothing sealed yet (start only): no checkpoint vouches for anything.
    lines = lines_of(l.text());
    lines.resize(2);
    v = verify_audit_log(join(lines), {});
    EXPECT_EQ(v.finding, AuditFinding::truncated) << v.message;
    EXPECT_FALSE(reportable_part(join(lines), v).ok());
}

// A run whose output was lost (sink close failed: stop `error: ...`, no output_written), or whose
// output holds other than the packets its counters sum to: flagged, since a report must match the output.
TEST(AuditReport, RunWithoutItsOutputIsFlagged) {
    Log l;
    {
        auto rec = l.recorder();
        const CounterTotals p;
        WrittenTotals w = start_with_one_interval(*rec);
        ASSERT_TRUE(rec->stop("error: out.pcapng: rename failed", p, w, false, t0 + 2 * sec).ok());
    }
    ASSERT_TRUE(verify_audit_log(l.text(), {}).intact());
    AuditReport r = report(l.text());
    EXPECT_EQ(row(r, "A", "transit")->packets, 10u);
    ASSERT_EQ(r.run_outputs.size(), 1u);
    EXPECT_FALSE(r.run_outputs[0].output_matches);
    EXPECT_EQ(r.run_outputs[0].outputs, 0u);
    EXPECT_EQ(r.run_outputs[0].stop_reason, "error: out.pcapng: rename failed");
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("counted 10 packets, but no output_written entry records its output"), std::string::npos)
        << r.notes[0];
    const std::string json = format_report_json(r, {"audit.log", "intact"});
    EXPECT_NE(json.find("\"run_outputs\":[{\"start_seq\":0,\"state\":\"stopped\",\"stop_reason\":\"error: out.pcapng: "
                        "rename failed\",\"packets\":10,\"output_records\":0,\"outputs\":0,\"output_matches\":false}]"),
              std::string::npos)
        << json;

    // An output with fewer records than the counters sum to; then a run that crashed after counting.
    Log m;
    {
        auto rec = m.recorder();
        const CounterTotals p;
        WrittenTotals w = start_with_one_interval(*rec);
        output(*rec, 9, t0 + 2 * sec);
        ASSERT_TRUE(rec->stop("input finished", p, w, true, t0 + 2 * sec).ok());
    }
    {
        auto rec = m.recorder();
        ASSERT_TRUE(rec->start("config.yaml", "test", t0 + 10 * sec).ok());
        CounterTotals p;
        WrittenTotals w;
        w.by_authorisation = {fig("A", Category::transit, 3, 180, 1, p0, p0, p0, p0)};
        ASSERT_TRUE(rec->counters(p, w, t0 + 11 * sec).ok());
        // no stop: the process died
    }
    {
        auto rec = m.recorder();  // the next run seals nothing more (the counters entry was sealed)
        ASSERT_TRUE(rec->start("config.yaml", "test", t0 + 20 * sec).ok());
        ASSERT_TRUE(rec->stop("input finished", {}, {}, true, t0 + 21 * sec).ok());
    }
    ASSERT_TRUE(verify_audit_log(m.text(), {}).intact()) << verify_audit_log(m.text(), {}).message;
    AuditReport r2 = report(m.text());
    ASSERT_EQ(r2.run_outputs.size(), 2u);
    EXPECT_FALSE(r2.run_outputs[0].output_matches);
    EXPECT_EQ(r2.run_outputs[0].output_records, 9u);
    EXPECT_EQ(r2.run_outputs[1].state, "crashed");
    EXPECT_FALSE(r2.run_outputs[1].output_matches);
    ASSERT_EQ(r2.notes.size(), 2u);
    EXPECT_NE(r2.notes[0].find("its output_written entries record 9 records"), std::string::npos) << r2.notes[0];
    EXPECT_NE(r2.notes[1].find("it did not stop (crashed)"), std::string::npos) << r2.notes[1];
}

// Appending a chained line needs no key: anyone who can write the log can add an entry after its
// last checkpoint. The next run's first checkpoint seals such a tail as found and marks it adopted;
// verify names it, and a report leaves it out, so a forged entry never becomes a vouched figure.
TEST(AuditReport, ATailTheNextRunAdoptedIsNotVouchedFor) {
    Log l;
    write_run(l);  // A/transit 15 packets, B/threat-linked 4; ends with stop and its checkpoint
    std::string text = l.text();
    std::string last = text.substr(0, text.size() - 1);
    last = last.substr(last.rfind('\n') + 1);
    const std::size_t counters_at = text.rfind("\"type\":\"counters\"");
    ASSERT_NE(counters_at, std::string::npos);
    std::string forged = text.substr(text.rfind('\n', counters_at) + 1);
    forged = forged.substr(0, forged.find('\n'));
    // The last counters entry, renumbered, re-chained, and with its figures under another id.
    const auto seq_of = [](const std::string& line) { return std::stoull(line.substr(7, line.find(',') - 7)); };
    forged = "{\"seq\":" + std::to_string(seq_of(last) + 1) + forged.substr(forged.find(','));
    for (std::size_t at = 0; (at = forged.find("\"A\":", at)) != std::string::npos;) forged.replace(at, 4, "\"FORGED\":");
    forged = forged.substr(0, forged.rfind("\"prev\":")) + "\"prev\":\"" + content_hash_hex(last) + "\"}";
    {
        std::ofstream out(l.path, std::ios::app | std::ios::binary);
        out << forged << "\n";
    }
    const PublicKeyFile pub{"filter-1", l.pair.public_key};
    ASSERT_EQ(verify_audit_log(l.text(), {pub}).finding, AuditFinding::truncated);  // an unsealed tail: refused as it is
    {
        auto rec = l.recorder();  // the next run: its first checkpoint seals the tail
        ASSERT_TRUE(rec->start("config.yaml", "test", t0 + 10 * sec).ok());
        ASSERT_TRUE(rec->stop("input finished", {}, {}, true, t0 + 11 * sec).ok());
    }
    text = l.text();
    ASSERT_NE(text.find(",\"adopted\":1,"), std::string::npos);
    const AuditVerdict v = verify_audit_log(text, {pub});
    ASSERT_TRUE(v.intact()) << v.message;
    const std::string range = "the entry seq " + std::to_string(seq_of(last) + 1);
    ASSERT_EQ(v.notes.size(), 2u);
    EXPECT_NE(v.notes[0].find("seals " + range + " as the next run found them"), std::string::npos) << v.notes[0];
    AuditReport r = report(text);
    EXPECT_EQ(row(r, "FORGED", "transit"), nullptr);
    ASSERT_NE(row(r, "A", "transit"), nullptr);
    EXPECT_EQ(row(r, "A", "transit")->packets, 15u);
    ASSERT_FALSE(r.notes.empty());
    EXPECT_NE(r.notes[0].find(range + " were left unsealed"), std::string::npos) << r.notes[0];
    // The mark is signed: taken out, the checkpoint no longer verifies.
    std::string unmarked = text;
    unmarked.erase(unmarked.find(",\"adopted\":1"), std::string(",\"adopted\":1").size());
    EXPECT_EQ(verify_audit_log(unmarked, {pub}).finding, AuditFinding::checkpoint);
}

TEST(AuditReport, UnreadableEntriesAreErrors) {
    EXPECT_FALSE(build_audit_report("not json\n", {}).ok());
    const std::string bad =
        "{\"seq\":0,\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"counters\",\"from\":\"2026-01-01T00:00:00Z\","
        "\"interval\":{\"authorisations\":{\"A\":{\"transit\":{\"packets\":1}}}},\"prev\":\"0\"}\n";
    auto r = build_audit_report(bad, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("seq 0: authorisations: A: transit"), std::string::npos) << r.error().message;
    const std::string bad_category =
        "{\"seq\":0,\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"counters\",\"from\":\"2026-01-01T00:00:00Z\","
        "\"interval\":{\"authorisations\":{\"A\":{\"bulk\":{}}}},\"prev\":\"0\"}\n";
    EXPECT_FALSE(build_audit_report(bad_category, {}).ok());
}

TEST(AuditReport, ScrubsAddressesOnly) {
    EXPECT_EQ(scrub_addresses("at 192.0.2.1."), "at [address].");
    EXPECT_EQ(scrub_addresses("peer 2001:db8:: and 2001:db8::."), "peer [address] and [address].");
    EXPECT_EQ(scrub_addresses("prefix 2001:db8::/32: refused"), "prefix [address]: refused");
    EXPECT_EQ(scrub_addresses("(10.0.0.0/8,::1)"), "([address],[address])");
    const std::string keep = "a.yaml:2: APP-2025-031 expired at 2026-01-01T00:00:00Z: 1.2 of 3 (k of n) 12:30";
    EXPECT_EQ(scrub_addresses(keep), keep);
}

}  // namespace
}  // namespace flowsieve::testing
