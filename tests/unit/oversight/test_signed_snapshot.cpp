// test_signed_snapshot.cpp: a config with `oversight:` on the real test tables: signed
// authorisations run, each kind of bad one is refused with its own message and nothing is
// selected under it while the others still run; serials persist across builds; bad oversight
// settings and untrusted revocations refuse the config.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "control/authorisation_file.hpp"
#include "control/snapshot_builder.hpp"
#include "control_test_util.hpp"
#include "core/time_text.hpp"
#include "oversight/base64.hpp"
#include "oversight/key_file.hpp"
#include "policy/classifier.hpp"

namespace flowsieve::testing {
namespace {

std::int64_t t(const char* text) { return *parse_time(text); }
const std::int64_t now = t("2026-03-01T00:00:00Z");
const std::uint64_t inside = static_cast<std::uint64_t>(t("2026-06-01T00:00:00Z"));

ParsedPacket packet(const char* src, const char* dst) {
    ParsedPacket p;
    p.outcome = ParseOutcome::ok;
    p.key.src = *parse_ip(src);
    p.key.dst = *parse_ip(dst);
    p.key.proto = ipproto::tcp;
    p.key.has_ports = true;
    p.key.src_port = 40000;
    p.key.dst_port = 443;
    return p;
}

// Classified as in tests/unit/control (world extract and feeds from tests/data).
const char* const au = "1.0.0.1";
const char* const us = "1.32.232.1";
const char* const jp = "1.0.20.1";
const char* const power = "1.0.16.9";
const char* const kr_ipsum = "61.73.27.69";

const char* const config_head = R"(domestic: [JP]
countries:
  files: ['@DATA@/geo/world-extract-ipv4.csv', '@DATA@/geo/world-extract-ipv6.csv']
indicators:
  - name: ipsum
    file: '@DATA@/indicators/ip/ipsum-level3.txt'
operators:
  - id: power
    prefixes: [1.0.16.0/24]
authorisations: [auth/transit.yaml, auth/power.yaml, auth/threat.yaml]
rules:
  - id: transit
    category: transit
    between: [foreign, foreign]
    authorisation: A-T
  - id: power
    category: operator
    between: [foreign, operator:power]
    authorisation: C-P
  - id: threat
    category: threat-linked
    between: [foreign, domestic]
    indicator_sets: [ipsum]
    authorisation: A-X
)";

const char* const keys_section = R"(oversight:
  approval_quorum: 2
  trusted_keys:
    - {id: commission-1, file: keys/commission-1.pub, role: commission}
    - {id: commission-2, file: keys/commission-2.pub, role: commission}
    - {id: commission-3, file: keys/commission-3.pub, role: commission}
    - {id: power-1, file: keys/power-1.pub, role: operator, operator: power}
  state_file: state/serials.txt
)";

const char* const window = "valid_from: 2026-01-01T00:00:00Z\nvalid_until: 2027-01-01T00:00:00Z\n";

std::string transit(const std::string& serial = "1", const char* win = window) {
    return "id: A-T\nkind: approval\ncategory: transit\nissuer: commission\n" + std::string(win) + "serial: " + serial + "\n";
}
const std::string power_consent =
    std::string("id: C-P\nkind: consent\ncategory: operator\nissuer: power\nscope: {operator: power}\n") + window;
const std::string threat = std::string("id: A-X\nkind: approval\ncategory: threat-linked\nissuer: commission\n"
                                       "scope: {indicator_sets: [ipsum]}\n") + window;

