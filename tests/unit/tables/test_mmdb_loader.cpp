// test_mmdb_loader.cpp: country tables from MaxMind DB files. Small databases written here from the
// format's spec (mmdb_writer.hpp) pin each rule: where IPv4 lives in an IPv6 tree, that aliases are
// not read twice, which field names the country, what is skipped, what a corrupt file gets; the
// real world table's MaxMind DB (fetched beside its CSV by scripts/fetch-world-table, from the same
// day's registry data) must give the same table as the CSV.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <maxminddb.h>
#include <unistd.h>


#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "core/input_file.hpp"
#include "mmdb_writer.hpp"
#include "tables/country_loaders.hpp"
#include "tables/country_table.hpp"

namespace flowsieve {
namespace {

using test::MmdbWriter;
namespace d = test::mmdb_data;

CountryCode cc(const char* s) { return *parse_country_code(s); }
IpAddress ip(const char* s) { return *parse_ip(s); }

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("flowsieve-mmdb-" + std::to_string(::getpid()) + "-" + name)).string();
}

struct Loaded {
    Result<std::vector<CountryRange>> ranges = Error{"not loaded"};
    CountryTableInfo info;
};

Loaded load(const MmdbWriter& w, const std::string& name) {
    const std::string path = temp_path(name);
    w.write(path);
    Loaded l;
    l.ranges = load_country_file(path, &l.info);  // found by its content, as the config loads it
    std::filesystem::remove(path);
    return l;
}

// An IPv6 database laid out as MaxMind writes one: IPv4 at ::/96, aliased from ::ffff:0:0/96 and
// 2002::/16; records of the three layouts the loader reads.
MmdbWriter world_like(int record_size = 24) {
    MmdbWriter w(6, record_size);
    const int jp = w.record(d::map({{"country", d::map({{"iso_code", d::str("JP")}})},
                                    {"registered_country", d::map({{"iso_code", d::str("US")}})}}));
    const int de = w.record(d::map({{"registered_country", d::map({{"iso_code", d::str("DE")}})}}));
    const int br = w.record(d::map({{"country_code", d::str("br")}}));
    w.network(0, 0x01001000, 96 + 20, jp);             // 1.0.16.0/20 (at ::/96)
    w.network(0, 0xC6336400, 96 + 24, br);             // 198.51.100.0/24
    w.network(0x20010db800000000, 0, 32, de);          // 2001:db8::/32
    w.network(0x2400cb0000000000, 0, 32, br);          // 2400:cb00::/32
    w.link(0, 0x0000ffff00000000, 96, 0, 0, 96);       // ::ffff:0:0/96 -> the IPv4 subtree
    w.link(0x2002000000000000, 0, 16, 0, 0, 96);       // 2002::/16 -> the IPv4 subtree
    w.link(0x2001000000000000, 0, 32, 0, 0, 96);       // 2001::/32 (Teredo) -> the IPv4 subtree
    return w;
}

class MmdbRecordSize : public testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(MmdbLoader, MmdbRecordSize, testing::Values(24, 28, 32));

TEST_P(MmdbRecordSize, ReadsEveryNetworkWithTheCountryItsRecordNames) {
    const Loaded l = load(world_like(GetParam()), "world-like-" + std::to_string(GetParam()));
    ASSERT_TRUE(l.ranges.ok()) << l.ranges.error().message;
    const CountryTable t = CountryTable::build(l.ranges.value());
    EXPECT_EQ(t.lookup(ip("1.0.16.0")), cc("JP"));  // country.iso_code before registered_country
    EXPECT_EQ(t.lookup(ip("1.0.31.255")), cc("JP"));
    EXPECT_EQ(t.lookup(ip("1.0.32.0")), no_country);
    EXPECT_EQ(t.lookup(ip("198.51.100.77")), cc("BR"));  // country_code (ip-location-db), any case
    EXPECT_EQ(t.lookup(ip("2001:db8:ffff::1")), cc("DE"));  // registered_country when no country
    EXPECT_EQ(t.lookup(ip("2400:cb00::1")), cc("BR"));
    EXPECT_EQ(t.lookup(ip("2001:db9::1")), no_country);
    // IPv4 is IPv4: the ::/96 subtree is not also an IPv6 range, and its aliases are not walked.
    EXPECT_EQ(t.lookup(ip("::1.0.16.1")), no_country);
    EXPECT_EQ(t.lookup(ip("::ffff:1.0.16.1")), no_country);
    EXPECT_EQ(t.lookup(ip("2002:100:1001::")), no_country);
    EXPECT_EQ(t.lookup(ip("2001:0:100:1001::")), no_country);
    EXPECT_EQ(l.info.ranges_v4, 2u);
    EXPECT_EQ(l.info.ranges_v6, 2u);
    EXPECT_EQ(l.info.prefixes_v4, 2u);
    EXPECT_EQ(l.info.prefixes_v6, 2u);
    EXPECT_EQ(l.info.skipped, 0u);
    EXPECT_EQ(l.info.newest_date, "20260617");  // the build date, for countries.max_age_days
}

