// test_input_file.cpp: what every reader of a user-named file gets from InputFile: the whole text
// of a regular file or a pipe, kept when the file is cut afterwards, and an error (never an empty
// or endless read) for a directory, a missing file, or a device that does not end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/input_file.hpp"

namespace flowsieve {
namespace {

// Per process: two build directories may run this test at once.
std::string temp_path(const std::string& name) {
    return ::testing::TempDir() + "input_file_" + std::to_string(::getpid()) + "_" + name;
}

TEST(InputFile, ARegularFileIsReadWhole) {
    const std::string p = temp_path("regular.txt");
    const std::string content = "first\r\nsecond\n\nlast without newline";
    std::ofstream(p, std::ios::binary) << content;
    auto f = InputFile::open(p);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->text(), content);
    InputFile moved = std::move(*f);  // the text travels with the object
    EXPECT_EQ(moved.text(), content);
    std::filesystem::remove(p);

    std::ofstream(p, std::ios::binary).flush();  // empty: nothing to map, and not an error
    auto empty = InputFile::open(p);
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    EXPECT_EQ(empty->text(), "");
    std::filesystem::remove(p);
}

TEST(InputFile, AFileCutAfterItWasOpenedLeavesTheTextAsItWas) {
    // `cp new.csv table.csv` truncates the table first. Text that was mapped would lose its pages
    // (SIGBUS on the next access, the whole filter down); text read into memory keeps them.
    const std::string p = temp_path("cut.txt");
    std::string content;
    for (int i = 0; i < 50000; ++i) content += "192.0.2." + std::to_string(i % 256) + "\n";  // several pages
    std::ofstream(p, std::ios::binary) << content;
    auto f = InputFile::open(p);
    ASSERT_TRUE(f.ok()) << f.error().message;
    ASSERT_EQ(::truncate(p.c_str(), 0), 0);
    EXPECT_EQ(f->text(), content);
    std::filesystem::remove(p);
}

TEST(InputFile, ARegularFileLargerThanTheReadLimitIsMappedWhole) {
    // Only long audit logs pass the default limit; they are still read whole, not refused.
    const std::string p = temp_path("large.txt");
    const std::string content(10000, 'x');
    std::ofstream(p, std::ios::binary) << content;
    auto f = InputFile::open(p, "cannot read", 1000);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->text(), content);
    InputFile moved = std::move(*f);  // the mapping travels with the object
    EXPECT_EQ(moved.text(), content);
    std::filesystem::remove(p);
}

TEST(InputFile, AProcFileWithoutASizeIsReadToItsEnd) {
    auto f = InputFile::open("/proc/self/status");
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_NE(f->text().find("Pid:"), std::string_view::npos);
}

TEST(InputFile, ASysfsFileThatOverstatesItsSizeIsReadAsItIs) {
    // sysfs gives every attribute a size of 4096; what it reads is the content, not a cut file.
    const std::string p = "/sys/devices/system/cpu/online";
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) GTEST_SKIP() << "no " << p;
    auto f = InputFile::open(p);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_LT(f->text().size(), static_cast<std::size_t>(st.st_size));
    EXPECT_EQ(f->text().back(), '\n');
}

TEST(InputFile, AMissingFileAndADirectoryAreErrors) {
    const std::string missing = temp_path("absent.txt");
    auto a = InputFile::open(missing);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().message, missing + ": cannot read: No such file or directory");
    auto b = InputFile::open(missing, "cannot open");
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().message, missing + ": cannot open: No such file or directory");

    const std::string dir = temp_path("dir");
    std::filesystem::create_directories(dir);
    auto d = InputFile::open(dir);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().message, dir + ": is a directory, not a file");
    std::filesystem::remove(dir);
}

TEST(InputFile, OpenIfExistsTellsAMissingFileFromAnError) {
    // A state file or log not written yet is no error; a directory in its place still is.
    const std::string missing = temp_path("not-yet.txt");
    auto none = InputFile::open_if_exists(missing);
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_FALSE(none->has_value());

    const std::string dir = temp_path("state-dir");
    std::filesystem::create_directories(dir);
    auto d = InputFile::open_if_exists(dir);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().message, dir + ": is a directory, not a file");
    std::filesystem::remove(dir);

    const std::string p = temp_path("present.txt");
    std::ofstream(p, std::ios::binary) << "a 1\n";
    auto f = InputFile::open_if_exists(p);
    ASSERT_TRUE(f.ok()) << f.error().message;
    ASSERT_TRUE(f->has_value());
    EXPECT_EQ((*f)->text(), "a 1\n");
    std::filesystem::remove(p);
}

