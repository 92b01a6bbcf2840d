// Tests for log/progress.cc: the text of a progress line.
#include "mbrl/log/progress.h"

#include <gtest/gtest.h>

namespace mbrl {
namespace {

TEST(ProgressTest, FormatsDurations) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(3725), "1:02:05");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(ProgressTest, LineShowsCountPercentAndStatus) {
  Progress p("env steps", 200, 50);
  p.update(100, "eval -145.2 at 100");
  const std::string line = p.line();
  EXPECT_NE(line.find("env steps ["), std::string::npos) << line;
  EXPECT_NE(line.find("100/200"), std::string::npos) << line;
  EXPECT_NE(line.find(" 50%"), std::string::npos) << line;
  EXPECT_NE(line.find("############............"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA "), std::string::npos) << line;
  EXPECT_NE(line.find("eval -145.2 at 100"), std::string::npos) << line;
}

}  // namespace
}  // namespace mbrl