TEST(MmdbLoader, AdjacentNetworksOfOneCountryAreOneRange) {
    MmdbWriter w(4);
    const int jp = w.record(d::map({{"country_code", d::str("JP")}}));
    const int kr = w.record(d::map({{"country_code", d::str("KR")}}));
    w.network(0, 0x01000000, 25, jp);  // 1.0.0.0/25
    w.network(0, 0x01000080, 25, jp);  // 1.0.0.128/25
    w.network(0, 0x01000100, 24, jp);  // 1.0.1.0/24
    w.network(0, 0x01000200, 24, kr);  // 1.0.2.0/24
    w.network(0, 0x01000400, 24, jp);  // 1.0.4.0/24: not adjacent
    const Loaded l = load(w, "adjacent");
    ASSERT_TRUE(l.ranges.ok()) << l.ranges.error().message;
    const auto& r = l.ranges.value();
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].first, ip("1.0.0.0"));
    EXPECT_EQ(r[0].last, ip("1.0.1.255"));
    EXPECT_EQ(r[0].cc, cc("JP"));
    EXPECT_EQ(r[1].cc, cc("KR"));
    EXPECT_EQ(r[2].first, ip("1.0.4.0"));
    EXPECT_EQ(l.info.prefixes_v4, 3u);  // 1.0.0.0/23, 1.0.2.0/24, 1.0.4.0/24
}

TEST(MmdbLoader, NetworksWithoutACountryAreSkippedAndCounted) {
    MmdbWriter w(4);
    const int zz = w.record(d::map({{"country_code", d::str("ZZ")}}));
    const int none = w.record(d::map({{"continent", d::map({{"code", d::str("EU")}})}}));
    const int number = w.record(d::map({{"country_code", d::uint(5, 392)}}));
    const int word = w.record(d::map({{"country", d::map({{"iso_code", d::str("Japan")}})}}));
    const int jp = w.record(d::map({{"country_code", d::str("JP")}}));
    w.network(0, 0x0A000000, 8, zz);
    w.network(0, 0x0B000000, 8, none);
    w.network(0, 0x0C000000, 8, number);
    w.network(0, 0x0D000000, 8, word);
    w.network(0, 0x0E000000, 8, jp);
    const Loaded l = load(w, "skipped");
    ASSERT_TRUE(l.ranges.ok()) << l.ranges.error().message;
    EXPECT_EQ(l.info.skipped, 4u);
    ASSERT_EQ(l.ranges.value().size(), 1u);
    EXPECT_EQ(l.ranges.value()[0].cc, cc("JP"));

    MmdbWriter empty(4);
    empty.network(0, 0x0A000000, 8, empty.record(d::map({{"country_code", d::str("ZZ")}})));
    const Loaded e = load(empty, "nothing");
    ASSERT_FALSE(e.ranges.ok());
    EXPECT_NE(e.ranges.error().message.find("no network with a country"), std::string::npos) << e.ranges.error().message;
}

TEST(MmdbLoader, ANetworkAboveTheIpv4SubtreeCoversIpv4) {
    MmdbWriter w(6);
    w.network(0, 0, 8, w.record(d::map({{"country_code", d::str("AU")}})));  // ::/8 holds ::/96
    const Loaded l = load(w, "above-v4");
    ASSERT_TRUE(l.ranges.ok()) << l.ranges.error().message;
    const CountryTable t = CountryTable::build(l.ranges.value());
    EXPECT_EQ(t.lookup(ip("203.0.113.1")), cc("AU"));  // as libmaxminddb answers
    EXPECT_EQ(t.lookup(ip("::1:0:0")), cc("AU"));       // the IPv6 part: after ::/96
    EXPECT_EQ(t.lookup(ip("::ff:ffff:ffff:ffff")), cc("AU"));
    EXPECT_EQ(t.lookup(ip("::2")), no_country);          // ::/96 is IPv4's, never IPv6's
    EXPECT_EQ(t.lookup(ip("::255.255.255.255")), no_country);
    EXPECT_EQ(t.lookup(ip("100::")), no_country);
}

