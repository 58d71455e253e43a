// test_pcapng_writer.cpp: pcapng-specific output: section header, one interface per DPDK port,
// comments as opt_comment.
#include <gtest/gtest.h>

#include "export/pcapng_writer.hpp"
#include "export/record_comment.hpp"
#include "export_test_util.hpp"

namespace flowsieve::testing {
namespace {

std::uint32_t u32_at(const std::vector<std::uint8_t>& d, std::size_t o) {
    std::uint32_t v;
    std::memcpy(&v, d.data() + o, 4);
    return v;
}

TEST(PcapngWriter, SectionHeaderDeclaresHostByteOrder) {
    TempDir dir;
    PcapngWriter w(dir.file("x.pcapng"));
    ASSERT_TRUE(w.open());
    ASSERT_TRUE(w.close());
    auto d = file_bytes(dir.file("x.pcapng"));
    ASSERT_GE(d.size(), 28u);
    // Block type 0x0A0D0D0A is a palindrome; the byte-order magic 0x1A2B3C4D read back in host
    // order proves the file is host-endian (bytes 4D 3C 2B 1A on x86).
    EXPECT_EQ(u32_at(d, 0), 0x0A0D0D0Au);
    EXPECT_EQ(u32_at(d, 8), 0x1A2B3C4Du);
    if constexpr (std::endian::native == std::endian::little) {
        EXPECT_EQ(d[8], 0x4D);
        EXPECT_EQ(d[11], 0x1A);
    }
    const std::uint32_t shb_len = u32_at(d, 4);
    EXPECT_EQ(shb_len % 4, 0u);
    ASSERT_LT(shb_len, d.size());
    EXPECT_EQ(u32_at(d, shb_len - 4), shb_len);  // trailing copy of the block length
    // A file without records still has an IDB so that libpcap (tcpdump) can open it.
    EXPECT_EQ(u32_at(d, shb_len), 1u);
    EXPECT_TRUE(read_capture(dir.file("x.pcapng")).packets.empty());
}

TEST(PcapngWriter, ApplicationNameVisibleToCapinfos) {
    if (!have_program("capinfos")) GTEST_SKIP() << "capinfos is not installed";
    TempDir dir;
    PcapngWriter w(dir.file("x.pcapng"));
    ASSERT_TRUE(w.open());
    ASSERT_TRUE(w.write(make_record(real_frames()[0], 54, 1'600'000'000'000'000'000ull, 0), ""));
    ASSERT_TRUE(w.close());
    FILE* p = ::popen(("capinfos " + dir.file("x.pcapng") + " 2>&1").c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[1024];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << out;
    EXPECT_NE(out.find("Capture application: flowsieve"), std::string::npos) << out;
    EXPECT_NE(out.find("File encapsulation:  Ethernet"), std::string::npos) << out;
    EXPECT_NE(out.find("Number of interfaces in file: 1"), std::string::npos) << out;
    EXPECT_NE(out.find("Name = port0"), std::string::npos) << out;
    EXPECT_NE(out.find("Capture length = 65535"), std::string::npos) << out;
    EXPECT_NE(out.find("Time ticks per second = 1000000000"), std::string::npos) << out;
}

TEST(PcapngWriter, OneInterfacePerPortInOrderOfAppearance) {
    if (!have_program("tshark")) GTEST_SKIP() << "tshark is not installed";
    TempDir dir;
    auto frames = real_frames();
    const std::uint16_t ports[] = {5, 0, 5, 17, 0, 17, 5};
    const unsigned expected_if[] = {0, 1, 0, 2, 1, 2, 0};
    PcapngWriter w(dir.file("x.pcapng"));
    ASSERT_TRUE(w.open());
    for (std::size_t i = 0; i < std::size(ports); ++i)
        ASSERT_TRUE(w.write(make_record(frames[i % frames.size()], 42, 1'600'000'000'000'000'000ull + i, ports[i]),
                            "p"));
    EXPECT_EQ(w.interfaces(), 3u);
    ASSERT_TRUE(w.close());

    auto rows = tshark_read(dir.file("x.pcapng"));
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), std::size(ports));
    for (std::size_t i = 0; i < rows->size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ((*rows)[i].interface_id, expected_if[i]);
        EXPECT_EQ((*rows)[i].interface_name, "port" + std::to_string(ports[i]));
        EXPECT_EQ((*rows)[i].time_ns, 1'600'000'000'000'000'000ull + i);
    }
    EXPECT_EQ(read_capture(dir.file("x.pcapng")).packets.size(), std::size(ports));
}

TEST(PcapngWriter, ComposedCommentSurvivesTshark) {
    if (!have_program("tshark")) GTEST_SKIP() << "tshark is not installed";
    TempDir dir;
    auto frames = real_frames();
    const std::string with_indicator = format_record_comment({.category = "threat-linked",
                                                              .authorisation = "A-2026-001",
                                                              .rule = "r3",
                                                              .indicator = "1.2.3.4",
                                                              .src_cc = "CN",
                                                              .dst_cc = "JP"});
    const std::string without = format_record_comment(
        {.category = "transit", .authorisation = "A-2026-002", .rule = "r1", .src_cc = "RU", .dst_cc = "US"});
    PcapngWriter w(dir.file("x.pcapng"));
    ASSERT_TRUE(w.open());
    ASSERT_TRUE(w.write(make_record(frames[0], l4_end(frames[0].bytes), 1'700'000'000'123'456'789ull, 0),
                        with_indicator));
    ASSERT_TRUE(w.write(make_record(frames[1], l4_end(frames[1].bytes), 1'700'000'000'123'456'790ull, 0), without));
    ASSERT_TRUE(w.write(make_record(frames[2], l4_end(frames[2].bytes), 1'700'000'000'123'456'791ull, 0), ""));
    ASSERT_TRUE(w.close());

    auto rows = tshark_read(dir.file("x.pcapng"));
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].comment, "category=threat-linked auth=A-2026-001 rule=r3 indicator=1.2.3.4 src_cc=CN dst_cc=JP");
    EXPECT_EQ((*rows)[1].comment, "category=transit auth=A-2026-002 rule=r1 src_cc=RU dst_cc=US");
    EXPECT_EQ((*rows)[2].comment, "");
    EXPECT_EQ((*rows)[0].time_ns, 1'700'000'000'123'456'789ull);
    auto cap = read_capture(dir.file("x.pcapng"));
    ASSERT_EQ(cap.packets.size(), 3u);
    EXPECT_EQ(cap.packets[0].comment, (*rows)[0].comment);
    EXPECT_EQ(cap.packets[2].comment, "");
}

TEST(PcapngWriter, RefusesACommentTooLongForAnOption) {
    TempDir dir;
    PcapngWriter w(dir.file("x.pcapng"));
    ASSERT_TRUE(w.open());
    auto r = make_record(real_frames()[0], 54, 1'600'000'000'000'000'000ull, 0);
    auto s = w.write(r, std::string(70000, 'c'));
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("65535"), std::string::npos) << s.error().message;
    ASSERT_TRUE(w.write(r, std::string(65535, 'c')));  // the largest that fits
    ASSERT_TRUE(w.close());
    auto cap = read_capture(dir.file("x.pcapng"));
    ASSERT_EQ(cap.packets.size(), 1u);
    EXPECT_EQ(cap.packets[0].comment.size(), 65535u);
}

}  // namespace
}  // namespace flowsieve::testing
