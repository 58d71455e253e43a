// test_record_comment.cpp: the comment format the exporter attaches to pcapng records.
#include <gtest/gtest.h>

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
    // Spaces, '=', control bytes and non-ASCII would make the comment ambiguous to split.
    EXPECT_EQ(format_record_comment({.category = "operator",
                                     .authorisation = "A 7=x\t",
                                     .rule = "r\n1",
                                     .indicator = "evil.example/\xc3\xa9",
                                     .src_cc = "",
                                     .dst_cc = "JP"}),
              "category=operator auth=A_7_x_ rule=r_1 indicator=evil.example/__ src_cc=- dst_cc=JP");
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
