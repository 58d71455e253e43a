// test_retention.cpp: output manifests (write, read back, every kind of bad manifest refused), the
// retention sweep (expired vs not, files without a manifest never touched, bad manifests, content
// hash and label mismatches kept and recorded, dry run, the audit log still intact afterwards) and
// the audit log's lock against a second writer, and the sweep inside a running filter (its own log,
// never its own output, interrupted by a stop), and a file replaced while the sweep checked it.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "control/config.hpp"
#include "control_test_util.hpp"
#include "export/output_label.hpp"
#include "export/pcap_writer.hpp"
#include "export/pcapng_writer.hpp"
#include "oversight/audit_log.hpp"
#include "oversight/audit_recorder.hpp"
#include "oversight/audit_verifier.hpp"
#include "oversight/content_hash.hpp"
#include "oversight/retention_manifest.hpp"
#include "oversight/retention_sweep.hpp"

namespace flowsieve::testing {
namespace {

constexpr std::int64_t t2026 = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t day = ns_per_day;

std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const std::string& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// Edits the manifest beside `output` so that it claims expiry `to` where it said `from` (the
// output's own bytes, and any label in them, untouched): the forgery the sweep must not trust.
void edit_manifest_expiry(const std::string& output, std::int64_t from, std::int64_t to) {
    std::string text = slurp(manifest_path_of(output));
    const std::string want = rfc3339_ns(from);
    ASSERT_NE(text.find(want), std::string::npos) << text;
    text.replace(text.find(want), want.size(), rfc3339_ns(to));
    spit(manifest_path_of(output), text);
}

bool exists(const std::string& p) { return std::filesystem::exists(std::filesystem::symlink_status(p)); }

// Writes a small capture (pcapng with its label, or pcap) and its manifest, as `flowsieve run` does.
OutputManifest make_output(const std::string& path, std::int64_t written_ns, std::uint32_t days, bool pcap = false) {
    const OutputLabel label = make_output_label(written_ns, days);
    HeaderRecord r;
    r.header_len = 14;
    r.wire_len = 60;
    r.time_ns = static_cast<std::uint64_t>(written_ns);
    r.generation = 1;
    r.authorisation = 0;
    auto sink = make_output_sink(path, pcap ? "pcap" : "pcapng", format_output_label(label));
    EXPECT_TRUE(sink->open().ok());
    EXPECT_TRUE(sink->write(r, "category=transit auth=APP-1 rule=t src_cc=US dst_cc=DE").ok());
    r.generation = 2;
    EXPECT_TRUE(sink->write(r, "category=transit auth=APP-2 rule=t src_cc=US dst_cc=DE").ok());
    EXPECT_TRUE(sink->close().ok());
    // The digest streamed while writing is the hash of the file as it lies on disk.
    EXPECT_EQ(sink->provenance().content_hash, file_content_hash_hex(path).value());
    auto m = describe_output(path, pcap ? "pcap" : "pcapng", label, sink->provenance());
    EXPECT_TRUE(m.ok()) << m.error().message;
    EXPECT_TRUE(write_manifest(path, m.value()).ok());
    return m.value();
}

TEST(ContentHash, OnlyARegularFileIsHashedAndAPipeNeverBlocks) {
    // The audit log hashes a generation's inputs by opening them again. A named pipe given as a
    // table was once opened for that with a blocking open: the control thread waited for a writer
    // that never came.
    TempDir dir;
    const std::string fifo = dir.file("table.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto h = file_content_hash_hex(fifo);  // returns at once: no writer is needed to refuse it
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error().message, fifo + ": not a regular file: its content cannot be read again to hash it");
    EXPECT_FALSE(file_content_hash_hex(dir.path()).ok());
    const std::string missing = dir.file("absent");
    EXPECT_EQ(file_content_hash_hex(missing).error().message,
              missing + ": cannot read (for its content hash): No such file or directory");
    const std::string file = dir.write("t.txt", "abc");
    EXPECT_EQ(file_content_hash_hex(file).value(), content_hash_hex("abc"));

    // The retention sweep's form: a link is not followed, and a set flag gives up (nullopt).
    const std::string link = dir.file("link.txt");
    ASSERT_EQ(::symlink(file.c_str(), link.c_str()), 0);
    EXPECT_EQ(file_content_hash_hex(link).value(), content_hash_hex("abc"));
    auto no_follow = file_content_hash_hex(link, {.follow_links = false});
    ASSERT_FALSE(no_follow.ok());
    EXPECT_EQ(no_follow.error().message, link + ": cannot read (for its content hash): Too many levels of symbolic links");
    std::atomic<bool> stop{false};
    auto running = file_content_hash_hex(file, {.follow_links = false, .cancel = &stop});
    ASSERT_TRUE(running.ok() && running->has_value());
    EXPECT_EQ(**running, content_hash_hex("abc"));
    stop = true;
    auto stopped = file_content_hash_hex(file, {.follow_links = false, .cancel = &stop});
    ASSERT_TRUE(stopped.ok());
    EXPECT_FALSE(stopped->has_value());
}

TEST(RetentionManifest, WrittenAndReadBack) {
    TempDir d;
    const std::string out = d.file("run-1.pcapng");
    const OutputManifest m = make_output(out, t2026, 730);
    EXPECT_EQ(m.file, "run-1.pcapng");
    EXPECT_EQ(m.blake2b, file_content_hash_hex(out).value());
    EXPECT_EQ(m.records, 2u);
    EXPECT_EQ(m.generations, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(m.authorisations, (std::vector<std::string>{"APP-1", "APP-2"}));
    EXPECT_EQ(m.label.expires_ns, t2026 + 730 * day);

    const std::string text = slurp(manifest_path_of(out));
    EXPECT_EQ(text.find("{\"format\":\"flowsieve-output-manifest-1\",\"file\":\"run-1.pcapng\""), 0u) << text;
    EXPECT_NE(text.find("\"expires\":\"2028-01-01T00:00:00.000000000Z\""), std::string::npos) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
    struct stat st {};
    ASSERT_EQ(::stat(manifest_path_of(out).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);

    // Without a streamed digest the file itself is hashed: the same hash.
    OutputProvenance unhashed;
    unhashed.records = 2;
    auto rehashed = describe_output(out, "pcapng", m.label, unhashed);
    ASSERT_TRUE(rehashed.ok());
    EXPECT_EQ(rehashed->blake2b, m.blake2b);

    auto back = read_manifest(manifest_path_of(out));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->file, m.file);
    EXPECT_EQ(back->output_format, "pcapng");
    EXPECT_EQ(back->blake2b, m.blake2b);
    EXPECT_EQ(back->bytes, m.bytes);
    EXPECT_EQ(back->records, 2u);
    EXPECT_EQ(back->first_packet_ns, std::optional<std::int64_t>(t2026));
    EXPECT_EQ(back->last_packet_ns, std::optional<std::int64_t>(t2026));
    EXPECT_EQ(back->label.written_ns, t2026);
    EXPECT_EQ(back->label.expires_ns, t2026 + 730 * day);
    EXPECT_EQ(back->generations, m.generations);
    EXPECT_EQ(back->authorisations, m.authorisations);
    EXPECT_TRUE(back->provenance_complete);

    // An empty output: no packet times, empty arrays.
    OutputManifest empty = m;
    empty.records = 0;
    empty.first_packet_ns.reset();
    empty.last_packet_ns.reset();
    empty.generations.clear();
    empty.authorisations.clear();
    auto e = parse_manifest(format_manifest(empty), "x");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_FALSE(e->first_packet_ns);
    EXPECT_TRUE(e->generations.empty());
    EXPECT_TRUE(e->authorisations.empty());
}

TEST(RetentionManifest, BadManifestsAreRefusedWithTheirReason) {
    OutputManifest m;
    m.file = "a.pcapng";
    m.output_format = "pcapng";
    m.blake2b = std::string(64, 'a');
    m.label = {t2026, t2026 + day};
    m.generations = {1};
    m.authorisations = {"A \"quoted\" id"};
    const std::string good = format_manifest(m);
    auto ok = parse_manifest(good, "m");
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->authorisations, m.authorisations);

    auto refused = [](const std::string& text) {
        auto r = parse_manifest(text, "m.json");
        return r.ok() ? std::string("(accepted)") : r.error().message;
    };
    auto replace = [&](const std::string& from, const std::string& to) {
        std::string t = good;
        t.replace(t.find(from), from.size(), to);
        return t;
    };
    EXPECT_NE(refused("").find("not a flowsieve manifest"), std::string::npos);
    EXPECT_NE(refused("hello\n").find("not a flowsieve manifest"), std::string::npos);
    EXPECT_NE(refused(good + good).find("more than one line"), std::string::npos);
    EXPECT_NE(refused(replace("manifest-1", "manifest-9")).find("format"), std::string::npos);
    EXPECT_NE(refused(replace("\"a.pcapng\"", "\"../audit.log\"")).find("file:"), std::string::npos);
    EXPECT_NE(refused(replace("\"a.pcapng\"", "\"\"")).find("file:"), std::string::npos);
    EXPECT_NE(refused(replace("\"pcapng\",", "\"exe\",")).find("output_format"), std::string::npos);
    EXPECT_NE(refused(replace(std::string(64, 'a'), std::string(63, 'a'))).find("blake2b"), std::string::npos);
    EXPECT_NE(refused(replace(std::string(64, 'a'), std::string(64, 'A'))).find("blake2b"), std::string::npos);
    EXPECT_NE(refused(replace("\"expires\":\"2026-01-02", "\"expires\":\"soon")).find("expires"), std::string::npos);
    EXPECT_NE(refused(replace("\"generations\":[1]", "\"generations\":[\"1\"]")).find("generations"), std::string::npos);
    EXPECT_NE(refused(replace("\"generations\":[1]", "\"generations\":[[1]]")).find("generations"), std::string::npos);
    EXPECT_NE(refused(replace("\"generations\":[1]", "\"generations\":[1,]")).find("not one JSON object"),
              std::string::npos);
    EXPECT_NE(refused(replace("\"authorisations\":[", "\"authorisations\":[1,")).find("authorisations"),
              std::string::npos);
    EXPECT_NE(refused(replace("\"bytes\":0", "\"bytes\":-1")).find("bytes"), std::string::npos);

    // On disk: a manifest speaks only for the file beside it, under its own name.
    TempDir d;
    spit(d.file("b.pcapng.manifest.json"), good);  // names a.pcapng
    auto r = read_manifest(d.file("b.pcapng.manifest.json"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("only speaks for the file beside it"), std::string::npos) << r.error().message;
    spit(d.file("a.pcapng.json"), good);
    EXPECT_FALSE(read_manifest(d.file("a.pcapng.json")).ok());
}

struct SweepFixture {
    TempDir dir;
    KeyPair pair = generate_keypair();
    SecretKeyFile key{"filter-1", pair.secret_key};
    PublicKeyFile pub{"filter-1", pair.public_key};
    std::string log_path = dir.file("audit.log");
    std::string out = dir.file("out");

    SweepFixture() { std::filesystem::create_directories(out); }

    Result<SweepReport> sweep(std::int64_t now, bool dry_run = false,
                              std::function<void(const std::string&)> before_claim = {}) {
        auto log = AuditLog::open(log_path, key, 64);
        EXPECT_TRUE(log.ok()) << log.error().message;
        SweepOptions o;
        o.dir = out;
        o.now_ns = now;
        o.dry_run = dry_run;
        o.before_claim = std::move(before_claim);
        o.config_path = "test.yaml";
        o.version = "test";
        return retention_sweep(o, log.value().get());
    }
    // As `retention sweep --dry-run --config`: the audit log read, nothing written.
    Result<SweepReport> dry_sweep_reading_the_log(std::int64_t now) const {
        SweepOptions o;
        o.dir = out;
        o.now_ns = now;
        o.dry_run = true;
        o.dry_run_audit_log = log_path;
        return retention_sweep(o, nullptr);
    }
    // What `flowsieve run` records when an output is complete: an `output_written` entry (its own
    // start .. stop run here). The sweep deletes only outputs the log records this way.
    void record(const std::vector<std::pair<std::string, OutputManifest>>& outputs) {
        auto log = AuditLog::open(log_path, key, 64);
        ASSERT_TRUE(log.ok()) << log.error().message;
        AuditRecorder rec(std::move(log.value()));
        ASSERT_TRUE(rec.start("filter.yaml", "test", t2026).ok());
        for (const auto& [path, m] : outputs)
            ASSERT_TRUE(rec.output_written(std::filesystem::absolute(path).string(), m, t2026).ok());
        ASSERT_TRUE(rec.stop("end of input", {}, {}, true, t2026).ok());
    }
    std::vector<std::string> entries_of_type(const std::string& type) const {
        std::vector<std::string> lines;
        std::istringstream in(slurp(log_path));
        for (std::string l; std::getline(in, l);)
            if (l.find("\"type\":\"" + type + "\"") != std::string::npos) lines.push_back(l);
        return lines;
    }
    AuditVerdict verify() const { return verify_audit_log(slurp(log_path), {pub}); }
    // A deletion that did not happen: its retention_deleted entry, then a retention_failed one after
    // it, and the log still verifies.
    void expect_deleted_then_failed() const {
        const std::string log = slurp(log_path);
        const auto del = log.find("\"type\":\"retention_deleted\""), failed = log.find("\"type\":\"retention_failed\"");
        ASSERT_NE(del, std::string::npos);
        ASSERT_NE(failed, std::string::npos);
        EXPECT_LT(del, failed);
        EXPECT_TRUE(verify().intact()) << verify().message;
    }
};

const SweepItem* item_for(const SweepReport& r, const std::string& path) {
    for (const auto& i : r.items)
        if (i.path == path) return &i;
    return nullptr;
}

TEST(RetentionSweep, DeletesOnlyExpiredVerifiedOutputsAndRecordsEachDeletion) {
    SweepFixture f;
    const std::string old_file = f.out + "/old.pcapng", young = f.out + "/young.pcapng";
    std::filesystem::create_directories(f.out + "/sub");
    const std::string old_pcap = f.out + "/sub/old.pcap";
    const OutputManifest old_m = make_output(old_file, t2026, 30);
    const OutputManifest young_m = make_output(young, t2026, 365);
    const OutputManifest old_pcap_m = make_output(old_pcap, t2026, 10, true);
    f.record({{old_file, old_m}, {young, young_m}, {old_pcap, old_pcap_m}});
    spit(f.out + "/notes.txt", "operator notes\n");            // not an output: never touched
    spit(f.out + "/stray.pcapng", slurp(old_file));            // a capture without a manifest: never touched
    std::filesystem::create_symlink(old_file, f.out + "/link.pcapng");

    // Before any expiry: nothing goes.
    auto r = f.sweep(t2026 + 5 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count(SweepOutcome::deleted), 0u);
    EXPECT_EQ(r->count(SweepOutcome::kept), 3u);
    EXPECT_TRUE(r->clean());
    EXPECT_TRUE(exists(old_file) && exists(young) && exists(old_pcap));

    // 31 days later: the two short-lived outputs expired; the rest stays.
    const std::int64_t later = t2026 + 31 * day;
    r = f.sweep(later);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count(SweepOutcome::deleted), 2u);
    EXPECT_EQ(r->count(SweepOutcome::kept), 1u);
    EXPECT_EQ(r->count(SweepOutcome::unknown), 3u);  // notes.txt, stray.pcapng, link.pcapng
    EXPECT_TRUE(r->clean());
    EXPECT_FALSE(exists(old_file));
    EXPECT_FALSE(exists(manifest_path_of(old_file)));
    EXPECT_FALSE(exists(old_pcap));
    EXPECT_FALSE(exists(manifest_path_of(old_pcap)));
    EXPECT_TRUE(exists(young) && exists(manifest_path_of(young)));
    EXPECT_TRUE(exists(f.out + "/notes.txt") && exists(f.out + "/stray.pcapng"));
    EXPECT_TRUE(std::filesystem::is_symlink(f.out + "/link.pcapng"));
    ASSERT_NE(item_for(*r, f.out + "/notes.txt"), nullptr);
    EXPECT_EQ(item_for(*r, f.out + "/notes.txt")->outcome, SweepOutcome::unknown);

    const auto deleted = f.entries_of_type("retention_deleted");
    ASSERT_EQ(deleted.size(), 2u);
    const std::string& e = deleted[0].find("old.pcapng") != std::string::npos ? deleted[0] : deleted[1];
    EXPECT_NE(e.find("\"blake2b\":\"" + old_m.blake2b + "\""), std::string::npos) << e;
    EXPECT_NE(e.find("\"expires\":\"2026-01-31T00:00:00.000000000Z\""), std::string::npos) << e;
    EXPECT_NE(e.find("\"authorisations\":[\"APP-1\",\"APP-2\"]"), std::string::npos) << e;
    EXPECT_NE(e.find("\"path\":\"" + std::filesystem::absolute(old_file).lexically_normal().string() + "\""),
              std::string::npos)
        << e;
    // The recording run and two sweeps, each a start .. stop + checkpoint run: the log still verifies.
    EXPECT_EQ(f.entries_of_type("start").size(), 3u);
    const AuditVerdict v = f.verify();
    EXPECT_TRUE(v.intact()) << v.message;
}

TEST(RetentionSweep, HashOrLabelMismatchIsKeptReportedAndRecorded) {
    SweepFixture f;
    const std::string edited = f.out + "/edited.pcapng", relabelled = f.out + "/relabelled.pcapng";
    const OutputManifest edited_m = make_output(edited, t2026, 1);
    const OutputManifest relabelled_m = make_output(relabelled, t2026, 400);
    f.record({{edited, edited_m}, {relabelled, relabelled_m}});
    // One byte of the capture changed after its manifest was written.
    std::string bytes = slurp(edited);
    bytes[bytes.size() - 5] ^= 0x01;
    spit(edited, bytes);
    // A manifest whose expiry was brought forward (the file's own pcapng label still says 400 days).
    edit_manifest_expiry(relabelled, t2026 + 400 * day, t2026 + day);

    auto r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->clean());
    EXPECT_EQ(r->count(SweepOutcome::hash_mismatch), 2u);
    EXPECT_EQ(r->count(SweepOutcome::deleted), 0u);
    EXPECT_TRUE(exists(edited) && exists(manifest_path_of(edited)));
    EXPECT_TRUE(exists(relabelled) && exists(manifest_path_of(relabelled)));
    ASSERT_NE(item_for(*r, edited), nullptr);
    EXPECT_NE(item_for(*r, edited)->message.find("content hash"), std::string::npos) << item_for(*r, edited)->message;
    EXPECT_NE(item_for(*r, relabelled)->message.find("own expiry"), std::string::npos) << item_for(*r, relabelled)->message;
    const auto refused = f.entries_of_type("retention_refused");
    ASSERT_EQ(refused.size(), 2u);
    EXPECT_NE(refused[0].find("\"found\":\"" + file_content_hash_hex(edited).value() + "\""), std::string::npos)
        << refused[0];
    EXPECT_TRUE(f.verify().intact()) << f.verify().message;
}

TEST(RetentionSweep, BadManifestsNeverDeleteAnything) {
    SweepFixture f;
    const std::string a = f.out + "/a.pcapng", b = f.out + "/b.pcapng", c = f.out + "/c.pcapng";
    make_output(a, t2026, 1);
    make_output(b, t2026, 1);
    make_output(c, t2026, 1);
    spit(manifest_path_of(a), "{\"format\":\"flowsieve-output-manifest-1\"");  // cut short
    // b's manifest claims another file's name; c's manifest is kept but c was replaced by a text file.
    std::string mb = slurp(manifest_path_of(b));
    mb.replace(mb.find("\"b.pcapng\""), 10, "\"a.pcapng\"");
    spit(manifest_path_of(b), mb);
    spit(c, "not a capture any more\n");
    spit(f.out + "/gone.pcapng.manifest.json", slurp(manifest_path_of(a)));  // orphan (and bad)
    const std::string orphan = f.out + "/orphan.pcapng";
    make_output(orphan, t2026, 1);
    std::filesystem::remove(orphan);

    auto r = f.sweep(t2026 + 10 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count(SweepOutcome::deleted), 0u);
    EXPECT_EQ(r->count(SweepOutcome::bad_manifest), 5u);
    EXPECT_FALSE(r->clean());
    for (const auto& p : {a, b, c}) {
        EXPECT_TRUE(exists(p)) << p;
        EXPECT_TRUE(exists(manifest_path_of(p))) << p;
    }
    EXPECT_NE(item_for(*r, a)->message.find("not a flowsieve manifest"), std::string::npos) << item_for(*r, a)->message;
    EXPECT_NE(item_for(*r, b)->message.find("only speaks for the file beside it"), std::string::npos);
    EXPECT_NE(item_for(*r, c)->message.find("not a pcap or pcapng capture"), std::string::npos) << item_for(*r, c)->message;
    EXPECT_NE(item_for(*r, orphan)->message.find("not there"), std::string::npos) << item_for(*r, orphan)->message;
    EXPECT_TRUE(f.entries_of_type("retention_deleted").empty());
    EXPECT_TRUE(f.verify().intact());
}

TEST(RetentionSweep, DryRunDeletesAndRecordsNothing) {
    SweepFixture f;
    const std::string a = f.out + "/a.pcapng";
    make_output(a, t2026, 1);
    SweepOptions o;
    o.dir = f.out;
    o.now_ns = t2026 + 2 * day;
    o.dry_run = true;
    auto r = retention_sweep(o, nullptr);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count(SweepOutcome::would_delete), 1u);
    EXPECT_EQ(r->count(SweepOutcome::deleted), 0u);
    EXPECT_FALSE(r->log_consulted);
    EXPECT_NE(item_for(*r, a)->message.find("audit log was not consulted"), std::string::npos) << item_for(*r, a)->message;
    EXPECT_TRUE(exists(a) && exists(manifest_path_of(a)));
    EXPECT_FALSE(exists(f.log_path));
    // With the log to read (--config): a file it does not record would be refused, not deleted.
    spit(f.log_path, "");
    o.dry_run_audit_log = f.log_path;
    r = retention_sweep(o, nullptr);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->log_consulted);
    EXPECT_EQ(r->count(SweepOutcome::would_delete), 0u);
    EXPECT_EQ(r->count(SweepOutcome::hash_mismatch), 1u);
    EXPECT_EQ(slurp(f.log_path), "");  // read, never written
    o.dry_run_audit_log.clear();
    // Deleting without an audit log is refused outright.
    o.dry_run = false;
    auto refused = retention_sweep(o, nullptr);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("audit log"), std::string::npos);
    EXPECT_TRUE(exists(a));
    // A directory that is not there is an error, not a crash.
    o.dir = f.out + "/missing";
    o.dry_run = true;
    EXPECT_FALSE(retention_sweep(o, nullptr).ok());
}

