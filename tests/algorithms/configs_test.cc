// Builds every shipped config in configs/ (without running it): each must parse, build every
// component, and produce a resolved config that builds the same experiment again. Files under a
// `blocks/` folder are fragments that configs compose with `defaults:`, not runnable configs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "mbrl/algorithms/experiment.h"
#include "mbrl/config/loader.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> shipped_configs() {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(test::source_path("configs"))) {
    const auto folder = e.path().parent_path().filename();
    const bool fragment = folder == "blocks" || folder == "reproduce";  // tables, not configs
    if (e.is_regular_file() && e.path().extension() == ".yaml" && !fragment) {
      out.push_back(fs::relative(e.path(), test::source_path("")).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ShippedConfigTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedConfigTest, BuildsAndRoundTrips) {
  const fs::path path = test::source_path(GetParam());
  // threads: 1 keeps parallel test processes from oversubscribing the machine
  Experiment exp(load_config(path.string(), {"threads=1", "device=cpu"}), default_run_name(path));
  EXPECT_FALSE(exp.options().name.empty());
  const std::string resolved = exp.resolved_yaml();
  Experiment again(load_config_string(resolved, "resolved.yaml"), "ignored");
  EXPECT_EQ(again.resolved_yaml(), resolved);
}

INSTANTIATE_TEST_SUITE_P(Configs, ShippedConfigTest, ::testing::ValuesIn(shipped_configs()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(ShippedConfigTest, TheDefaultRunExists) {
  EXPECT_TRUE(fs::exists(test::source_path("configs/pets/cartpole_quick.yaml")));
}

}  // namespace
}  // namespace mbrl