TEST(MmdbLoader, SharedSubtreesAreReadAtEachPlace) {
    // Two networks whose records lead to one subtree (the format allows it; libmaxminddb answers
    // both): each place gets the subtree's networks.
    MmdbWriter w(4);
    w.network(0, 0x0A000000, 16, w.record(d::map({{"country_code", d::str("NZ")}})));  // 10.0.0.0/16
    w.link(0, 0x0B000000, 8, 0, 0x0A000000, 8);                                    // 11/8 -> the node at 10/8
    const Loaded l = load(w, "shared");
    ASSERT_TRUE(l.ranges.ok()) << l.ranges.error().message;
    const CountryTable t = CountryTable::build(l.ranges.value());
    EXPECT_EQ(t.lookup(ip("10.0.200.1")), cc("NZ"));
    EXPECT_EQ(t.lookup(ip("11.0.200.1")), cc("NZ"));
    EXPECT_EQ(t.lookup(ip("11.1.0.0")), no_country);
}

std::string error_of(const MmdbWriter& w, const std::string& name) {
    const Loaded l = load(w, name);
    return l.ranges.ok() ? "" : l.ranges.error().message;
}

TEST(MmdbLoader, CorruptTreesAreRefusedWithAReason) {
    MmdbWriter loop(4);
    loop.network(0, 0x01000000, 8, loop.record(d::map({{"country_code", d::str("JP")}})));
    loop.link(0, 0x80000000, 24, 0, 0, 0);  // 128.0.0.0/24 leads back to the root
    EXPECT_NE(error_of(loop, "loop").find("corrupt search tree"), std::string::npos) << error_of(loop, "loop");

    // Records that converge: at every depth both sides lead to the same next node, so a walk of
    // the paths (not of the nodes) would meet the one record at the bottom 2^31 times.
    MmdbWriter dag(4);
    dag.network(0, 0, 32, dag.record(d::map({{"country_code", d::str("JP")}})));  // 0.0.0.0/32, nodes on the way
    for (int i = 0; i < 31; ++i) dag.link(0, std::uint64_t{1} << (31 - i), i + 1, 0, 0, i + 1);
    EXPECT_NE(error_of(dag, "dag").find("records that converge or lead back up"), std::string::npos) << error_of(dag, "dag");

    MmdbWriter past(4);
    past.network(0, 0x01000000, 8, past.record(d::map({{"country_code", d::str("JP")}})));
    past.raw(0, 0x02000000, 8, 0xFFFFFF);  // past the end of the data section
    EXPECT_NE(error_of(past, "past").find("corrupt search tree"), std::string::npos) << error_of(past, "past");

    // A record that points into the data section but not at a value.
    MmdbWriter garbage(4);
    garbage.record(std::string("\xFF\xFF\xFF\xFF\xFF\xFF", 6));  // an unknown type, then nothing sane
    garbage.network(0, 0x01000000, 8, 0);
    EXPECT_NE(error_of(garbage, "garbage").find("data section"), std::string::npos) << error_of(garbage, "garbage");
}