TEST(RetentionSweep, AManifestTheAuditLogDoesNotRecordDeletesNothing) {
    SweepFixture f;
    // recorded.pcapng: a real output, recorded by its run. foreign.pcap: a capture flowsieve never
    // wrote (here written like one, so that nothing but the log tells them apart) with a hand-made
    // manifest carrying its right hash and an early expiry.
    const std::string recorded = f.out + "/recorded.pcapng", foreign = f.out + "/foreign.pcap";
    const OutputManifest recorded_m = make_output(recorded, t2026, 1);
    f.record({{recorded, recorded_m}});
    make_output(foreign, t2026, 3650, true);
    OutputManifest forged = read_manifest(manifest_path_of(foreign)).value();
    forged.label.expires_ns = t2026 + day;
    forged.blake2b = file_content_hash_hex(foreign).value();
    spit(manifest_path_of(foreign), format_manifest(forged));

    auto r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->log_consulted);
    EXPECT_FALSE(r->clean());  // needs attention: exit status 1
    EXPECT_EQ(r->count(SweepOutcome::deleted), 1u);
    EXPECT_FALSE(exists(recorded) || exists(manifest_path_of(recorded)));
    EXPECT_TRUE(exists(foreign) && exists(manifest_path_of(foreign)));
    ASSERT_NE(item_for(*r, foreign), nullptr);
    EXPECT_EQ(item_for(*r, foreign)->outcome, SweepOutcome::hash_mismatch);
    EXPECT_NE(item_for(*r, foreign)->message.find("not recorded in the audit log"), std::string::npos)
        << item_for(*r, foreign)->message;
    const auto refused = f.entries_of_type("retention_refused");
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_NE(refused[0].find("not recorded in the audit log"), std::string::npos) << refused[0];
    EXPECT_NE(refused[0].find("foreign.pcap"), std::string::npos) << refused[0];
    EXPECT_EQ(f.entries_of_type("retention_deleted").size(), 1u);

    // A filter sweeping every second records the same refusal once (it reports it every time).
    std::set<std::string> recorded_once;
    for (int i = 0; i < 2; ++i) {
        auto log = AuditLog::open(f.log_path, f.key, 64);
        ASSERT_TRUE(log.ok()) << log.error().message;
        AuditRecorder rec(std::move(log.value()));
        ASSERT_TRUE(rec.start("filter.yaml", "test", t2026).ok());
        SweepOptions o;
        o.dir = f.out;
        o.now_ns = t2026 + 3 * day;
        o.refusals_recorded = &recorded_once;
        for (int sweep = 0; sweep < 2; ++sweep) {
            auto again = rec.retention_sweep(o);
            ASSERT_TRUE(again.ok()) << again.error().message;
            EXPECT_EQ(item_for(*again, foreign)->outcome, SweepOutcome::hash_mismatch);
        }
        ASSERT_TRUE(rec.stop("signal", {}, {}, true, t2026 + 3 * day).ok());
    }
    EXPECT_EQ(f.entries_of_type("retention_refused").size(), 2u);  // the command's, and the filter's once

    // A fresh log that never saw any output: nothing at all is deleted.
    SweepFixture fresh;
    const std::string real = fresh.out + "/real.pcapng";
    make_output(real, t2026, 1);
    r = fresh.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count(SweepOutcome::deleted), 0u);
    EXPECT_EQ(r->count(SweepOutcome::hash_mismatch), 1u);
    EXPECT_TRUE(exists(real));
    EXPECT_TRUE(fresh.entries_of_type("retention_deleted").empty());
    EXPECT_TRUE(f.verify().intact()) << f.verify().message;
    EXPECT_TRUE(fresh.verify().intact()) << fresh.verify().message;
}

