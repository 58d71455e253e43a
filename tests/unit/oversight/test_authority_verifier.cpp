// test_authority_verifier.cpp: one verdict per refusal, each with its own message, and the
// accepted cases next to them (quorum met, re-issue after revocation, same serial re-read).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/time_text.hpp"
#include "oversight/authority_verifier.hpp"
#include "oversight/base64.hpp"

namespace flowsieve::testing {
namespace {

std::int64_t t(const char* text) { return *parse_time(text); }
const std::int64_t now = t("2026-03-01T00:00:00Z");

struct Signer {
    std::string id;
    KeyPair keys = generate_keypair();
};

class Verifier : public ::testing::Test {
protected:
    Verifier() {
        for (auto* s : {&c1_, &c2_, &c3_}) policy_.keys.push_back({s->id, KeyRole::commission, {}, s->keys.public_key, {}});
        policy_.keys.push_back({power_.id, KeyRole::operator_, "power", power_.keys.public_key, {}});
        policy_.keys.push_back({rail_.id, KeyRole::operator_, "rail", rail_.keys.public_key, {}});
        policy_.approval_quorum = 2;
        approval_.id = "A-1";
        approval_.kind = AuthKind::approval;
        approval_.category = Category::threat_linked;
        approval_.issuer = "commission";
        approval_.indicator_sets = {"ipsum"};
        approval_.valid_from_ns = t("2026-01-01T00:00:00Z");
        approval_.valid_until_ns = t("2027-01-01T00:00:00Z");
        approval_.serial = 3;
        consent_ = approval_;
        consent_.id = "C-1";
        consent_.kind = AuthKind::consent;
        consent_.category = Category::operator_;
        consent_.issuer = "power";
        consent_.indicator_sets.clear();
        consent_.operator_id = "power";
    }
    static SignatureEntry sign(const Authorisation& a, const Signer& s, const std::string& as_id = {}) {
        const std::string id = as_id.empty() ? s.id : as_id;
        return {id, base64_encode(sign_detached(canonical_authorisation(a, id), s.keys.secret_key)), "a.yaml:9"};
    }
    static SignatureEntry sign(const Revocation& r, const Signer& s) {
        return {s.id, base64_encode(sign_detached(canonical_revocation(r, s.id), s.keys.secret_key)), "r.yaml:5"};
    }
    AuthorityVerdict judge(const Authorisation& a, const std::vector<SignatureEntry>& sigs,
                           const std::vector<Revocation>& revs = {}, const SerialState* state = nullptr,
                           std::int64_t at = now) const {
        return judge_authorisation(a, sigs, policy_, revs, state, at);
    }

