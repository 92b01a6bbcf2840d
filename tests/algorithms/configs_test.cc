// Builds every shipped config in configs/ (without running it): each must parse, build every
// component, and produce a resolved config that builds the same experiment again. Files under a
// `blocks/` folder are fragments that configs compose with `defaults:`, not runnable configs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "mbrl/algorithms/experiment.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/envs/env_registry.h"
#include "tests/support/d4rl_fixtures.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> shipped_configs() {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(test::source_path("configs"))) {
    const auto folder = e.path().parent_path().filename();
    // fragments, reproduction tables and sweeps are not configs (sweep_test.cc loads sweeps)
    const bool fragment = folder == "blocks" || folder == "reproduce" || folder == "sweeps";
    if (e.is_regular_file() && e.path().extension() == ".yaml" && !fragment) {
      out.push_back(fs::relative(e.path(), test::source_path("")).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ShippedConfigTest : public ::testing::TestWithParam<std::string> {};

// An offline config names a dataset the user makes first (docs/offline_datasets.md): stand in
// a small random one of the config's env, written by the same code `mbrl collect` uses.
std::vector<std::string> dataset_override(const fs::path& config_path) {
  const ConfigNode config = load_config(config_path.string());
  if (!config.child("algorithm").has("dataset")) return {};
  auto env = make_env(config.child("env"), BuildContext{});
  const fs::path file = test::scratch_dir() / "dataset.hdf5";
  test::write_random_d4rl(*env, file, 300);
  return {"algorithm.dataset=" + file.string()};
}

TEST_P(ShippedConfigTest, BuildsAndRoundTrips) {
  const fs::path path = test::source_path(GetParam());
  // threads: 1 keeps parallel test processes from oversubscribing the machine
  std::vector<std::string> overrides = {"threads=1", "device=cpu"};
  for (const auto& o : dataset_override(path)) overrides.push_back(o);
  Experiment exp(load_config(path.string(), overrides), default_run_name(path));
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
