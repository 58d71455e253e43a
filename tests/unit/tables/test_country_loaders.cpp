// test_country_loaders.cpp: range CSV (text and -num) and RIR delegated(-extended) statistics
// loaders on the committed real files, crafted lines, and `file:line:` errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "capture_file.hpp"
#include "tables/country_loaders.hpp"
#include "tables/country_table.hpp"

namespace flowsieve {
namespace {

using testing::test_data;

__extension__ typedef unsigned __int128 wide;
wide wide_of(U128 v) { return (static_cast<wide>(v.hi) << 64) | v.lo; }
U128 u128_of(wide v) { return U128{static_cast<std::uint64_t>(v >> 64), static_cast<std::uint64_t>(v)}; }

IpAddress ip(const char* text) { return *parse_ip(text); }
CountryCode cc(const char* text) { return *parse_country_code(text); }

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << path;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::stringstream ss(s);
    while (std::getline(ss, cur, sep)) out.push_back(cur);
    if (!s.empty() && s.back() == sep) out.emplace_back();
    return out;
}

// A fresh directory for crafted files, removed at scope exit.
class TempDir {
public:
    TempDir() {
        std::string tmpl = ::testing::TempDir() + "flowsieve-country-XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        const std::string p = path_ + "/" + name;
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }

private:
    std::string path_;
};

::testing::AssertionResult has_text(const std::string& msg, const std::string& part) {
    if (msg.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << msg << "' does not contain '" << part << "'";
}

// The error is `path:line: ...` and mentions `what`.
void expect_error_at(const Result<std::vector<CountryRange>>& r, const std::string& path, std::size_t line,
                     const std::string& what) {
    ASSERT_FALSE(r.ok()) << "accepted, " << r->size() << " ranges";
    const std::string& m = r.error().message;
    EXPECT_EQ(m.rfind(path + ":" + std::to_string(line) + ": ", 0), 0u) << m;
    EXPECT_TRUE(has_text(m, what));
}

using RangeTuple = std::tuple<Family, wide, wide, CountryCode>;
RangeTuple tuple_of(const CountryRange& r) {
    const auto k = [](const IpAddress& a) { return a.is_v4() ? wide{a.v4} : wide_of(a.v6); };
    return {r.first.family, k(r.first), k(r.last), r.cc};
}
std::vector<RangeTuple> tuples(const std::vector<CountryRange>& v) {
    std::vector<RangeTuple> out;
    for (const auto& r : v) out.push_back(tuple_of(r));
    return out;
}

// --- range CSV: the committed extract --------------------------------------------------------

// Expected ranges of a text range CSV, read with iostreams and core's parse_ip.
std::vector<CountryRange> read_text_csv(const std::string& path) {
    std::vector<CountryRange> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const auto f = split(line, ',');
        EXPECT_EQ(f.size(), 3u) << line;
        out.push_back({*parse_ip(f[0]), *parse_ip(f[1]), cc(f[2].c_str())});
    }
    return out;
}

wide decimal(const std::string& s) {
    wide v = 0;
    for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
    return v;
}

std::vector<CountryRange> read_num_csv(const std::string& path, bool v4) {
    std::vector<CountryRange> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const auto f = split(line, ',');
        const auto addr = [v4](wide k) {
            return v4 ? IpAddress::from_v4(static_cast<std::uint32_t>(k)) : IpAddress::from_v6(u128_of(k));
        };
        out.push_back({addr(decimal(f[0])), addr(decimal(f[1])), cc(f[2].c_str())});
    }
    return out;
}

TEST(RangeCsv, TextExtractLoadsEveryLineInOrder) {
    for (const char* name : {"geo/world-extract-ipv4.csv", "geo/world-extract-ipv6.csv"}) {
        const std::string path = test_data(name);
        CountryTableInfo info;
        const auto r = load_range_csv(path, &info);
        ASSERT_TRUE(r.ok()) << r.error().message;
        const auto want = read_text_csv(path);
        EXPECT_EQ(tuples(*r), tuples(want)) << name;
        const bool v4 = std::string(name).find("ipv4") != std::string::npos;
        EXPECT_EQ(v4 ? info.ranges_v4 : info.ranges_v6, want.size());
        EXPECT_EQ(v4 ? info.ranges_v6 : info.ranges_v4, 0u);
        EXPECT_EQ(info.skipped, 0u);
        EXPECT_TRUE(info.newest_date.empty());  // range CSVs carry no date
    }
}