class SignedSnapshot : public ::testing::Test {
protected:
    SignedSnapshot() {
        std::filesystem::create_directories(dir_.file("keys"));
        for (const char* id : {"commission-1", "commission-2", "commission-3", "commission-3b", "power-1", "outsider"})
            EXPECT_TRUE(write_key_files(dir_.file("keys"), id, generate_keypair()).ok()) << id;
    }
    // Writes `text` as `name`, then signs it with each key id in turn (as `authority sign` does).
    std::string write_signed(const std::string& name, const std::string& text, const std::vector<std::string>& signers) {
        const std::string path = dir_.write(name, text);
        const bool revocation = is_revocation_text(path, text);
        std::vector<SignatureEntry> sigs;
        for (const auto& id : signers) {
            auto key = read_secret_key_file(dir_.file("keys/" + id + ".key"));
            EXPECT_TRUE(key.ok()) << key.error().message;
            std::string bytes;
            if (revocation) {
                auto r = load_revocation_file(path);
                EXPECT_TRUE(r.ok()) << r.error().message;
                bytes = canonical_revocation(r->revocation, id);
            } else {
                auto a = load_authorisation_file(path);
                EXPECT_TRUE(a.ok()) << a.error().message;
                bytes = canonical_authorisation(a.value(), id);
            }
            sigs.push_back({id, base64_encode(sign_detached(bytes, key->key)), {}});
        }
        return dir_.write(name, with_signatures(text, sigs));
    }
    void write_good() {
        write_signed("auth/transit.yaml", transit(), {"commission-1", "commission-2"});
        write_signed("auth/power.yaml", power_consent, {"power-1"});
        write_signed("auth/threat.yaml", threat, {"commission-2", "commission-3"});
    }
    Result<std::unique_ptr<Snapshot>> build(const std::string& oversight = keys_section) {
        config_path_ = dir_.write("flowsieve.yaml", std::string(config_head) + oversight);
        auto cfg = load_config(config_path_);
        if (!cfg) return cfg.error();
        report_ = {};
        return build_snapshot(cfg.value(), 1, now, report_, SerialRecording::record);
    }
    std::string read(const std::string& name) const {
        std::ifstream in(dir_.file(name));
        return std::string((std::istreambuf_iterator<char>(in)), {});
    }

    TempDir dir_;
    std::string config_path_;
    BuildReport report_;
};

TEST_F(SignedSnapshot, SignedAuthorisationsRunAndTheirSerialsAreRecorded) {
    write_good();
    auto r = build();
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Snapshot& s = *r.value();
    EXPECT_TRUE(s.refusals.empty()) << s.refusals.front();
    EXPECT_TRUE(report_.warnings.empty()) << report_.warnings.front();
    EXPECT_NE(std::find(report_.notes.begin(), report_.notes.end(),
                        "oversight: 3 of 3 authorisations verified (approval quorum 2, 4 trusted keys, 0 revocations)"),
              report_.notes.end());
    EXPECT_TRUE(decide(s, packet(au, us), inside).emit);
    EXPECT_TRUE(decide(s, packet(us, power), inside).emit);
    EXPECT_TRUE(decide(s, packet(kr_ipsum, jp), inside).emit);
    const std::string state = read("state/serials.txt");
    EXPECT_NE(state.find("\nA-T 1 "), std::string::npos) << state;
    EXPECT_NE(state.find("\nA-X 0 "), std::string::npos) << state;
    EXPECT_NE(state.find("\nC-P 0 "), std::string::npos) << state;
}

struct Bad {
    const char* name;
    std::function<void()> make;  // rewrites auth/transit.yaml
    std::string why;                            // after "authorisation A-T refused: "
};