TEST(RetentionSweep, AnEarlierExpiryEditedIntoARealManifestDeletesNothing) {
    SweepFixture f;
    // Classic pcap carries no label of its own: the manifest's expiry is all the file says.
    const std::string out = f.out + "/real.pcap";
    const OutputManifest m = make_output(out, t2026, 400, true);
    f.record({{out, m}});
    edit_manifest_expiry(out, t2026 + 400 * day, t2026 + day);

    auto r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count(SweepOutcome::deleted), 0u);
    EXPECT_TRUE(exists(out) && exists(manifest_path_of(out)));
    EXPECT_EQ(item_for(*r, out)->outcome, SweepOutcome::hash_mismatch);
    EXPECT_NE(item_for(*r, out)->message.find("not recorded in the audit log"), std::string::npos) << item_for(*r, out)->message;
    EXPECT_EQ(f.entries_of_type("retention_refused").size(), 1u);

    // With its real expiry back, it is kept until then and deleted after.
    spit(manifest_path_of(out), format_manifest(m));
    r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(item_for(*r, out)->outcome, SweepOutcome::kept);
    r = f.sweep(t2026 + 400 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(item_for(*r, out)->outcome, SweepOutcome::deleted);
    EXPECT_FALSE(exists(out));
    EXPECT_TRUE(f.verify().intact()) << f.verify().message;
}

