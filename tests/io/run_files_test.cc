// Tests for io/atomic_file.cc, io/run_dir.cc and log/metrics.cc.
#include <gtest/gtest.h>

#include <fstream>

#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/io/run_dir.h"
#include "mbrl/log/metrics.h"
#include "tests/support/expect_throw.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

TEST(AtomicFileTest, WritesAndReplaces) {
  auto dir = test::scratch_dir();
  write_file_atomic(dir / "a.txt", "one");
  write_file_atomic(dir / "a.txt", "two");
  EXPECT_EQ(read_file(dir / "a.txt"), "two");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(AtomicFileTest, FailedWriterLeavesTheOldFileIntact) {
  auto dir = test::scratch_dir();
  write_file_atomic(dir / "a.txt", "good");
  EXPECT_THROW(write_atomic(dir / "a.txt",
                            [](const fs::path& tmp) {
                              std::ofstream(tmp) << "half";
                              throw std::runtime_error("killed");
                            }),
               std::runtime_error);
  EXPECT_EQ(read_file(dir / "a.txt"), "good");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(AtomicFileTest, UnwritableFolderIsAnIoError) {
  EXPECT_THROW_WITH(write_file_atomic("/nonexistent/dir/a.txt", "x"), IoError,
                    "/nonexistent/dir/a.txt");
}

TEST(RunDirTest, LayoutAndUniqueness) {
  auto root = test::scratch_dir();
  RunDir a = RunDir::create(root, "pets/cartpole", 3);
  RunDir b = RunDir::create(root, "pets/cartpole", 3);
  EXPECT_NE(a.path(), b.path());
  EXPECT_EQ(a.path().parent_path(), root / "pets/cartpole");
  const std::string leaf = a.path().filename().string();
  EXPECT_EQ(leaf.size(), std::string("20261125T120000Z-s3").size());
  EXPECT_EQ(leaf.substr(leaf.size() - 3), "-s3");
  EXPECT_TRUE(fs::is_directory(a.checkpoints_dir()));
}

TEST(RunDirTest, CreateAtRefusesANonEmptyFolder) {
  auto root = test::scratch_dir();
  std::ofstream(root / "x") << 1;
  EXPECT_THROW_WITH(RunDir::create_at(root), IoError, "already exists and is not empty");
  EXPECT_NO_THROW(RunDir::create_at(root / "fresh"));
}

TEST(RunDirTest, OpenNeedsAConfig) {
  auto root = test::scratch_dir();
  EXPECT_THROW_WITH(RunDir::open(root / "nope"), IoError, "run folder does not exist");
  EXPECT_THROW_WITH(RunDir::open(root), IoError, "not a run folder");
}

TEST(MetricsWriterTest, FixedHeaderAndRows) {
  auto dir = test::scratch_dir();
  {
    MetricsWriter m(dir);
    m.add_group("train", "metrics.csv", {{"step", MetricFormat::kInt}, {"loss"}, {"return"}},
                false);
    m.log("train", "step", 1);
    m.log("train", "loss", 0.5);
    m.dump("train");
    m.log("train", "step", 2);
    m.log("train", "return", -3.25);
    m.dump("train");
    EXPECT_EQ(m.rows("train").size(), 2u);
    EXPECT_THROW(m.log("train", "nope", 1), InternalError);
  }
  EXPECT_EQ(read_file(dir / "metrics.csv"), "step,loss,return\n1,0.5,\n2,,-3.25\n");
}

TEST(MetricsWriterTest, ResumeKeepsRowsAndTruncates) {
  auto dir = test::scratch_dir();
  {
    MetricsWriter m(dir);
    m.add_group("g", "g.csv", {{"step", MetricFormat::kInt}}, false);
    for (int i = 0; i < 3; ++i) m.log("g", "step", i), m.dump("g");
  }
  MetricsWriter m(dir, /*resume=*/true);
  m.add_group("g", "g.csv", {{"step", MetricFormat::kInt}}, false);
  EXPECT_EQ(m.rows("g").size(), 3u);
  m.truncate("g", 2);
  m.log("g", "step", 9);
  m.dump("g");
  EXPECT_EQ(read_file(dir / "g.csv"), "step\n0\n1\n9\n");
}

TEST(MetricsWriterTest, ResumeWithAnotherHeaderIsADataError) {
  auto dir = test::scratch_dir();
  {
    MetricsWriter m(dir);
    m.add_group("g", "g.csv", {{"a"}}, false);
  }
  MetricsWriter m(dir, true);
  EXPECT_THROW_WITH(m.add_group("g", "g.csv", {{"b"}}, false), DataError, "header does not match");
}

}  // namespace
}  // namespace mbrl