TEST_F(SignedSnapshot, EachBadAuthorisationIsRefusedWithItsOwnMessageAndRunsNothing) {
    const std::string transit_path = dir_.file("auth/transit.yaml");
    auto sig_line = [&](int n) {  // file:line of the n-th signature entry in the transit file
        return transit_path + ":" + std::to_string(line_of(read("auth/transit.yaml"), "  - key:") + 2 * (n - 1));
    };
    std::vector<Bad> cases = {
        {"unsigned", [this] { dir_.write("auth/transit.yaml", transit()); },
         "unsigned: oversight.require_signatures is on and the file has no signatures"},
        {"tampered (serial edited after signing)",
         [this] {
             write_signed("auth/transit.yaml", transit("1"), {"commission-1", "commission-2"});
             std::string text = read("auth/transit.yaml");
             text.replace(text.find("serial: 1"), 9, "serial: 7");
             dir_.write("auth/transit.yaml", text);
         },
         "bad signature by key 'commission-1' (@1): it does not verify, so the file was altered or the signature forged"},
        {"unknown key",
         [this] { write_signed("auth/transit.yaml", transit(), {"commission-1", "commission-2", "outsider"}); },
         "signed by unknown key 'outsider' (@3): not among oversight.trusted_keys"},
        {"short of quorum", [this] { write_signed("auth/transit.yaml", transit(), {"commission-3"}); },
         "short of quorum: 1 of 2 required commission signatures"},
        {"operator key on an approval",
         [this] { write_signed("auth/transit.yaml", transit(), {"commission-1", "power-1"}); },
         "out of scope: key 'power-1' is operator 'power''s key: only commission keys sign an approval"},
        {"expired",
         [this] {
             write_signed("auth/transit.yaml",
                            transit("1", "valid_from: 2025-01-01T00:00:00Z\nvalid_until: 2026-01-01T00:00:00Z\n"),
                            {"commission-1", "commission-2"});
         },
         "expired at 2026-01-01T00:00:00Z: nothing runs under it"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        write_good();
        c.make();
        auto r = build();
        ASSERT_TRUE(r.ok()) << r.error().message;
        const Snapshot& s = *r.value();
        std::string why = c.why;
        if (auto at = why.find("(@"); at != std::string::npos)
            why.replace(at + 1, 2, sig_line(why[at + 2] - '0'));
        ASSERT_EQ(s.refusals, std::vector<std::string>{transit_path + ":1: authorisation A-T refused: " + why});
        EXPECT_EQ(report_.warnings, s.refusals);
        EXPECT_EQ(decide(s, packet(au, us), inside).reason, DropReason::unauthorised);
        // An expired approval runs nothing even for packets inside its old window (a replayed capture).
        EXPECT_EQ(decide(s, packet(au, us), static_cast<std::uint64_t>(t("2025-06-01T00:00:00Z"))).reason,
                  DropReason::unauthorised);
        EXPECT_TRUE(decide(s, packet(us, power), inside).emit);
        EXPECT_TRUE(decide(s, packet(kr_ipsum, jp), inside).emit);
    }
}

TEST_F(SignedSnapshot, RevokedAuthorisationIsRefusedAndAReissueRuns) {
    write_good();
    write_signed("revocations/r1.yaml", "kind: revocation\nid: A-T\nserial: 1\nissued_at: 2026-02-01T00:00:00Z\n",
                 {"commission-1", "commission-3"});
    const std::string with_rev = std::string(keys_section) + "  revocations: [revocations/r1.yaml]\n";
    auto r = build(with_rev);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value()->refusals,
              std::vector<std::string>{dir_.file("auth/transit.yaml") + ":1: authorisation A-T refused: revoked by " +
                                       dir_.file("revocations/r1.yaml") +
                                       ":1 (serials up to 1, issued 2026-02-01T00:00:00Z)"});
    EXPECT_EQ(decide(*r.value(), packet(au, us), inside).reason, DropReason::unauthorised);
    write_signed("auth/transit.yaml", transit("2"), {"commission-1", "commission-2"});
    r = build(with_rev);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.value()->refusals.empty());
    EXPECT_TRUE(decide(*r.value(), packet(au, us), inside).emit);
}

// A revocation is final: once a build has verified it, the state file keeps it, and taking its file
// out of the config does not bring the revoked authorisation back (a reissue with a higher serial
// runs). The state file had kept serials only.
TEST_F(SignedSnapshot, ARevocationHoldsAfterItsFileLeavesTheConfig) {
    write_good();
    write_signed("revocations/r1.yaml", "kind: revocation\nid: A-T\nserial: 1\nissued_at: 2026-02-01T00:00:00Z\n",
                 {"commission-1", "commission-3"});
    ASSERT_TRUE(build(std::string(keys_section) + "  revocations: [revocations/r1.yaml]\n").ok());
    EXPECT_NE(read("state/serials.txt").find("\n%revoked A-T 1\n"), std::string::npos) << read("state/serials.txt");
    auto r = build();  // the revocation's file no longer configured
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r.value()->refusals.size(), 1u);
    EXPECT_EQ(r.value()->refusals[0], dir_.file("auth/transit.yaml") +
                                          ":1: authorisation A-T refused: revoked (serials up to 1, by a revocation recorded "
                                          "in the state file: a revocation holds after its file leaves the config)");
    EXPECT_EQ(decide(*r.value(), packet(au, us), inside).reason, DropReason::unauthorised);
    write_signed("auth/transit.yaml", transit("2"), {"commission-1", "commission-2"});
    r = build();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.value()->refusals.empty());
    EXPECT_TRUE(decide(*r.value(), packet(au, us), inside).emit);
    EXPECT_NE(read("state/serials.txt").find("\n%revoked A-T 1\n"), std::string::npos);  // kept
}