    Signer c1_{"commission-1"}, c2_{"commission-2"}, c3_{"commission-3"}, power_{"power-1"}, rail_{"rail-1"},
        outsider_{"outsider"};
    OversightPolicy policy_;
    Authorisation approval_, consent_;
};

TEST_F(Verifier, QuorumOfCommissionKeysAccepts) {
    auto v = judge(approval_, {sign(approval_, c1_), sign(approval_, c3_)});
    EXPECT_EQ(v.refusal, Refusal::none) << v.message;
    EXPECT_TRUE(v.usable());
    EXPECT_EQ(v.message, "");
    ASSERT_EQ(v.signatures.size(), 2u);
    EXPECT_TRUE(v.signatures[0].valid && v.signatures[1].valid);
    v = judge(consent_, {sign(consent_, power_)});
    EXPECT_EQ(v.refusal, Refusal::none) << v.message;
}

TEST_F(Verifier, UnsignedIsRefusedUnlessSignaturesAreOptional) {
    auto v = judge(approval_, {});
    EXPECT_EQ(v.refusal, Refusal::unsigned_);
    EXPECT_FALSE(v.usable());
    EXPECT_EQ(v.message, "unsigned: oversight.require_signatures is on and the file has no signatures");
    policy_.require_signatures = false;
    v = judge(approval_, {});
    EXPECT_TRUE(v.usable());
    EXPECT_EQ(v.message, "unsigned: accepted only because oversight.require_signatures is false");
    // Optional does not mean unchecked: a signature that is there must still verify.
    Authorisation changed = approval_;
    changed.serial = 4;
    EXPECT_EQ(judge(changed, {sign(approval_, c1_), sign(approval_, c2_)}).refusal, Refusal::bad_signature);
}

TEST_F(Verifier, TamperedFieldIsABadSignature) {
    auto sigs = std::vector<SignatureEntry>{sign(approval_, c1_), sign(approval_, c2_)};
    Authorisation tampered = approval_;
    tampered.indicator_sets.push_back("scanners");  // widen the scope after signing
    auto v = judge(tampered, sigs);
    EXPECT_EQ(v.refusal, Refusal::bad_signature);
    EXPECT_EQ(v.message, "bad signature by key 'commission-1' (a.yaml:9): it does not verify, so the file was altered "
                         "or the signature forged");
    EXPECT_FALSE(v.signatures[0].valid);
}

TEST_F(Verifier, ForgedSignatureUnderATrustedKeyIdIsABadSignature) {
    // Signed by an outsider's key but labelled as commission-2's.
    auto v = judge(approval_, {sign(approval_, c1_), sign(approval_, outsider_, "commission-2")});
    EXPECT_EQ(v.refusal, Refusal::bad_signature);
    EXPECT_EQ(v.message, "bad signature by key 'commission-2' (a.yaml:9): it does not verify, so the file was altered "
                         "or the signature forged");
    EXPECT_TRUE(v.signatures[0].valid);
    EXPECT_FALSE(v.signatures[1].valid);
    // A signature moved to another key id does not verify either (the key id is signed).
    auto moved = sign(approval_, c1_);
    moved.key_id = "commission-2";
    EXPECT_EQ(judge(approval_, {sign(approval_, c1_), moved}).refusal, Refusal::bad_signature);
    auto garbage = sign(approval_, c2_);
    garbage.sig = "not base64!";
    v = judge(approval_, {sign(approval_, c1_), garbage});
    EXPECT_EQ(v.refusal, Refusal::bad_signature);
    EXPECT_EQ(v.message, "bad signature by key 'commission-2' (a.yaml:9): not the base64 of a 64-byte Ed25519 signature");
}

TEST_F(Verifier, UnknownKeyIsRefused) {
    auto v = judge(approval_, {sign(approval_, c1_), sign(approval_, c2_), sign(approval_, outsider_)});
    EXPECT_EQ(v.refusal, Refusal::unknown_key);
    EXPECT_EQ(v.message, "signed by unknown key 'outsider' (a.yaml:9): not among oversight.trusted_keys");
}

TEST_F(Verifier, ShortOfQuorumSaysKOfN) {
    auto v = judge(approval_, {sign(approval_, c1_)});
    EXPECT_EQ(v.refusal, Refusal::short_of_quorum);
    EXPECT_EQ(v.message, "short of quorum: 1 of 2 required commission signatures");
    v = judge(approval_, {sign(approval_, c2_), sign(approval_, c2_)});
    EXPECT_EQ(v.refusal, Refusal::short_of_quorum);
    EXPECT_EQ(v.message,
              "short of quorum: 1 of 2 required commission signatures (a member counts once however often, and with "
              "however many of its keys, it signs)");
    policy_.approval_quorum = 3;
    EXPECT_EQ(judge(approval_, {sign(approval_, c1_), sign(approval_, c2_)}).message,
              "short of quorum: 2 of 3 required commission signatures");
    EXPECT_TRUE(judge(approval_, {sign(approval_, c1_), sign(approval_, c2_), sign(approval_, c3_)}).usable());
}

TEST_F(Verifier, KeysOutsideTheirRoleAreRefused) {
    auto v = judge(approval_, {sign(approval_, c1_), sign(approval_, c2_), sign(approval_, power_)});
    EXPECT_EQ(v.refusal, Refusal::key_out_of_scope);
    EXPECT_EQ(v.message, "out of scope: key 'power-1' is operator 'power''s key: only commission keys sign an approval");
    v = judge(consent_, {sign(consent_, rail_)});
    EXPECT_EQ(v.refusal, Refusal::key_out_of_scope);
    EXPECT_EQ(v.message, "out of scope: key 'rail-1' belongs to operator 'rail', not to the consenting operator 'power'");
    v = judge(consent_, {sign(consent_, c1_)});
    EXPECT_EQ(v.refusal, Refusal::key_out_of_scope);
    EXPECT_EQ(v.message,
              "out of scope: key 'commission-1' is a commission key: a consent is signed by the consenting operator 'power'");
}

TEST_F(Verifier, RevokedUpToTheRevokedSerial) {
    const auto sigs = std::vector<SignatureEntry>{sign(approval_, c1_), sign(approval_, c2_)};
    Revocation r{"A-1", 3, t("2026-02-01T00:00:00Z"), "r.yaml:1"};
    auto v = judge(approval_, sigs, {r});
    EXPECT_EQ(v.refusal, Refusal::revoked);
    EXPECT_EQ(v.message, "revoked by r.yaml:1 (serials up to 3, issued 2026-02-01T00:00:00Z)");
    r.serial = 2;  // a re-issue with a higher serial stands
    EXPECT_TRUE(judge(approval_, sigs, {r}).usable());
    r = {"A-2", 9, 0, "r.yaml:1"};
    EXPECT_TRUE(judge(approval_, sigs, {r}).usable());
}

TEST(SerialStateFile, ASerialBeyondSixtyFourBitsIsAnErrorNotAnException) {
    const std::string path = ::testing::TempDir() + "serials-overflow.txt";
    const std::string digest(64, '0');
    std::ofstream(path) << "A-1 18446744073709551615 " << digest << "\nA-2 18446744073709551616 " << digest << "\n";
    auto s = SerialState::load(path);  // std::stoull threw out_of_range here once: std::terminate
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, path + ":2: serial 18446744073709551616 is beyond 64 bits");
    std::filesystem::remove(path);
}

TEST(SerialStateFile, ADirectoryIsAnErrorNotAnEmptyState) {
    // Read as a stream, a directory gave no lines: an empty state, under which a rolled-back
    // authorisation passed `authority verify --config`.
    const std::string dir = ::testing::TempDir() + "serials-dir";
    std::filesystem::create_directories(dir);
    auto s = SerialState::load(dir);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, dir + ": is a directory, not a file");
    std::filesystem::remove(dir);
    auto dev = SerialState::load("/dev/zero");  // once read as one endless line
    ASSERT_FALSE(dev.ok());
    EXPECT_EQ(dev.error().message, "/dev/zero: not a regular file, and longer than 64 MiB");
}