TEST(RetentionSweep, AFileThatCannotBeUnlinkedIsRecordedAsFailed) {
    if (::geteuid() == 0) GTEST_SKIP() << "root unlinks from a read-only directory";
    SweepFixture f;
    std::filesystem::create_directories(f.out + "/ro");
    const std::string out = f.out + "/ro/a.pcapng";
    const OutputManifest m = make_output(out, t2026, 1);
    f.record({{out, m}});
    ::chmod((f.out + "/ro").c_str(), 0555);
    auto r = f.sweep(t2026 + 2 * day);
    ::chmod((f.out + "/ro").c_str(), 0755);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(item_for(*r, out)->outcome, SweepOutcome::failed);
    EXPECT_TRUE(exists(out) && exists(manifest_path_of(out)));
    // Recorded before the unlink, and the failure after it.
    f.expect_deleted_then_failed();
}

// A filter may commit a new output under an expired one's name while the sweep checks the old one
// (its hash takes a while): the sweep deletes the file it checked or nothing, never the new one.
TEST(RetentionSweep, AFileReplacedWhileItWasCheckedIsNotDeleted) {
    SweepFixture f;
    const std::string out = f.out + "/a.pcapng";
    const OutputManifest m = make_output(out, t2026, 1);
    f.record({{out, m}});
    const std::string fresh = slurp(out) + "a newer capture's bytes";
    int calls = 0;
    auto r = f.sweep(t2026 + 2 * day, false, [&](const std::string& path) {
        ++calls;
        EXPECT_EQ(path, out);
        spit(out + ".new", fresh);
        std::filesystem::rename(out + ".new", out);  // replaces it, as a commit under that name would
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(calls, 1);
    ASSERT_NE(item_for(*r, out), nullptr);
    EXPECT_EQ(item_for(*r, out)->outcome, SweepOutcome::failed);
    EXPECT_NE(item_for(*r, out)->message.find("replaced or changed while it was checked"), std::string::npos)
        << item_for(*r, out)->message;
    ASSERT_TRUE(exists(out));
    EXPECT_EQ(slurp(out), fresh);
    EXPECT_TRUE(exists(manifest_path_of(out)));
    EXPECT_FALSE(exists(out + ".sweeping"));
    // The deletion was recorded before the claim; its failure follows it.
    f.expect_deleted_then_failed();

    // Left alone, the same kind of file is claimed and deleted, and nothing is left under the claim.
    const std::string other = f.out + "/b.pcapng";
    f.record({{other, make_output(other, t2026, 1)}});
    r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(item_for(*r, other)->outcome, SweepOutcome::deleted);
    EXPECT_FALSE(exists(other) || exists(other + ".sweeping") || exists(manifest_path_of(other)));
}

// A sweep stopped between claiming a file (renaming it to NAME.sweeping) and unlinking it: the next
// sweep puts it back under its name and checks it again before deleting it; a dry run only reports.
TEST(RetentionSweep, AFileAnInterruptedSweepLeftClaimedIsPutBackAndCheckedAgain) {
    SweepFixture f;
    const std::string out = f.out + "/a.pcapng", altered = f.out + "/b.pcapng";
    f.record({{out, make_output(out, t2026, 1)}, {altered, make_output(altered, t2026, 1)}});
    std::filesystem::rename(out, out + ".sweeping");
    spit(altered + ".sweeping", slurp(altered) + "changed while it was claimed");
    std::filesystem::remove(altered);

    auto dry = f.dry_sweep_reading_the_log(t2026 + 2 * day);
    ASSERT_TRUE(dry.ok()) << dry.error().message;
    ASSERT_NE(item_for(*dry, out + ".sweeping"), nullptr);
    EXPECT_EQ(item_for(*dry, out + ".sweeping")->outcome, SweepOutcome::unknown);
    EXPECT_NE(item_for(*dry, out)->message.find("a sweep puts it back"), std::string::npos) << item_for(*dry, out)->message;
    EXPECT_TRUE(exists(out + ".sweeping") && !exists(out));

    auto r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_NE(item_for(*r, out), nullptr);
    EXPECT_EQ(item_for(*r, out)->outcome, SweepOutcome::deleted) << item_for(*r, out)->message;
    EXPECT_NE(item_for(*r, out)->message.find("interrupted sweep"), std::string::npos) << item_for(*r, out)->message;
    EXPECT_EQ(item_for(*r, out + ".sweeping"), nullptr);
    EXPECT_FALSE(exists(out) || exists(out + ".sweeping") || exists(manifest_path_of(out)));
    // The other one's bytes changed while it lay claimed: put back, refused, kept with its manifest.
    ASSERT_NE(item_for(*r, altered), nullptr);
    EXPECT_EQ(item_for(*r, altered)->outcome, SweepOutcome::hash_mismatch) << item_for(*r, altered)->message;
    EXPECT_TRUE(exists(altered) && exists(manifest_path_of(altered)) && !exists(altered + ".sweeping"));
    EXPECT_TRUE(f.verify().intact()) << f.verify().message;

    // A claim whose name was taken again is left as it is, reported; the file under the name cannot
    // be claimed while it is there, so it is kept too (nothing is overwritten).
    const std::string c = f.out + "/c.pcapng";
    f.record({{c, make_output(c, t2026, 1)}});
    spit(c + ".sweeping", "an older claimed file");
    r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(item_for(*r, c)->outcome, SweepOutcome::failed);
    EXPECT_NE(item_for(*r, c)->message.find("is there already"), std::string::npos) << item_for(*r, c)->message;
    EXPECT_TRUE(exists(c) && exists(manifest_path_of(c)));
    ASSERT_NE(item_for(*r, c + ".sweeping"), nullptr);
    EXPECT_EQ(item_for(*r, c + ".sweeping")->outcome, SweepOutcome::unknown);
    EXPECT_EQ(slurp(c + ".sweeping"), "an older claimed file");
}

// A sweep stopped after unlinking a file but before removing its manifest: the next sweep finds the
// deletion in the audit log (retention_deleted, no retention_failed after it) and removes the
// manifest, recording nothing twice. A file whose deletion failed and that vanished later keeps its
// manifest: nothing says flowsieve deleted it.
TEST(RetentionSweep, AManifestAnInterruptedSweepLeftIsRemovedOnceTheLogRecordsTheDeletion) {
    SweepFixture f;
    const std::string out = f.out + "/a.pcapng";
    f.record({{out, make_output(out, t2026, 1)}});
    const std::string manifest = slurp(manifest_path_of(out));
    auto r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(item_for(*r, out)->outcome, SweepOutcome::deleted);
    spit(manifest_path_of(out), manifest);  // as if the sweep had stopped before removing it
    ASSERT_EQ(f.entries_of_type("retention_deleted").size(), 1u);

    auto dry = f.dry_sweep_reading_the_log(t2026 + 2 * day);
    ASSERT_TRUE(dry.ok()) << dry.error().message;
    EXPECT_EQ(item_for(*dry, out)->outcome, SweepOutcome::would_delete) << item_for(*dry, out)->message;
    EXPECT_TRUE(exists(manifest_path_of(out)));

    r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(item_for(*r, out)->outcome, SweepOutcome::deleted) << item_for(*r, out)->message;
    EXPECT_NE(item_for(*r, out)->message.find("deleted by an earlier sweep"), std::string::npos);
    EXPECT_FALSE(exists(manifest_path_of(out)));
    EXPECT_EQ(f.entries_of_type("retention_deleted").size(), 1u);  // not recorded twice
    const std::string stop = f.entries_of_type("stop").back();  // this run's tally says which it was
    EXPECT_NE(stop.find("\"deleted\":0"), std::string::npos) << stop;
    EXPECT_NE(stop.find("\"manifests_removed\":1"), std::string::npos) << stop;
    EXPECT_TRUE(f.verify().intact()) << f.verify().message;

    // A failed deletion (the file was replaced while it was checked), then the file removed by hand.
    const std::string b = f.out + "/b.pcapng";
    f.record({{b, make_output(b, t2026, 1)}});
    r = f.sweep(t2026 + 2 * day, false, [&](const std::string& path) {
        spit(path + ".new", slurp(path) + "other bytes");
        std::filesystem::rename(path + ".new", path);
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(item_for(*r, b)->outcome, SweepOutcome::failed);
    std::filesystem::remove(b);
    r = f.sweep(t2026 + 2 * day);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(item_for(*r, b)->outcome, SweepOutcome::bad_manifest) << item_for(*r, b)->message;
    EXPECT_TRUE(exists(manifest_path_of(b)));
}

TEST(RetentionSweep, InsideARunningFilterItRecordsIntoTheFiltersRunAndSparesItsOutput) {
    SweepFixture f;
    const std::string old_file = f.out + "/old.pcapng", other = f.out + "/other.pcap";
    // The filter writes live.pcapng (as live.pcapng.partial until it stops); an expired output of an
    // earlier run still lies under that name, with a valid manifest: the sweep must leave it alone.
    const std::string live = f.out + "/live.pcapng";
    const OutputManifest old_m = make_output(old_file, t2026, 1);
    const OutputManifest other_m = make_output(other, t2026, 1, true);
    const OutputManifest live_m = make_output(live, t2026, 1);
    f.record({{old_file, old_m}, {other, other_m}, {live, live_m}});  // an earlier run wrote them
    spit(live + ".partial", "the capture being written\n");
    const std::string live_bytes = slurp(live);

    auto log = AuditLog::open(f.log_path, f.key, 64);
    ASSERT_TRUE(log.ok()) << log.error().message;
    AuditRecorder rec(std::move(log.value()));
    ASSERT_TRUE(rec.start("filter.yaml", "test", t2026).ok());

    // Stopping (SIGTERM) before the sweep: nothing deleted, the report says it was cut short.
    std::atomic<bool> stop{true};
    SweepOptions o;
    o.dir = f.out;
    o.now_ns = t2026 + 2 * day;
    o.never_delete = {live, live + ".partial"};
    o.cancel = &stop;
    auto r = rec.retention_sweep(o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->cancelled);
    EXPECT_EQ(r->count(SweepOutcome::deleted), 0u);
    EXPECT_TRUE(exists(old_file) && exists(other));

    stop = false;
    r = rec.retention_sweep(o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->cancelled);
    EXPECT_EQ(r->count(SweepOutcome::deleted), 2u);
    EXPECT_FALSE(exists(old_file) || exists(manifest_path_of(old_file)) || exists(other));
    ASSERT_NE(item_for(*r, live), nullptr);
    EXPECT_EQ(item_for(*r, live)->outcome, SweepOutcome::kept);
    EXPECT_NE(item_for(*r, live)->message.find("this filter is writing"), std::string::npos) << item_for(*r, live)->message;
    EXPECT_EQ(slurp(live), live_bytes);
    EXPECT_TRUE(exists(manifest_path_of(live)));
    EXPECT_EQ(slurp(live + ".partial"), "the capture being written\n");
    // Protected by inode too: the same file named through a symbolic link to its directory.
    std::filesystem::create_directory_symlink(f.out, f.dir.file("alias"));
    o.never_delete = {f.dir.file("alias") + "/live.pcapng"};
    r = rec.retention_sweep(o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(item_for(*r, live)->outcome, SweepOutcome::kept);
    EXPECT_TRUE(exists(live));

    // A directory that cannot be listed is reported, not an error (an error would stop the filter).
    o.dir = f.out + "/missing";
    r = rec.retention_sweep(o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count(SweepOutcome::failed), 1u);

    ASSERT_TRUE(rec.stop("signal", {}, {}, true, t2026 + 2 * day).ok());
    // The earlier run, then this one: the filter's start .. stop, with the deletions inside it.
    EXPECT_EQ(f.entries_of_type("start").size(), 2u);
    EXPECT_EQ(f.entries_of_type("stop").size(), 2u);
    const auto deleted = f.entries_of_type("retention_deleted");
    ASSERT_EQ(deleted.size(), 2u);
    const std::string& e = deleted[0].find("old.pcapng") != std::string::npos ? deleted[0] : deleted[1];
    EXPECT_NE(e.find("\"blake2b\":\"" + old_m.blake2b + "\""), std::string::npos) << e;
    const AuditVerdict v = f.verify();
    EXPECT_TRUE(v.intact()) << v.message;
}

// A second output under the same name never replaces the first: the first is kept under an archived
// name (its manifest's written time), its manifest moved with it and rewritten to that name, so the
// sweep still knows it by its manifest and the audit log's output_written entry (hash and expiry) and
// deletes it at its own expiry, not the new one's.
TEST(RetentionKeep, AnEarlierOutputIsKeptWithItsManifestAndStillSwept) {
    SweepFixture f;
    const std::string out = f.out + "/run.pcapng";
    const std::string kept = f.out + "/run.20260101T000000Z.pcapng";
    const OutputManifest first = make_output(out, t2026, 30);
    const std::string first_bytes = slurp(out);
    // Someone else's file under the archived name the first output would get: skipped, never touched.
    spit(kept, "not ours\n");
    const OutputManifest second = make_output(out, t2026 + day, 30);
    f.record({{out, first}, {out, second}});
    const std::string kept2 = f.out + "/run.20260101T000000Z-2.pcapng";
    EXPECT_EQ(slurp(kept), "not ours\n");
    ASSERT_TRUE(exists(kept2));
    EXPECT_EQ(slurp(kept2), first_bytes);
    EXPECT_EQ(file_content_hash_hex(kept2).value(), first.blake2b);
    EXPECT_EQ(file_content_hash_hex(out).value(), second.blake2b);
    EXPECT_NE(first.blake2b, second.blake2b);
    auto km = read_manifest(manifest_path_of(kept2));  // refuses a manifest naming another file
    ASSERT_TRUE(km.ok()) << km.error().message;
    EXPECT_EQ(km->file, "run.20260101T000000Z-2.pcapng");
    EXPECT_EQ(km->blake2b, first.blake2b);
    EXPECT_EQ(km->label.expires_ns, first.label.expires_ns);
    auto nm = read_manifest(manifest_path_of(out));
    ASSERT_TRUE(nm.ok()) << nm.error().message;
    EXPECT_EQ(nm->blake2b, second.blake2b);
    EXPECT_FALSE(exists(manifest_path_of(kept)));

    // Between the two expiries: the kept first output goes, the second stays; nothing is unknown to the
    // sweep but the foreign file.
    auto r = f.sweep(t2026 + 30 * day + 3600'000'000'000);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count(SweepOutcome::deleted), 1u);
    EXPECT_EQ(r->count(SweepOutcome::kept), 1u);
    EXPECT_EQ(r->count(SweepOutcome::unknown), 1u);
    EXPECT_TRUE(r->clean());
    EXPECT_FALSE(exists(kept2) || exists(manifest_path_of(kept2)));
    EXPECT_TRUE(exists(out) && exists(kept));
    EXPECT_TRUE(f.verify().intact());
}

// An earlier output whose manifest does not read is still kept (named by its modification time), the
// manifest moved unchanged beside it, for an operator to look at; an earlier file without a manifest
// is kept alone.
TEST(RetentionKeep, AnUnreadableManifestMovesUnchangedAndNoManifestIsFine) {
    TempDir d;
    const std::string out = d.file("run.pcap");
    make_output(out, t2026, 30, true);
    const std::string before = slurp(out);
    spit(manifest_path_of(out), "not json\n");
    const timespec times[2] = {{1'796'206'500, 0}, {1'796'206'500, 0}};  // 2026-12-02T10:15:00Z
    ASSERT_EQ(::utimensat(AT_FDCWD, out.c_str(), times, 0), 0);
    auto kept = keep_earlier_output(out);
    ASSERT_TRUE(kept.ok()) << kept.error().message;
    EXPECT_EQ(kept.value(), d.file("run.20261202T101500Z.pcap"));
    EXPECT_EQ(slurp(kept.value()), before);
    EXPECT_EQ(slurp(manifest_path_of(kept.value())), "not json\n");
    EXPECT_FALSE(exists(out) || exists(manifest_path_of(out)));

    spit(out, "no manifest");
    ASSERT_EQ(::utimensat(AT_FDCWD, out.c_str(), times, 0), 0);
    kept = keep_earlier_output(out);
    ASSERT_TRUE(kept.ok()) << kept.error().message;
    EXPECT_EQ(kept.value(), d.file("run.20261202T101500Z-2.pcap"));  // the first name is taken
    EXPECT_EQ(slurp(kept.value()), "no manifest");
    EXPECT_FALSE(exists(manifest_path_of(kept.value())));
    // Nothing to keep: an error, and nothing moves.
    EXPECT_FALSE(keep_earlier_output(out).ok());
    std::filesystem::create_directory(out);
    EXPECT_FALSE(keep_earlier_output(out).ok());  // not a regular file: left where it is
    EXPECT_TRUE(std::filesystem::is_directory(out));
}

TEST(RetentionConfig, RetentionDaysDefaultsToTwoYearsAndIsChecked) {
    TempDir d;
    auto load = [&](const std::string& output) {
        return load_config(d.write("c.yaml", "countries:\n  files: [world.csv]\noutput:\n" + output));
    };
    auto c = load("  path: out.pcapng\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->output_retention_days, 730u);
    c = load("  retention_days: 30\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->output_retention_days, 30u);
    c = load("  retention_days: 0\n");  // expires as soon as written
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->output_retention_days, 0u);
    EXPECT_NE(error_of(load("  retention_days: 36501\n")).find(d.file("c.yaml") + ":4: output.retention_days"),
              std::string::npos);
    EXPECT_NE(error_of(load("  retention_days: two years\n")).find("output.retention_days"), std::string::npos);
}

TEST(AuditLogLock, ASecondWriterIsRefusedUntilTheFirstIsGone) {
    TempDir d;
    const KeyPair pair = generate_keypair();
    const SecretKeyFile key{"filter-1", pair.secret_key};
    const std::string path = d.file("audit.log");
    {
        auto first = AuditLog::open(path, key, 8);
        ASSERT_TRUE(first.ok()) << first.error().message;
        ASSERT_TRUE(first.value()->append("start", AuditFields{}, t2026).ok());
        auto second = AuditLog::open(path, key, 8);
        ASSERT_FALSE(second.ok());
        EXPECT_NE(second.error().message.find("locked by another flowsieve process"), std::string::npos)
            << second.error().message;
        // The refused writer changed nothing.
        const std::string before = slurp(path);
        EXPECT_EQ(std::count(before.begin(), before.end(), '\n'), 1);
    }
    auto again = AuditLog::open(path, key, 8);
    ASSERT_TRUE(again.ok()) << again.error().message;  // released with the first
    EXPECT_EQ(again.value()->next_seq(), 2u);           // continued after sealing the unsealed entry
}

}  // namespace
}  // namespace flowsieve::testing
