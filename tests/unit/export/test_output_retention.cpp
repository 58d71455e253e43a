// test_output_retention.cpp: the retention label in a pcapng section header (read back by our own
// reader and by capinfos as an independent decoder), the label's text form, and the provenance sink
// (records, packet times, generations and the authorisation ids of the per-packet comments).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "export/output_inspect.hpp"
#include "export/output_label.hpp"
#include "export/pcap_writer.hpp"
#include "export/pcapng_writer.hpp"
#include "export/provenance_sink.hpp"
#include "export/record_comment.hpp"
#include "export_test_util.hpp"

namespace flowsieve::testing {
namespace {

constexpr std::int64_t t2026 = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z

std::string run_capture(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
}

TEST(OutputLabel, DefaultRetentionIsTwoYearsAndTheTextRoundTrips) {
    const OutputLabel l = make_output_label(t2026, 730);
    EXPECT_EQ(format_output_label(l), "flowsieve-output-1 written=2026-01-01T00:00:00Z expires=2028-01-01T00:00:00Z");
    auto back = parse_output_label(format_output_label(l));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->written_ns, l.written_ns);
    EXPECT_EQ(back->expires_ns, l.expires_ns);
    const OutputLabel odd{t2026 + 123456789, t2026 + 86'400'000'000'000 + 1};
    back = parse_output_label(format_output_label(odd));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->written_ns, odd.written_ns);
    EXPECT_EQ(back->expires_ns, odd.expires_ns);
    EXPECT_FALSE(parse_output_label("some other comment"));
    EXPECT_FALSE(parse_output_label("flowsieve-output-1 written=2026-01-01T00:00:00Z"));
    EXPECT_FALSE(parse_output_label("flowsieve-output-1 written=yesterday expires=2028-01-01T00:00:00Z"));
}

