// test_record_sink.cpp: behaviour both file sinks (pcap and pcapng) must share: round trip through
// libpcap and tshark, invariant-1 guard and canary, atomic appearance, errors.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <memory>

#include "export/pcap_writer.hpp"
#include "export/pcapng_writer.hpp"
#include "export_test_util.hpp"

namespace flowsieve::testing {
namespace {

template <class W>
struct SinkTraits;
template <>
struct SinkTraits<PcapWriter> {
    static constexpr const char* ext = ".pcap";
    static constexpr bool comments = false;
};
template <>
struct SinkTraits<PcapngWriter> {
    static constexpr const char* ext = ".pcapng";
    static constexpr bool comments = true;
};

template <class W>
class RecordSinkTest : public ::testing::Test {
protected:
    using Traits = SinkTraits<W>;
    std::string out(const std::string& stem = "out") const { return dir.file(stem + Traits::ext); }

    // Real frames, cut at their L4 header end, with ns times that are not whole microseconds.
    void SetUp() override {
        auto frames = real_frames();
        ASSERT_GE(frames.size(), 5u);
        for (std::size_t i = 0; i < frames.size(); ++i) {
            std::uint64_t t = frames[i].time_ns + 100 * i + 7;
            records.push_back(make_record(frames[i], l4_end(frames[i].bytes), t, static_cast<std::uint16_t>(i % 2 ? 3 : 0)));
            comments.push_back("category=transit auth=A-" + std::to_string(i) + " rule=r1 src_cc=CN dst_cc=US");
        }
    }

    TempDir dir;
    std::vector<HeaderRecord> records;
    std::vector<std::string> comments;
};

using Writers = ::testing::Types<PcapWriter, PcapngWriter>;
TYPED_TEST_SUITE(RecordSinkTest, Writers);

TYPED_TEST(RecordSinkTest, RoundTripThroughLibpcap) {
    TypeParam w(this->out());
    ASSERT_TRUE(w.open()) << "open";
    for (std::size_t i = 0; i < this->records.size(); ++i) {
        auto s = w.write(this->records[i], this->comments[i]);
        ASSERT_TRUE(s) << s.error().message;
    }
    EXPECT_EQ(w.written(), this->records.size());
    auto s = w.close();
    ASSERT_TRUE(s) << s.error().message;

    auto cap = read_capture(this->out());
    EXPECT_EQ(cap.linktype, 1);
    ASSERT_EQ(cap.packets.size(), this->records.size());
    for (std::size_t i = 0; i < this->records.size(); ++i) {
        const auto& r = this->records[i];
        const auto& p = cap.packets[i];
        SCOPED_TRACE(i);
        EXPECT_EQ(p.bytes, std::vector<std::uint8_t>(r.bytes, r.bytes + r.header_len));
        EXPECT_EQ(p.wire_len, r.wire_len);
        EXPECT_EQ(p.time_ns, r.time_ns);
        EXPECT_EQ(p.comment, TestFixture::Traits::comments ? this->comments[i] : "");
    }
    // Real selector output: headers only, strictly shorter than the frames.
    EXPECT_LT(this->records[0].header_len, this->records[0].wire_len);
}

TYPED_TEST(RecordSinkTest, RoundTripThroughTshark) {
    if (!have_program("tshark")) GTEST_SKIP() << "tshark is not installed";
    TypeParam w(this->out());
    ASSERT_TRUE(w.open());
    for (std::size_t i = 0; i < this->records.size(); ++i) ASSERT_TRUE(w.write(this->records[i], this->comments[i]));
    ASSERT_TRUE(w.close());

    auto rows = tshark_read(this->out());
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), this->records.size());
    for (std::size_t i = 0; i < rows->size(); ++i) {
        const auto& r = this->records[i];
        const auto& t = (*rows)[i];
        SCOPED_TRACE(i);
        EXPECT_EQ(t.cap_len, r.header_len);
        EXPECT_EQ(t.len, r.wire_len);
        EXPECT_EQ(t.time_ns, r.time_ns);
        EXPECT_EQ(t.comment, TestFixture::Traits::comments ? this->comments[i] : "");
    }
}

