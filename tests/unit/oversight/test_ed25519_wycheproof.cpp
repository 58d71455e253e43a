// test_ed25519_wycheproof.cpp: every Ed25519 vector of Google's Wycheproof project through
// flowsieve's own verify_detached, judged against what libsodium documents for
// crypto_sign_verify_detached (>= 1.0.16; Debian 12 has 1.0.18): it refuses a non-canonical S
// (S >= L), small-order R and public keys, and non-canonical point encodings, and it compares R
// byte for byte with the canonical encoding it recomputes.
//
// Data: tests/data/wycheproof/ed25519_test.json (unchanged from Wycheproof, see tests/data/NOTICE.md)
// and ed25519_test.txt, its flat form written by flatten.py beside it (so no JSON library is
// needed). The flat file is checked against the JSON here, so the two cannot drift apart unseen.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "oversight/ed25519.hpp"

namespace flowsieve::testing {
namespace {

const std::string data_dir = std::string(FLOWSIEVE_TEST_DATA) + "/wycheproof/";

struct Vector {
    int id = 0;
    std::string result;  // valid, invalid or acceptable
    std::string flags;   // comma-separated Wycheproof flags, named in every failure message
    std::string pk_hex, msg_hex, sig_hex;
};

std::optional<std::vector<std::uint8_t>> from_hex(const std::string& hex) {
    if (hex == "-") return std::vector<std::uint8_t>{};
    if (hex.size() % 2) return std::nullopt;
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
        };
        const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

// The flat file's vectors; `declared` is its `tests N` line (0 when missing).
struct FlatFile {
    std::vector<Vector> vectors;
    std::size_t declared = 0;
};

FlatFile read_flat(const std::string& path) {
    FlatFile f;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        if (line.rfind("tests ", 0) == 0) {
            std::string word;
            fields >> word >> f.declared;
            continue;
        }
        Vector v;
        if (!(fields >> v.id >> v.result >> v.flags >> v.pk_hex >> v.msg_hex >> v.sig_hex)) {
            ADD_FAILURE() << path << ": malformed line: " << line;
            continue;
        }
        f.vectors.push_back(std::move(v));
    }
    return f;
}

TEST(Ed25519Wycheproof, FlatFileMatchesTheJson) {
    const std::string json = read_file(data_dir + "ed25519_test.json");
    ASSERT_FALSE(json.empty()) << "missing " << data_dir << "ed25519_test.json";
    const FlatFile flat = read_flat(data_dir + "ed25519_test.txt");
    ASSERT_GT(flat.vectors.size(), 0u) << "no vectors in " << data_dir << "ed25519_test.txt";
    EXPECT_EQ(flat.vectors.size(), flat.declared);
    EXPECT_NE(json.find("\"numberOfTests\" : " + std::to_string(flat.vectors.size()) + ","), std::string::npos)
        << "the JSON's numberOfTests differs from the flat file's count: rerun flatten.py";
    EXPECT_EQ(occurrences(json, "\"tcId\" : "), flat.vectors.size());
    for (const auto& v : flat.vectors) {
        const auto at = json.find("\"tcId\" : " + std::to_string(v.id) + ",");
        ASSERT_NE(at, std::string::npos) << "tcId " << v.id << " is not in the JSON";
        // The record's own fields come next, in this order, before the following tcId.
        const auto next = json.find("\"tcId\" : ", at + 1);
        const auto record = json.substr(at, next == std::string::npos ? std::string::npos : next - at);
        const std::string msg = v.msg_hex == "-" ? "" : v.msg_hex, sig = v.sig_hex == "-" ? "" : v.sig_hex;
        EXPECT_NE(record.find("\"msg\" : \"" + msg + "\""), std::string::npos) << "tcId " << v.id;
        EXPECT_NE(record.find("\"sig\" : \"" + sig + "\""), std::string::npos) << "tcId " << v.id;
        EXPECT_NE(record.find("\"result\" : \"" + v.result + "\""), std::string::npos) << "tcId " << v.id;
        // The key is the group's: the last "pk" before this test.
        const auto pk_at = json.rfind("\"pk\" : \"", at);
        ASSERT_NE(pk_at, std::string::npos);
        EXPECT_EQ(json.compare(pk_at + 8, v.pk_hex.size(), v.pk_hex), 0) << "tcId " << v.id;
    }
}

TEST(Ed25519Wycheproof, EveryVectorBehavesAsLibsodiumDocuments) {
    ASSERT_TRUE(crypto_ready());
    const FlatFile flat = read_flat(data_dir + "ed25519_test.txt");
    ASSERT_GT(flat.vectors.size(), 0u) << "no vectors in " << data_dir << "ed25519_test.txt";
    ASSERT_EQ(flat.vectors.size(), flat.declared) << "the flat file is cut off";

    std::map<std::string, int> expected, seen_ok;  // by result: how many, how many behaved
    for (const auto& v : flat.vectors) {
        const auto pk = from_hex(v.pk_hex), msg = from_hex(v.msg_hex), sig = from_hex(v.sig_hex);
        ASSERT_TRUE(pk && msg && sig) << "tcId " << v.id << ": not hex";
        const std::string message(msg->begin(), msg->end());
        const bool verified = verify_detached(message, *sig, *pk);
        ++expected[v.result];
        bool ok = false;
        if (v.result == "valid") {
            ok = verified;
            EXPECT_TRUE(verified) << "tcId " << v.id << " [" << v.flags << "]: a valid signature was refused";
        } else if (v.result == "invalid") {
            ok = !verified;
            EXPECT_FALSE(verified) << "tcId " << v.id << " [" << v.flags << "]: an invalid signature verified";
        } else if (v.result == "acceptable") {
            // Wycheproof calls a vector acceptable when RFC 8032 leaves the verdict to the
            // implementation: small-order or non-canonical points, which libsodium documents it
            // refuses (strict verification), so refusal is the documented outcome.
            ok = !verified;
            EXPECT_FALSE(verified) << "tcId " << v.id << " [" << v.flags
                                   << "]: acceptable vector verified, but libsodium documents refusing small-order "
                                      "and non-canonical points";
        } else {
            ADD_FAILURE() << "tcId " << v.id << ": unknown result '" << v.result << "'";
        }
        if (ok) ++seen_ok[v.result];
    }
    // The count of vectors checked, so a run that silently read nothing cannot pass unnoticed.
    std::cout << "wycheproof ed25519: " << flat.vectors.size() << " vectors checked: " << expected["valid"]
              << " valid (" << seen_ok["valid"] << " verified), " << expected["invalid"] << " invalid ("
              << seen_ok["invalid"] << " refused), " << expected["acceptable"] << " acceptable ("
              << seen_ok["acceptable"] << " refused)\n";
    ::testing::Test::RecordProperty("vectors", static_cast<int>(flat.vectors.size()));
    EXPECT_GT(expected["valid"], 0);
    EXPECT_GT(expected["invalid"], 0);
}

TEST(Ed25519Wycheproof, BytesOfTheWrongLengthAreRefused) {
    // The byte-span verify is what lets the truncated and padded vectors above reach flowsieve at
    // all; here directly: a valid signature (Wycheproof tcId 1) stops verifying when cut or padded.
    const auto pk = *from_hex("7d4d0e7f6153a69b6242b522abbee685fda4420f8834b108c3bdae369ef549fa");
    auto sig = *from_hex(
        "d4fbdb52bfa726b44d1786a8c0d171c3e62ca83c9e5bbe63de0bb2483f8fd6cc1429ab72cafc41ab56af02ff8fcc43b99bfe4c7ae9"
        "40f60f38ebaa9d311c4007");
    ASSERT_TRUE(verify_detached("", sig, pk));
    auto longer = sig;
    longer.push_back(0);
    EXPECT_FALSE(verify_detached("", longer, pk));
    EXPECT_FALSE(verify_detached("", std::span(sig).first(63), pk));
    EXPECT_FALSE(verify_detached("", sig, std::span(pk).first(31)));
    EXPECT_FALSE(verify_detached("", std::vector<std::uint8_t>{}, pk));
}

}  // namespace
}  // namespace flowsieve::testing