TEST(InputFile, APipeIsReadToItsEnd) {
    // A FIFO is what `<(command)` gives a reader: not mapped, read until the writer closes it.
    const std::string p = temp_path("fifo");
    std::filesystem::remove(p);
    ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
    std::string content;
    for (int i = 0; i < 20000; ++i) content += "line " + std::to_string(i) + "\n";  // several pipe buffers
    std::thread writer([&] {
        const int fd = ::open(p.c_str(), O_WRONLY);
        for (std::size_t done = 0; fd >= 0 && done < content.size();) {
            const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        if (fd >= 0) ::close(fd);
    });
    auto f = InputFile::open(p);
    writer.join();
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->text(), content);
    std::filesystem::remove(p);
}

TEST(InputFile, ANamedPipeThatNothingWritesToIsAnErrorNotAHang) {
    // A table replaced by a FIFO and then reloaded once blocked the control thread in open() until
    // something wrote to it (signals unanswered meanwhile); an empty read would have been an empty set.
    const std::string p = temp_path("fifo_idle");
    std::filesystem::remove(p);
    ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
    const auto begin = std::chrono::steady_clock::now();
    auto f = InputFile::open(p, "cannot open");
    const auto waited = std::chrono::steady_clock::now() - begin;
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().message, p + ": is a named pipe that nothing wrote to within 2 s");
    EXPECT_GE(waited, std::chrono::seconds(2));
    EXPECT_LT(waited, std::chrono::seconds(30));
    auto maybe = InputFile::open_if_exists(p, "cannot open");
    EXPECT_FALSE(maybe.ok());
    std::filesystem::remove(p);
}

TEST(InputFile, ACommandsOutputIsReadAtOnceAndAnEmptyOneRefused) {
    // `<(grep ... feed)` hands over a pipe whose writer may have closed it already. That pipe had
    // its writer from the start, so nothing is waited for (a named pipe gets 2 s). An empty one is
    // refused at once: a reload that opens /dev/fd/N or /dev/stdin again finds the pipe an earlier
    // load read to its end, and must not take it for an empty feed.
    for (const std::string& content : {std::string(), std::string("192.0.2.1\n")}) {
        int ends[2];
        ASSERT_EQ(::pipe(ends), 0);
        ASSERT_EQ(::write(ends[1], content.data(), content.size()), static_cast<ssize_t>(content.size()));
        ::close(ends[1]);
        const std::string path = "/dev/fd/" + std::to_string(ends[0]);
        const auto begin = std::chrono::steady_clock::now();
        auto f = InputFile::open(path, "cannot open");
        const auto waited = std::chrono::steady_clock::now() - begin;
        ::close(ends[0]);
        EXPECT_LT(waited, std::chrono::seconds(1));
        if (content.empty()) {
            ASSERT_FALSE(f.ok());
            EXPECT_EQ(f.error().message, path +
                                             ": is a pipe that gave nothing (a command's empty output, or one an earlier "
                                             "load already read): give an empty file where empty is meant");
            continue;
        }
        ASSERT_TRUE(f.ok()) << f.error().message;
        EXPECT_EQ(f->text(), content);
    }
}

TEST(InputFile, ADeviceThatNeverEndsIsCutOffWithAnError) {
    // /dev/zero named as a file was once read until memory ran out.
    auto f = InputFile::open("/dev/zero", "cannot read", 1 << 20);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().message, "/dev/zero: not a regular file, and longer than 1 MiB");
    auto odd = InputFile::open("/dev/zero", "cannot read", 1000);
    ASSERT_FALSE(odd.ok());
    EXPECT_EQ(odd.error().message, "/dev/zero: not a regular file, and longer than 1000 bytes");
}

TEST(LineCursor, LinesWithoutNewlinesAndCarriageReturns) {
    LineCursor cur("a\r\n\nb\nlast", 7);
    std::vector<std::pair<std::string, std::size_t>> got;
    std::string_view line;
    for (std::size_t no = 0; cur.next(line, no);) got.emplace_back(std::string(line), no);
    const std::vector<std::pair<std::string, std::size_t>> want{{"a", 7}, {"", 8}, {"b", 9}, {"last", 10}};
    EXPECT_EQ(got, want);
    LineCursor none("");
    std::size_t no = 0;
    EXPECT_FALSE(none.next(line, no));
}

}  // namespace
}  // namespace flowsieve