TEST(OutputInspect, PcapngSectionHeaderCarriesTheExpiry) {
    TempDir d;
    const std::string path = d.file("out.pcapng");
    const OutputLabel label = make_output_label(t2026, 30);
    const auto frames = real_frames();
    {
        PcapngWriter w(path, 4096, format_output_label(label));
        ASSERT_TRUE(w.open().ok());
        for (std::size_t i = 0; i < 3; ++i)
            ASSERT_TRUE(w.write(make_record(frames[i], l4_end(frames[i].bytes), 1'000 + i, 0), "category=transit").ok());
        ASSERT_TRUE(w.close().ok());
    }
    auto facts = inspect_output_file(path);
    ASSERT_TRUE(facts.ok()) << facts.error().message;
    EXPECT_EQ(facts->format, "pcapng");
    ASSERT_TRUE(facts->label);
    EXPECT_EQ(facts->label->expires_ns, label.expires_ns);
    EXPECT_EQ(facts->label->written_ns, label.written_ns);
    // The records are still all there and readable by an independent decoder.
    if (have_program("tshark")) {
        auto rows = tshark_read(path);
        ASSERT_TRUE(rows);
        EXPECT_EQ(rows->size(), 3u);
    }
    if (have_program("capinfos")) {
        const std::string info = run_capture("capinfos -k '" + path + "' 2>&1");
        EXPECT_NE(info.find(format_output_label(label)), std::string::npos) << info;
        EXPECT_NE(info.find("expires=2026-01-31T00:00:00Z"), std::string::npos) << info;
    }
}

TEST(OutputInspect, PcapHasNoLabelAndOtherFilesAreRefused) {
    TempDir d;
    const std::string path = d.file("out.pcap");
    {
        PcapWriter w(path, 4096);
        ASSERT_TRUE(w.open().ok());
        ASSERT_TRUE(w.close().ok());
    }
    auto facts = inspect_output_file(path);
    ASSERT_TRUE(facts.ok()) << facts.error().message;
    EXPECT_EQ(facts->format, "pcap");
    EXPECT_FALSE(facts->label);
    // A pcapng without a section comment has no label.
    {
        PcapngWriter w(d.file("plain.pcapng"), 4096);
        ASSERT_TRUE(w.open().ok());
        ASSERT_TRUE(w.close().ok());
    }
    facts = inspect_output_file(d.file("plain.pcapng"));
    ASSERT_TRUE(facts.ok());
    EXPECT_FALSE(facts->label);
    {
        std::ofstream(d.file("notes.txt")) << "not a capture at all\n";
        std::ofstream(d.file("tiny")) << "ab";
    }
    auto bad = inspect_output_file(d.file("notes.txt"));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("not a pcap or pcapng capture"), std::string::npos);
    EXPECT_FALSE(inspect_output_file(d.file("tiny")).ok());
    EXPECT_FALSE(inspect_output_file(d.file("missing")).ok());
    // A cut section header is refused, never read past its end.
    auto bytes = file_bytes(d.file("plain.pcapng"));
    std::ofstream(d.file("cut.pcapng"), std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), 20);
    EXPECT_FALSE(inspect_output_file(d.file("cut.pcapng")).ok());
}

TEST(RecordComment, ValueOfAKey) {
    const std::string c = format_record_comment({"threat-linked", "A-10", "r3", "1.2.3.4", "CN", "JP"});
    EXPECT_EQ(record_comment_value(c, "auth"), "A-10");
    EXPECT_EQ(record_comment_value(c, "rule"), "r3");
    EXPECT_EQ(record_comment_value(c, "dst_cc"), "JP");
    EXPECT_EQ(record_comment_value(c, "au"), "");
    EXPECT_EQ(record_comment_value("", "auth"), "");
}

// A sink that refuses records with an odd wire length (to check that only accepted ones count).
class PickySink final : public RecordSink {
public:
    Status open() override { return Ok{}; }
    Status write(const HeaderRecord& r, std::string_view) override {
        if (r.wire_len % 2) return Error{"odd"};
        ++n_;
        return Ok{};
    }
    Status close() override { return Ok{}; }
    std::uint64_t written() const override { return n_; }

private:
    std::uint64_t n_ = 0;
};

// A sink with no place for comments (like PcapWriter): the exporter composes none for it.
class NoCommentSink final : public RecordSink {
public:
    Status open() override { return Ok{}; }
    Status write(const HeaderRecord&, std::string_view) override { return ++n_, Ok{}; }
    bool needs_comment(const HeaderRecord&) const override { return false; }
    Status close() override { return Ok{}; }
    std::uint64_t written() const override { return n_; }

private:
    std::uint64_t n_ = 0;
};

TEST(ProvenanceSink, AsksForTheCommentOnlyWhileTheRecordsPairIsNew) {
    auto rec = [](std::uint64_t gen, std::uint32_t auth) {
        HeaderRecord r;
        r.generation = gen;
        r.authorisation = auth;
        r.wire_len = 60;
        return r;
    };
    auto comment = [](const char* id) { return format_record_comment({"transit", id, "r", "", "US", "DE"}); };
    ProvenanceSink s(std::make_unique<NoCommentSink>());
    ASSERT_TRUE(s.open().ok());
    EXPECT_TRUE(s.needs_comment(rec(1, 0)));  // the first record
    ASSERT_TRUE(s.write(rec(1, 0), comment("APP-B")).ok());
    EXPECT_FALSE(s.needs_comment(rec(1, 0)));  // the same pair: the exporter leaves the comment empty
    ASSERT_TRUE(s.write(rec(1, 0), "").ok());
    EXPECT_TRUE(s.needs_comment(rec(1, 1)));   // another authorisation
    ASSERT_TRUE(s.write(rec(1, 1), comment("APP-A")).ok());
    EXPECT_FALSE(s.needs_comment(rec(1, 0)));  // records of known pairs interleave: none composed
    ASSERT_TRUE(s.write(rec(1, 0), "").ok());
    EXPECT_TRUE(s.needs_comment(rec(2, 1)));   // another generation (a reload may renumber)
    ASSERT_TRUE(s.write(rec(2, 1), comment("APP-C")).ok());
    EXPECT_FALSE(s.needs_comment(rec(2, 1)));
    ASSERT_TRUE(s.write(rec(2, 1), "").ok());
    EXPECT_EQ(s.provenance().records, 6u);
    EXPECT_EQ(s.provenance().pairs.size(), 3u);
    EXPECT_EQ(s.provenance().authorisations(), (std::vector<std::string>{"APP-A", "APP-B", "APP-C"}));
    // A sink that carries comments (pcapng) is always given one.
    ProvenanceSink t(std::make_unique<PickySink>());
    ASSERT_TRUE(t.open().ok());
    ASSERT_TRUE(t.write(rec(1, 0), comment("APP-B")).ok());
    EXPECT_TRUE(t.needs_comment(rec(1, 0)));
    EXPECT_FALSE(PcapWriter("unused.pcap").needs_comment(rec(1, 0)));
    EXPECT_TRUE(PcapngWriter("unused.pcapng").needs_comment(rec(1, 0)));
}

TEST(ProvenanceSink, RemembersRecordsTimesGenerationsAndAuthorisations) {
    ProvenanceSink s(std::make_unique<PickySink>());
    ASSERT_TRUE(s.open().ok());
    auto rec = [](std::uint64_t t, std::uint64_t gen, std::uint32_t auth, std::uint32_t wire) {
        HeaderRecord r;
        r.time_ns = t;
        r.generation = gen;
        r.authorisation = auth;
        r.wire_len = wire;
        return r;
    };
    auto comment = [](const char* id) { return format_record_comment({"transit", id, "r", "", "US", "DE"}); };
    EXPECT_TRUE(s.write(rec(500, 1, 0, 60), comment("APP-B")).ok());
    EXPECT_TRUE(s.write(rec(300, 1, 0, 60), comment("APP-B")).ok());
    EXPECT_TRUE(s.write(rec(900, 1, 1, 60), comment("APP-A")).ok());
    EXPECT_FALSE(s.write(rec(50, 3, 2, 61), comment("APP-REFUSED")).ok());  // refused: not counted
    EXPECT_TRUE(s.write(rec(700, 2, 0, 60), comment("APP-A")).ok());       // reload: index 0 is APP-A now
    EXPECT_TRUE(s.write(rec(800, 1, 0, 60), comment("APP-B")).ok());
    const OutputProvenance& p = s.provenance();
    EXPECT_EQ(p.records, 5u);
    EXPECT_EQ(s.written(), 5u);
    EXPECT_EQ(p.first_ns, 300u);
    EXPECT_EQ(p.last_ns, 900u);
    EXPECT_EQ(p.pairs.size(), 3u);
    EXPECT_EQ(p.generations(), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(p.authorisations(), (std::vector<std::string>{"APP-A", "APP-B"}));
    EXPECT_TRUE(p.complete);
    // Ids the comment escapes are recorded as they are, not as the comment writes them: two that
    // differ only where the comment escapes stay two.
    EXPECT_TRUE(s.write(rec(950, 4, 0, 60), comment("APP 1")).ok());
    EXPECT_TRUE(s.write(rec(960, 4, 1, 60), comment("APP_1")).ok());
    EXPECT_TRUE(s.write(rec(970, 4, 2, 60), comment("\xe6\x89\xbf\xe8\xaa\x8d=1")).ok());
    EXPECT_EQ(s.provenance().authorisations(),
              (std::vector<std::string>{"APP 1", "APP-A", "APP-B", "APP_1", "\xe6\x89\xbf\xe8\xaa\x8d=1"}));
    // Opening again starts afresh.
    ASSERT_TRUE(s.open().ok());
    EXPECT_EQ(s.provenance().records, 0u);
    EXPECT_TRUE(s.provenance().pairs.empty());
}

}  // namespace
}  // namespace flowsieve::testing
