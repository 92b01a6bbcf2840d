// Tests for log/event_file.cc and the event file MetricsWriter keeps beside its CSVs.
#include "mbrl/log/event_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "mbrl/core/error.h"
#include "mbrl/log/metrics.h"
#include "tests/support/csv.h"
#include "tests/support/expect_throw.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

#define SKIP_WITHOUT_EVENT_FILES() \
  if (!event_files_supported()) GTEST_SKIP() << "built without Protocol Buffers"

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(EventFileTest, Crc32cCheckValues) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  // RFC 3720 B.4: 32 bytes of zeros
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  const uint32_t c = crc32c("123456789", 9);
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(EventFileTest, WritesRecordsThatReadBackExactly) {
  SKIP_WITHOUT_EVENT_FILES();
  const fs::path dir = test::scratch_dir();
  fs::path path;
  {
    EventFileWriter w(dir);
    path = w.path();
    w.write_scalars(10, {{"a/x", 1.5}, {"a/y", -3.25}});
    w.write_text(0, "config", "seed: 3\n");
    w.write_session_start(10);
    w.write_scalars(20, {{"a/x", 1e-7}});
  }
  EXPECT_EQ(path.filename().string().rfind("events.out.tfevents.", 0), 0u) << path;
  EXPECT_EQ(event_files_in(dir), std::vector<fs::path>{path});
  const auto events = read_event_file(path);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_EQ(events[1].step, 10);
  ASSERT_EQ(events[1].values.size(), 2u);
  EXPECT_EQ(events[1].values[0].tag, "a/x");
  EXPECT_EQ(*events[1].values[0].scalar, 1.5f);
  EXPECT_EQ(*events[1].values[1].scalar, -3.25f);
  EXPECT_EQ(*events[2].values[0].text, "seed: 3\n");
  EXPECT_TRUE(events[3].session_start);
  EXPECT_EQ(*events[4].values[0].scalar, 1e-7f);
  EXPECT_GT(events[4].wall_time, 1.6e9);
}

TEST(EventFileTest, TornTailIsDroppedAndCorruptionIsADataError) {
  SKIP_WITHOUT_EVENT_FILES();
  const fs::path dir = test::scratch_dir();
  fs::path path;
  {
    EventFileWriter w(dir);
    path = w.path();
    w.write_scalars(1, {{"x", 1.0}});
    w.write_scalars(2, {{"x", 2.0}});
  }
  const std::string bytes = read_bytes(path);

  // a run killed in the middle of a write: every complete record is still there
  write_bytes(path, bytes.substr(0, bytes.size() - 5));
  EXPECT_EQ(read_event_file(path).size(), 2u);
  EXPECT_THROW_WITH(read_event_file(path, /*allow_torn_tail=*/false), DataError, "truncated");

  // a flipped bit in a record's data: its CRC names the record's offset
  std::string bad = bytes;
  bad[bad.size() - 8] ^= 0x01;
  write_bytes(path, bad);
  EXPECT_THROW_WITH(read_event_file(path), DataError, "data CRC mismatch");
}

TEST(EventFileTest, MetricsRowsAreMirroredAsScalarsAtTheirEnvSteps) {
  SKIP_WITHOUT_EVENT_FILES();
  const fs::path dir = test::scratch_dir();
  {
    MetricsWriter m(dir);
    m.add_group("episode", "metrics.csv",
                {{"env_steps", MetricFormat::kInt}, {"episode_return"}, {"loss"}}, false);
    m.add_group("model", "model.csv", {{"epoch", MetricFormat::kInt}, {"loss"}}, false);
    for (int i = 1; i <= 3; ++i) {
      m.log("episode", "env_steps", 100 * i);
      m.log("episode", "episode_return", -1.0 / 3.0 * i);
      if (i != 2) m.log("episode", "loss", 0.5 * i);  // an empty cell is no scalar
      m.dump("episode");
      m.log("model", "epoch", i);
      m.log("model", "loss", 1.0 / i);
      m.dump("model");
    }
    m.write_text("config", "a: 1\n");
  }
  const auto files = event_files_in(dir);
  ASSERT_EQ(files.size(), 1u);
  const auto events = read_event_file(files[0]);

  // every CSV cell is one scalar, equal to the CSV's number as float
  std::map<std::string, std::vector<std::pair<int64_t, float>>> series;
  for (const auto& e : events) {
    for (const auto& v : e.values) {
      if (v.scalar) series[v.tag].emplace_back(e.step, *v.scalar);
    }
  }
  const auto episode = test::read_csv(dir / "metrics.csv");
  const auto model = test::read_csv(dir / "model.csv");
  ASSERT_EQ(series["episode/episode_return"].size(), 3u);
  ASSERT_EQ(series["episode/loss"].size(), 2u);
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(series["episode/episode_return"][r].first, 100 * static_cast<int64_t>(r + 1));
    EXPECT_EQ(
        series["episode/episode_return"][r].second,
        static_cast<float>(std::strtod(episode.column(r, "episode_return").c_str(), nullptr)));
    // no env_steps column: the row index is the step
    EXPECT_EQ(series["model/loss"][r].first, static_cast<int64_t>(r));
    EXPECT_EQ(series["model/loss"][r].second,
              static_cast<float>(std::strtod(model.column(r, "loss").c_str(), nullptr)));
  }
  bool has_config = false;
  for (const auto& e : events) {
    for (const auto& v : e.values) has_config |= v.tag == "config" && v.text == "a: 1\n";
  }
  EXPECT_TRUE(has_config);
}

TEST(EventFileTest, AResumedWriterRewritesTheEventsOfTheKeptRows) {
  SKIP_WITHOUT_EVENT_FILES();
  const fs::path dir = test::scratch_dir();
  {
    MetricsWriter m(dir);
    m.add_group("episode", "metrics.csv", {{"env_steps", MetricFormat::kInt}, {"r"}}, false);
    for (int i = 1; i <= 4; ++i) {
      m.log("episode", "env_steps", i);
      m.log("episode", "r", i);
      m.dump("episode");
    }
  }
  {
    MetricsWriter m(dir, /*resume=*/true);
    m.keep_rows_on_resume({{"episode", 2}});  // the checkpoint was taken after row 2
    m.add_group("episode", "metrics.csv", {{"env_steps", MetricFormat::kInt}, {"r"}}, false);
    m.log("episode", "env_steps", 3);
    m.log("episode", "r", 30);
    m.dump("episode");
  }
  const auto files = event_files_in(dir);
  ASSERT_EQ(files.size(), 1u);
  std::vector<float> r;
  for (const auto& e : read_event_file(files[0])) {
    for (const auto& v : e.values) {
      if (v.tag == "episode/r") r.push_back(*v.scalar);
    }
  }
  EXPECT_EQ(r, (std::vector<float>{1, 2, 30}));
}

// TensorBoard itself, when installed (Debian 12 has none): it must list the run's tags
TEST(EventFileTest, TensorBoardListsTheRunWhenInstalled) {
  SKIP_WITHOUT_EVENT_FILES();
  if (std::system("command -v tensorboard > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "no tensorboard on PATH";
  const fs::path dir = test::scratch_dir();
  {
    EventFileWriter w(dir);
    w.write_scalars(1, {{"episode/episode_return", 5.0}});
  }
  const fs::path out = dir / "inspect.txt";
  const std::string cmd =
      "tensorboard --inspect --logdir '" + dir.string() + "' > '" + out.string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_NE(read_bytes(out).find("episode/episode_return"), std::string::npos);
}

}  // namespace
}  // namespace mbrl