TEST(SerialStateFile, AnEmptyFileIsAnErrorNotAFreshState) {
    // save() always writes a header line; an empty file (cut, or made by hand) read as a fresh
    // state would accept every rolled-back authorisation again. A missing file is a fresh state,
    // and a saved empty state reads back.
    const std::string path = ::testing::TempDir() + "serials-empty.txt";
    std::ofstream(path).close();
    auto s = SerialState::load(path);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, path + ": is empty, so it is not a state file this program wrote (rollback "
                                        "protection would start over): restore it, or delete it to start afresh");
    ASSERT_TRUE(SerialState{}.save(path).ok());
    EXPECT_TRUE(SerialState::load(path).ok());
    // Cut inside its header, it held no entry and read as a fresh state too.
    std::ofstream(path, std::ios::trunc) << "# flowsieve: highest authorisation serial accepted per id";
    auto cut = SerialState::load(path);
    ASSERT_FALSE(cut.ok());
    EXPECT_NE(cut.error().message.find("does not end with a line break, so it was cut short"), std::string::npos);
    std::filesystem::remove(path);
    EXPECT_TRUE(SerialState::load(path).ok());
}

TEST(SerialStateFile, MergeKeepsTheHigherSerialOfTheFileAndOfTheState) {
    // A run's serials are saved after its start, from the state loaded when its snapshot was built.
    // Another flowsieve sharing the file (or a reload) may have raised a serial since: merging must
    // not lower it, which would let the older authorisation file in again.
    const std::string path = ::testing::TempDir() + "serials-merge.txt";
    const std::string d1(64, '1'), d2(64, '2'), d3(64, '3');
    const auto write = [&](const std::string& text) {
        std::ofstream f(path, std::ios::trunc);
        f << text;
    };
    // Ours: loaded when our snapshot was built, APP-1 at 5 and NEW-1 accepted by this build. Meanwhile
    // another writer raised APP-1 to 6 and added REV-1; CON-1 is at 2 in both, with other digests
    // (equal serials: the file's entry stays).
    write("# saved by another\nAPP-1 6 " + d2 + "\nCON-1 2 " + d3 + "\nREV-1 1 " + d2 + "\n");
    std::ofstream(path + ".mine") << "APP-1 5 " + d1 + "\nCON-1 2 " + d1 + "\nNEW-1 9 " + d1 + "\n";
    auto raised = SerialState::load(path + ".mine");
    ASSERT_TRUE(raised.ok());
    ASSERT_TRUE(raised->merge_into(path, {}).ok());
    auto after = SerialState::load(path);
    ASSERT_TRUE(after.ok());
    const auto& e = after->entries();
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e.at("APP-1").serial, 6u);  // not lowered to 5
    EXPECT_EQ(e.at("APP-1").digest, d2);
    EXPECT_EQ(e.at("CON-1").digest, d3);  // equal serials: the file's
    EXPECT_EQ(e.at("REV-1").serial, 1u);  // the other writer's entry kept
    EXPECT_EQ(e.at("NEW-1").serial, 9u);  // ours added
    // A higher serial of ours raises the file's.
    std::ofstream(path + ".mine", std::ios::trunc) << "APP-1 7 " + d3 + "\n";
    ASSERT_TRUE(SerialState::load(path + ".mine")->merge_into(path, {}).ok());
    EXPECT_EQ(SerialState::load(path)->entries().at("APP-1").serial, 7u);
    // A file that is no longer a state file is an error, not overwritten.
    write("");
    auto bad = raised->merge_into(path, {});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("is empty"), std::string::npos);
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".mine");
    // No file yet: the merge is a save.
    ASSERT_TRUE(raised->merge_into(path, {}).ok());
    EXPECT_EQ(SerialState::load(path)->entries().size(), 3u);
    std::filesystem::remove(path);
}

