// Tests for config/loader.cc and config/overrides.cc: files, composition and --set.
#include "mbrl/config/loader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "mbrl/config/overrides.h"
#include "tests/support/expect_throw.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

fs::path write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

TEST(LoaderTest, MissingFile) {
  EXPECT_THROW_WITH(load_config("/nonexistent/x.yaml"), ConfigError,
                    "/nonexistent/x.yaml: config file does not exist");
}

TEST(LoaderTest, DirectoryInsteadOfFile) {
  auto dir = test::scratch_dir();
  EXPECT_THROW_WITH(load_config(dir.string()), ConfigError,
                    "expected a YAML file, got a directory");
}

TEST(LoaderTest, DuplicateKeysNameBothLinesAndTheKeyPath) {
  auto dir = test::scratch_dir();
  auto top = write(dir / "top.yaml", "seed: 1\nenv: {type: pendulum}\nseed: 2\n");
  EXPECT_THROW_WITH(
      load_config(top.string()), ConfigError,
      top.string() + ":3:1: seed: duplicate key (first given at line 1, again at line 3)");
  auto nested = write(dir / "nested.yaml", "env:\n  type: pendulum\n  gravity: 9\n  gravity: 10\n");
  EXPECT_THROW_WITH(load_config(nested.string()), ConfigError,
                    "env.gravity: duplicate key (first given at line 3, again at line 4)");
}

TEST(LoaderTest, MalformedYamlNamesLineAndColumn) {
  auto dir = test::scratch_dir();
  auto path = write(dir / "bad.yaml", "seed: 1\nenv:\n  type: [pendulum\n");
  try {
    load_config(path.string());
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ":"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("malformed YAML"), std::string::npos) << e.what();
    EXPECT_EQ(e.where().rfind(path.string() + ":", 0), 0u) << e.where();
  }
}

TEST(LoaderTest, TopLevelMustBeAMap) {
  EXPECT_THROW_WITH(load_config_string("- 1\n- 2\n", "list.yaml"), ConfigError,
                    "list.yaml: expected a map of keys at the top level");
}

TEST(LoaderTest, DefaultsAreMergedAndOwnKeysWin) {
  auto dir = test::scratch_dir();
  write(dir / "env/pendulum.yaml", "env:\n  type: pendulum\n  gravity: 9.0\n");
  auto path =
      write(dir / "exp.yaml", "defaults: [env/pendulum.yaml]\nenv:\n  gravity: 11.0\nseed: 3\n");
  auto c = load_config(path.string());
  auto env = c.child("env");
  EXPECT_EQ(env.get<std::string>("type"), "pendulum");
  EXPECT_DOUBLE_EQ(env.get<double>("gravity"), 11.0);
  // positions name the file each key came from
  EXPECT_EQ(
      env.where("type").rfind((dir / "env/pendulum.yaml").lexically_normal().string() + ":2:", 0),
      0u)
      << env.where("type");
  EXPECT_EQ(env.where("gravity").rfind(path.string() + ":3:", 0), 0u) << env.where("gravity");
}

TEST(LoaderTest, MissingDefaultsFile) {
  auto dir = test::scratch_dir();
  auto path = write(dir / "exp.yaml", "defaults: [nope.yaml]\n");
  EXPECT_THROW_WITH(load_config(path.string()), ConfigError, "included file does not exist");
}

TEST(LoaderTest, CircularDefaults) {
  auto dir = test::scratch_dir();
  write(dir / "a.yaml", "defaults: [b.yaml]\n");
  write(dir / "b.yaml", "defaults: [a.yaml]\n");
  EXPECT_THROW_WITH(load_config((dir / "a.yaml").string()), ConfigError, "circular include");
}

TEST(LoaderTest, OverridesApplyBeforeValidationAndNameTheSet) {
  auto c = load_config_string("agent:\n  horizon: 15\n", "x.yaml",
                              {"agent.horizon=30", "agent.optimizer.type=cem", "seed=abc"});
  auto agent = c.child("agent");
  EXPECT_EQ(agent.get<int>("horizon"), 30);
  EXPECT_EQ(agent.child("optimizer").get<std::string>("type"), "cem");
  EXPECT_THROW_WITH(c.get<int>("seed"), ConfigError,
                    "--set seed=abc: seed: expected an integer, got 'abc'");
}

TEST(LoaderTest, OverrideValuesAreYaml) {
  auto c = load_config_string("{}", "x.yaml", {"list=[1, 2]", "flag=true"});
  EXPECT_EQ(c.get<std::vector<int>>("list"), (std::vector<int>{1, 2}));
  EXPECT_TRUE(c.get<bool>("flag"));
}

TEST(LoaderTest, BadOverrideSyntax) {
  EXPECT_THROW_WITH(load_config_string("{}", "x.yaml", {"noequals"}), ConfigError,
                    "--set noequals: expected key.path=value");
  EXPECT_THROW_WITH(load_config_string("{}", "x.yaml", {"=3"}), ConfigError,
                    "expected key.path=value");
  EXPECT_THROW_WITH(load_config_string("{}", "x.yaml", {"a..b=3"}), ConfigError,
                    "expected key.path=value");
  EXPECT_THROW_WITH(load_config_string("{}", "x.yaml", {"a="}), ConfigError,
                    "expected a value after '='");
  EXPECT_THROW_WITH(load_config_string("{}", "x.yaml", {"a=[1,"}), ConfigError,
                    "value is not valid YAML");
}

TEST(LoaderTest, OverrideIntoScalarIsAnError) {
  EXPECT_THROW_WITH(load_config_string("seed: 1\n", "x.yaml", {"seed.x=3"}), ConfigError,
                    "--set seed.x=3: seed.x: cannot set a key inside 'seed', which is not a map");
}

TEST(LoaderTest, UnknownKeyFromOverrideNamesTheOverride) {
  auto c = load_config_string("seed: 1\n", "x.yaml", {"sed=2"});
  c.get_or("seed", 0);
  EXPECT_THROW_WITH(c.check_all_read(), ConfigError, "--set sed=2: sed: unknown key 'sed'");
}

}  // namespace
}  // namespace mbrl
