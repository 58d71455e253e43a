// test_pcap_writer.cpp: classic-pcap-specific output: nanosecond magic, snaplen, link type.
#include <gtest/gtest.h>

#include "export/pcap_writer.hpp"
#include "export_test_util.hpp"

namespace flowsieve::testing {
namespace {

TEST(PcapWriter, FileHeaderIsNanosecondEthernet) {
    TempDir dir;
    PcapWriter w(dir.file("x.pcap"));
    ASSERT_TRUE(w.open());
    ASSERT_TRUE(w.close());
    auto d = file_bytes(dir.file("x.pcap"));
    ASSERT_EQ(d.size(), 24u);  // the pcap global header alone
    std::uint32_t magic, snaplen, linktype;
    std::uint16_t major, minor;
    std::memcpy(&magic, d.data(), 4);
    std::memcpy(&major, d.data() + 4, 2);
    std::memcpy(&minor, d.data() + 6, 2);
    std::memcpy(&snaplen, d.data() + 16, 4);
    std::memcpy(&linktype, d.data() + 20, 4);
    EXPECT_EQ(magic, 0xa1b23c4du);
    EXPECT_EQ(major, 2);
    EXPECT_EQ(minor, 4);
    EXPECT_EQ(snaplen, 65535u);
    EXPECT_EQ(linktype, 1u);
}

TEST(PcapWriter, NanosecondsSurviveLibpcapAndTshark) {
    TempDir dir;
    auto f = real_frames()[1];
    const std::uint64_t t = 1'378'998'972'250'127'999ull;  // not a whole microsecond
    PcapWriter w(dir.file("x.pcap"));
    ASSERT_TRUE(w.open());
    ASSERT_TRUE(w.write(make_record(f, l4_end(f.bytes), t, 9), "ignored"));
    ASSERT_TRUE(w.close());
    auto cap = read_capture(dir.file("x.pcap"));
    ASSERT_EQ(cap.packets.size(), 1u);
    EXPECT_EQ(cap.packets[0].time_ns, t);
    EXPECT_EQ(cap.packets[0].bytes.size(), 42u);  // Ethernet 14 + IPv4 20 + UDP 8 (syslog frame)
    if (!have_program("tshark")) GTEST_SKIP() << "tshark is not installed";
    auto rows = tshark_read(dir.file("x.pcap"));
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].time_ns, t);
    EXPECT_EQ((*rows)[0].cap_len, 42u);
    EXPECT_EQ((*rows)[0].len, 93u);
    EXPECT_EQ((*rows)[0].comment, "");
}

}  // namespace
}  // namespace flowsieve::testing