// An authorisation as a snapshot runs it; its serial and validity vary per case.
Authorisation running_approval(std::uint64_t serial, std::int64_t until_ns = 2'000'000'000'000'000'000) {
    Authorisation a;
    a.id = "APP-1";
    a.kind = AuthKind::approval;
    a.category = Category::transit;
    a.issuer = "commission";
    a.valid_from_ns = 1'700'000'000'000'000'000;
    a.valid_until_ns = until_ns;
    a.serial = serial;
    return a;
}

// An id is any 1 to 256 bytes, but the file's lines are split on blanks and '#' starts a comment:
// "#H" was read back as a comment (its rollback protection gone) and "APP T" refused the file at
// the next start. Such ids are written %XX and read back whole; plain ids are written as they are.
TEST(SerialStateFile, IdsWithBlanksHashesAndPercentsReadBackWhole) {
    const std::string path = ::testing::TempDir() + "serials-odd-ids.txt";
    SerialState s;
    const std::vector<std::string> ids{"#H", "APP T", "APP\tT", "line\nbreak", "100%", "%41", "APP-2026-001", "\xe6\x89\xbf\xe8\xaa\x8d"};
    for (const std::string& id : ids) {
        Authorisation a = running_approval(7);
        a.id = id;
        ASSERT_TRUE(s.record(a));
    }
    ASSERT_TRUE(s.record_revocation("#H", 7));  // and revocations, whose lines start with the mark
    ASSERT_TRUE(s.record_revocation("%revoked", 2));
    ASSERT_TRUE(s.save(path).ok());
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("\n%23H 7 "), std::string::npos) << text;
    EXPECT_NE(text.find("\nAPP-2026-001 7 "), std::string::npos) << text;
    auto back = SerialState::load(path);
    ASSERT_TRUE(back.ok()) << back.error().message;
    ASSERT_EQ(back->entries().size(), ids.size());
    for (const std::string& id : ids) {
        Authorisation older = running_approval(6);
        older.id = id;
        EXPECT_NE(back->replay_problem(older), "") << id;  // rolled back: refused
    }
    EXPECT_EQ(back->revoked(), (std::map<std::string, std::uint64_t>{{"#H", 7}, {"%revoked", 2}}));
    Authorisation revoked = running_approval(7);
    revoked.id = "#H";
    EXPECT_NE(back->revocation_problem(revoked), "");
    revoked.serial = 8;  // a reissue
    EXPECT_EQ(back->revocation_problem(revoked), "");
    // Merged with the file, the higher revoked serial of each id stays.
    SerialState more;
    ASSERT_TRUE(more.record_revocation("#H", 5));
    ASSERT_TRUE(more.record_revocation("X", 1));
    ASSERT_TRUE(more.merge_into(path, {}).ok());
    EXPECT_EQ(SerialState::load(path)->revoked(), (std::map<std::string, std::uint64_t>{{"#H", 7}, {"%revoked", 2}, {"X", 1}}));
    // With CRLF line ends and a byte order mark (an editor's), it reads the same: read as the
    // previous version's format, "%23H" would have been an id of its own and "#H" unprotected.
    std::ifstream lf(path);
    std::string crlf = "\xEF\xBB\xBF";
    for (std::string l; std::getline(lf, l);) crlf += l + "\r\n";
    lf.close();
    std::ofstream(path, std::ios::trunc | std::ios::binary) << crlf;
    auto edited = SerialState::load(path);
    ASSERT_TRUE(edited.ok()) << edited.error().message;
    EXPECT_EQ(edited->entries().count("#H"), 1u);
    EXPECT_EQ(edited->revoked().size(), 3u);
    std::filesystem::remove(path);
}

