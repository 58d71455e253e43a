// test_exporter_figures.cpp: the exporter's per-authorisation accounting for the audit log: figures
// per (authorisation id, category) across generations that reorder the authorisations, header bytes,
// first/last packet time out of order, flows direction-independent and per authorisation+category,
// the flow-table bound (beyond it: flows_untracked, no crash), unparseable headers, and the interval
// first/last that each take starts anew.
#include <gtest/gtest.h>
#include <rte_ring.h>

#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/exporter.hpp"
#include "dpdk/record_ring.hpp"
#include "export/record_comment.hpp"

namespace flowsieve::testing {
namespace {

class NullSink : public RecordSink {
public:
    Status open() override { return Ok{}; }
    Status write(const HeaderRecord&, std::string_view) override {
        ++n_;
        return Ok{};
    }
    Status close() override { return Ok{}; }
    std::uint64_t written() const override { return n_; }

private:
    std::uint64_t n_ = 0;
};

// Ethernet + IPv4 + TCP (20-byte header, no options): 54 header bytes, as a worker copies them.
HeaderRecord tcp_record(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::uint64_t gen,
                        std::uint32_t auth, Category cat, std::uint64_t time_ns) {
    HeaderRecord r;
    r.time_ns = time_ns;
    r.generation = gen;
    r.authorisation = auth;
    r.rule = 0;
    r.category = cat;
    r.wire_len = 1514;
    r.header_len = 54;
    std::uint8_t* b = r.bytes;
    std::memset(b, 0, 54);
    b[12] = 0x08;  // IPv4
    std::uint8_t* ip = b + 14;
    ip[0] = 0x45;
    ip[2] = 0x05;  // total length 1500: the rest was never copied (snapped, not an anomaly)
    ip[3] = 0xdc;
    ip[8] = 64;
    ip[9] = 6;
    for (int i = 0; i < 4; ++i) {
        ip[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
        ip[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
    }
    std::uint8_t* tcp = ip + 20;
    tcp[0] = static_cast<std::uint8_t>(sport >> 8);
    tcp[1] = static_cast<std::uint8_t>(sport);
    tcp[2] = static_cast<std::uint8_t>(dport >> 8);
    tcp[3] = static_cast<std::uint8_t>(dport);
    tcp[12] = 0x50;
    return r;
}

// A snapshot with these authorisation ids, one rule (id empty), and these indicator ids (the
// addresses they name play no part here).
std::shared_ptr<const Snapshot> snapshot(std::uint64_t gen, std::vector<std::string> ids,
                                         const std::vector<std::string>& indicator_ids = {}) {
    auto s = std::make_shared<Snapshot>();
    s->generation = gen;
    if (!indicator_ids.empty()) {
        IndicatorSetSource set;
        set.name = "set";
        for (std::size_t i = 0; i < indicator_ids.size(); ++i)
            set.indicators.push_back({parse_prefix("192.0.2." + std::to_string(i + 1)).value(), indicator_ids[i]});
        std::vector<IndicatorSetSource> sets;
        sets.push_back(std::move(set));
        s->indicators = IndicatorTable::build(std::move(sets)).value();
    }
    for (auto& id : ids) {
        Authorisation a;
        a.id = std::move(id);
        s->authorisations.push_back(a);
    }
    s->rules.resize(1);
    return s;
}

const AuthorisationFigures* find(const std::vector<AuthorisationFigures>& v, const std::string& id, Category c) {
    for (const auto& f : v)
        if (f.authorisation == id && f.category == c) return &f;
    return nullptr;
}

TEST(ExporterFigures, CountsPerAuthorisationCategoryAndFlow) {
    auto ring = create_record_ring("fs_test_exp_figures", 64, SOCKET_ID_ANY);
    ASSERT_TRUE(ring.ok());
    constexpr std::uint32_t h1 = 0x0a000001, h2 = 0x0a000002, h3 = 0x0a000003;
    const std::vector<HeaderRecord> recs = {
        tcp_record(h1, 1000, h2, 80, 1, 0, Category::transit, 100),  // A/transit: flow X
        tcp_record(h2, 80, h1, 1000, 1, 0, Category::transit, 50),   // X's other direction, earlier
        tcp_record(h1, 1001, h2, 80, 2, 1, Category::transit, 300),  // gen 2 lists A second: flow Y
        tcp_record(h1, 1000, h2, 80, 1, 0, Category::operator_, 200),  // X again, another category
        tcp_record(h3, 5, h2, 6, 1, 1, Category::threat_linked, 400),  // B: a 4th key, over the bound
        tcp_record(h1, 1000, h2, 80, 1, 0, Category::transit, 500),  // X: known, still tracked
        tcp_record(h1, 1000, h2, 80, 9, 0, Category::transit, 600),  // an unknown generation
    };
    HeaderRecord cut = recs[0];
    cut.header_len = 30;  // headers that do not parse (cut inside the IPv4 header)
    cut.time_ns = 700;
    std::vector<HeaderRecord> all = recs;
    all.push_back(cut);
    ASSERT_EQ(enqueue_records(ring.value(), all.data(), static_cast<unsigned>(all.size())), all.size());

    Exporter ex({ring.value()}, std::make_unique<NullSink>(), 3);
    ex.adopt(snapshot(1, {"A", "B"}));
    ex.adopt(snapshot(2, {"B", "A"}));
    ASSERT_TRUE(ex.start().ok());
    ASSERT_TRUE(ex.finish().ok());
    const auto figs = ex.take_authorisation_figures();
    ASSERT_EQ(figs.size(), 4u);

    const auto* at = find(figs, "A", Category::transit);
    ASSERT_NE(at, nullptr);
    EXPECT_EQ(at->packets, 5u);  // recs 0, 1, 2, 5 and the cut one
    EXPECT_EQ(at->header_bytes, 4u * 54 + 30);
    EXPECT_EQ(at->flows, 2u);  // X (both directions) and Y
    EXPECT_EQ(at->flows_untracked, 1u);  // the cut record
    EXPECT_EQ(at->first_ns, 50);
    EXPECT_EQ(at->last_ns, 700);
    EXPECT_EQ(at->interval_first_ns, 50);
    EXPECT_EQ(at->interval_last_ns, 700);

    const auto* ao = find(figs, "A", Category::operator_);
    ASSERT_NE(ao, nullptr);
    EXPECT_EQ(ao->packets, 1u);
    EXPECT_EQ(ao->flows, 1u);  // the same 5-tuple counts again under another category

    const auto* bt = find(figs, "B", Category::threat_linked);
    ASSERT_NE(bt, nullptr);
    EXPECT_EQ(bt->packets, 1u);
    EXPECT_EQ(bt->flows, 0u);  // the table was full (3 keys)
    EXPECT_EQ(bt->flows_untracked, 1u);

    const auto* unknown = find(figs, "?", Category::transit);
    ASSERT_NE(unknown, nullptr);
    EXPECT_EQ(unknown->packets, 1u);
    EXPECT_EQ(unknown->flows_untracked, 1u);

    // A second take: totals stay, the interval (nothing written since) is empty.
    const auto again = ex.take_authorisation_figures();
    const auto* at2 = find(again, "A", Category::transit);
    ASSERT_NE(at2, nullptr);
    EXPECT_EQ(at2->packets, 5u);
    EXPECT_EQ(at2->first_ns, 50);
    EXPECT_EQ(at2->interval_first_ns, 0);
    EXPECT_EQ(at2->interval_last_ns, 0);
    rte_ring_free(ring.value());
}

class CommentSink : public NullSink {
public:
    Status write(const HeaderRecord& r, std::string_view comment) override {
        comments.emplace_back(comment);
        return NullSink::write(r, comment);
    }
    std::vector<std::string> comments;
};

// The exporter remembers recent comments by what they are made of: every record must still get its
// own, across generations that give one authorisation index another id, and past the memo's size.
TEST(ExporterComments, EachRecordGetsItsOwnCommentAcrossGenerationsAndEvictions) {
    auto ring = create_record_ring("fs_test_exp_comments", 4096, SOCKET_ID_ANY);
    ASSERT_TRUE(ring.ok());
    const std::vector<std::string> ids[3] = {{}, {"A", "B"}, {"B", "A"}};  // by generation
    std::vector<HeaderRecord> recs;
    std::vector<std::string> expected;
    for (std::uint32_t i = 0; i < 3000; ++i) {
        const std::uint64_t gen = i >= 750 && i < 1500 ? 2 : 1;  // the same parts meet both generations
        const std::uint32_t auth = (i / 2) % 2;
        const auto cat = static_cast<Category>(i % 3);
        HeaderRecord r = tcp_record(0x0a000001, 1000, 0x0a000002, 80, gen, auth, cat, i);
        // First few parts, each met again and again (the memo answers), then 676 (it evicts).
        const std::uint32_t c = i < 1500 ? i % 5 : i % 676;
        r.src_cc = static_cast<CountryCode>(('A' + c % 26) << 8 | ('A' + c / 26));
        r.dst_cc = i % 7 == 0 ? no_country : static_cast<CountryCode>('J' << 8 | 'P');
        recs.push_back(r);
        expected.push_back(format_record_comment({name_of(cat), ids[gen][auth], "", "", country_code_text(r.src_cc),
                                                  country_code_text(r.dst_cc)}));
    }
    EXPECT_NE(expected[0], expected[840]);  // the same parts, but generation 2 names index 0 "B"
    // A memo of one slot meets every compare: records that differ in one part only, each after the
    // other (rule, authorisation, indicator, either country, category), and an unknown generation.
    const HeaderRecord base = tcp_record(0x0a000001, 1000, 0x0a000002, 80, 1, 0, Category::transit, 0);
    std::vector<HeaderRecord> one_part = {base, base, base, base, base, base, base, base};
    one_part[1].rule = 1;
    one_part[2].authorisation = 1;
    one_part[3].indicator = 0;
    one_part[4].src_cc = static_cast<CountryCode>('C' << 8 | 'N');
    one_part[5].dst_cc = static_cast<CountryCode>('D' << 8 | 'E');
    one_part[6].category = Category::operator_;
    one_part[7].generation = 9;  // no snapshot: the ids read "?"
    const std::string names[] = {
        "category=transit auth=A rule=- src_cc=-- dst_cc=--", "category=transit auth=A rule=? src_cc=-- dst_cc=--",
        "category=transit auth=B rule=- src_cc=-- dst_cc=--", "category=transit auth=A rule=- indicator=i0 src_cc=-- dst_cc=--",
        "category=transit auth=A rule=- src_cc=CN dst_cc=--", "category=transit auth=A rule=- src_cc=-- dst_cc=DE",
        "category=operator auth=A rule=- src_cc=-- dst_cc=--", "category=transit auth=? rule=? src_cc=-- dst_cc=--"};
    for (std::size_t i = 0; i < one_part.size(); ++i) {
        recs.push_back(one_part[i]);
        expected.push_back(names[i]);
        recs.push_back(base);  // and back: the slot holds the other part now
        expected.push_back(names[0]);
    }
    for (const std::size_t slots : {Exporter::memo_comments, std::size_t{1}}) {
        SCOPED_TRACE(std::to_string(slots) + " memo slots");
        ASSERT_EQ(enqueue_records(ring.value(), recs.data(), static_cast<unsigned>(recs.size())), recs.size());
        auto sink = std::make_unique<CommentSink>();
        CommentSink* seen = sink.get();
        Exporter ex({ring.value()}, std::move(sink), max_tracked_flows, slots);
        ex.adopt(snapshot(1, ids[1], {"i0"}));
        ex.adopt(snapshot(2, ids[2], {"i0"}));
        ASSERT_TRUE(ex.start().ok());
        ASSERT_TRUE(ex.finish().ok());
        ASSERT_EQ(seen->comments.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(seen->comments[i], expected[i]) << "record " << i;
    }
    rte_ring_free(ring.value());
}

}  // namespace
}  // namespace flowsieve::testing
