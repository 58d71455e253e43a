// test_country_code.cpp: the assigned ISO 3166-1 codes against Debian's iso-codes data, which
// scripts/setup installs: the embedded list must be exactly that file's.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/country_code.hpp"

namespace flowsieve {
namespace {

TEST(CountryCode, TheAssignedCodesAreDebiansIsoCodesList) {
    std::ifstream in("/usr/share/iso-codes/json/iso_3166-1.json");
    ASSERT_TRUE(in) << "iso-codes is not installed (scripts/setup installs it)";
    std::stringstream text;
    text << in.rdbuf();
    const std::string json = text.str();
    std::set<std::string> listed;
    const std::regex alpha2("\"alpha_2\":\\s*\"([A-Z]{2})\"");
    for (auto it = std::sregex_iterator(json.begin(), json.end(), alpha2); it != std::sregex_iterator(); ++it)
        listed.insert((*it)[1]);
    ASSERT_GT(listed.size(), 240u);
    for (char a = 'A'; a <= 'Z'; ++a)
        for (char b = 'A'; b <= 'Z'; ++b) {
            const std::string code{a, b};
            EXPECT_EQ(is_assigned_country(*parse_country_code(code)), listed.count(code) == 1) << code;
        }
    EXPECT_FALSE(is_assigned_country(no_country));
    EXPECT_TRUE(is_assigned_country(*parse_country_code("jp")));
}

}  // namespace
}  // namespace flowsieve
