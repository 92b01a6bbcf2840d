// Test paths.
#include "tests/support/testdata.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace mbrl::test {

namespace fs = std::filesystem;

fs::path source_path(const std::string& relative) { return fs::path(MBRL_SOURCE_DIR) / relative; }

fs::path binary_path(const std::string& relative) { return fs::path(MBRL_BINARY_DIR) / relative; }

fs::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  fs::path dir = fs::temp_directory_path() / ("mbrl_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace mbrl::test