TYPED_TEST(RecordSinkTest, HeaderLenZeroAndMaximum) {
    auto frames = real_frames();
    const auto& big = frames[0];  // tcp-http: 663 bytes, longer than a record can hold
    ASSERT_GT(big.bytes.size(), HeaderRecord::max_header_bytes);
    HeaderRecord zero = make_record(big, 0, 1'700'000'000'000'000'001ull, 1);
    HeaderRecord full = make_record(big, HeaderRecord::max_header_bytes, 1'700'000'000'999'999'999ull, 1);
    ASSERT_EQ(zero.header_len, 0);
    ASSERT_EQ(full.header_len, HeaderRecord::max_header_bytes);

    TypeParam w(this->out());
    ASSERT_TRUE(w.open());
    ASSERT_TRUE(w.write(zero, "zero"));
    ASSERT_TRUE(w.write(full, "full"));
    ASSERT_TRUE(w.close());

    auto cap = read_capture(this->out());
    ASSERT_EQ(cap.packets.size(), 2u);
    EXPECT_TRUE(cap.packets[0].bytes.empty());
    EXPECT_EQ(cap.packets[0].wire_len, 663u);
    EXPECT_EQ(cap.packets[0].time_ns, 1'700'000'000'000'000'001ull);
    EXPECT_EQ(cap.packets[1].bytes, std::vector<std::uint8_t>(big.bytes.begin(), big.bytes.begin() + 192));
    EXPECT_EQ(cap.packets[1].time_ns, 1'700'000'000'999'999'999ull);
    if (TestFixture::Traits::comments) {
        EXPECT_EQ(cap.packets[0].comment, "zero");
        EXPECT_EQ(cap.packets[1].comment, "full");
    }
    if (have_program("tshark")) {
        auto rows = tshark_read(this->out());
        ASSERT_TRUE(rows);
        ASSERT_EQ(rows->size(), 2u);
        EXPECT_EQ((*rows)[0].cap_len, 0u);
        EXPECT_EQ((*rows)[1].cap_len, 192u);
        EXPECT_EQ((*rows)[1].len, 663u);
    }
}

// Invariant 1: the bytes of a record past header_len (the rest of the 192-byte buffer) must never
// reach the file, not even as alignment padding. Every record is filled past header_len with a
// marker byte chosen to occur nowhere in what the file may legitimately contain; the marker must
// then be absent from the whole file.
TYPED_TEST(RecordSinkTest, BytesPastHeaderLenNeverReachTheFile) {
    auto frames = real_frames();
    // Header lengths with every remainder mod 4, so every padding size (0..3) is exercised.
    const std::size_t lens[] = {0, 1, 2, 3, 13, 14, 42, 54, 55, 70, 121, 191};
    std::vector<HeaderRecord> recs;
    std::vector<bool> seen(256, false);
    for (std::size_t i = 0; i < std::size(lens); ++i) {
        const auto& f = frames[i % frames.size()];
        auto r = make_record(f, lens[i], 1'600'000'000'000'000'000ull + i, static_cast<std::uint16_t>(i % 3));
        for (std::size_t b = 0; b < r.header_len; ++b) seen[r.bytes[b]] = true;
        for (std::size_t b = 0; b < 8; ++b) seen[(r.time_ns >> (8 * b)) & 0xff] = true;
        for (std::size_t b = 0; b < 4; ++b) seen[(r.wire_len >> (8 * b)) & 0xff] = true;
        recs.push_back(r);
    }
    for (char c : std::string("flowsieve port0 port1 port2 canary")) seen[static_cast<unsigned char>(c)] = true;
    int marker = -1;
    for (int v = 0xC0; v < 0xFF && marker < 0; ++v)  // 0xFF: pcapng "section length unknown"
        if (!seen[static_cast<std::size_t>(v)]) marker = v;
    ASSERT_GE(marker, 0) << "no byte value free to serve as a marker";

    TypeParam w(this->out());
    ASSERT_TRUE(w.open());
    for (auto& r : recs) {
        std::memset(r.bytes + r.header_len, marker, HeaderRecord::max_header_bytes - r.header_len);
        ASSERT_TRUE(w.write(r, "canary"));
    }
    ASSERT_TRUE(w.close());

    auto bytes = file_bytes(this->out());
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(std::count(bytes.begin(), bytes.end(), static_cast<std::uint8_t>(marker)), 0)
        << "marker 0x" << std::hex << marker << " leaked into the file";
    auto cap = read_capture(this->out());
    ASSERT_EQ(cap.packets.size(), recs.size());
    for (std::size_t i = 0; i < recs.size(); ++i) EXPECT_EQ(cap.packets[i].bytes.size(), recs[i].header_len);
}

