// Tests for algorithms/experiment.cc and algorithms/collect.cc: building from config, the
// resolved config, run folders and the collect loop.
#include "mbrl/algorithms/experiment.h"

#include <gtest/gtest.h>

#include "mbrl/config/loader.h"
#include "mbrl/io/atomic_file.h"
#include "tests/support/expect_throw.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

constexpr char kRandomPendulum[] = R"(
seed: 5
threads: 1
env:
  type: pendulum
  max_episode_steps: 20
agent:
  type: random
algorithm:
  type: collect
  episodes: 3
  save_buffer: true
)";

TEST(ExperimentTest, RunWritesConfigMetricsAgentAndBuffer) {
  auto dir = test::scratch_dir();
  Experiment exp(load_config_string(kRandomPendulum, "exp.yaml"), "test/pendulum");
  RunDir run = exp.create_run_dir(dir / "run");
  exp.run(run);
  for (const char* f : {"config.yaml", "metrics.csv", "agent.pt", "replay_buffer.pt"}) {
    EXPECT_TRUE(fs::exists(run.path() / f)) << f;
  }
  std::string csv = read_file(run.path() / "metrics.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "episode,env_steps,episode_return,episode_length,elapsed_s");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
}

TEST(ExperimentTest, ResolvedConfigReproducesTheRun) {
  auto dir = test::scratch_dir();
  Experiment a(load_config_string(kRandomPendulum, "exp.yaml"), "test/pendulum");
  RunDir run_a = a.create_run_dir(dir / "a");
  a.run(run_a);
  // the written config.yaml, loaded as a config, builds the same experiment
  Experiment b(load_config(run_a.config_path().string()), "ignored");
  EXPECT_EQ(b.options().name, "test/pendulum");
  EXPECT_EQ(b.resolved_yaml(), a.resolved_yaml());
  RunDir run_b = b.create_run_dir(dir / "b");
  b.run(run_b);
  auto drop_time = [](std::string csv) {  // elapsed_s is the last column
    std::string out;
    std::istringstream in(csv);
    for (std::string line; std::getline(in, line);) out += line.substr(0, line.rfind(',')) + "\n";
    return out;
  };
  EXPECT_EQ(drop_time(read_file(run_a.metrics_path())), drop_time(read_file(run_b.metrics_path())));
}

TEST(ExperimentTest, ResolvedConfigHasEveryDefault) {
  Experiment exp(load_config_string("env: {type: cartpole_swingup}\nagent: {type: random}\n"
                                    "algorithm: {type: collect}\n",
                                    "min.yaml"),
                 "min");
  const std::string yaml = exp.resolved_yaml();
  for (const char* key : {"seed: 0", "device: auto", "max_episode_steps: 200", "episodes: 10",
                          "normalize_actions: false"}) {
    EXPECT_NE(yaml.find(key), std::string::npos) << key << " not in\n" << yaml;
  }
}

TEST(ExperimentTest, BadInputsAreConfigErrors) {
  auto build = [](const std::string& yaml) {
    Experiment e(load_config_string(yaml, "x.yaml"), "x");
  };
  const std::string ok_rest = "agent: {type: random}\nalgorithm: {type: collect}\n";
  EXPECT_THROW_WITH(build("env: {type: pendulum, gravty: 1}\n" + ok_rest), ConfigError,
                    "env.gravty: unknown key 'gravty' (did you mean 'gravity'?)");
  EXPECT_THROW_WITH(build("env: {type: pendulum}\n" + ok_rest + "extra: 1\n"), ConfigError,
                    "x.yaml:4:8: extra: unknown key 'extra'");
  EXPECT_THROW_WITH(
      build("env: {type: pendulum}\nagent: {type: rand}\nalgorithm: {type: collect}\n"),
      ConfigError, "agent.type: unknown agents type 'rand'; registered:");
  EXPECT_THROW_WITH(build("env: {type: pendulum}\nagent: {type: random}\nalgorithm: {type: "
                          "collect, episodes: 0}\n"),
                    ConfigError,
                    "x.yaml:3:38: algorithm.episodes: expected a positive integer, got 0");
  EXPECT_THROW_WITH(build("seed: -1\nenv: {type: pendulum}\n" + ok_rest), ConfigError,
                    "seed: expected a non-negative integer, got '-1'");
  EXPECT_THROW_WITH(build("device: tpu\nenv: {type: pendulum}\n" + ok_rest), ConfigError,
                    "x.yaml:1:9: device: expected one of auto, cpu, cuda, got 'tpu'");
  EXPECT_THROW_WITH(build("threads: -2\nenv: {type: pendulum}\n" + ok_rest), ConfigError,
                    "threads: expected 0 (all cores) or a positive count, got -2");
  EXPECT_THROW_WITH(build("log_level: loud\nenv: {type: pendulum}\n" + ok_rest), ConfigError,
                    "log_level: expected one of trace, debug, info, warn, error, off, got 'loud'");
  EXPECT_THROW_WITH(build(ok_rest), ConfigError, "missing required key 'env'");
}

TEST(ExperimentTest, DefaultRunName) {
  EXPECT_EQ(default_run_name("configs/pets/cartpole.yaml"), "pets/cartpole");
  EXPECT_EQ(default_run_name("/x/y/configs/random/pendulum.yml"), "random/pendulum");
  EXPECT_EQ(default_run_name("/tmp/my_exp.yaml"), "my_exp");
}

TEST(ExperimentTest, EvaluateIsSeededAndUsesAFreshEnv) {
  Experiment exp(load_config_string(kRandomPendulum, "exp.yaml"), "e");
  auto r = exp.evaluate(3);
  ASSERT_EQ(r.size(), 3u);
  for (double v : r) EXPECT_LT(v, 0.0);  // pendulum rewards are never positive
}

}  // namespace
}  // namespace mbrl