TEST_F(SignedSnapshot, UntrustedRevocationRefusesTheConfig) {
    write_good();
    const std::string p = write_signed("revocations/r1.yaml",
                                       "kind: revocation\nid: A-T\nserial: 1\nissued_at: 2026-02-01T00:00:00Z\n",
                                       {"commission-1"});
    auto r = build(std::string(keys_section) + "  revocations: [revocations/r1.yaml]\n");
    EXPECT_EQ(error_of(r), p + ":1: revocation of A-T refused: short of quorum: 1 of 2 required commission signatures");
}

TEST_F(SignedSnapshot, OlderSerialIsRefusedAfterANewerOneRanEvenAcrossRestarts) {
    write_good();
    write_signed("auth/transit.yaml", transit("5"), {"commission-1", "commission-2"});
    ASSERT_TRUE(build().ok());
    // A fresh process: only the state file remembers serial 5.
    write_signed("auth/transit.yaml", transit("4"), {"commission-1", "commission-2"});
    auto r = build();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value()->refusals,
              std::vector<std::string>{dir_.file("auth/transit.yaml") +
                                       ":1: authorisation A-T refused: serial 4 is older than serial 5 already "
                                       "accepted: replayed or rolled back"});
    EXPECT_EQ(decide(*r.value(), packet(au, us), inside).reason, DropReason::unauthorised);
    EXPECT_NE(read("state/serials.txt").find("\nA-T 5 "), std::string::npos);
}

TEST_F(SignedSnapshot, RefusedBuildDoesNotRaiseSerials) {
    write_good();
    ASSERT_TRUE(build().ok());
    write_signed("auth/transit.yaml", transit("9"), {"commission-1", "commission-2"});
    // The rule names an authorisation that does not exist: the whole build is refused.
    config_path_ = dir_.write("flowsieve.yaml", std::string(config_head) + keys_section);
    std::string text = std::string(config_head) + keys_section;
    text.replace(text.find("authorisation: C-P"), 18, "authorisation: C-Q");
    auto cfg = load_config(dir_.write("flowsieve.yaml", text));
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_FALSE(build_snapshot(cfg.value(), 2, now, report_, SerialRecording::record).ok());
    EXPECT_NE(read("state/serials.txt").find("\nA-T 1 "), std::string::npos);
}

// check-config and lookup judge a candidate config; recording its newer serials made the config in
// use look replayed at its next start or reload.
TEST_F(SignedSnapshot, AJudgeOnlyBuildRecordsNoSerial) {
    write_good();
    ASSERT_TRUE(build().ok());
    const std::string recorded = read("state/serials.txt");
    ASSERT_NE(recorded.find("\nA-T 1 "), std::string::npos);
    write_signed("auth/transit.yaml", transit("7"), {"commission-1", "commission-2"});
    auto cfg = load_config(config_path_);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto judged = build_snapshot(cfg.value(), 2, now, report_, SerialRecording::judge_only);
    ASSERT_TRUE(judged.ok()) << judged.error().message;
    EXPECT_TRUE(judged.value()->refusals.empty()) << "serial 7 is newer: accepted";
    EXPECT_EQ(read("state/serials.txt"), recorded) << "and not recorded";
    // So the copy in use (serial 1) still runs; a build that records then takes 7.
    write_signed("auth/transit.yaml", transit("1"), {"commission-1", "commission-2"});
    auto again = build();
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_TRUE(again.value()->refusals.empty());
    write_signed("auth/transit.yaml", transit("7"), {"commission-1", "commission-2"});
    ASSERT_TRUE(build().ok());
    EXPECT_NE(read("state/serials.txt").find("\nA-T 7 "), std::string::npos);
}

TEST_F(SignedSnapshot, WithoutOversightUnsignedFilesRunAndSayTheyAreUnsigned) {
    dir_.write("auth/transit.yaml", transit());
    dir_.write("auth/power.yaml", power_consent);
    dir_.write("auth/threat.yaml", threat);
    auto r = build("");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.value()->refusals.empty());
    EXPECT_TRUE(decide(*r.value(), packet(au, us), inside).emit);
    EXPECT_NE(std::find(report_.notes.begin(), report_.notes.end(),
                        "warning: authorisations are unsigned (no oversight section in " + config_path_ +
                            "): anyone who can edit the authorisation files can authorise monitoring"),
              report_.notes.end());
}