TEST(MmdbLoader, DamagedFilesGiveAnErrorNeverACrash) {
    const std::string good = world_like().bytes();
    const std::string path = temp_path("damaged.mmdb");
    // Truncated (an interrupted download): the metadata is gone; the name still says what it was.
    std::ofstream(path, std::ios::binary) << good.substr(0, good.size() / 2);
    auto cut = load_country_file(path);
    ASSERT_FALSE(cut.ok());
    EXPECT_NE(cut.error().message.find(path + ": not a readable MaxMind DB"), std::string::npos) << cut.error().message;
    // Every byte in turn set to 0xFF, then to 0x00: each load returns ranges or an error naming
    // the file (never a crash, never a read outside the file: the sanitized suite runs this too).
    const std::size_t marker = good.rfind("MaxMind.com");
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (const char v : {'\xFF', '\0'}) {
            std::string bad = good;
            bad[i] = v;
            std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
            auto r = load_mmdb(path);
            if (r.ok()) {
                EXPECT_FALSE(r.value().empty());
            } else {
                EXPECT_EQ(r.error().message.rfind(path + ": ", 0), 0u) << r.error().message;
            }
            if (i >= marker - 3 && i < marker + 11) {
                EXPECT_FALSE(r.ok()) << "a damaged metadata marker at byte " << i;
            }
        }
    }
    std::filesystem::remove(path);
    // A file that is not a MaxMind DB at all, asked for as one.
    auto r = load_mmdb("/dev/null");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not a readable MaxMind DB"), std::string::npos) << r.error().message;
}

TEST(MmdbLoader, TheDatabaseIsClosedAfterLoading) {
    const std::string path = temp_path("closed.mmdb");
    world_like().write(path);
    ASSERT_TRUE(load_mmdb(path).ok());
    std::ifstream maps("/proc/self/maps");
    const std::string all((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
    std::filesystem::remove(path);
    EXPECT_EQ(all.find(path), std::string::npos) << "the file is still mapped: MMDB_close was not called";
    EXPECT_EQ(all.find("flowsieve-mmdb"), std::string::npos) << "the in-memory copy is still mapped";
}

TEST(MmdbLoader, ADatabaseCutWhileItIsWalkedIsNotPulledFromUnderTheWalk) {
    // libmaxminddb maps what it opens; a table replaced in place (`cp` truncates it first) would
    // lose its pages under a mapped walk (SIGBUS). The walk reads a private copy of the bytes it is
    // given: with the file cut to nothing, those bytes still give what loading the file gives.
    const std::string path = temp_path("cut.mmdb");
    world_like().write(path);
    auto file = InputFile::open(path);
    ASSERT_TRUE(file.ok()) << file.error().message;
    const std::string bytes(file->text());
    ASSERT_EQ(::truncate(path.c_str(), 0), 0);
    auto r = detail::parse_mmdb(path, bytes, nullptr);
    ASSERT_TRUE(r.ok()) << r.error().message;
    std::ofstream(path, std::ios::binary) << bytes;
    auto again = load_mmdb(path);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*r, *again);
    EXPECT_FALSE(r->empty());
    std::filesystem::remove(path);
}

// --- the real world table -------------------------------------------------------------------

// The probes of the world-table comparisons: every range's edges and the IPv4 addresses just
// outside them, then seeded random IPv4 and IPv6 addresses (2000::/3, which holds every allocation;
// 2001::/32 and 2002::/16, aliases of IPv4 in a MaxMind DB, left out).
template <class Check>
void probe_world(const std::vector<CountryRange>& ranges, std::uint64_t seed, Check check) {
    for (const CountryRange& r : ranges) {
        check(r.first);
        check(r.last);
        if (r.first.is_v4()) {
            if (r.first.v4 != 0) check(IpAddress::from_v4(r.first.v4 - 1));
            if (r.last.v4 != 0xffffffffu) check(IpAddress::from_v4(r.last.v4 + 1));
        }
    }
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 200000; ++i) {
        check(IpAddress::from_v4(static_cast<std::uint32_t>(rng())));
        const U128 v6{0x2000000000000000 | (rng() >> 3), rng()};
        if ((v6.hi >> 32) != 0x20010000 && (v6.hi >> 48) != 0x2002) check(IpAddress::from_v6(v6));
    }
}