TYPED_TEST(RecordSinkTest, RefusesRecordsBreakingInvariantOne) {
    TypeParam w(this->out());
    ASSERT_TRUE(w.open());
    ASSERT_TRUE(w.write(this->records[0], "ok"));

    HeaderRecord too_long = this->records[1];
    too_long.header_len = HeaderRecord::max_header_bytes + 1;
    too_long.wire_len = 1500;
    auto s = w.write(too_long, "bad");
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("header_len 193 > max 192"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find(this->out()), std::string::npos) << s.error().message;

    HeaderRecord longer_than_wire = this->records[1];
    longer_than_wire.wire_len = longer_than_wire.header_len - 1u;
    auto s2 = w.write(longer_than_wire, "bad");
    ASSERT_FALSE(s2);
    EXPECT_NE(s2.error().message.find("wire_len"), std::string::npos) << s2.error().message;

    // A refused record writes nothing; the sink stays usable.
    EXPECT_EQ(w.written(), 1u);
    ASSERT_TRUE(w.write(this->records[2], "ok"));
    ASSERT_TRUE(w.close());
    auto cap = read_capture(this->out());
    ASSERT_EQ(cap.packets.size(), 2u);
    EXPECT_EQ(cap.packets[1].time_ns, this->records[2].time_ns);
}

TYPED_TEST(RecordSinkTest, FinalFileAppearsOnlyOnClose) {
    const std::string path = this->out();
    TypeParam w(path, 64);  // tiny buffer: data reaches the partial file before close
    ASSERT_TRUE(w.open());
    for (const auto& r : this->records) ASSERT_TRUE(w.write(r, "c"));
    EXPECT_FALSE(file_exists(path));
    EXPECT_TRUE(file_exists(path + ".partial"));
    EXPECT_GT(std::filesystem::file_size(path + ".partial"), 64u);
    ASSERT_TRUE(w.close());
    EXPECT_TRUE(file_exists(path));
    EXPECT_FALSE(file_exists(path + ".partial"));
    EXPECT_EQ(read_capture(path).packets.size(), this->records.size());
    // Closing twice is an error, not a crash, and keeps the file.
    EXPECT_FALSE(w.close());
    EXPECT_TRUE(file_exists(path));
}

TYPED_TEST(RecordSinkTest, DestroyedWithoutCloseLeavesNoFile) {
    {
        TypeParam w(this->out(), 64);
        ASSERT_TRUE(w.open());
        for (const auto& r : this->records) ASSERT_TRUE(w.write(r, "c"));
    }
    EXPECT_TRUE(this->dir.entries().empty());
}

TYPED_TEST(RecordSinkTest, UnwritablePathIsAClearError) {
    // A regular file as the parent directory: fails for root too (ENOTDIR).
    const std::string not_a_dir = this->dir.file("plain-file");
    { std::ofstream(not_a_dir) << "x"; }
    const std::string path = not_a_dir + "/out" + TestFixture::Traits::ext;
    TypeParam w(path);
    auto s = w.open();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message.rfind(path + ": cannot create (written first as " + path + ".partial)", 0), 0u)
        << s.error().message;  // the name given first, the temporary file beside it
    EXPECT_NE(s.error().message.find("Not a directory"), std::string::npos) << s.error().message;

    auto ws = w.write(this->records[0], "c");
    ASSERT_FALSE(ws);
    EXPECT_NE(ws.error().message.find("not open"), std::string::npos) << ws.error().message;
    EXPECT_FALSE(w.close());
    EXPECT_EQ(w.written(), 0u);
    EXPECT_EQ(this->dir.entries(), std::vector<std::string>{"plain-file"});
}

