// test_output_keeper.cpp: an earlier output is never replaced: archived names (and their collisions),
// moves that refuse to overwrite, and AtomicFile's keep_earlier() commit, including the fallback when
// the earlier file cannot be moved aside.
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>

#include "export/atomic_file.hpp"
#include "export/output_keeper.hpp"
#include "export_test_util.hpp"

namespace flowsieve::testing {
namespace {

constexpr std::int64_t t_20261202_101500 = 1'796'206'500'000'000'000;  // 2026-12-02T10:15:00Z

std::string text_of(const std::string& p) {
    auto b = file_bytes(p);
    return {b.begin(), b.end()};
}

void put(const std::string& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// Commits `text` to `path` through an AtomicFile with keep_earlier(keep).
CommitReport commit_keeping(const std::string& path, const std::string& text, KeepEarlier keep, bool* ok = nullptr) {
    AtomicFile f;
    f.keep_earlier(std::move(keep));
    EXPECT_TRUE(f.open(path, 8));
    EXPECT_TRUE(f.append(text.data(), text.size()));
    auto s = f.commit();
    if (ok) *ok = s.ok();
    else EXPECT_TRUE(s.ok()) << s.error().message;
    return f.committed();
}

// A keeper that moves the earlier file to its archived name at a fixed time.
KeepEarlier keep_at(std::int64_t t) {
    return [t](const std::string& path) -> Result<std::string> {
        return place_under_archived_name(path, t, [&](const std::string& to) { return rename_noreplace(path, to); });
    };
}

TEST(OutputKeeper, ArchivedNameKeepsDirectoryStemAndExtension) {
    const std::int64_t t = t_20261202_101500 + 999'999'999;  // whole seconds only
    EXPECT_EQ(archived_name("out/flowsieve.pcapng", t, 1), "out/flowsieve.20261202T101500Z.pcapng");
    EXPECT_EQ(archived_name("out/flowsieve.pcapng", t, 0), "out/flowsieve.20261202T101500Z.pcapng");
    EXPECT_EQ(archived_name("out/flowsieve.pcapng", t, 2), "out/flowsieve.20261202T101500Z-2.pcapng");
    EXPECT_EQ(archived_name("/a.b/run.x.pcap", t, 3), "/a.b/run.x.20261202T101500Z-3.pcap");
    EXPECT_EQ(archived_name("plain", t, 1), "plain.20261202T101500Z");
    EXPECT_EQ(archived_name("d/.hidden", t, 1), "d/.hidden.20261202T101500Z");
    EXPECT_EQ(archived_name("/x", 0, 1), "/x.19700101T000000Z");
}

TEST(OutputKeeper, ATakenNameIsSkippedNeverOverwritten) {
    TempDir dir;
    const std::string path = dir.file("run.pcapng");
    put(path, "earlier");
    const std::string first = dir.file("run.20261202T101500Z.pcapng");
    const std::string second = dir.file("run.20261202T101500Z-2.pcapng");
    put(first, "someone else's");
    auto kept = keep_at(t_20261202_101500)(path);
    ASSERT_TRUE(kept.ok()) << kept.error().message;
    EXPECT_EQ(kept.value(), second);
    EXPECT_EQ(text_of(second), "earlier");
    EXPECT_EQ(text_of(first), "someone else's");
    EXPECT_FALSE(file_exists(path));
    // A name taken by a directory counts as taken too.
    put(path, "later");
    std::filesystem::create_directory(dir.file("run.20261202T101500Z-3.pcapng"));
    kept = keep_at(t_20261202_101500)(path);
    ASSERT_TRUE(kept.ok()) << kept.error().message;
    EXPECT_EQ(kept.value(), dir.file("run.20261202T101500Z-4.pcapng"));
    EXPECT_EQ(text_of(kept.value()), "later");
}

TEST(OutputKeeper, RenameNoReplaceRefusesAnExistingTarget) {
    TempDir dir;
    put(dir.file("a"), "A");
    put(dir.file("b"), "B");
    EXPECT_EQ(rename_noreplace(dir.file("a"), dir.file("b")), EEXIST);
    EXPECT_EQ(text_of(dir.file("a")), "A");
    EXPECT_EQ(text_of(dir.file("b")), "B");
    EXPECT_EQ(rename_noreplace(dir.file("a"), dir.file("c")), 0);
    EXPECT_EQ(text_of(dir.file("c")), "A");
    EXPECT_FALSE(file_exists(dir.file("a")));
    EXPECT_EQ(rename_noreplace(dir.file("missing"), dir.file("d")), ENOENT);
}

TEST(OutputKeeper, CreateNewFileNeverTruncates) {
    TempDir dir;
    EXPECT_EQ(create_new_file(dir.file("m"), "first\n", 0640), 0);
    EXPECT_EQ(create_new_file(dir.file("m"), "second\n", 0640), EEXIST);
    EXPECT_EQ(text_of(dir.file("m")), "first\n");
}

// The heart of it: the new file takes the name, the earlier one is kept aside with its bytes.
TEST(OutputKeeper, CommitKeepsTheEarlierFile) {
    TempDir dir;
    const std::string path = dir.file("run.pcapng");
    CommitReport c = commit_keeping(path, "first run", keep_at(t_20261202_101500));
    EXPECT_EQ(c.path, path);
    EXPECT_EQ(c.earlier_kept_as, "");  // nothing was there
    c = commit_keeping(path, "second run", keep_at(t_20261202_101500));
    EXPECT_EQ(c.path, path);
    EXPECT_EQ(c.earlier_kept_as, dir.file("run.20261202T101500Z.pcapng"));
    EXPECT_EQ(c.problem, "");
    EXPECT_EQ(text_of(path), "second run");
    EXPECT_EQ(text_of(c.earlier_kept_as), "first run");
    EXPECT_EQ(dir.entries(), (std::vector<std::string>{"run.20261202T101500Z.pcapng", "run.pcapng"}));
}

// An earlier file that cannot be moved aside stays where it is; the new one goes beside it.
TEST(OutputKeeper, WhenKeepingFailsTheNewFileGoesBesideIt) {
    TempDir dir;
    const std::string path = dir.file("run.pcap");
    put(path, "earlier");
    KeepEarlier refuse = [](const std::string& p) -> Result<std::string> { return error_at(p, 0, "refused"); };
    const CommitReport c = commit_keeping(path, "new", refuse);
    EXPECT_EQ(text_of(path), "earlier");
    EXPECT_EQ(c.earlier_kept_as, "");
    EXPECT_NE(c.problem.find("refused"), std::string::npos) << c.problem;
    ASSERT_NE(c.path, path);
    EXPECT_EQ(c.path.rfind(dir.file("run."), 0), 0u) << c.path;
    EXPECT_EQ(c.path.substr(c.path.size() - 5), ".pcap") << c.path;
    EXPECT_EQ(text_of(c.path), "new");
    EXPECT_EQ(dir.entries().size(), 2u);  // no partial left
}

// Without keep_earlier() (keys, serial state, manifests) commit still replaces, as it always did.
TEST(OutputKeeper, WithoutKeepingCommitStillReplaces) {
    TempDir dir;
    put(dir.file("state"), "old");
    AtomicFile f;
    ASSERT_TRUE(f.open(dir.file("state"), 8));
    ASSERT_TRUE(f.append("new", 3));
    ASSERT_TRUE(f.commit());
    EXPECT_EQ(text_of(dir.file("state")), "new");
    EXPECT_EQ(f.committed().path, dir.file("state"));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"state"});
}

}  // namespace
}  // namespace flowsieve::testing