TEST(RangeCsv, NumericExtractLoadsWithTheFamilyOfItsName) {
    for (const bool v4 : {true, false}) {
        const std::string path = test_data(v4 ? "geo/world-extract-ipv4-num.csv" : "geo/world-extract-ipv6-num.csv");
        CountryTableInfo info;
        const auto r = load_range_csv(path, &info);
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(tuples(*r), tuples(read_num_csv(path, v4)));
        for (const auto& x : *r) ASSERT_EQ(x.first.is_v4(), v4);
        EXPECT_EQ(v4 ? info.ranges_v4 : info.ranges_v6, r->size());
        // Every numeric line is also a line of the text extract (a subset of the same table).
        const auto text = load_range_csv(test_data(v4 ? "geo/world-extract-ipv4.csv" : "geo/world-extract-ipv6.csv"));
        ASSERT_TRUE(text.ok());
        const auto all = tuples(*text);
        const std::set<RangeTuple> known(all.begin(), all.end());
        for (const auto& x : *r) EXPECT_TRUE(known.count(tuple_of(x))) << to_string(x.first);
    }
}

TEST(RangeCsv, NumericFamilyIsInferredWhenTheNameDoesNotSay) {
    TempDir dir;
    const auto v4 = load_range_csv(dir.write("ranges-num.csv", read_all(test_data("geo/world-extract-ipv4-num.csv"))));
    ASSERT_TRUE(v4.ok()) << v4.error().message;
    EXPECT_EQ(tuples(*v4), tuples(read_num_csv(test_data("geo/world-extract-ipv4-num.csv"), true)));
    const auto v6 = load_range_csv(dir.write("ranges.csv", read_all(test_data("geo/world-extract-ipv6-num.csv"))));
    ASSERT_TRUE(v6.ok()) << v6.error().message;
    EXPECT_EQ(tuples(*v6), tuples(read_num_csv(test_data("geo/world-extract-ipv6-num.csv"), false)));
}

// IP2Location LITE DB1 lays the same table out as `"start","end","CC","Country name"`, every field
// quoted, a name that may hold a comma, "-" for addresses of no country; its IPv6 file is named
// *.IPV6.CSV. Here the real numeric extracts rewritten in that layout: the same ranges load.
TEST(RangeCsv, Ip2LocationLayoutLoadsTheSameRanges) {
    TempDir dir;
    for (const bool v4 : {true, false}) {
        const std::string num = test_data(v4 ? "geo/world-extract-ipv4-num.csv" : "geo/world-extract-ipv6-num.csv");
        std::istringstream in(read_all(num));
        std::string out = "\"0\",\"1\",\"-\",\"-\"\r\n", line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            const auto a = line.find(','), b = line.find(',', a + 1);
            out += "\"" + line.substr(0, a) + "\",\"" + line.substr(a + 1, b - a - 1) + "\",\"" + line.substr(b + 1) +
                   "\",\"Name, with a comma\"\r\n";
        }
        CountryTableInfo info;
        const auto r = load_range_csv(dir.write(v4 ? "IP2LOCATION-LITE-DB1.CSV" : "IP2LOCATION-LITE-DB1.IPV6.CSV", out), &info);
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(tuples(*r), tuples(read_num_csv(num, v4)));
        EXPECT_EQ(info.skipped, 1u);  // the "-" range
    }
    // Quotes that do not close, or text after a closing one, are errors; so are five quoted fields.
    for (const auto& [text, what] : std::vector<std::pair<std::string, std::string>>{
             {"\"16777216\",\"16777471\",\"AU\n", "field 3: its opening quote is not closed"},
             {"\"16777216\"x,\"16777471\",\"AU\"\n", "field 1: text after its closing quote ('x,\"16777471\",\"AU\"'"},
             // Four fields only when every one is quoted; '-' only in a quoted file.
             {"\"16777216\",16777471,\"AU\",\"Australia\"\n",
              "expected 3 or 4 quoted fields (\"start\",\"end\",\"country\"[,\"name\"]), got 4"},
             {"\"16777216\",\"16777471\",\"AU\",\n",
              "expected 3 or 4 quoted fields (\"start\",\"end\",\"country\"[,\"name\"]), got 4"},
             {"16777216,16777471,-\n", "bad country code '-'"},
             {"\"16777216\",\"16777471\",\"AU\",\"Australia\",\"x\"\n",
              "expected 3 or 4 quoted fields (\"start\",\"end\",\"country\"[,\"name\"]), got 5"}}) {
        SCOPED_TRACE(text);
        const std::string p = dir.write("bad-quotes.csv", text);
        expect_error_at(load_range_csv(p), p, 1, what);
    }
}

