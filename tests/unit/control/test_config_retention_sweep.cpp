// test_config_retention_sweep.cpp: `output.retention_sweep` (the running filter sweeps its own
// expired outputs): absent = off, its defaults (the output's directory, hourly), explicit values,
// and each mistake refused with `file:line: key: what` (an unknown key, a bad interval, no audit log).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "control_test_util.hpp"
#include "oversight/ed25519.hpp"
#include "oversight/key_file.hpp"

namespace flowsieve::testing {
namespace {

class RetentionSweepConfigFile : public ::testing::Test {
protected:
    void SetUp() override {
        std::filesystem::create_directories(dir_.file("etc"));
        ASSERT_TRUE(write_key_files(dir_.file("etc"), "filter-1", generate_keypair()).ok());
    }
    // A config with an audit section (its key in etc/) unless `audit` is false, then `output`.
    Result<Config> load(const std::string& output, bool audit = true) {
        yaml_ = "countries:\n  files: [world.csv]\n";
        if (audit) yaml_ += "audit:\n  log: ../out/audit.log\n  key: filter-1.key\n";
        yaml_ += "output:\n" + output;
        path_ = dir_.write("etc/flowsieve.yaml", yaml_);
        return load_config(path_);
    }
    std::string at(const std::string& marker, const std::string& what) const {
        return path_ + ":" + std::to_string(line_of(yaml_, marker)) + ": " + what;
    }
    TempDir dir_;
    std::string yaml_, path_;
};

TEST_F(RetentionSweepConfigFile, AbsentMeansNoSweepInTheFilter) {
    auto c = load("  path: ../out/run.pcapng\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_FALSE(c->retention_sweep.enabled);
}

TEST_F(RetentionSweepConfigFile, DefaultsAreTheOutputDirectoryHourly) {
    for (const char* form : {"  retention_sweep: {}\n", "  retention_sweep:\n"}) {
        SCOPED_TRACE(form);
        auto c = load(std::string("  path: ../out/run.pcapng\n") + form);
        ASSERT_TRUE(c.ok()) << c.error().message;
        EXPECT_TRUE(c->retention_sweep.enabled);
        EXPECT_TRUE(c->retention_sweep.dir.empty());
        EXPECT_DOUBLE_EQ(c->retention_sweep.interval_s, 3600.0);
        EXPECT_EQ(c->retention_sweep.source, path_ + ":" + std::to_string(line_of(yaml_, "retention_sweep")));
        EXPECT_EQ(retention_sweep_dir(c.value()), dir_.path() + "/out");
        // The command line's --output moves the output, and with it the default sweep directory.
        Config moved = c.value();
        moved.output_path = "/srv/capture/x.pcapng";
        EXPECT_EQ(retention_sweep_dir(moved), "/srv/capture");
        moved.output_path = "x.pcapng";
        EXPECT_EQ(retention_sweep_dir(moved), ".");
    }
}

TEST_F(RetentionSweepConfigFile, DirAndIntervalAreRead) {
    auto c = load("  path: ../out/run.pcapng\n  retention_sweep:\n    dir: ../archive\n    interval_s: 60\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_TRUE(c->retention_sweep.enabled);
    EXPECT_EQ(c->retention_sweep.dir, dir_.path() + "/archive") << "relative to the config's directory";
    EXPECT_EQ(retention_sweep_dir(c.value()), dir_.path() + "/archive");
    EXPECT_DOUBLE_EQ(c->retention_sweep.interval_s, 60.0);
    c = load("  retention_sweep: {dir: /abs/out, interval_s: 1.5}\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->retention_sweep.dir, "/abs/out");
    EXPECT_DOUBLE_EQ(c->retention_sweep.interval_s, 1.5);
}

TEST_F(RetentionSweepConfigFile, MistakesNameFileLineKeyAndWhat) {
    struct Bad {
        std::string output;
        const char* marker;  // text on the line the error must name
        std::string what;
        bool audit = true;
    };
    const std::string no_audit = "output.retention_sweep: needs the audit section: every deletion is recorded in the audit log";
    const std::vector<Bad> bad = {
        {"  retention_sweep:\n    dir: x\n    every: 60\n", "every",
         "output.retention_sweep.every: unknown key (expected one of: dir, interval_s)"},
        {"  retention_sweep:\n    interval_s: 0\n", "interval_s", "output.retention_sweep.interval_s: must be >= 1"},
        {"  retention_sweep:\n    interval_s: 0.5\n", "interval_s", "output.retention_sweep.interval_s: must be >= 1"},
        {"  retention_sweep:\n    interval_s: hourly\n", "interval_s",
         "output.retention_sweep.interval_s: 'hourly' is not a number"},
        {"  retention_sweep: true\n", "retention_sweep", "output.retention_sweep: expected a mapping"},
        {"  retention_sweep: [a]\n", "retention_sweep", "output.retention_sweep: expected a mapping"},
        // Every deletion is recorded: without an audit log there is nothing to record it in.
        {"  retention_sweep: {interval_s: 60}\n", "retention_sweep", no_audit, false},
        {"  retention_sweep:\n", "retention_sweep", no_audit, false},
        {"  retention_sweep:\n    dir: x\n", "retention_sweep", no_audit, false},
        {"  retention_sweeps: {}\n", "retention_sweeps",
         "output.retention_sweeps: unknown key (expected one of: path, format, retention_days, retention_sweep)"},
    };
    for (const Bad& b : bad) {
        SCOPED_TRACE(b.output);
        const std::string got = error_of(load(b.output, b.audit));
        ASSERT_NE(line_of(yaml_, b.marker), 0u) << "test bug: marker not in the config";
        EXPECT_EQ(got, at(b.marker, b.what));
    }
}

}  // namespace
}  // namespace flowsieve::testing
