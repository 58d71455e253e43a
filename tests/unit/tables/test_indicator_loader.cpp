// test_indicator_loader.cpp: indicator list and CSV loaders on real feeds and crafted files.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "core/record_id.hpp"
#include "tables/indicator_table.hpp"

namespace flowsieve {
namespace {

using testing::test_data;

// Independent classification of a plain list's lines, done with std::regex and inet_pton rather
// than the loader's code: what a reader of the file format would count by hand.
struct ListCount {
    std::size_t lines = 0, recognised = 0, unrecognised = 0, host_bits = 0;
    std::vector<std::string> tokens;  // recognised tokens, in file order
};

bool host_bits_set(const unsigned char* bytes, int nbytes, int len) {
    for (int bit = len; bit < nbytes * 8; ++bit) {
        if (bytes[bit / 8] & (0x80 >> (bit % 8))) return true;
    }
    return false;
}

ListCount count_list(const std::string& path) {
    static const std::regex v4(R"(^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(/(3[0-2]|[12]?\d))?$)");
    static const std::regex first_token(R"(^\s*(\S+))");
    ListCount c;
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << path;
    std::string line;
    while (std::getline(in, line)) {
        const auto hash = line.find_first_of("#;");  // comments: '#', and ';' (Spamhaus)
        if (hash != std::string::npos) line.erase(hash);
        std::smatch m;
        if (!std::regex_search(line, m, first_token)) continue;  // blank
        ++c.lines;
        const std::string tok = m[1];
        const auto slash = tok.find('/');
        const std::string addr = tok.substr(0, slash);
        unsigned char bytes[16] = {};
        bool ok = false;
        int len = -1, nbytes = 0;
        if (std::regex_match(tok, v4)) {
            ok = inet_pton(AF_INET, addr.c_str(), bytes) == 1;
            nbytes = 4;
            len = slash == std::string::npos ? 32 : std::stoi(tok.substr(slash + 1));
        } else if (inet_pton(AF_INET6, addr.c_str(), bytes) == 1) {
            nbytes = 16;
            len = 128;
            ok = true;
            if (slash != std::string::npos) {
                const std::string l = tok.substr(slash + 1);
                ok = std::regex_match(l, std::regex(R"(\d{1,3})")) && std::stoi(l) <= 128;
                if (ok) len = std::stoi(l);
            }
        }
        if (ok) {
            ++c.recognised;
            c.tokens.push_back(tok);
            if (host_bits_set(bytes, nbytes, len)) ++c.host_bits;
        } else {
            ++c.unrecognised;
        }
    }
    return c;
}

void expect_matches_independent_count(const IndicatorSetSource& src, const ListCount& c) {
    EXPECT_EQ(src.lines, c.lines);
    EXPECT_EQ(src.indicators.size(), c.recognised);
    EXPECT_EQ(src.unrecognised, c.unrecognised);
    EXPECT_EQ(src.normalised, c.host_bits);
    ASSERT_EQ(src.indicators.size(), c.tokens.size());
    for (std::size_t i = 0; i < c.tokens.size(); ++i) {
        ASSERT_EQ(src.indicators[i].id, c.tokens[i]) << "indicator " << i;
    }
}

TEST(IndicatorListLoader, IpsumLevel3AllAddresses) {
    const auto path = test_data("indicators/ip/ipsum-level3.txt");
    auto src = load_indicator_list("ipsum-level3", path);
    ASSERT_TRUE(src.ok()) << src.error().message;
    const auto c = count_list(path);
    expect_matches_independent_count(*src, c);
    // 14217 lines, all bare IPv4 addresses (wc/grep when the file was copied).
    EXPECT_EQ(src->lines, 14217u);
    EXPECT_EQ(src->unrecognised, 0u);
    EXPECT_EQ(src->name, "ipsum-level3");
    for (const auto& ind : src->indicators) {
        ASSERT_TRUE(ind.prefix.addr.is_v4());
        ASSERT_EQ(ind.prefix.len, 32);
    }
    // First line of the file: 77.90.185.20.
    EXPECT_EQ(src->indicators.front().prefix.addr, *parse_ip("77.90.185.20"));
}

TEST(IndicatorListLoader, MassScannerCidrsWithTrailingComments) {
    const auto path = test_data("indicators/ip/maltrail-mass-scanner-cidr.txt");
    auto src = load_indicator_list("mass-scanner", path);
    ASSERT_TRUE(src.ok()) << src.error().message;
    const auto c = count_list(path);
    expect_matches_independent_count(*src, c);
    // 1106 entries, each with a trailing comment: 10 bare addresses and 1096 written with a
    // length, three of which are /32s (79.137.65.46/32, 45.43.33.210/32, 45.43.33.218/32).
    EXPECT_EQ(src->lines, 1106u);
    EXPECT_EQ(src->unrecognised, 0u);
    std::size_t with_length = 0, shorter = 0;
    for (const auto& ind : src->indicators) {
        with_length += ind.id.find('/') != std::string::npos ? 1 : 0;
        shorter += ind.prefix.len < 32 ? 1 : 0;
    }
    EXPECT_EQ(with_length, 1096u);
    EXPECT_EQ(shorter, 1093u);
    EXPECT_EQ(src->indicators.front().id, "5.63.151.0/24");
    EXPECT_EQ(src->indicators.front().prefix.len, 24);
    EXPECT_EQ(src->indicators.front().prefix.addr, *parse_ip("5.63.151.0"));
}

TEST(IndicatorListLoader, MaltrailTrailCountsWhatItCannotUse) {
    const auto path = test_data("indicators/trails/maltrail-apt_lazarus.txt");
    auto src = load_indicator_list("lazarus", path);
    ASSERT_TRUE(src.ok()) << src.error().message;
    const auto c = count_list(path);
    expect_matches_independent_count(*src, c);
    // 5573 data lines; the only bare addresses are the four of the AppleJeus reference.
    EXPECT_EQ(src->lines, 5573u);
    ASSERT_EQ(src->indicators.size(), 4u);
    EXPECT_EQ(src->unrecognised, 5569u);
    // What was lost, by kind (counted apart with a script when the test was written: 871 lines are
    // an IPv4 address and a port, 795 hold a '/', the other 3903 are domain names).
    EXPECT_EQ(src->warnings, std::vector<std::string>{
                                 "5569 of 5573 lines are not IP addresses or CIDRs (skipped, the first at " + path +
                                 ":8: 'exbonus.mrbasic.com'): 871 address:port pairs, 3903 domain names, 795 URLs; an "
                                 "address with a port is not taken, as ports are not matched"});
    EXPECT_EQ(src->indicators[0].id, "185.142.236.226");
    EXPECT_EQ(src->indicators[3].id, "80.82.64.91");
}

TEST(IndicatorListLoader, CraftedLineShapes) {
    const auto path = test_data("indicators/crafted/mixed-list.txt");
    auto src = load_indicator_list("mixed", path);
    ASSERT_TRUE(src.ok()) << src.error().message;
    expect_matches_independent_count(*src, count_list(path));
    EXPECT_EQ(src->lines, 19u);
    EXPECT_EQ(src->unrecognised, 10u);
    EXPECT_EQ(src->normalised, 2u);
    // Each skipped line by what it holds: 192.0.2.5:443 and [2001:db8::5]:8443 are address:port;
    // evil.example.com and c2.example.net:8080 names; the http:// line and 198.51.100.10/ds/1.gif
    // URLs; a port past 65535, a /33, 999.1.1.1 and a zoned fe80::1%eth0 are none of these.
    EXPECT_EQ(src->warnings, std::vector<std::string>{
                                 "10 of 19 lines are not IP addresses or CIDRs (skipped, the first at " + path +
                                 ":11: 'evil.example.com'): 2 address:port pairs, 2 domain names, 2 URLs, 4 other "
                                 "lines; an address with a port is not taken, as ports are not matched"});
    const std::vector<std::pair<std::string, std::string>> want = {
        {"192.0.2.1", "192.0.2.1/32"},
        {"192.0.2.0/24", "192.0.2.0/24"},
        {"198.51.100.7", "198.51.100.7/32"},         // tab-separated second column ignored
        {"203.0.113.77/24", "203.0.113.0/24"},       // host bits cleared, counted as normalised
        {"2001:db8::1", "2001:db8::1/128"},
        {"2001:db8:abcd::/48", "2001:db8:abcd::/48"},
        {"2001:db8:ffff::1/32", "2001:db8::/32"},    // host bits cleared, counted as normalised
        {"10.0.0.0/8", "10.0.0.0/8"},
        {"10.1.2.3", "10.1.2.3/32"},                 // CRLF line ending
    };
    ASSERT_EQ(src->indicators.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(src->indicators[i].id, want[i].first);
        const auto slash = want[i].second.find('/');
        EXPECT_EQ(src->indicators[i].prefix.addr, *parse_ip(want[i].second.substr(0, slash))) << want[i].first;
        EXPECT_EQ(src->indicators[i].prefix.len, std::stoi(want[i].second.substr(slash + 1))) << want[i].first;
    }
}

TEST(IndicatorListLoader, TheFirstSkippedLineIsNamedAcrossPieces) {
    // Files are parsed in pieces of about 256 KiB in parallel: the example's line number counts the
    // lines of the pieces before its own. 100,000 addresses (over 1 MiB), then two junk lines.
    const std::string path = ::testing::TempDir() + "long-list.txt";
    {
        std::ofstream out(path);
        for (int i = 0; i < 100000; ++i) out << "10." << (i >> 16) << '.' << ((i >> 8) & 255) << '.' << (i & 255) << "\n";
        out << "# a comment\nnot-an-address\nalso:junk\n";
    }
    auto src = load_indicator_list("l", path);
    ASSERT_TRUE(src.ok()) << src.error().message;
    EXPECT_EQ(src->indicators.size(), 100000u);
    ASSERT_EQ(src->warnings.size(), 1u);
    EXPECT_NE(src->warnings[0].find("(skipped, the first at " + path + ":100002: 'not-an-address')"), std::string::npos)
        << src->warnings[0];
}

TEST(IndicatorListLoader, SemicolonCommentsAsSpamhausWritesThem) {
    // Spamhaus DROP: `;` comment lines and `network ; SBL id`. The header lines were counted as
    // skipped indicators, and `network;id` was not an address.
    const auto path = test_data("indicators/crafted/semicolon-comments.txt");
    auto src = load_indicator_list("drop", path);
    ASSERT_TRUE(src.ok()) << src.error().message;
    expect_matches_independent_count(*src, count_list(path));
    EXPECT_EQ(src->lines, 3u);
    EXPECT_EQ(src->unrecognised, 0u);
    EXPECT_TRUE(src->warnings.empty());
    ASSERT_EQ(src->indicators.size(), 3u);
    EXPECT_EQ(src->indicators[2].id, "203.0.113.0/24");
    EXPECT_EQ(src->indicators[2].prefix.len, 24);
}

TEST(IndicatorListLoader, UnreadableFileIsAnError) {
    const auto path = test_data("indicators/crafted/no-such-file.txt");
    auto src = load_indicator_list("x", path);
    ASSERT_FALSE(src.ok());
    EXPECT_EQ(src.error().message, path + ": cannot open: No such file or directory");
    auto dir = load_indicator_list("x", test_data("indicators/crafted"));
    ASSERT_FALSE(dir.ok());
    EXPECT_EQ(dir.error().message, test_data("indicators/crafted") + ": is a directory, not a file");
}

// Writes `text` to `path` (replacing it) and loads it as a CSV feed with the given columns.
Result<IndicatorSetSource> load_csv_text(const std::string& path, const std::string& text, const std::string& id_column,
                                         const std::string& value_column) {
    std::ofstream(path, std::ios::trunc) << text;
    return load_indicator_csv("c", path, id_column, value_column);
}

TEST(IndicatorCsvLoader, CuratedFileWithIdColumn) {
    auto src = load_indicator_csv("curated", test_data("indicators/crafted/curated.csv"), "ref", "address");
    ASSERT_TRUE(src.ok()) << src.error().message;
    EXPECT_EQ(src->lines, 5u);
    EXPECT_EQ(src->unrecognised, 0u);
    const std::vector<std::tuple<std::string, std::string, int>> want = {
        {"CASE-001", "192.0.2.1", 32},
        {"CASE-002", "198.51.100.0", 24},
        {"CASE \"3\"", "2001:db8::", 32},
        {"CASE-004", "203.0.113.9", 32},
        {"CASE-005", "2001:db8::dead:beef", 128},
    };
    ASSERT_EQ(src->indicators.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(src->indicators[i].id, std::get<0>(want[i]));
        EXPECT_EQ(src->indicators[i].prefix.addr, *parse_ip(std::get<1>(want[i])));
        EXPECT_EQ(src->indicators[i].prefix.len, std::get<2>(want[i]));
    }
    // The ids survive into the built table.
    auto table = IndicatorTable::build({*src});
    ASSERT_TRUE(table.ok()) << table.error().message;
    IndicatorMatch m;
    ASSERT_TRUE(table->lookup(*parse_ip("198.51.100.200"), m));
    EXPECT_EQ(table->indicator_id(m.indicator), "CASE-002");
    ASSERT_TRUE(table->lookup(*parse_ip("2001:db8::dead:beef"), m));
    EXPECT_EQ(table->indicator_id(m.indicator), "CASE-005");
    ASSERT_TRUE(table->lookup(*parse_ip("2001:db8::dead:bef0"), m));
    EXPECT_EQ(table->indicator_id(m.indicator), "CASE \"3\"");
}

TEST(IndicatorCsvLoader, MissingColumnIsAnErrorAtTheHeader) {
    const auto path = test_data("indicators/crafted/missing-column.csv");
    auto src = load_indicator_csv("c", path, "ref", "address");
    ASSERT_FALSE(src.ok());
    EXPECT_EQ(src.error().message, path + ":1: header has no column \"address\"");
    auto no_id = load_indicator_csv("c", path, "id", "comment");
    ASSERT_FALSE(no_id.ok());
    EXPECT_EQ(no_id.error().message, path + ":1: header has no column \"id\"");
}

TEST(IndicatorCsvLoader, BadAddressIsAnErrorWithItsLine) {
    const auto path = test_data("indicators/crafted/bad-address.csv");
    auto src = load_indicator_csv("c", path, "ref", "address");
    ASSERT_FALSE(src.ok());
    // The place and column are ours; the rest is parse_prefix's own wording, which must name the value.
    const std::string want = path + ":4: column \"address\": ";
    EXPECT_EQ(src.error().message.substr(0, want.size()), want) << src.error().message;
    EXPECT_NE(src.error().message.find("not-an-ip"), std::string::npos) << src.error().message;
}

TEST(IndicatorCsvLoader, ShortRowIsAnError) {
    const auto path = test_data("indicators/crafted/short-row.csv");
    auto src = load_indicator_csv("c", path, "ref", "address");
    ASSERT_FALSE(src.ok());
    EXPECT_EQ(src.error().message, path + ":3: row has 2 fields, header has 4");
}

TEST(IndicatorCsvLoader, HostBitsAreAnErrorInACuratedFile) {
    const auto path = test_data("indicators/crafted/host-bits.csv");
    auto src = load_indicator_csv("c", path, "ref", "address");
    ASSERT_FALSE(src.ok());
    const std::string want = path + ":2: column \"address\": ";
    EXPECT_EQ(src.error().message.substr(0, want.size()), want) << src.error().message;
    EXPECT_NE(src.error().message.find("192.0.2.7/24"), std::string::npos) << src.error().message;
}

TEST(IndicatorCsvLoader, AnIdLongerThanTheLimitIsAnErrorWithItsLine) {
    // Ids go into each record's comment (pcapng: at most 65535 bytes): a 70,000-byte id once made
    // every record naming it a write error at export, the run still exiting 0.
    const std::string path = ::testing::TempDir() + "long-id.csv";
    {
        std::ofstream out(path);
        out << "ref,address\n" << std::string(max_id_bytes, 'a') << ",192.0.2.1\n"
            << std::string(max_id_bytes + 1, 'b') << ",192.0.2.2\n";
    }
    auto src = load_indicator_csv("c", path, "ref", "address");
    ASSERT_FALSE(src.ok());
    EXPECT_EQ(src.error().message, path + ":3: column \"ref\": longer than 256 bytes (257)");
}

TEST(IndicatorCsvLoader, AByteOrderMarkIsNotPartOfTheHeader) {
    // A spreadsheet's CSV export: the mark made the first column "\xEF\xBB\xBFref", not "ref".
    const std::string path = ::testing::TempDir() + "bom.csv";
    std::ofstream(path) << "\xEF\xBB\xBF" "ref,address\nX-1,192.0.2.1\n";
    auto src = load_indicator_csv("c", path, "ref", "address");
    ASSERT_TRUE(src.ok()) << src.error().message;
    ASSERT_EQ(src->indicators.size(), 1u);
    EXPECT_EQ(src->indicators[0].id, "X-1");
    const std::string list = ::testing::TempDir() + "bom.txt";
    std::ofstream(list) << "\xEF\xBB\xBF" "192.0.2.1\n198.51.100.0/24\n";
    auto l = load_indicator_list("l", list);
    ASSERT_TRUE(l.ok()) << l.error().message;
    EXPECT_EQ(l->indicators.size(), 2u);
    EXPECT_EQ(l->unrecognised, 0u);
}

TEST(IndicatorCsvLoader, AHeaderInTheCommentBeforeTheFirstRow) {
    // abuse.ch's CSV feeds write their header as a comment: `# "first_seen_utc","dst_ip",...`. The
    // first row was taken for the header, which then had no such column.
    const auto path = test_data("indicators/crafted/commented-header.csv");
    auto src = load_indicator_csv("feodo", path, "malware", "dst_ip");
    ASSERT_TRUE(src.ok()) << src.error().message;
    ASSERT_EQ(src->indicators.size(), 3u);
    EXPECT_EQ(src->lines, 3u);
    EXPECT_EQ(src->indicators[0].id, "ExampleBot");
    EXPECT_EQ(src->indicators[0].prefix.addr, *parse_ip("192.0.2.10"));
    EXPECT_EQ(src->indicators[2].prefix.addr, *parse_ip("2001:db8::30"));
    // The id may be the address column itself.
    auto same = load_indicator_csv("feodo", path, "dst_ip", "dst_ip");
    ASSERT_TRUE(same.ok()) << same.error().message;
    EXPECT_EQ(same->indicators[1].id, "198.51.100.20");
    // A comment header that names one of the columns is the header meant: its error, at its line.
    auto missing = load_indicator_csv("feodo", path, "malware", "address");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, path + ":6: header has no column \"address\"");
    // One that names neither is no header: the error is at the first row, as before.
    auto neither = load_indicator_csv("feodo", path, "ref", "address");
    ASSERT_FALSE(neither.ok());
    EXPECT_EQ(neither.error().message, path + ":7: header has no column \"ref\"");
    // Rows keep their own line numbers after a comment header.
    const std::string bad = ::testing::TempDir() + "commented-header-bad.csv";
    auto b = load_csv_text(bad, "# \"ref\",\"address\"\nX-1,192.0.2.1\n\nX-2,not-an-ip\n", "ref", "address");
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().message.substr(0, bad.size() + 3), bad + ":4:") << b.error().message;
    // A feed with no rows yet: its comment header still names the columns (a reload must be able to
    // empty the set rather than be refused).
    const std::string emptied = "# \"first_seen_utc\",\"dst_ip\",\"malware\"\n# END 0 entries\n";
    auto empty = load_csv_text(bad, emptied, "malware", "dst_ip");
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    EXPECT_TRUE(empty->indicators.empty());
    // Comments only, naming one of the columns but not the other: that comment's error, at its line.
    auto wrong = load_csv_text(bad, emptied, "ref", "dst_ip");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().message, bad + ":1: header has no column \"ref\"");
    // A comment that merely mentions a column name is not taken for the header meant.
    auto prose = load_csv_text(bad, "# id numbers are internal\nname,value\n1,192.0.2.1\n", "id", "value");
    ASSERT_FALSE(prose.ok());
    EXPECT_EQ(prose.error().message, bad + ":2: header has no column \"id\"");
    // A blank line between the comment and the rows parts them: no header.
    auto parted = load_csv_text(bad, "# ref,address\n\nX-1,192.0.2.1\n", "ref", "address");
    ASSERT_FALSE(parted.ok());
    EXPECT_EQ(parted.error().message, bad + ":3: header has no column \"ref\"");
}