TEST(MmdbLoader, WorldTableMaxMindDbGivesTheSameTableAsItsCsv) {
    const std::string dir = std::string(FLOWSIEVE_SOURCE_ROOT) + "/data/world/";
    const std::string f4 = dir + "geo-whois-asn-country-ipv4.csv", f6 = dir + "geo-whois-asn-country-ipv6.csv";
    const std::string mmdb = dir + "geo-whois-asn-country.mmdb";
    for (const auto& f : {f4, f6, mmdb})
        if (!std::filesystem::exists(f)) GTEST_SKIP() << f << " not present; scripts/fetch-world-table fetches it";
    CountryTableInfo csv_info, mmdb_info;
    auto r4 = load_country_file(f4, &csv_info);
    ASSERT_TRUE(r4.ok()) << r4.error().message;
    auto r6 = load_country_file(f6, &csv_info);
    ASSERT_TRUE(r6.ok()) << r6.error().message;
    std::vector<CountryRange> csv = std::move(r4.value());
    csv.insert(csv.end(), r6->begin(), r6->end());
    auto m = load_country_file(mmdb, &mmdb_info);
    ASSERT_TRUE(m.ok()) << m.error().message;
    const CountryTable a = CountryTable::build(csv), b = CountryTable::build(m.value());
    std::printf("world table: CSV %zu ranges -> %zu + %zu prefixes; MaxMind DB %zu ranges -> %zu + %zu prefixes\n",
                csv.size(), a.lpm().prefix_count_v4(), a.lpm().prefix_count_v6(), m->size(), b.lpm().prefix_count_v4(),
                b.lpm().prefix_count_v6());
    EXPECT_EQ(a.lpm().prefix_count_v4(), b.lpm().prefix_count_v4());
    EXPECT_EQ(a.lpm().prefix_count_v6(), b.lpm().prefix_count_v6());
    EXPECT_GT(b.lpm().prefix_count_v4(), 300000u);
    EXPECT_EQ(mmdb_info.newest_date, "20260617");

    std::size_t checked = 0, differ = 0;
    probe_world(csv, 20261203, [&](const IpAddress& x) {
        ++checked;
        if (a.lookup(x) != b.lookup(x) && ++differ <= 5)
            ADD_FAILURE() << to_string(x) << ": CSV " << country_code_text(a.lookup(x)) << ", MaxMind DB "
                          << country_code_text(b.lookup(x));
    });
    EXPECT_EQ(differ, 0u) << "of " << checked;
}

// libmaxminddb's own answer for one address, by the loader's documented rule (country.iso_code,
// else registered_country.iso_code, else country_code; ZZ is none).
CountryCode libmaxminddb_answer(MMDB_s& db, const IpAddress& a) {
    sockaddr_storage ss{};
    if (a.is_v4()) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(a.v4);
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        for (int i = 0; i < 8; ++i) {
            sin6->sin6_addr.s6_addr[i] = static_cast<std::uint8_t>(a.v6.hi >> (56 - 8 * i));
            sin6->sin6_addr.s6_addr[8 + i] = static_cast<std::uint8_t>(a.v6.lo >> (56 - 8 * i));
        }
    }
    int err = 0;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db, reinterpret_cast<sockaddr*>(&ss), &err);
    if (err != MMDB_SUCCESS || !r.found_entry) return no_country;
    for (std::vector<const char*> path : {std::vector<const char*>{"country", "iso_code", nullptr},
                                          std::vector<const char*>{"registered_country", "iso_code", nullptr},
                                          std::vector<const char*>{"country_code", nullptr}}) {
        MMDB_entry_data_s d;
        if (MMDB_aget_value(&r.entry, &d, path.data()) != MMDB_SUCCESS || !d.has_data) continue;
        if (d.type != MMDB_DATA_TYPE_UTF8_STRING) return no_country;
        const auto c = parse_country_code(std::string_view(d.utf8_string, d.data_size));
        return c && *c != cc("ZZ") ? *c : no_country;
    }
    return no_country;
}

TEST(MmdbLoader, WorldTableAnswersAsLibmaxminddbDoes) {
    const std::string path = std::string(FLOWSIEVE_SOURCE_ROOT) + "/data/world/geo-whois-asn-country.mmdb";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present; scripts/fetch-world-table fetches it";
    auto m = load_mmdb(path);
    ASSERT_TRUE(m.ok()) << m.error().message;
    const CountryTable t = CountryTable::build(m.value());
    MMDB_s db;
    ASSERT_EQ(MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
    std::size_t checked = 0, differ = 0;
    probe_world(m.value(), 3, [&](const IpAddress& x) {
        ++checked;
        const CountryCode want = libmaxminddb_answer(db, x), got = t.lookup(x);
        if (want != got && ++differ <= 5)
            ADD_FAILURE() << to_string(x) << ": libmaxminddb " << country_code_text(want) << ", table "
                          << country_code_text(got);
    });
    MMDB_close(&db);
    EXPECT_EQ(differ, 0u) << "of " << checked;
}

}  // namespace
}  // namespace flowsieve
