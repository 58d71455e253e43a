// test_audit_log.cpp: a log written through the API verifies intact; edited, removed, swapped and
// truncated entries, a removed checkpoint (even with the chain re-linked) and a checkpoint signed by
// another key are each detected, at the right line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "control_test_util.hpp"
#include "oversight/audit_entry.hpp"
#include "oversight/audit_log.hpp"
#include "oversight/audit_recorder.hpp"
#include "oversight/audit_verifier.hpp"
#include "oversight/base64.hpp"
#include "oversight/content_hash.hpp"

namespace flowsieve::testing {
namespace {

constexpr std::int64_t t0 = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
constexpr std::uint32_t every = 4;

struct Fixture {
    TempDir dir;
    KeyPair pair = generate_keypair();
    SecretKeyFile key{"filter-1", pair.secret_key};
    PublicKeyFile pub{"filter-1", pair.public_key};
    std::string path = dir.file("audit.log");

    // start, 9 counters entries, stop: 11 entries + 2 periodic checkpoints + 1 closing one. Written
    // through AuditLog directly: the recorder seals every counters entry, which would leave no
    // periodic checkpoint to test.
    void write_run() {
        auto log = AuditLog::open(path, key, every);
        ASSERT_TRUE(log.ok()) << log.error().message;
        AuditLog& l = *log.value();
        ASSERT_TRUE(l.append("start", audit_start_fields(l, "config/demo.yaml", "test"), t0).ok());
        for (int i = 1; i <= 9; ++i) {
            AuditFields c;
            c.add("received", std::uint64_t(100 * i)).add("written", std::uint64_t(7 * i));
            ASSERT_TRUE(l.append("counters", c, t0 + i * 1'000'000'000LL).ok());
        }
        AuditFields stop;
        stop.add("reason", "input finished");
        ASSERT_TRUE(l.stop(stop, t0 + 10'000'000'000LL).ok());
    }
    std::vector<std::string> lines() const {
        std::ifstream in(path, std::ios::binary);
        std::vector<std::string> out;
        for (std::string l; std::getline(in, l);) out.push_back(l);
        return out;
    }
    std::string text() const {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    AuditVerdict verify(const std::string& t) const { return verify_audit_log(t, {pub}); }
};

std::string join(const std::vector<std::string>& lines) {
    std::string t;
    for (const auto& l : lines) t += l + "\n";
    return t;
}

// 1-based line numbers of the checkpoints.
std::vector<std::size_t> checkpoint_lines(const std::vector<std::string>& lines) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].find("\"type\":\"checkpoint\"") != std::string::npos) out.push_back(i + 1);
    return out;
}

TEST(AuditLog, WrittenLogVerifiesIntact) {
    Fixture f;
    f.write_run();
    const auto lines = f.lines();
    ASSERT_EQ(lines.size(), 14u);
    // A checkpoint after every 4 entries, and one right after the stop entry.
    EXPECT_EQ(checkpoint_lines(lines), (std::vector<std::size_t>{5, 10, 14}));
    EXPECT_NE(lines[12].find("\"type\":\"stop\""), std::string::npos);
    AuditVerdict v = f.verify(f.text());
    EXPECT_TRUE(v.intact()) << v.message;
    EXPECT_EQ(v.message, "intact: 14 entries, 3 checkpoints");
    // Without --key the log's own start entry supplies the key, and says so.
    AuditVerdict self = verify_audit_log(f.text(), {});
    EXPECT_TRUE(self.intact()) << self.message;
    ASSERT_FALSE(self.notes.empty());
    EXPECT_NE(self.notes.back().find("the keys the log's own start entries declare ('filter-1' (line 1))"), std::string::npos)
        << self.notes.back();
}

TEST(AuditLog, ContinuesTheChainAcrossRuns) {
    Fixture f;
    f.write_run();
    f.write_run();
    AuditVerdict v = f.verify(f.text());
    EXPECT_TRUE(v.intact()) << v.message;
    EXPECT_EQ(v.entries, 28u);
    EXPECT_NE(f.lines()[14].find("\"seq\":14,"), std::string::npos);
}

TEST(AuditLog, EditedByteIsFoundAtItsLine) {
    Fixture f;
    f.write_run();
    for (std::size_t line : {1u, 3u, 7u, 12u}) {
        auto lines = f.lines();
        // A digit of the payload: still valid JSON, so only the chain can tell.
        std::string& l = lines[line - 1];
        const auto at = l.find("\"received\":") != std::string::npos ? l.find("\"received\":") + 11 : l.find("\"version\":") + 11;
        l[at] = l[at] == '1' ? '2' : '1';
        AuditVerdict v = f.verify(join(lines));
        EXPECT_EQ(v.finding, AuditFinding::edited) << line << ": " << v.message;
        EXPECT_EQ(v.line, line) << v.message;
        EXPECT_EQ(v.seq, line - 1) << v.message;
    }
    // An edited prev field points at its own line, not the one before.
    auto lines = f.lines();
    const auto at = lines[5].find("\"prev\":\"") + 8;
    lines[5][at] = lines[5][at] == 'a' ? 'b' : 'a';
    AuditVerdict v = f.verify(join(lines));
    EXPECT_EQ(v.finding, AuditFinding::edited) << v.message;
    EXPECT_EQ(v.line, 6u) << v.message;
    // A byte that breaks the syntax.
    lines = f.lines();
    lines[2][0] = '[';
    v = f.verify(join(lines));
    EXPECT_EQ(v.finding, AuditFinding::edited) << v.message;
    EXPECT_EQ(v.line, 3u) << v.message;
}

TEST(AuditLog, EditedCheckpointOrLastEntryIsCaughtBySignature) {
    Fixture f;
    f.write_run();
    auto lines = f.lines();
    // The closing checkpoint has no successor: only its signature covers it.
    const auto at = lines[13].find("\"entries\":") + 10;
    lines[13][at] = lines[13][at] == '7' ? '8' : '7';
    AuditVerdict v = f.verify(join(lines));
    EXPECT_EQ(v.finding, AuditFinding::checkpoint) << v.message;
    EXPECT_EQ(v.line, 14u) << v.message;
}

TEST(AuditLog, DeletedEntryIsDetected) {
    Fixture f;
    f.write_run();
    auto lines = f.lines();
    lines.erase(lines.begin() + 6);  // seq 6
    AuditVerdict v = f.verify(join(lines));
    EXPECT_EQ(v.finding, AuditFinding::removed) << v.message;
    EXPECT_EQ(v.line, 7u) << v.message;
    EXPECT_NE(v.message.find("seq 6..6"), std::string::npos) << v.message;
    // The first entry too.
    lines = f.lines();
    lines.erase(lines.begin());
    v = f.verify(join(lines));
    EXPECT_EQ(v.finding, AuditFinding::removed) << v.message;
    EXPECT_EQ(v.line, 1u) << v.message;
}

TEST(AuditLog, SwappedEntriesAreDetected) {
    Fixture f;
    f.write_run();
    auto lines = f.lines();
    std::swap(lines[6], lines[7]);
    AuditVerdict v = f.verify(join(lines));
    EXPECT_EQ(v.finding, AuditFinding::reordered) << v.message;
    EXPECT_EQ(v.line, 7u) << v.message;
    EXPECT_NE(v.message.find("line 8"), std::string::npos) << v.message;
}

TEST(AuditLog, TruncationIsDetected) {
    Fixture f;
    f.write_run();
    const std::string text = f.text();
    const auto lines = f.lines();
    // Mid-line: inside the closing checkpoint, and inside an ordinary entry.
    AuditVerdict v = f.verify(text.substr(0, text.size() - 20));
    EXPECT_EQ(v.finding, AuditFinding::truncated) << v.message;
    EXPECT_NE(v.message.find("truncated after seq 12"), std::string::npos) << v.message;
    std::string upto7 = join({lines.begin(), lines.begin() + 7});
    v = f.verify(upto7 + lines[7].substr(0, 30));
    EXPECT_EQ(v.finding, AuditFinding::truncated) << v.message;
    EXPECT_NE(v.message.find("truncated after seq 6"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("unverified tail"), std::string::npos) << v.message;
    // At a line boundary: without stop + checkpoint, and right after a periodic checkpoint.
    v = f.verify(join({lines.begin(), lines.end() - 2}));
    EXPECT_EQ(v.finding, AuditFinding::truncated) << v.message;
    EXPECT_NE(v.message.find("truncated after seq 11"), std::string::npos) << v.message;
    v = f.verify(join({lines.begin(), lines.begin() + 10}));
    EXPECT_EQ(v.finding, AuditFinding::truncated) << v.message;
    EXPECT_NE(v.message.find("truncated after seq 9"), std::string::npos) << v.message;
    v = f.verify("");
    EXPECT_EQ(v.finding, AuditFinding::truncated) << v.message;
}

// What someone without the key can do: drop lines and re-link seq and prev of all that follow.
std::vector<std::string> relink(std::vector<std::string> lines) {
    std::string prev = audit_genesis_prev;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string& l = lines[i];
        const auto s = l.find(',');
        l = "{\"seq\":" + std::to_string(i) + l.substr(s);
        const auto p = l.find("\"prev\":\"") + 8;
        l.replace(p, 64, prev);
        prev = content_hash_hex(l);
    }
    return lines;
}

TEST(AuditLog, RemovedCheckpointIsDetected) {
    Fixture f;
    f.write_run();
    auto lines = f.lines();
    lines.erase(lines.begin() + 4);  // the first checkpoint (line 5)
    AuditVerdict v = f.verify(join(lines));
    EXPECT_EQ(v.finding, AuditFinding::removed) << v.message;
    EXPECT_EQ(v.line, 5u) << v.message;
    // Re-linked, the chain holds but the next checkpoint's signature no longer does.
    v = f.verify(join(relink(lines)));
    EXPECT_EQ(v.finding, AuditFinding::checkpoint) << v.message;
    EXPECT_EQ(v.line, 5u) << v.message;  // the old line 6: 5 entries since the start, every 4
    // The second periodic checkpoint removed and re-linked: the gap rule catches it.
    lines = f.lines();
    lines.erase(lines.begin() + 9);
    v = f.verify(join(relink(lines)));
    EXPECT_EQ(v.finding, AuditFinding::checkpoint) << v.message;
    EXPECT_EQ(v.line, 10u) << v.message;
    // An ordinary entry removed and the chain re-linked: the next checkpoint signed the old chain.
    lines = f.lines();
    lines.erase(lines.begin() + 6);
    v = f.verify(join(relink(lines)));
    EXPECT_EQ(v.finding, AuditFinding::checkpoint) << v.message;
    EXPECT_EQ(v.line, 9u) << v.message;
    EXPECT_NE(v.message.find("does not verify"), std::string::npos) << v.message;
    // Re-linking alone (no removal) reproduces the original bytes: the check is not vacuous.
    EXPECT_EQ(join(relink(f.lines())), f.text());
}

TEST(AuditLog, CheckpointForgedWithAnotherKeyIsDetected) {
    Fixture f;
    f.write_run();
    auto lines = f.lines();
    std::string& cp = lines[9];  // second checkpoint
    const auto marker = cp.rfind(audit_sig_marker);
    const KeyPair other = generate_keypair();
    const Signature sig = sign_detached(std::string(audit_checkpoint_domain) + cp.substr(0, marker), other.secret_key);
    cp = cp.substr(0, marker) + std::string(audit_sig_marker) + json_string(base64_encode(sig)) + "}";
    AuditVerdict v = f.verify(join(lines));
    EXPECT_EQ(v.finding, AuditFinding::checkpoint) << v.message;
    EXPECT_EQ(v.line, 10u) << v.message;
    EXPECT_NE(v.message.find("does not verify"), std::string::npos) << v.message;
    // An untouched log checked against the wrong trusted key fails at the first checkpoint.
    v = verify_audit_log(f.text(), {PublicKeyFile{"filter-1", other.public_key}});
    EXPECT_EQ(v.finding, AuditFinding::checkpoint) << v.message;
    EXPECT_EQ(v.line, 5u) << v.message;
}

// Without --key, checkpoints are checked against the keys the log declares. A forger who keeps the
// first run and appends a run of its own, declared under the filter's key id with its own key, made
// a log that verified intact; so did a filter key replaced under the same id. The verifier refuses
// a key id declared with a second key, and the filter refuses to continue a log that way.
TEST(AuditLog, AKeyIdDeclaredWithAnotherKeyIsRefused) {
    Fixture f;
    f.write_run();
    const KeyPair other = generate_keypair();
    {
        auto log = AuditLog::open(f.path, f.key, every);
        ASSERT_TRUE(log.ok()) << log.error().message;
        AuditFields forged;  // a start entry as a forger writes it: the filter's key id, another key
        forged.add("format", audit_format).add("key", "filter-1").add("public_key", base64_encode(other.public_key));
        ASSERT_TRUE(log.value()->append("start", forged, t0 + 20'000'000'000LL).ok());
        AuditFields stop;
        stop.add("reason", "input finished");
        ASSERT_TRUE(log.value()->stop(stop, t0 + 21'000'000'000LL).ok());
    }
    AuditVerdict v = verify_audit_log(f.text(), {});
    EXPECT_EQ(v.finding, AuditFinding::checkpoint) << v.message;
    EXPECT_EQ(v.line, 15u) << v.message;
    EXPECT_EQ(v.message, "line 15 (seq 14): key id 'filter-1' is declared with another public key than at line 1: forged, "
                         "or the filter key was replaced under the same id (a new key needs a new id)");
    // Two runs with one key stay intact without --key.
    Fixture g;
    g.write_run();
    g.write_run();
    EXPECT_TRUE(verify_audit_log(g.text(), {}).intact());
    // A filter whose key id the log already names with another key refuses to continue it.
    auto replaced = AuditLog::open(g.path, SecretKeyFile{"filter-1", other.secret_key}, every);
    ASSERT_FALSE(replaced.ok());
    EXPECT_EQ(replaced.error().message, g.path + ": cannot continue the audit log: line 1 declares the filter key id "
                                                 "'filter-1' with another public key: a new filter key needs a new id "
                                                 "(audit.key), or a new audit log");
    EXPECT_TRUE(AuditLog::open(g.path, SecretKeyFile{"filter-2", other.secret_key}, every).ok());  // a new id
}

TEST(AuditLog, AKeyEscapedPastAsciiIsNotAnEntry) {
    // The scanner took any \uXXXX in a key, then dereferenced the key it could not decode (an empty
    // optional): audit verify, report and the start of a run crashed on such a line.
    const std::string prev(64, '0');
    for (const std::string& line : std::vector<std::string>{"{\"\\u0080\":1,\"seq\":0,\"type\":\"start\",\"prev\":\"" + prev + "\"}",
                                   "{\"seq\":0,\"type\":\"counters\",\"interval\":{\"\\u00e9\":1}}"}) {
        SCOPED_TRACE(line);
        const auto top = scan_audit_line(line);
        if (top && top->count("interval")) {
            EXPECT_FALSE(scan_audit_line(top->at("interval")));
        } else {
            EXPECT_FALSE(top);
        }
    }
}

TEST(AuditLog, RefusesToContinueALogCutMidLine) {
    Fixture f;
    f.write_run();
    const std::string text = f.text();
    { std::ofstream(f.path, std::ios::binary | std::ios::trunc) << text.substr(0, text.size() - 5); }
    auto log = AuditLog::open(f.path, f.key, every);
    ASSERT_FALSE(log.ok());
    EXPECT_NE(log.error().message.find("mid-line"), std::string::npos) << log.error().message;
}

TEST(AuditLog, CrashedRunIsSealedByTheNextOne) {
    Fixture f;
    {
        auto log = AuditLog::open(f.path, f.key, every);
        ASSERT_TRUE(log.ok());
        AuditRecorder rec(std::move(log.value()));
        ASSERT_TRUE(rec.start("c.yaml", "test", t0).ok());
        ASSERT_TRUE(rec.counters({}, {}, t0 + 1).ok());
        ASSERT_TRUE(rec.generation_refused(2, "bad config", t0 + 2).ok());  // after the counters' checkpoint
        // no stop: as if the process died
    }
    EXPECT_EQ(f.verify(f.text()).finding, AuditFinding::truncated);
    f.write_run();
    AuditVerdict v = f.verify(f.text());
    EXPECT_TRUE(v.intact()) << v.message;
    ASSERT_EQ(v.notes.size(), 2u);
    // The sealing checkpoint marks the entry it did not write as adopted (seq 4: start, counters,
    // checkpoint, generation_refused).
    EXPECT_NE(v.notes[0].find("(seq 4): seals the entry seq 3 as the next run found them"), std::string::npos) << v.notes[0];
    EXPECT_NE(v.notes[1].find("did not stop cleanly"), std::string::npos) << v.notes[1];
}

TEST(AuditLog, RecorderSealsEveryCountersEntry) {
    Fixture f;
    {
        auto log = AuditLog::open(f.path, f.key, 2);
        ASSERT_TRUE(log.ok());
        AuditRecorder rec(std::move(log.value()));
        ASSERT_TRUE(rec.start("c.yaml", "test", t0).ok());
        ASSERT_TRUE(rec.counters({}, {}, t0 + 1).ok());  // the periodic checkpoint (every 2) seals it: no second one
        ASSERT_TRUE(rec.counters({}, {}, t0 + 2).ok());
        ASSERT_TRUE(rec.generation_refused(2, "bad config", t0 + 3).ok());
        // still running
    }
    const auto lines = f.lines();
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_EQ(checkpoint_lines(lines), (std::vector<std::size_t>{3, 5}));
    AuditVerdict v = f.verify(f.text());
    EXPECT_EQ(v.finding, AuditFinding::truncated) << v.message;
    EXPECT_EQ(v.sealed_lines, 5u);
    EXPECT_EQ(v.sealed_seq, 4u);
}

TEST(AuditLog, FirstRunCreatesTheLogsDirectory) {
    Fixture f;
    const std::string nested = f.dir.file("fresh/clone/out/audit.log");
    auto log = AuditLog::open(nested, f.key, every);
    ASSERT_TRUE(log.ok()) << log.error().message;
    EXPECT_TRUE(std::filesystem::exists(nested));
}

}  // namespace
}  // namespace flowsieve::testing