// A file of the previous version (its own header, ids as they were, no revocations) is read as it
// was written: "APP%41" there is that id, not "APPA", and a line starting "%revoked" is an id's. A
// save writes this version's header, encoding, and both entries back.
TEST(SerialStateFile, APreviousVersionsFileIsReadAsItWasWritten) {
    const std::string path = ::testing::TempDir() + "serials-v1.txt";
    const std::string d(64, 'a');
    std::ofstream(path, std::ios::trunc) << "# flowsieve: highest authorisation serial accepted per id (rollback protection; "
                                            "do not edit)\nAPP%41 7 " + d + "\n%revoked-test 3 " + d + "\n";
    auto old = SerialState::load(path);
    ASSERT_TRUE(old.ok()) << old.error().message;
    EXPECT_EQ(old->entries().size(), 2u);
    EXPECT_EQ(old->entries().count("APP%41"), 1u);
    EXPECT_EQ(old->entries().count("%revoked-test"), 1u);
    EXPECT_TRUE(old->revoked().empty());
    Authorisation rolled_back = running_approval(3);
    rolled_back.id = "APP%41";
    EXPECT_NE(old->replay_problem(rolled_back), "");
    ASSERT_TRUE(old->save(path).ok());
    auto again = SerialState::load(path);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->entries().size(), 2u);
    EXPECT_EQ(again->entries().at("APP%41").serial, 7u);
    EXPECT_EQ(again->entries().at("%revoked-test").serial, 3u);
    std::filesystem::remove(path);
}

TEST(SerialStateFile, MergeRefusesToSaveWhatTheFileHasSupersededMeanwhile) {
    // This snapshot runs APP-1 at serial 5; another flowsieve sharing the file accepted serial 6
    // after this one read it. Saving "ok" would keep the file right but leave serial 5 running,
    // which the state now calls rolled back: refused, and nothing written.
    const std::string path = ::testing::TempDir() + "serials-superseded.txt";
    std::filesystem::remove(path);
    SerialState mine, other;
    const Authorisation five = running_approval(5);
    ASSERT_TRUE(mine.record(five));
    ASSERT_TRUE(other.record(running_approval(6)));
    ASSERT_TRUE(other.save(path).ok());
    auto st = mine.merge_into(path, {five});
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message, path + ": authorisation APP-1: serial 5 is older than serial 6 already accepted: "
                                         "replayed or rolled back (the state file was updated after this config was "
                                         "read, by another flowsieve sharing it); nothing was saved");
    EXPECT_EQ(SerialState::load(path)->entries().at("APP-1").serial, 6u);
    // The same serial with other contents: refused too.
    SerialState same_serial;
    ASSERT_TRUE(same_serial.record(running_approval(5, 2'000'000'000'000'000'001)));
    ASSERT_TRUE(same_serial.save(path).ok());
    st = mine.merge_into(path, {five});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("already accepted with different contents"), std::string::npos) << st.error().message;
    // Not running it (a stale entry of the state loaded at build time): the file's newer one stays, no error.
    ASSERT_TRUE(other.save(path).ok());
    ASSERT_TRUE(mine.merge_into(path, {}).ok());
    EXPECT_EQ(SerialState::load(path)->entries().at("APP-1").serial, 6u);
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".lock");
}