TEST_F(SignedSnapshot, OptionalSignaturesStillVerifyThoseThatAreThere) {
    write_good();
    dir_.write("auth/power.yaml", power_consent);  // unsigned
    std::string section = keys_section;
    section.insert(section.find("  approval_quorum"), "  require_signatures: false\n");
    auto r = build(section);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.value()->refusals.empty());
    EXPECT_EQ(report_.warnings,
              std::vector<std::string>{dir_.file("auth/power.yaml") +
                                       ":1: authorisation C-P unsigned: accepted only because "
                                       "oversight.require_signatures is false"});
    EXPECT_TRUE(decide(*r.value(), packet(us, power), inside).emit);
}

// Key rotation: a member's old and new keys are trusted side by side. Marked as one member's, they
// count once towards the quorum; without `member`, one person signing with both keys met a quorum
// of two alone.
TEST_F(SignedSnapshot, AMembersKeysCountOnceTowardsTheQuorum) {
    write_good();
    write_signed("auth/transit.yaml", transit(), {"commission-3", "commission-3b"});
    std::string section = keys_section;
    const std::string old_key = "    - {id: commission-3, file: keys/commission-3.pub, role: commission}\n";
    section.replace(section.find(old_key), old_key.size(),
                    "    - {id: commission-3, file: keys/commission-3.pub, role: commission, member: carol}\n"
                    "    - {id: commission-3b, file: keys/commission-3b.pub, role: commission, member: carol}\n");
    auto r = build(section);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r.value()->refusals.size(), 1u);
    EXPECT_NE(r.value()->refusals[0].find("short of quorum: 1 of 2 required commission signatures"), std::string::npos)
        << r.value()->refusals[0];
    EXPECT_FALSE(decide(*r.value(), packet(au, us), inside).emit);
    // Another member's key with one of carol's meets it; the threat approval of commission-2 and -3 still runs.
    write_signed("auth/transit.yaml", transit("2"), {"commission-1", "commission-3b"});
    r = build(section);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.value()->refusals.empty()) << r.value()->refusals[0];
    EXPECT_TRUE(decide(*r.value(), packet(au, us), inside).emit);
    // Four keys of three members: a quorum of four could never be met.
    section.replace(section.find("approval_quorum: 2"), 18, "approval_quorum: 4");
    EXPECT_EQ(error_of(build(section)), config_path_ + ":" + std::to_string(line_of(std::string(config_head) + section, "approval_quorum")) +
                                            ": oversight.approval_quorum: 4 > the 3 commission members with trusted keys: no "
                                            "approval could ever be valid");
}

TEST_F(SignedSnapshot, BadOversightSettingsNameTheirLine) {
    write_good();
    struct Case {
        std::string from, to, marker, what;
    };
    const std::vector<Case> cases = {
        {"approval_quorum: 2", "approval_quorum: 4", "approval_quorum",
         "oversight.approval_quorum: 4 > the 3 commission members with trusted keys: no approval could ever be valid"},
        {"operator: power}", "operator: power, member: bob}", "member: bob",
         "oversight.trusted_keys[3].member: only a commission key names a member"},
        {"operator: power}", "operator: gas}", "operator: gas", "oversight.trusted_keys[3].operator: no operator with id 'gas'"},
        {"{id: commission-2, file: keys/commission-2.pub", "{id: commission-9, file: keys/commission-2.pub", "commission-9",
         "oversight.trusted_keys[1].id: 'commission-9' but the key file says id 'commission-2'"},
        {"role: commission}\n    - {id: commission-2", "role: member}\n    - {id: commission-2", "role: member",
         "oversight.trusted_keys[0].role: expected commission or operator"},
        {"keys/commission-3.pub", "keys/commission-1.pub", "keys/commission-1.pub, role: commission}\n    - {id: power",
         "oversight.trusted_keys[2].id: 'commission-3' but the key file says id 'commission-1'"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        std::string section = keys_section;
        section.replace(section.find(c.from), c.from.size(), c.to);
        auto r = build(section);
        const std::string text = std::string(config_head) + section;
        EXPECT_EQ(error_of(r), config_path_ + ":" + std::to_string(line_of(text, c.marker)) + ": " + c.what);
    }
}

}  // namespace
}  // namespace flowsieve::testing
