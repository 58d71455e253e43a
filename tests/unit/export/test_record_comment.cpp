// test_record_comment.cpp: the comment format the exporter attaches to pcapng records.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/category.hpp"
#include "core/country_code.hpp"
#include "export/record_comment.hpp"

namespace flowsieve {
namespace {

TEST(RecordComment, ExampleFromTheSpecification) {
    EXPECT_EQ(format_record_comment({.category = "threat-linked",
                                     .authorisation = "A-2026-001",
                                     .rule = "r3",
                                     .indicator = "1.2.3.4",
                                     .src_cc = "CN",
                                     .dst_cc = "JP"}),
              "category=threat-linked auth=A-2026-001 rule=r3 indicator=1.2.3.4 src_cc=CN dst_cc=JP");
}

TEST(RecordComment, NoIndicatorLeavesTheKeyOut) {
    EXPECT_EQ(format_record_comment({.category = name_of(Category::transit),
                                     .authorisation = "A-1",
                                     .rule = "r1",
                                     .indicator = "",
                                     .src_cc = country_code_text(*parse_country_code("ru")),
                                     .dst_cc = country_code_text(no_country)}),
              "category=transit auth=A-1 rule=r1 src_cc=RU dst_cc=--");
}

TEST(RecordComment, ValuesCannotBreakTheKeyValueSyntax) {
    // Spaces, '=', control bytes and bytes that are not UTF-8 would make the comment ambiguous to
    // split, or not text: they are escaped (%XX), and so is '%' itself.
    EXPECT_EQ(format_record_comment({.category = "operator",
                                     .authorisation = "A 7=x\t",
                                     .rule = "r\n1%",
                                     .indicator = "evil.example/\xc3",
                                     .src_cc = "",
                                     .dst_cc = "JP"}),
              "category=operator auth=A%207%3Dx%09 rule=r%0A1%25 indicator=evil.example/%C3 src_cc=- dst_cc=JP");
}

TEST(RecordComment, HeadersCutAtTheRecordsSizeAreMarked) {
    const std::string c = format_record_comment({"transit", "A-1", "r1", "", "US", "DE", true});
    EXPECT_EQ(c, "category=transit auth=A-1 rule=r1 src_cc=US dst_cc=DE headers_cut=yes");
    EXPECT_EQ(record_comment_value(c, "headers_cut"), "yes");
    EXPECT_EQ(record_comment_value(format_record_comment({"transit", "A-1", "r1", "", "US", "DE"}), "headers_cut"), "");
}

// The edges of each escaped range of non-ASCII characters, and the characters just outside them.
TEST(RecordComment, InvisibleCharactersAreEscapedAtEveryEdge) {
    const auto utf8 = [](char32_t c) {
        std::string s;
        if (c < 0x800) {
            s += static_cast<char>(0xC0 | c >> 6);
        } else if (c < 0x10000) {
            s += static_cast<char>(0xE0 | c >> 12);
            s += static_cast<char>(0x80 | (c >> 6 & 0x3F));
        } else {
            s += static_cast<char>(0xF0 | c >> 18);
            s += static_cast<char>(0x80 | (c >> 12 & 0x3F));
            s += static_cast<char>(0x80 | (c >> 6 & 0x3F));
        }
        return s + static_cast<char>(0x80 | (c & 0x3F));
    };
    const auto kept = [&](char32_t c) {
        const std::string v = "a" + utf8(c);
        const std::string comment = format_record_comment({"transit", v, "r", "", "", ""});
        EXPECT_EQ(record_comment_text(record_comment_value(comment, "auth")), v) << std::hex << static_cast<std::uint32_t>(c);
        return comment.find(v) != std::string::npos;
    };
    for (char32_t c : {0x80, 0x9F, 0xA0, 0xAD, 0x34F, 0x61C, 0x115F, 0x1160, 0x1680, 0x180B, 0x180F, 0x2000, 0x200F, 0x2028,
                       0x202F, 0x205F, 0x206F, 0x3000, 0x3164, 0xFE00, 0xFE0F, 0xFEFF, 0xFFA0, 0xFFF9, 0xFFFB, 0x1D173, 0x1D17A,
                       0xE0000, 0xE0FFF})
        EXPECT_FALSE(kept(c)) << std::hex << static_cast<std::uint32_t>(c);
    for (char32_t c : {0xA1, 0xAE, 0x61B, 0x1810, 0x1FFF, 0x2010, 0x2027, 0x2030, 0x205E, 0x2070, 0x3001, 0xFE10, 0xFFFC, 0x1D172,
                       0x1D17B, 0xE1000, 0x20000, 0x1F600})
        EXPECT_TRUE(kept(c)) << std::hex << static_cast<std::uint32_t>(c);
}

TEST(RecordComment, DistinctValuesStayDistinctAndReadBack) {
    // Two Japanese approval numbers that differ only in their non-ASCII characters: they stay as
    // written (UTF-8, as pcapng comments are), and every value reads back as it was given.
    const std::string a = "\xe6\x89\xbf\xe8\xaa\x8d\xe7\xac\xac" "14\xe5\x8f\xb7";  // 承認第14号
    const std::string b = "\xe8\xa8\xb1\xe5\x8f\xaf\xe7\xac\xac" "14\xe5\x8f\xb7";  // 許可第14号
    const std::string ca = format_record_comment({"transit", a, "r", "", "US", "DE"});
    const std::string cb = format_record_comment({"transit", b, "r", "", "US", "DE"});
    EXPECT_EQ(ca, "category=transit auth=" + a + " rule=r src_cc=US dst_cc=DE");
    EXPECT_NE(ca, cb);
    for (const std::string& id : {a, b, std::string("Genehmigung \xc3\x84=1"), std::string("A_1"), std::string("A 1"),
                                 std::string("50%"), std::string("-"), std::string("%2D"), std::string("\xff\x01")}) {
        const std::string c = format_record_comment({"transit", id, "r", "", "US", "DE"});
        EXPECT_EQ(std::count(c.begin(), c.end(), ' '), 4) << c;
        EXPECT_EQ(record_comment_text(record_comment_value(c, "auth")), id) << c;
    }
    EXPECT_NE(format_record_comment({"transit", "A_1", "r", "", "", ""}), format_record_comment({"transit", "A 1", "r", "", "", ""}));
    // Characters that do not show as themselves are escaped too, the rest of the value kept: a C1
    // control (U+009B, a terminal's CSI), a right-to-left override (U+202E), an ideographic space
    // (U+3000, which a reader splitting on blanks takes for a separator), a zero-width space.
    const std::string c = format_record_comment(
        {"threat-linked", "\xe6\x89\xbf\xe3\x80\x80" "1", "r", "ind\xc2\x9b" "31m\xe2\x80\xae" "x\xe2\x80\x8b", "CN", "JP"});
    EXPECT_EQ(c, "category=threat-linked auth=\xe6\x89\xbf%E3%80%80" "1 rule=r indicator=ind%C2%9B" "31m%E2%80%AE" "x%E2%80%8B "
                 "src_cc=CN dst_cc=JP");
    EXPECT_EQ(record_comment_text(record_comment_value(c, "indicator")), "ind\xc2\x9b" "31m\xe2\x80\xae" "x\xe2\x80\x8b");
    // A no-break space (which Python's str.split() splits on), an Arabic letter mark, a tag
    // character, a variation selector; an emoji and a CJK extension B character stay.
    EXPECT_EQ(format_record_comment({"transit", "a\xc2\xa0" "b\xd8\x9c" "c\xf3\xa0\x80\x81" "d\xef\xb8\x8f", "r", "", "", ""}),
              "category=transit auth=a%C2%A0b%D8%9Cc%F3%A0%80%81d%EF%B8%8F rule=r src_cc=- dst_cc=-");
    EXPECT_EQ(format_record_comment({"transit", "\xf0\x9f\x98\x80\xf0\xa0\x80\x80", "r", "", "", ""}),
              "category=transit auth=\xf0\x9f\x98\x80\xf0\xa0\x80\x80 rule=r src_cc=- dst_cc=-");
    EXPECT_EQ(record_comment_text("-"), "");  // the empty value's mark
    EXPECT_EQ(record_comment_text("100%"), "100%");  // a '%' without two hex digits is itself
}

TEST(RecordComment, CidrAndDomainIndicatorsPassUnchanged) {
    auto c = format_record_comment({.category = "threat-linked",
                                    .authorisation = "A-2",
                                    .rule = "r9",
                                    .indicator = "223.166.0.0/15",
                                    .src_cc = "CN",
                                    .dst_cc = "JP"});
    EXPECT_NE(c.find(" indicator=223.166.0.0/15 "), std::string::npos) << c;
}

TEST(RecordComment, AReusedBufferHoldsExactlyTheLatestComment) {
    // The exporter formats every record's comment into one buffer: nothing of a longer earlier one
    // may remain, and the result equals the returning form's.
    std::string buffer = "stale bytes that must not survive";
    const RecordCommentFields long_one{"threat-linked", "A-2026-001", "r3", "some.very.long.indicator.example", "CN", "JP"};
    const RecordCommentFields short_one{"transit", "A", "r", "", "", "US"};
    format_record_comment(long_one, buffer);
    EXPECT_EQ(buffer, format_record_comment(long_one));
    format_record_comment(short_one, buffer);
    EXPECT_EQ(buffer, "category=transit auth=A rule=r src_cc=- dst_cc=US");
}

}  // namespace
}  // namespace flowsieve