TEST(IndicatorCsvLoader, AMixedValueColumnIsTakenForItsAddresses) {
    // ThreatFox's export mixes address:port pairs, names and URLs with addresses in one column: the
    // whole file was refused at its first row. Now the addresses are taken and the rest counted, as
    // in a list; a value that is none of these still refuses the file (BadAddressIsAnErrorWithItsLine).
    const auto path = test_data("indicators/crafted/mixed-values.csv");
    auto src = load_indicator_csv("threatfox", path, "ioc_id", "ioc_value");
    ASSERT_TRUE(src.ok()) << src.error().message;
    ASSERT_EQ(src->indicators.size(), 2u);
    EXPECT_EQ(src->indicators[0].id, "1005");
    EXPECT_EQ(src->indicators[0].prefix.addr, *parse_ip("198.51.100.20"));
    EXPECT_EQ(src->indicators[1].id, "1006");
    EXPECT_EQ(src->lines, 7u);
    EXPECT_EQ(src->unrecognised, 5u);
    EXPECT_EQ(src->warnings, std::vector<std::string>{
                                 "5 of 7 rows are not IP addresses or CIDRs (skipped, the first at " + path +
                                 ":7: '192.0.2.10:443'): 2 address:port pairs, 1 domain name, 1 URL, 1 file hash; "
                                 "an address with a port is not taken, as ports are not matched"});
    // Told strictly: a typo in an address is no URL, name or pair, and still refuses the file.
    const std::string typo = ::testing::TempDir() + "csv-typo.csv";
    for (const std::string v : {"192.0.2.300/24", "192.0.2.0/", "/24", "a/b", "192.0.2.0//24", "192.0.2.l", "192.0.2.1O",
                                "192.0.2.1:0", "2001:db8:::/48", "ftp//example.com/x", "d41d8cd98f00b204e9800998ecf8427"}) {
        SCOPED_TRACE(v);
        auto r = load_csv_text(typo, "id,v\n1,198.51.100.1\n2," + v + "\n", "id", "v");
        ASSERT_FALSE(r.ok());
        const std::string want = typo + ":3: column \"v\": ";
        EXPECT_EQ(r.error().message.substr(0, want.size()), want) << r.error().message;
    }
    for (const std::string v : {"https://c2.example.com/gate", "xn--80ak6aa92e.com", "c2.example.net:8080", "[2001:db8::1]:443",
                                "d41d8cd98f00b204e9800998ecf8427e"}) {
        SCOPED_TRACE(v);
        auto r = load_csv_text(typo, "id,v\n1,198.51.100.1\n2," + v + "\n", "id", "v");
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->unrecognised, 1u);
    }
}

TEST(IndicatorCsvLoader, MissingFileIsAnError) {
    const auto path = test_data("indicators/crafted/absent.csv");
    auto src = load_indicator_csv("c", path, "ref", "address");
    ASSERT_FALSE(src.ok());
    EXPECT_EQ(src.error().message, path + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace flowsieve
