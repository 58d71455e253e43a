// test_authorisation_file.cpp: approval and consent files: good ones parse, each defect is refused
// with `file:line: key: what`.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/authorisation_file.hpp"
#include "control_test_util.hpp"
#include "core/time_text.hpp"

namespace flowsieve::testing {
namespace {

class AuthorisationFile : public ::testing::Test {
protected:
    Result<Authorisation> load(const std::string& yaml) {
        path_ = dir_.write("auth.yaml", yaml);
        return load_authorisation_file(path_);
    }
    std::string at(const std::string& yaml, const std::string& marker, const std::string& what) const {
        return path_ + ":" + std::to_string(line_of(yaml, marker)) + ": " + what;
    }
    TempDir dir_;
    std::string path_;
};

std::int64_t t(const char* text) { return *parse_time(text); }

TEST_F(AuthorisationFile, ApprovalParses) {
    const std::string yaml = R"(# threat-linked approval
id: APP-2026-014
kind: approval
category: threat-linked
issuer: oversight-commission
scope:
  indicator_sets: [ipsum, scanners]
valid_from: 2026-01-01T00:00:00Z
valid_until: 2027-01-01T09:00:00+09:00
serial: 3
)";
    auto r = load(yaml);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Authorisation& a = r.value();
    EXPECT_EQ(a.id, "APP-2026-014");
    EXPECT_EQ(a.kind, AuthKind::approval);
    EXPECT_EQ(a.category, Category::threat_linked);
    EXPECT_EQ(a.issuer, "oversight-commission");
    EXPECT_EQ(a.indicator_sets, (std::vector<std::string>{"ipsum", "scanners"}));
    EXPECT_TRUE(a.operator_id.empty());
    // 2026-01-01T00:00:00Z is 20454 days after the epoch; +09:00 is nine hours ahead of UTC.
    EXPECT_EQ(a.valid_from_ns, 20454ll * 86400 * 1'000'000'000);
    EXPECT_EQ(a.valid_until_ns, t("2027-01-01T00:00:00Z"));
    EXPECT_EQ(a.serial, 3u);
    EXPECT_EQ(a.source, path_ + ":" + std::to_string(line_of(yaml, "id:")));
}

TEST_F(AuthorisationFile, ConsentParses) {
    auto r = load(R"(id: CON-power-2026
kind: consent
category: operator
issuer: power
scope: {operator: power}
valid_from: 2026-01-01
valid_until: 2026-07-01T00:00:00.5Z
)");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->kind, AuthKind::consent);
    EXPECT_EQ(r->category, Category::operator_);
    EXPECT_EQ(r->operator_id, "power");
    EXPECT_EQ(r->valid_from_ns, t("2026-01-01T00:00:00Z")) << "a bare date is midnight UTC";
    EXPECT_EQ(r->valid_until_ns, t("2026-07-01T00:00:00Z") + 500'000'000);
    EXPECT_EQ(r->serial, 0u);
}

TEST_F(AuthorisationFile, TransitApprovalNeedsNoScope) {
    auto r = load("id: A\nkind: approval\ncategory: transit\nissuer: commission\n"
                  "valid_from: 2026-01-01T00:00:00Z\nvalid_until: 2026-01-01T00:00:00.000000001Z\n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->valid_until_ns - r->valid_from_ns, 1) << "one nanosecond is a valid (short) window";
}

struct Bad {
    const char* name;
    std::string yaml;
    const char* marker;
    std::string what;
};

// A valid approval with line `key: ...` replaced by `replacement` (or removed when empty).
std::string approval_with(const std::string& key, const std::string& replacement) {
    const std::vector<std::pair<std::string, std::string>> lines = {
        {"id", "id: A-1"},
        {"kind", "kind: approval"},
        {"category", "category: transit"},
        {"issuer", "issuer: commission"},
        {"valid_from", "valid_from: 2026-01-01T00:00:00Z"},
        {"valid_until", "valid_until: 2027-01-01T00:00:00Z"},
        {"serial", "serial: 1"},
    };
    std::string out;
    for (const auto& [k, line] : lines) {
        if (k != key) out += line + "\n";
        else if (!replacement.empty()) out += replacement + "\n";
    }
    return out;
}

std::vector<Bad> bad_files() {
    const std::string consent = "id: C-1\nkind: consent\nissuer: power\n";
    const std::string window = "valid_from: 2026-01-01T00:00:00Z\nvalid_until: 2027-01-01T00:00:00Z\n";
    return {
        {"missing id", approval_with("id", ""), "kind", "id: missing"},
        {"missing issuer", approval_with("issuer", ""), "id:", "issuer: missing"},
        {"missing valid_until", approval_with("valid_until", ""), "id:", "valid_until: missing"},
        {"missing category", approval_with("category", ""), "id:", "category: missing"},
        {"empty id", approval_with("id", "id: ''"), "id:", "id: must not be empty"},
        {"unknown key", approval_with("serial", "serial: 1\nsigned_by: me"), "signed_by",
         "signed_by: unknown key (expected one of: id, kind, category, issuer, scope, valid_from, valid_until, serial, signatures)"},
        {"unknown scope key", approval_with("serial", "scope: {sets: [ipsum]}"), "scope", "scope.sets: unknown key (expected one of: operator, indicator_sets)"},
        {"bad kind", approval_with("kind", "kind: permit"), "permit", "kind: expected approval or consent"},
        {"bad category", approval_with("category", "category: all"), "all", "category: expected transit, operator or threat-linked"},
        {"valid_until before valid_from", approval_with("valid_until", "valid_until: 2025-12-31T23:59:59Z"), "valid_until",
         "valid_until: must be after valid_from"},
        {"valid_until equal to valid_from", approval_with("valid_until", "valid_until: 2026-01-01T09:00:00+09:00"), "valid_until",
         "valid_until: must be after valid_from"},
        {"bad month", approval_with("valid_from", "valid_from: 2026-13-01T00:00:00Z"), "valid_from",
         "valid_from: '2026-13-01T00:00:00Z' is not an RFC 3339 time with a zone (e.g. 2026-01-01T00:00:00Z)"},
        {"time without zone", approval_with("valid_until", "valid_until: 2027-01-01T00:00:00"), "valid_until",
         "valid_until: '2027-01-01T00:00:00' is not an RFC 3339 time with a zone (e.g. 2026-01-01T00:00:00Z)"},
        {"February 30", approval_with("valid_from", "valid_from: 2026-02-30"), "valid_from",
         "valid_from: '2026-02-30' is not an RFC 3339 time with a zone (e.g. 2026-01-01T00:00:00Z)"},
        {"bad serial", approval_with("serial", "serial: first"), "serial", "serial: 'first' is not a non-negative integer"},
        {"consent for transit", consent + "category: transit\nscope: {operator: power}\n" + window, "category",
         "category: a consent can only cover the operator category"},
        {"consent for threat-linked", consent + "category: threat-linked\nscope: {operator: power, indicator_sets: [ipsum]}\n" + window,
         "category", "category: a consent can only cover the operator category"},
        {"consent without operator", consent + "category: operator\n" + window, "id:",
         "scope.operator: a consent must name the consenting operator"},
        {"approval for the operator category", approval_with("category", "category: operator\nscope: {operator: power}"),
         "category", "category: the operator category runs under an operator's consent, not an approval"},
        {"threat-linked approval without sets", approval_with("category", "category: threat-linked"), "id:",
         "scope.indicator_sets: a threat-linked approval must name the indicator sets it covers"},
        {"not a mapping", "- id: A-1\n", "id", "expected a mapping at the top level"},
        // Read first-wins, a field added after signing was ignored by flowsieve but seen by any
        // other reader (or person) of the signed file.
        {"a field given twice", approval_with("serial", "serial: 1\nvalid_until: 2099-01-01T00:00:00Z"), "2099",
         "valid_until: given twice (first on line 6)"},
        {"id too long", approval_with("id", "id: " + std::string(257, 'A')), "AAAA", "id: longer than 256 bytes (257)"},
        // Ids reach the audit log's JSON, report's tables and the records' comments: raw bytes there
        // made the log invalid JSON and sent escape sequences to a terminal.
        {"id with an escape sequence", approval_with("id", "id: \"APP\\e[31mRED\""), "APP",
         "id: holds a control character (a line break, a tab, an escape...)"},
        {"id with a tab", approval_with("id", "id: \"APP\\tT\""), "APP", "id: holds a control character (a line break, a tab, an escape...)"},
        {"id with a C1 control", approval_with("id", "id: \"APP\\u009b31mRED\""), "APP",
         "id: holds a control character (a line break, a tab, an escape...)"},
        {"id not UTF-8", approval_with("id", "id: APP\xff"), "APP", "id: not UTF-8 text"},
        {"id with a surrogate", approval_with("id", "id: APP\xed\xa0\x80"), "APP", "id: not UTF-8 text"},
    };
}

TEST_F(AuthorisationFile, EachDefectNamesFileLineKeyAndWhat) {
    for (const Bad& b : bad_files()) {
        SCOPED_TRACE(b.name);
        auto r = load(b.yaml);
        ASSERT_NE(line_of(b.yaml, b.marker), 0u) << "test bug: marker not in the file";
        EXPECT_EQ(error_of(r), at(b.yaml, b.marker, b.what)) << b.yaml;
    }
}

// `authority sign` replaces the signatures block whatever blanks precede its colon: `signatures : []`
// once stayed, a second block was appended after it, and readers took the first (none).
TEST_F(AuthorisationFile, SigningReplacesTheSignaturesBlockHoweverItIsWritten) {
    const std::vector<SignatureEntry> sigs = {{"commission-1", "c2ln", {}}};
    for (const char* block : {"signatures: []", "signatures : []", "signatures\t:\n  - key: old\n    sig: b2xk"}) {
        SCOPED_TRACE(block);
        const std::string text = approval_with("serial", std::string("serial: 1\n") + block);
        auto signed_text = parse_signed_authorisation("a.yaml", with_signatures(text, sigs));
        ASSERT_TRUE(signed_text.ok()) << signed_text.error().message;
        ASSERT_EQ(signed_text->signatures.size(), 1u);
        EXPECT_EQ(signed_text->signatures[0].key_id, "commission-1");
    }
    // A key that only begins with the word is another key, kept as written.
    EXPECT_NE(with_signatures("signatures_note: x\n", sigs).find("signatures_note: x\n"), std::string::npos);
}

// The text forms (a file read once by `authority sign`) read exactly what the file forms read, and
// name the given path in errors.
TEST_F(AuthorisationFile, TextFormsMatchFileForms) {
    for (const Bad& b : bad_files()) {
        SCOPED_TRACE(b.name);
        const std::string p = dir_.write("auth.yaml", b.yaml);
        const std::string file_error = error_of(load_signed_authorisation_file(p));
        ASSERT_FALSE(file_error.empty());
        EXPECT_EQ(error_of(parse_signed_authorisation(p, b.yaml)), file_error);
    }
    const std::string good = approval_with("serial", "serial: 7");
    auto from_file = load_signed_authorisation_file(dir_.write("good.yaml", good));
    auto from_text = parse_signed_authorisation(dir_.file("good.yaml"), good);
    ASSERT_TRUE(from_file.ok() && from_text.ok());
    EXPECT_EQ(from_text->authorisation.id, "A-1");
    EXPECT_EQ(from_text->authorisation.serial, 7u);
    EXPECT_EQ(from_text->authorisation.source, from_file->authorisation.source);
    EXPECT_FALSE(is_revocation_text("good.yaml", good));

    const std::string rev = "kind: revocation\nid: A-1\nserial: 7\nissued_at: 2026-05-01T00:00:00Z\n";
    EXPECT_TRUE(is_revocation_text("r.yaml", rev));
    auto r = parse_revocation("r.yaml", rev);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->revocation.id, "A-1");
    EXPECT_EQ(r->revocation.serial, 7u);
    EXPECT_EQ(error_of(parse_revocation("r.yaml", "kind: revocation\nid: A-1\nserial: x\nissued_at: 2026-05-01T00:00:00Z\n"))
                  .rfind("r.yaml:3: serial: ", 0),
              0u);
    EXPECT_EQ(error_of(parse_signed_authorisation("t.yaml", "- a list\n")), "t.yaml:1: expected a mapping at the top level");
}

TEST_F(AuthorisationFile, MissingFileIsAnError) {
    const std::string p = dir_.file("none.yaml");
    EXPECT_EQ(error_of(load_authorisation_file(p)), p + ": cannot open file: No such file or directory");
}

}  // namespace
}  // namespace flowsieve::testing