// IP2Location's IPv6 file gives every IPv4 range as IPv4-mapped (::ffff:a.b.c.d, numerically
// 281470681743360 + a), which is special and never looked up: those rows are read as the IPv4
// ranges they map, so that the IPv6 file alone covers both families as its maker says. Here the
// real IPv4 and IPv6 extracts in that one file; a row crossing the block's edges keeps its outside
// parts as IPv6.
TEST(RangeCsv, Ip2LocationIpv6FileGivesItsMappedRowsAsIpv4) {
    TempDir dir;
    const wide mapped = static_cast<wide>(0xffff) << 32;
    std::string out = "\"0\",\"281470681743359\",\"-\",\"-\"\n";
    std::vector<CountryRange> expected;
    for (const bool v4 : {true, false}) {
        const std::string num = test_data(v4 ? "geo/world-extract-ipv4-num.csv" : "geo/world-extract-ipv6-num.csv");
        for (const CountryRange& r : read_num_csv(num, v4)) {
            const wide first = v4 ? mapped + r.first.v4 : wide_of(r.first.v6), last = v4 ? mapped + r.last.v4 : wide_of(r.last.v6);
            const auto dec = [](wide v) {
                std::string d;
                do d.insert(d.begin(), static_cast<char>('0' + static_cast<int>(v % 10))); while ((v /= 10) != 0);
                return d;
            };
            out += "\"" + dec(first) + "\",\"" + dec(last) + "\",\"" + country_code_text(r.cc) + "\",\"Name\"\n";
            expected.push_back(r);
        }
    }
    // Across the lower edge (::fffe:ffff:ff00 to ::ffff:0.0.0.255) and the upper one.
    out += "\"281470681743104\",\"281470681743615\",\"DE\",\"Germany\"\n";
    out += "\"281474976710400\",\"281474976710911\",\"FR\",\"France\"\n";
    expected.push_back({ip("::fffe:ffff:ff00"), ip("::fffe:ffff:ffff"), cc("DE")});
    expected.push_back({ip("0.0.0.0"), ip("0.0.0.255"), cc("DE")});
    expected.push_back({ip("255.255.255.0"), ip("255.255.255.255"), cc("FR")});
    expected.push_back({ip("::1:0:0:0"), ip("::1:0:0:ff"), cc("FR")});
    CountryTableInfo info;
    const auto r = load_range_csv(dir.write("IP2LOCATION-LITE-DB1.IPV6.CSV", out), &info);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(tuples(*r), tuples(expected));
    const auto v4s = static_cast<std::size_t>(std::count_if(expected.begin(), expected.end(), [](const CountryRange& x) { return x.first.is_v4(); }));
    EXPECT_EQ(info.ranges_v4, v4s);
    EXPECT_EQ(info.ranges_v6, expected.size() - v4s);
    std::size_t p4 = 0, p6 = 0;
    for (const CountryRange& x : expected) (x.first.is_v4() ? p4 : p6) += detail::cover_prefix_count(x);
    EXPECT_EQ(info.prefixes_v4, p4);
    EXPECT_EQ(info.prefixes_v6, p6);
}

TEST(RangeCsv, CommentsBlanksCrlfCaseAndSpacesAreTolerated) {
    TempDir dir;
    const std::string p = dir.write("t-ipv4.csv",
                                    "# a comment\n"
                                    "\n"
                                    "1.0.0.0,1.0.0.255,AU\r\n"
                                    "  1.0.1.0 , 1.0.3.255 , cn  \n"
                                    "   # indented comment\n"
                                    "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP");  // no final newline
    CountryTableInfo info;
    const auto r = load_range_csv(p, &info);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ(tuple_of((*r)[0]), tuple_of({ip("1.0.0.0"), ip("1.0.0.255"), cc("AU")}));
    EXPECT_EQ(tuple_of((*r)[1]), tuple_of({ip("1.0.1.0"), ip("1.0.3.255"), cc("CN")}));
    EXPECT_EQ(tuple_of((*r)[2]), tuple_of({ip("2001:200::"), ip("2001:200:ffff:ffff:ffff:ffff:ffff:ffff"), cc("JP")}));
    EXPECT_EQ(info.ranges_v4, 2u);
    EXPECT_EQ(info.ranges_v6, 1u);
    EXPECT_EQ(info.prefixes_v4, 1u + 2u);  // a /24; a /24 and a /23
    EXPECT_EQ(info.prefixes_v6, 1u);
}