// A disk that fills up mid-file (simulated with RLIMIT_FSIZE): the write or close that hits it
// fails, and neither the partial nor the final file is left behind. Every later write and the
// close report that cause, not "not open" (which once reached the user as the only message).
TYPED_TEST(RecordSinkTest, WriteFailureLeavesNoFile) {
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 16 * 1024;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);

    bool failed = false;
    std::string message, later_write, later_close;
    {
        TypeParam w(this->out(), 4096);
        if (auto s = w.open(); !s) {
            failed = true;
            message = s.error().message;
        }
        for (int round = 0; round < 1000 && !failed; ++round)
            for (const auto& r : this->records)
                if (auto s = w.write(r, "a comment that takes some room in the file"); !s) {
                    failed = true;
                    message = s.error().message;
                    break;
                }
        if (!failed) {
            if (auto s = w.close(); !s) {
                failed = true;
                message = s.error().message;
            }
        } else {
            if (auto s = w.write(this->records[0], "c"); !s) later_write = s.error().message;
            if (auto s = w.close(); !s) later_close = s.error().message;
        }
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);

    ASSERT_TRUE(failed) << "the file size limit was never hit";
    EXPECT_NE(message.find("File too large"), std::string::npos) << message;
    // 16 KiB fill long before the close: a write hit the limit. The file is gone; its cause stays.
    EXPECT_EQ(later_write, message);
    EXPECT_EQ(later_close, message);
    EXPECT_TRUE(this->dir.entries().empty());
}

TYPED_TEST(RecordSinkTest, ManyRecordsAcrossBufferFlushes) {
    // 2,000 records through a buffer smaller than some records: every boundary case of the
    // buffered writer, read back in order.
    TypeParam w(this->out(), 100);
    ASSERT_TRUE(w.open());
    std::size_t n = 0;
    for (int round = 0; round < 200; ++round)
        for (std::size_t i = 0; i < this->records.size(); ++i, ++n) {
            HeaderRecord r = this->records[i];
            r.time_ns += static_cast<std::uint64_t>(round) * 1'000'000'000ull;
            ASSERT_TRUE(w.write(r, this->comments[i]));
        }
    ASSERT_TRUE(w.close());
    EXPECT_EQ(w.written(), n);
    auto cap = read_capture(this->out());
    ASSERT_EQ(cap.packets.size(), n);
    for (std::size_t k = 0; k < n; ++k) {
        const auto& r = this->records[k % this->records.size()];
        ASSERT_EQ(cap.packets[k].time_ns, r.time_ns + (k / this->records.size()) * 1'000'000'000ull) << k;
        ASSERT_EQ(cap.packets[k].bytes, std::vector<std::uint8_t>(r.bytes, r.bytes + r.header_len)) << k;
    }
}

TYPED_TEST(RecordSinkTest, ReopenAfterCloseWritesAFreshFile) {
    TypeParam w(this->out());
    ASSERT_TRUE(w.open());
    ASSERT_TRUE(w.write(this->records[0], "one"));
    ASSERT_TRUE(w.write(this->records[1], "two"));
    ASSERT_TRUE(w.close());
    ASSERT_TRUE(w.open());
    EXPECT_EQ(w.written(), 0u);
    EXPECT_FALSE(w.open()) << "open while open";
    ASSERT_TRUE(w.write(this->records[2], "three"));
    ASSERT_TRUE(w.close());
    auto cap = read_capture(this->out());
    ASSERT_EQ(cap.packets.size(), 1u);
    EXPECT_EQ(cap.packets[0].time_ns, this->records[2].time_ns);
}

}  // namespace
}  // namespace flowsieve::testing