TEST(SerialStateFile, MergeFollowsASymbolicLinkAndWaitsForTheLock) {
    const std::string dir = ::testing::TempDir() + "serials-link";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir + "/a");
    std::filesystem::create_directories(dir + "/b");
    const std::string link = dir + "/a/state", target = dir + "/b/state";
    std::filesystem::create_symlink("../b/state", link);
    SerialState mine;
    ASSERT_TRUE(mine.record(running_approval(5)));
    // Shared through the link: the file it names is written and locked, the link stays a link.
    ASSERT_TRUE(mine.merge_into(link, {running_approval(5)}).ok());
    EXPECT_TRUE(std::filesystem::is_symlink(link));
    EXPECT_EQ(SerialState::load(target)->entries().at("APP-1").serial, 5u);
    EXPECT_TRUE(std::filesystem::exists(target + ".lock"));
    // Another holder of the lock: the merge waits, and gives up with an error after its wait.
    const int held = ::open((target + ".lock").c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX), 0);
    auto st = mine.merge_into(link, {}, 100);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message, target + ".lock: another process has held the state file's lock for over 100 ms");
    // Released while the merge waits: it goes on.
    std::thread release([held] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ::close(held);
    });
    SerialState newer;
    ASSERT_TRUE(newer.record(running_approval(7)));
    EXPECT_TRUE(newer.merge_into(link, {}, 5'000).ok());
    release.join();
    EXPECT_EQ(SerialState::load(target)->entries().at("APP-1").serial, 7u);
    std::filesystem::remove_all(dir);
}

TEST_F(Verifier, OlderSerialIsAReplay) {
    SerialState state;
    Authorisation newer = approval_;
    newer.serial = 4;
    ASSERT_TRUE(state.record(newer));
    EXPECT_FALSE(state.record(approval_));  // never lowered
    auto v = judge(approval_, {sign(approval_, c1_), sign(approval_, c2_)}, {}, &state);
    EXPECT_EQ(v.refusal, Refusal::replayed);
    EXPECT_EQ(v.message, "serial 3 is older than serial 4 already accepted: replayed or rolled back");
    EXPECT_TRUE(judge(newer, {sign(newer, c1_), sign(newer, c2_)}, {}, &state).usable());
    // Same serial, other contents: also refused.
    Authorisation other = newer;
    other.valid_until_ns += 1;
    v = judge(other, {sign(other, c1_), sign(other, c2_)}, {}, &state);
    EXPECT_EQ(v.refusal, Refusal::replayed);
    EXPECT_EQ(v.message,
              "serial 4 was already accepted with different contents: a changed authorisation needs a higher serial");
}

TEST_F(Verifier, ExpiredAndNotYetValid) {
    const auto sigs = std::vector<SignatureEntry>{sign(approval_, c1_), sign(approval_, c2_)};
    auto v = judge(approval_, sigs, {}, nullptr, approval_.valid_until_ns);
    EXPECT_EQ(v.refusal, Refusal::expired);
    EXPECT_FALSE(v.usable());
    EXPECT_EQ(v.message, "expired at 2027-01-01T00:00:00Z: nothing runs under it");
    v = judge(approval_, sigs, {}, nullptr, approval_.valid_from_ns - 1);
    EXPECT_EQ(v.refusal, Refusal::not_yet_valid);
    EXPECT_EQ(v.message, "not valid before 2026-01-01T00:00:00Z: only packets from then on (by their own time) are emitted under it");
    EXPECT_TRUE(v.usable());  // its window opens by itself, judged per packet
    EXPECT_EQ(judge(approval_, sigs, {}, nullptr, approval_.valid_until_ns - 1).refusal, Refusal::none);
}

TEST_F(Verifier, RevocationsNeedTheirOwnAuthority) {
    Revocation r{"A-1", 3, now, "r.yaml:1"};
    EXPECT_TRUE(check_revocation_signatures(r, {sign(r, c1_), sign(r, c2_)}, policy_, &approval_).usable());
    auto v = check_revocation_signatures(r, {sign(r, c1_)}, policy_, &approval_);
    EXPECT_EQ(v.message, "short of quorum: 1 of 2 required commission signatures");
    v = check_revocation_signatures(r, {}, policy_, &approval_);
    EXPECT_EQ(v.refusal, Refusal::unsigned_);
    v = check_revocation_signatures(r, {sign(r, power_)}, policy_, &approval_);
    EXPECT_EQ(v.refusal, Refusal::key_out_of_scope);
    EXPECT_EQ(v.message, "out of scope: key 'power-1' is operator 'power''s key: only commission keys sign this revocation");
    // An operator withdraws its own consent alone; the commission may too.
    Revocation rc{"C-1", 3, now, "r.yaml:1"};
    EXPECT_TRUE(check_revocation_signatures(rc, {sign(rc, power_)}, policy_, &consent_).usable());
    EXPECT_TRUE(check_revocation_signatures(rc, {sign(rc, c1_), sign(rc, c3_)}, policy_, &consent_).usable());
    EXPECT_EQ(check_revocation_signatures(rc, {sign(rc, rail_)}, policy_, &consent_).refusal, Refusal::key_out_of_scope);
    // Signed as a revocation of A-1, presented as one of C-1.
    auto moved = sign(r, power_);
    EXPECT_EQ(check_revocation_signatures(rc, {moved}, policy_, &consent_).refusal, Refusal::bad_signature);
}

}  // namespace
}  // namespace flowsieve::testing