TEST(RangeCsv, ZzIsNotACountry) {
    TempDir dir;
    const std::string p = dir.write("zz.csv", "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,ZZ\n1.0.2.0,1.0.2.255,zz\n");
    CountryTableInfo info;
    const auto r = load_range_csv(p, &info);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ(info.skipped, 2u);
    EXPECT_EQ(info.ranges_v4, 1u);
    EXPECT_EQ(CountryTable::build(*r).lookup(ip("1.0.1.1")), no_country);
}

TEST(RangeCsv, BadLinesAreRefusedWithFileAndLine) {
    TempDir dir;
    struct Case {
        const char* line;
        const char* what;
    };
    const Case cases[] = {
        {"1.0.0.256,1.0.1.255,AU", "bad start address '1.0.0.256'"},
        {"1.0.0.0,1.0.1,AU", "bad end address '1.0.1'"},
        {"2001:db8:::,2001:db8::ffff,AU", "bad start address"},
        {"1.0.1.0,1.0.0.255,AU", "start 1.0.1.0 is after end 1.0.0.255"},
        {"2001:db8::1,2001:db8::,AU", "is after end"},
        {"1.0.0.0,2001:db8::,AU", "different address families"},
        {"1.0.0.0,1.0.0.255,AUS", "bad country code 'AUS'"},
        {"1.0.0.0,1.0.0.255,A1", "bad country code 'A1'"},
        {"1.0.0.0,1.0.0.255,", "bad country code ''"},
        {"1.0.0.0,1.0.0.255", "expected 3 comma-separated fields (start,end,country), got 2"},
        {"1.0.0.0,1.0.0.255,AU,extra", "got 4"},
        {"1.0.0.0", "got 1"},
        {"1.0.0.0,16777471,AU", "(this file uses text addresses)"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.line);
        // Line 4: after a comment, a good line and a blank line.
        const std::string p = dir.write("bad.csv", std::string("# header\n1.2.0.0,1.2.0.255,JP\n\n") + c.line + "\n");
        expect_error_at(load_range_csv(p), p, 4, c.what);
    }
}

TEST(RangeCsv, ErrorsShowControlBytesAndCutHugeValues) {
    // A NUL in a value cut the printed message short at it; a 100,000-digit value was quoted whole.
    TempDir dir;
    const std::string nul = dir.write("nul.csv", std::string("1.0.0.0,1.0.0.255,A\0U\n", 22));
    auto r = load_range_csv(nul);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, nul + ":1: bad country code 'A\\x00U' (expected two letters)");
    const std::string huge = dir.write("huge.csv", std::string(100000, '1') + ",1.0.0.255,AU\n");
    auto h = load_range_csv(huge);
    ASSERT_FALSE(h.ok());
    EXPECT_LT(h.error().message.size(), 2200u);
    EXPECT_TRUE(has_text(h.error().message, " bytes more)")) << h.error().message;
}

TEST(RangeCsv, AByteOrderMarkIsNotPartOfTheFirstLine) {
    // Saved by a Windows editor: the mark, invisible in the message, made line 1 a bad address.
    TempDir dir;
    const std::string p = dir.write("bom.csv", "\xEF\xBB\xBF" "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.3.255,CN\n");
    auto r = load_range_csv(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].first, *parse_ip("1.0.0.0"));
    const std::string rir = dir.write("bom.txt", "\xEF\xBB\xBF" "apnic|AU|ipv4|1.0.0.0|256|20110811|assigned\n");
    auto s = load_rir_stats(rir);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->size(), 1u);
    // Its format is told from the first line that is not a comment: with the mark before a
    // comment, a registry file was read as a range CSV.
    const std::string commented = dir.write("bom-comment.txt", "\xEF\xBB\xBF" "# apnic\n"
                                                                "apnic|AU|ipv4|1.0.0.0|256|20110811|assigned\n");
    auto c = load_country_file(commented);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->size(), 1u);
}

TEST(RangeCsv, NumericFilesRefuseTextAndOutOfRangeNumbers) {
    TempDir dir;
    const std::string a = dir.write("x-ipv4-num.csv", "16777216,16777471,AU\n1.0.1.0,1.0.1.255,CN\n");
    expect_error_at(load_range_csv(a), a, 2, "(this file uses integer addresses)");
    const std::string b = dir.write("x-ipv4-num.csv", "16777216,16777471,AU\n4294967296,4294967296,CN\n");
    expect_error_at(load_range_csv(b), b, 2, "above 4294967295");
    const std::string c = dir.write("x-num.csv", "1,2,AU\n340282366920938463463374607431768211456,1,CN\n");
    expect_error_at(load_range_csv(c), c, 2, "more than 128 bits");
    const std::string d = dir.write("x-num.csv", "16777472,16777216,AU\n");
    expect_error_at(load_range_csv(d), d, 1, "is after end");
}

