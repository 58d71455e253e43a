// test_atomic_file.cpp: the write-to-partial-then-rename file with its own buffer.
#include <gtest/gtest.h>

#include <numeric>

#include "export/atomic_file.hpp"
#include "export_test_util.hpp"

namespace flowsieve::testing {
namespace {

// The bytes on disk equal everything appended, whatever the buffer size and chunking.
TEST(AtomicFile, ContentIsExactlyWhatWasAppended) {
    std::vector<std::uint8_t> data(100'000);
    std::iota(data.begin(), data.end(), std::uint8_t{0});
    for (std::size_t buffer : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{0}}) {
        for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{333}, std::size_t{50'000}}) {
            SCOPED_TRACE(std::to_string(buffer) + "/" + std::to_string(chunk));
            TempDir dir;
            AtomicFile f;
            ASSERT_TRUE(f.open(dir.file("f"), buffer));
            for (std::size_t o = 0; o < data.size(); o += chunk)
                ASSERT_TRUE(f.append(data.data() + o, std::min(chunk, data.size() - o)));
            ASSERT_TRUE(f.append_zeros(3));
            EXPECT_EQ(f.bytes(), data.size() + 3);
            ASSERT_TRUE(f.commit());
            auto expected = data;
            expected.insert(expected.end(), 3, 0);
            EXPECT_EQ(file_bytes(dir.file("f")), expected);
            EXPECT_EQ(dir.entries(), std::vector<std::string>{"f"});
        }
    }
}

TEST(AtomicFile, AbandonRemovesThePartial) {
    TempDir dir;
    AtomicFile f;
    ASSERT_TRUE(f.open(dir.file("f"), 16));
    ASSERT_TRUE(f.append("0123456789abcdefXYZ", 19));
    EXPECT_TRUE(file_exists(dir.file("f.partial")));
    f.abandon();
    EXPECT_FALSE(f.is_open());
    EXPECT_TRUE(dir.entries().empty());
    EXPECT_FALSE(f.append("x", 1));
    EXPECT_FALSE(f.commit());
}

// A symbolic link at the partial's name (left by anyone who can write to the directory) was
// followed: its target was overwritten with the output, and the output committed was the link.
TEST(AtomicFile, ALinkAtThePartialsNameIsReplacedNotFollowed) {
    TempDir dir;
    { std::ofstream(dir.file("victim")) << "keep me"; }
    std::filesystem::create_symlink(dir.file("victim"), dir.file("f.partial"));
    AtomicFile f;
    ASSERT_TRUE(f.open(dir.file("f"), 4));
    ASSERT_TRUE(f.append("output", 6));
    ASSERT_TRUE(f.commit());
    auto v = file_bytes(dir.file("victim"));
    EXPECT_EQ(std::string(v.begin(), v.end()), "keep me");
    EXPECT_FALSE(std::filesystem::is_symlink(dir.file("f")));
    auto d = file_bytes(dir.file("f"));
    EXPECT_EQ(std::string(d.begin(), d.end()), "output");
    // An earlier run's partial (a plain file) is replaced as before.
    { std::ofstream(dir.file("g.partial")) << "stale bytes of a crashed run"; }
    AtomicFile g;
    ASSERT_TRUE(g.open(dir.file("g"), 4));
    ASSERT_TRUE(g.append("new", 3));
    ASSERT_TRUE(g.commit());
    auto n = file_bytes(dir.file("g"));
    EXPECT_EQ(std::string(n.begin(), n.end()), "new");
}

TEST(AtomicFile, ReplacesAnOlderFileOnlyAtCommit) {
    TempDir dir;
    { std::ofstream(dir.file("f")) << "old"; }
    AtomicFile f;
    ASSERT_TRUE(f.open(dir.file("f"), 4));
    ASSERT_TRUE(f.append("new content", 11));
    EXPECT_EQ(file_bytes(dir.file("f")), (std::vector<std::uint8_t>{'o', 'l', 'd'}));
    ASSERT_TRUE(f.commit());
    auto d = file_bytes(dir.file("f"));
    EXPECT_EQ(std::string(d.begin(), d.end()), "new content");
}

TEST(AtomicFile, FailedRenameLeavesNoPartial) {
    TempDir dir;
    std::filesystem::create_directory(dir.file("target"));
    std::ofstream(dir.file("target/keep")) << "x";  // a non-empty directory cannot be replaced
    AtomicFile f;
    ASSERT_TRUE(f.open(dir.file("target")));
    ASSERT_TRUE(f.append("data", 4));
    auto s = f.commit();
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("cannot rename"), std::string::npos) << s.error().message;
    EXPECT_FALSE(file_exists(dir.file("target.partial")));
    EXPECT_TRUE(file_exists(dir.file("target/keep")));
}

TEST(AtomicFile, OpenTwiceAndEmptyPathAreErrors) {
    TempDir dir;
    AtomicFile f;
    EXPECT_FALSE(f.open(""));
    ASSERT_TRUE(f.open(dir.file("f")));
    auto s = f.open(dir.file("g"));
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("already open"), std::string::npos);
    EXPECT_TRUE(f.is_open());
    ASSERT_TRUE(f.commit());
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"f"});
}

}  // namespace
}  // namespace flowsieve::testing