TEST(RangeCsv, EmptyAndMissingFiles) {
    TempDir dir;
    const std::string e = dir.write("empty.csv", "");
    const auto r1 = load_range_csv(e);
    ASSERT_FALSE(r1.ok());
    EXPECT_EQ(r1.error().message, e + ": no address ranges in file");
    const std::string c = dir.write("comments.csv", "# nothing\n\n");
    const auto r2 = load_range_csv(c);
    ASSERT_FALSE(r2.ok());
    EXPECT_TRUE(has_text(r2.error().message, "no address ranges"));
    const auto r3 = load_range_csv(e + ".missing");
    ASSERT_FALSE(r3.ok());
    EXPECT_EQ(r3.error().message, e + ".missing: cannot read: No such file or directory");
}

// Files over 1 MiB are parsed in parallel chunks: line numbers must still count from the top
// of the file, and the first bad line in file order is the one reported.
TEST(RangeCsv, BigFileReportsTheFirstBadLineByFileLineNumber) {
    TempDir dir;
    const std::string good = read_all(test_data("geo/world-extract-ipv4.csv"));
    const std::size_t good_lines = static_cast<std::size_t>(std::count(good.begin(), good.end(), '\n'));
    std::string clean;
    std::size_t lines = 0;
    while (clean.size() < (5u << 20)) {
        clean += good;
        lines += good_lines;
    }
    const std::size_t bad1 = lines + 1;
    std::string text = clean + "1.0.0.0,1.0.0.255,XYZ\n";
    text += good;
    text += "1.0.0.0,oops,AU\n";  // a later bad line in another chunk
    const std::string p = dir.write("big-ipv4.csv", text);
    expect_error_at(load_range_csv(p), p, bad1, "bad country code 'XYZ'");

    // And without the bad lines, every line loads in order.
    const auto r = load_range_csv(dir.write("big-ok-ipv4.csv", clean));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), lines);
    const auto one = load_range_csv(test_data("geo/world-extract-ipv4.csv"));
    ASSERT_TRUE(one.ok());
    for (std::size_t i = 0; i < lines; i += 997) ASSERT_EQ(tuple_of((*r)[i]), tuple_of((*one)[i % good_lines])) << i;
}

// --- RIR delegated statistics: the real APNIC file --------------------------------------------

struct RirRecord {
    std::string cc, type, start, value, date, status;
};

// The file's ipv4/ipv6 records, split with iostreams: no header (version) or summary lines.
std::vector<RirRecord> read_rir_records(const std::string& path) {
    std::vector<RirRecord> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto f = split(line, '|');
        if (f.size() < 7 || (f[2] != "ipv4" && f[2] != "ipv6")) continue;
        out.push_back({f[1], f[2], f[3], f[4], f[5], f[6]});
    }
    return out;
}

CountryRange expected_range(const RirRecord& r) {
    const IpAddress first = *parse_ip(r.start);
    if (r.type == "ipv4") {
        const auto count = std::stoull(r.value);
        return {first, IpAddress::from_v4(static_cast<std::uint32_t>(first.v4 + count - 1)), cc(r.cc.c_str())};
    }
    const int len = std::stoi(r.value);
    const wide host = len == 0 ? ~wide{0} : (wide{1} << (128 - len)) - 1;
    return {first, IpAddress::from_v6(u128_of(wide_of(first.v6) | host)), cc(r.cc.c_str())};
}

TEST(RirStats, ApnicFileLoadsEveryAddressRecord) {
    const std::string path = test_data("geo/delegated-apnic-20140214.txt");
    CountryTableInfo info;
    const auto r = load_rir_stats(path, &info);
    ASSERT_TRUE(r.ok()) << r.error().message;

    const auto records = read_rir_records(path);
    std::vector<CountryRange> want;
    std::size_t v4 = 0, v6 = 0;
    for (const auto& rec : records) {
        want.push_back(expected_range(rec));
        ++(rec.type == "ipv4" ? v4 : v6);
    }
    EXPECT_EQ(tuples(*r), tuples(want));
    // The summary lines give the record counts; the loader's must agree with them.
    EXPECT_EQ(v4, 22939u);  // apnic|*|ipv4|*|22939|summary
    EXPECT_EQ(v6, 3301u);   // apnic|*|ipv6|*|3301|summary
    EXPECT_EQ(info.ranges_v4, v4);
    EXPECT_EQ(info.ranges_v6, v6);
    EXPECT_EQ(info.prefixes_v6, v6);  // an ipv6 record is one prefix
    EXPECT_EQ(info.skipped, 0u);      // this file lists allocated/assigned records only
    EXPECT_EQ(info.newest_date, "20140213");  // the header's end date
}

TEST(RirStats, KnownApnicAllocations) {
    const auto r = load_rir_stats(test_data("geo/delegated-apnic-20140214.txt"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const CountryTable t = CountryTable::build(*r);
    // apnic|JP|ipv4|133.0.0.0|16777216|19970301|allocated
    EXPECT_EQ(t.lookup(ip("133.0.0.0")), cc("JP"));
    EXPECT_EQ(t.lookup(ip("133.255.255.255")), cc("JP"));
    // apnic|JP|ipv4|1.0.16.0|4096|20110412|allocated, between 1.0.8.0/21 CN and 1.0.32.0/19 CN
    EXPECT_EQ(t.lookup(ip("1.0.15.255")), cc("CN"));
    EXPECT_EQ(t.lookup(ip("1.0.16.0")), cc("JP"));
    EXPECT_EQ(t.lookup(ip("1.0.31.255")), cc("JP"));
    EXPECT_EQ(t.lookup(ip("1.0.32.0")), cc("CN"));
    // apnic|JP|ipv4|202.12.27.0|256|19970304|assigned
    EXPECT_EQ(t.lookup(ip("202.12.27.33")), cc("JP"));
    // apnic|JP|ipv6|2001:200::|35|19990813|allocated
    EXPECT_EQ(t.lookup(ip("2001:200::1")), cc("JP"));
    EXPECT_EQ(t.lookup(ip("2001:200:1fff:ffff:ffff:ffff:ffff:ffff")), cc("JP"));
    // apnic|AU|ipv6|2404:6800::|32|20080930|allocated
    EXPECT_EQ(t.lookup(ip("2404:6800:4004::1")), cc("AU"));
    // Not APNIC's to delegate: ARIN space.
    EXPECT_EQ(t.lookup(ip("8.8.8.8")), no_country);
}

// Crafted records in the published format (APNIC/RIPE/ARIN style), including what the APNIC
// file of 2014 lacks: counts that are not powers of two, available/reserved records, ZZ.
const char* const crafted_stats =
    "2|ripencc|20240301|9|19830705|20240229|+0100\n"     // 1
    "ripencc|*|ipv4|*|6|summary\n"                      // 2
    "ripencc|*|ipv6|*|3|summary\n"                      // 3
    "ripencc|*|asn|*|1|summary\n"                       // 4
    "ripencc|NL|asn|1101|1|19930901|allocated\n"        // 5
    "ripencc|DE|ipv4|5.10.0.0|768|20120101|allocated\n"   // 6: a /23 and a /24
    "ripencc|FR|ipv4|5.10.3.0|200|20130101|assigned\n"    // 7: 5.10.3.0-5.10.3.199
    "ripencc||ipv4|5.11.0.0|256|20140101|reserved\n"      // 8
    "ripencc|ZZ|ipv4|5.12.0.0|1024||available\n"          // 9
    "ripencc|ZZ|ipv4|5.13.0.0|1024|20240228|reserved\n"   // 10
    "ripencc|SE|ipv4|255.255.255.0|256|20100101|allocated\n"  // 11: ends at the top
    "ripencc|GB|ipv6|2a00::|12|20240229|allocated\n"       // 12
    "ripencc||ipv6|2a10::|12||available\n"                 // 13
    "ripencc|IT|ipv6|2001:db8::1|128|20050101|assigned\n";  // 14

TEST(RirStats, CraftedRecordsCountsStatusesAndDates) {
    TempDir dir;
    const std::string p = dir.write("delegated-ripencc-20240301", crafted_stats);
    CountryTableInfo info;
    const auto r = load_rir_stats(p, &info);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(tuples(*r), tuples({{ip("5.10.0.0"), ip("5.10.2.255"), cc("DE")},
                                  {ip("5.10.3.0"), ip("5.10.3.199"), cc("FR")},
                                  {ip("255.255.255.0"), ip("255.255.255.255"), cc("SE")},
                                  {ip("2a00::"), ip("2a0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), cc("GB")},
                                  {ip("2001:db8::1"), ip("2001:db8::1"), cc("IT")}}));
    EXPECT_EQ(info.ranges_v4, 3u);
    EXPECT_EQ(info.ranges_v6, 2u);
    EXPECT_EQ(info.prefixes_v4, 2u + 3u + 1u);  // 768 from .0.0: /23 + /24; 200: /25 + /26 + /29; /24
    EXPECT_EQ(info.skipped, 4u);                // reserved, available, ZZ available, ZZ reserved
    EXPECT_EQ(info.newest_date, "20240229");
    const CountryTable t = CountryTable::build(*r);
    EXPECT_EQ(t.lookup(ip("5.10.2.255")), cc("DE"));
    EXPECT_EQ(t.lookup(ip("5.10.3.199")), cc("FR"));
    EXPECT_EQ(t.lookup(ip("5.10.3.200")), no_country);
    EXPECT_EQ(t.lookup(ip("5.11.0.1")), no_country);
    EXPECT_EQ(t.lookup(ip("5.12.0.1")), no_country);
    EXPECT_EQ(t.lookup(ip("2a10::1")), no_country);
    EXPECT_EQ(t.lookup(ip("255.255.255.255")), cc("SE"));
}

// delegated-extended: the same records with an opaque-id column (and a trailing extension
// field on some lines), a 2.3 version header, and ZZ with empty dates on unowned space.
TEST(RirStats, ExtendedFormatGivesTheSameRanges) {
    TempDir dir;
    std::string ext;
    std::istringstream plain(crafted_stats);
    int n = 0;
    for (std::string line; std::getline(plain, line); ++n) {
        if (n == 0) {
            ext += "2.3" + line.substr(1) + "\n";
        } else if (line.find("summary") != std::string::npos) {
            ext += line + "\n";
        } else {
            ext += line + "|" + (line.find("|available") != std::string::npos ? "" : "f7a3c1d2-" + std::to_string(n)) +
                   (n % 3 == 0 ? "|e-stats" : "") + "\n";
        }
    }
    const std::string pp = dir.write("delegated-ripencc-20240301", crafted_stats);
    const std::string pe = dir.write("delegated-ripencc-extended-20240301", ext);
    CountryTableInfo ip_info, ie_info;
    const auto rp = load_rir_stats(pp, &ip_info);
    const auto re = load_rir_stats(pe, &ie_info);
    ASSERT_TRUE(rp.ok()) << rp.error().message;
    ASSERT_TRUE(re.ok()) << re.error().message << "\n" << ext;
    EXPECT_EQ(tuples(*re), tuples(*rp));
    EXPECT_EQ(ie_info.skipped, ip_info.skipped);
    EXPECT_EQ(ie_info.newest_date, ip_info.newest_date);
}

TEST(RirStats, RealApnicRecordsInExtendedForm) {
    // The real file rewritten as delegated-extended (opaque id appended to every record).
    const std::string src = test_data("geo/delegated-apnic-20140214.txt");
    std::ifstream in(src);
    std::string ext;
    int id = 0;
    for (std::string line; std::getline(in, line);) {
        const bool record = !line.empty() && line[0] != '#' && line.find("|summary") == std::string::npos &&
                            line.rfind("2|", 0) != 0;
        ext += record ? line + "|A91" + std::to_string(++id % 977) + "\n" : line + "\n";
    }
    TempDir dir;
    const auto plain = load_rir_stats(src);
    const auto extended = load_rir_stats(dir.write("delegated-apnic-extended-20140214", ext));
    ASSERT_TRUE(plain.ok());
    ASSERT_TRUE(extended.ok()) << extended.error().message;
    EXPECT_EQ(tuples(*extended), tuples(*plain));
}

TEST(RirStats, HeaderDateIsTheFilesDate) {
    // A file whose newest record is old: the header still says when the data is from, and
    // the stale-data warning (countries.max_age_days) goes by the header.
    TempDir dir;
    const std::string p = dir.write("delegated-x",
                                    "2|apnic|20240301|1|19830613|20240229|+1000\n"
                                    "apnic|JP|ipv4|1.0.16.0|4096|20110412|allocated\n");
    CountryTableInfo info;
    const auto r = load_rir_stats(p, &info);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(info.newest_date, "20240229");
    // Without a header, the newest record's date is all there is.
    const std::string q = dir.write("delegated-y", "apnic|JP|ipv4|1.0.16.0|4096|20110412|allocated\n"
                                                   "apnic|CN|ipv4|1.0.8.0|2048|20110413|allocated\n");
    CountryTableInfo info2;
    ASSERT_TRUE(load_rir_stats(q, &info2).ok());
    EXPECT_EQ(info2.newest_date, "20110413");
}

TEST(RirStats, BadRecordsAreRefusedWithFileAndLine) {
    TempDir dir;
    struct Case {
        const char* line;
        const char* what;
    };
    const Case cases[] = {
        {"apnic|JP|ipv4|1.0.16.0|4096|20110412", "expected at least 7 '|'-separated fields"},
        {"apnic|JP|ipx|1.0.16.0|4096|20110412|allocated", "unknown record type 'ipx'"},
        {"apnic|JP|ipv4|1.0.16|4096|20110412|allocated", "bad IPv4 start address '1.0.16'"},
        {"apnic|JP|ipv4|2001:db8::|4096|20110412|allocated", "bad IPv4 start address"},
        {"apnic|JP|ipv4|1.0.16.0|0|20110412|allocated", "bad IPv4 address count '0'"},
        {"apnic|JP|ipv4|1.0.16.0|-1|20110412|allocated", "bad IPv4 address count '-1'"},
        {"apnic|JP|ipv4|1.0.16.0|4k|20110412|allocated", "bad IPv4 address count '4k'"},
        {"apnic|JP|ipv4|255.255.255.0|257|20110412|allocated", "run past 255.255.255.255"},
        {"apnic|JP|ipv4|0.0.0.1|4294967296|20110412|allocated", "run past 255.255.255.255"},
        {"apnic|JP|ipv6|1.0.16.0|32|20110412|allocated", "bad IPv6 start address"},
        {"apnic|JP|ipv6|2001:200::|129|20110412|allocated", "bad IPv6 prefix length '129'"},
        {"apnic|JP|ipv6|2001:200::1|35|20110412|allocated", "2001:200::1/35 has host bits set"},
        {"apnic|JP|ipv4|1.0.16.0|4096|2011-04-12|allocated", "bad date '2011-04-12'"},
        {"apnic|JP|ipv4|1.0.16.0|4096|20110412|legacy", "unknown status 'legacy'"},
        {"apnic|J1|ipv4|1.0.16.0|4096|20110412|allocated", "bad country code 'J1'"},
        {"apnic|JPN|ipv6|2001:200::|35|20110412|allocated", "bad country code 'JPN'"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.line);
        const std::string p = dir.write("delegated-bad", std::string("# comment\n2|apnic|20140214|2|19850701|20140213|+1000\n"
                                                                     "apnic|*|ipv4|*|2|summary\n"
                                                                     "apnic|AU|ipv4|1.0.0.0|256|20110811|assigned\n") +
                                                             c.line + "\n");
        expect_error_at(load_rir_stats(p), p, 5, c.what);
    }
}

TEST(RirStats, FileWithoutAddressRecordsIsRefused) {
    TempDir dir;
    const std::string p = dir.write("delegated-asn-only", "2|apnic|20140214|1|19850701|20140213|+1000\n"
                                                          "apnic|*|asn|*|1|summary\n"
                                                          "apnic|JP|asn|173|1|20020801|allocated\n");
    const auto r = load_rir_stats(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, p + ": no ipv4 or ipv6 records in file");
}

// --- format sniffing -------------------------------------------------------------------------

TEST(CountryFile, PicksTheLoaderByContent) {
    const std::string rir = test_data("geo/delegated-apnic-20140214.txt");
    const auto a = load_country_file(rir);
    const auto b = load_rir_stats(rir);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(tuples(*a), tuples(*b));
    for (const char* name : {"geo/world-extract-ipv4.csv", "geo/world-extract-ipv6-num.csv"}) {
        const auto c = load_country_file(test_data(name));
        const auto d = load_range_csv(test_data(name));
        ASSERT_TRUE(c.ok()) << c.error().message;
        ASSERT_TRUE(d.ok());
        EXPECT_EQ(tuples(*c), tuples(*d)) << name;
    }
    // Errors keep their place whichever loader runs.
    TempDir dir;
    const std::string p = dir.write("x.csv", "# ranges\n1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255\n");
    expect_error_at(load_country_file(p), p, 3, "expected 3 comma-separated fields");
    const std::string q = dir.write("x.txt", "2|apnic|20140214|1|19850701|20140213|+1000\napnic|JP|ipv4|1.0.16.0|0|20110412|allocated\n");
    expect_error_at(load_country_file(q), q, 2, "bad IPv4 address count");
}

}  // namespace
}  // namespace flowsieve
