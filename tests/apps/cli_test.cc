// Tests for apps/mbrl.cc, run as a user runs it: exit codes, one-line errors, nothing written on
// bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "mbrl/core/blas_kernels.h"
#include "mbrl/io/atomic_file.h"
#include "mbrl/log/learning_curves.h"
#include "tests/support/testdata.h"
#include "tests/support/tiny_configs.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

CliResult run_cli(const std::string& args, const fs::path& cwd) {
  const fs::path out = cwd / "stdout.txt", err = cwd / "stderr.txt";
  std::string cmd = "cd '" + cwd.string() + "' && '" + test::binary_path("apps/mbrl").string() +
                    "' " + args + " > '" + out.string() + "' 2> '" + err.string() + "'";
  int status = std::system(cmd.c_str());
  CliResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

fs::path write_config(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

const std::string kValid =
    "env: {type: pendulum, max_episode_steps: 10}\nagent: {type: random}\n"
    "algorithm: {type: collect, episodes: 2}\n";

// A run with `threads: 0` under `taskset -c 0` uses one thread, not the machine's CPU count.
TEST(CliTest, ThreadsZeroUnderTasksetUsesOneThread) {
  ASSERT_EQ(std::system("command -v taskset > /dev/null"), 0) << "taskset (util-linux) missing";
  auto dir = test::scratch_dir();
  write_config(dir, "exp.yaml", kValid);
  const fs::path log = dir / "taskset.log";
  const std::string cmd =
      "cd '" + dir.string() + "' && taskset -c 0 '" + test::binary_path("apps/mbrl").string() +
      "' train exp.yaml --set threads=0 --run-dir r > '" + log.string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(log);
  EXPECT_NE(read_file(log).find("device cpu, 1 threads"), std::string::npos) << read_file(log);
}

// Started without OPENBLAS_CORETYPE, a run logs the OpenBLAS kernels it runs on; where OpenBLAS
// falls back to kernels without AVX2 on this CPU (as 0.3.21 does on Intel Xeon model 207), the
// CLI has restarted itself on the fitting ones and says so.
TEST(CliTest, RunLogsItsBlasKernels) {
  const BlasKernels here = blas_kernels();  // this test binary was restarted the same way
  if (here.chosen.empty()) GTEST_SKIP() << "LibTorch does not run on OpenBLAS here";
  auto dir = test::scratch_dir();
  write_config(dir, "exp.yaml", kValid);
  const fs::path log = dir / "blas.log";
  const std::string cmd =
      "cd '" + dir.string() + "' && env -u OPENBLAS_CORETYPE -u MBRL_OPENBLAS_REPLACED '" +
      test::binary_path("apps/mbrl").string() + "' train exp.yaml --set threads=1 --run-dir r > '" +
      log.string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(log);
  const std::string text = read_file(log);
  std::string expected = "OpenBLAS " + here.chosen + " kernels";
  if (!here.replaced.empty()) {
    expected += " (OPENBLAS_CORETYPE set by mbrl: OpenBLAS had chosen " + here.replaced;
  } else if (here.user_set) {
    GTEST_SKIP() << "OPENBLAS_CORETYPE is set for this test run";
  }
  EXPECT_NE(text.find(expected), std::string::npos) << "expected '" << expected << "' in\n" << text;
}

TEST(CliTest, TrainWritesARunAndEvalReadsIt) {
  auto dir = test::scratch_dir();
  write_config(dir, "exp.yaml", kValid);
  CliResult r = run_cli("train exp.yaml --seed 3 --device cpu --set threads=1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("run written to runs/exp/"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::is_directory(dir / "runs/exp"));
  fs::path run = fs::directory_iterator(dir / "runs/exp")->path();
  const std::string leaf = run.filename().string();
  EXPECT_EQ(leaf.substr(leaf.size() - 3), "-s3");
  for (const char* f : {"config.yaml", "metrics.csv", "log.txt", "agent.pt"}) {
    EXPECT_TRUE(fs::exists(run / f)) << f;
  }
  EXPECT_NE(read_file(run / "log.txt").find("run folder"), std::string::npos);
  CliResult e = run_cli("eval '" + run.string() + "' --episodes 2", dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("2 episodes, return"), std::string::npos) << e.out;
  // pendulum has reference returns (algorithms/normalized_score.h)
  EXPECT_NE(e.out.find("normalised score"), std::string::npos) << e.out;
  EXPECT_TRUE(fs::exists(run / "agent_eval.csv"));
}

TEST(CliTest, RunDirFlagWritesExactlyThere) {
  auto dir = test::scratch_dir();
  write_config(dir, "exp.yaml", kValid);
  CliResult r = run_cli("train exp.yaml --run-dir out/here", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "out/here/metrics.csv"));
}

// each bad input: exit code 2, a single line on stderr with the location, no run folder
struct BadInput {
  std::string name;
  std::string config;    // written to exp.yaml ("" = no file)
  std::string args;      // the command line after `mbrl`
  std::string expected;  // substring of the one error line
};
// gtest prints a case by its name (test listings and ctest names)
void PrintTo(const BadInput& c, std::ostream* out) { *out << c.name; }

class CliBadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliBadInputTest, OneLineExitTwoNothingWritten) {
  const BadInput& p = GetParam();
  auto dir = test::scratch_dir();
  if (!p.config.empty()) write_config(dir, "exp.yaml", p.config);
  CliResult r = run_cli(p.args, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(p.expected), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "runs")) << "a run folder was created";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliBadInputTest,
    ::testing::Values(
        BadInput{"UnknownKey", kValid + "agnet: {}\n", "train exp.yaml",
                 "exp.yaml:4:8: agnet: unknown key 'agnet' (did you mean 'agent'?); allowed keys:"},
        BadInput{"WrongType",
                 "env: {type: pendulum, max_episode_steps: ten}\nagent: {type: random}\n"
                 "algorithm: {type: collect}\n",
                 "train exp.yaml",
                 "exp.yaml:1:42: env.max_episode_steps: expected an integer, got 'ten'"},
        BadInput{"OutOfRange", kValid, "train exp.yaml --set algorithm.episodes=-4",
                 "--set algorithm.episodes=-4: algorithm.episodes: expected a positive integer, "
                 "got -4"},
        BadInput{"UnknownType",
                 "env: {type: pendlum}\nagent: {type: random}\nalgorithm: {type: collect}\n",
                 "train exp.yaml",
                 "exp.yaml:1:13: env.type: unknown envs type 'pendlum'; registered: "},
        BadInput{"MissingFile", "", "train nope.yaml", "nope.yaml: config file does not exist"},
        BadInput{"MalformedYaml", "env: {type: pendulum\nagent: [\n", "train exp.yaml",
                 "exp.yaml:"},
        BadInput{"BadSetSyntax", kValid, "train exp.yaml --set seed",
                 "--set seed: expected key.path=value"},
        BadInput{"BadSetType", kValid, "train exp.yaml --set seed=abc",
                 "--set seed=abc: seed: expected a non-negative integer"},
        BadInput{"BadDevice", kValid, "train exp.yaml --device gpu",
                 "device: expected one of auto, cpu, cuda, got 'gpu'"},
        BadInput{"BadCliFlag", kValid, "train exp.yaml --sed 3", "--sed"},
        BadInput{"DuplicateKey",
                 "env: {type: pendulum}\nagent: {type: random}\nalgorithm: {type: collect}\n"
                 "agent: {type: random}\n",
                 "train exp.yaml",
                 "exp.yaml:4:1: agent: duplicate key (first given at line 2, again at line 4)"},
        BadInput{"NotFiniteInFloat32", kValid, "train exp.yaml --set env.gravity=1e308",
                 "env.gravity: out of range: '1e308' is not finite in float32"},
        BadInput{"DuplicateNestedKey",
                 "env: {type: pendulum, max_episode_steps: 5, max_episode_steps: 6}\n"
                 "agent: {type: random}\nalgorithm: {type: collect}\n",
                 "train exp.yaml", "env.max_episode_steps: duplicate key"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST(CliTest, UnreadableConfigIsExitTwo) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can read any file";
  auto dir = test::scratch_dir();
  auto path = write_config(dir, "exp.yaml", kValid);
  fs::permissions(path, fs::perms::none);
  CliResult r = run_cli("train exp.yaml", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("exp.yaml: cannot open config file"), std::string::npos) << r.err;
}

// the same error path for every user, root included: a config path that is a directory
TEST(CliTest, ConfigThatIsADirectoryIsExitTwo) {
  auto dir = test::scratch_dir();
  fs::create_directory(dir / "exp.yaml");
  CliResult r = run_cli("train exp.yaml", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("exp.yaml: expected a YAML file, got a directory"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir / "runs"));
}

TEST(CliTest, HelpAndList) {
  auto dir = test::scratch_dir();
  CliResult h = run_cli("--help", dir);
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("train"), std::string::npos);
  CliResult th = run_cli("train --help", dir);
  EXPECT_EQ(th.exit_code, 0);
  EXPECT_NE(th.out.find("--set"), std::string::npos);
  CliResult l = run_cli("list envs", dir);
  EXPECT_EQ(l.exit_code, 0);
  EXPECT_NE(l.out.find("cartpole_swingup"), std::string::npos);
  EXPECT_NE(l.out.find("obs 4"), std::string::npos);
  // the design's word for the action optimizers, and the old one
  for (const char* kind : {"list planners", "list optimizers"}) {
    CliResult p = run_cli(kind, dir);
    EXPECT_EQ(p.exit_code, 0) << kind;
    EXPECT_NE(p.out.find("icem"), std::string::npos) << kind << ": " << p.out;
  }
  CliResult bad = run_cli("list widgets", dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown kind 'widgets'"), std::string::npos);
}

TEST(CliTest, EvalOfAMissingRunIsAnError) {
  auto dir = test::scratch_dir();
  CliResult r = run_cli("eval no_such_run", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no_such_run: run folder does not exist"), std::string::npos) << r.err;
}

TEST(CliTest, PlotDrawsThreeSeedsOfOneConfigAsOnePng) {
  if (!gnuplot_available()) GTEST_SKIP() << "no gnuplot on PATH";
  auto dir = test::scratch_dir();
  write_config(dir, "exp.yaml", kValid);
  std::string runs;
  for (int seed = 1; seed <= 3; ++seed) {
    const std::string run = "r" + std::to_string(seed);
    ASSERT_EQ(run_cli("train exp.yaml --seed " + std::to_string(seed) + " --run-dir " + run, dir)
                  .exit_code,
              0);
    EXPECT_TRUE(fs::exists(dir / run / "curves.png")) << run;  // every run draws its own
    runs += " " + run;
  }
  CliResult r =
      run_cli("plot" + runs + " --metric episode_return -o c.png --width 320 --height 240", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 curve(s) from 3 run(s)"), std::string::npos) << r.out;
  std::ifstream png(dir / "c.png", std::ios::binary);
  unsigned char h[24] = {0};
  png.read(reinterpret_cast<char*>(h), 24);
  EXPECT_EQ(std::string(h + 1, h + 4), "PNG");
  EXPECT_EQ((h[16] << 24) | (h[17] << 16) | (h[18] << 8) | h[19], 320);
  EXPECT_EQ((h[20] << 24) | (h[21] << 16) | (h[22] << 8) | h[23], 240);

  CliResult missing = run_cli("plot no_such_run", dir);
  EXPECT_EQ(missing.exit_code, 2);  // a DataError: bad input
  EXPECT_NE(missing.err.find("no_such_run: not a run folder"), std::string::npos) << missing.err;
}

// `mbrl plot RUN` with no options draws the run's own default curve for every run kind: the
// shipped random, PETS, SAC and MBPO configs, shortened, then a mixed set with no common column.
TEST(CliTest, PlotWithoutOptionsDrawsEveryRunKind) {
  if (!gnuplot_available()) GTEST_SKIP() << "no gnuplot on PATH";
  auto dir = test::scratch_dir();
  const std::string root = test::source_path("").string();
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"random", "configs/random/pendulum.yaml --set algorithm.episodes=2"},
      {"pets",
       "configs/pets/cartpole_quick.yaml --set env.max_episode_steps=10 "
       "--set algorithm.num_trials=1 --set agent.optimizer.population_size=8 "
       "--set agent.optimizer.num_iterations=1 --set agent.planning_horizon=2 "
       "--set algorithm.model_training.num_epochs=1"},
      {"sac",
       "configs/sac/pendulum.yaml --set env.max_episode_steps=20 --set algorithm.num_steps=40 "
       "--set algorithm.initial_random_steps=20 --set algorithm.eval_every=20 "
       "--set algorithm.eval_episodes=1"},
      {"mbpo",
       "configs/mbpo/pendulum.yaml --set env.max_episode_steps=20 --set algorithm.num_steps=40 "
       "--set algorithm.epoch_length=20 --set algorithm.initial_random_steps=20 "
       "--set algorithm.model_train_freq=20 --set algorithm.eval_every=20 "
       "--set algorithm.eval_episodes=1 --set algorithm.model_training.max_gradient_steps=5"},
  };
  for (const auto& [name, args] : runs) {
    CliResult train =
        run_cli("train " + root + "/" + args + " --set threads=1 --run-dir " + name, dir);
    ASSERT_EQ(train.exit_code, 0) << name << ": " << train.err;
    CliResult r = run_cli("plot " + name + " -o " + name + ".png", dir);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const std::string metric = name == "sac" || name == "mbpo" ? "eval_return" : "episode_return";
    EXPECT_NE(r.out.find(metric + " against env_steps"), std::string::npos) << name << r.out;
    std::ifstream png(dir / (name + ".png"), std::ios::binary);
    char h[4] = {0};
    png.read(h, 4);
    EXPECT_EQ(std::string(h + 1, h + 4), "PNG") << name;
  }
  // SAC and PETS together: the curve both have
  CliResult both = run_cli("plot sac pets -o both.png", dir);
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_NE(both.out.find("episode_return against env_steps, 2 curve(s)"), std::string::npos)
      << both.out;
  // no common column: one line naming the columns, exit 2 (bad input)
  CliResult none = run_cli("plot pets --metric eval_return", dir);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("metrics.csv [trial, env_steps"), std::string::npos) << none.err;
  EXPECT_EQ(std::count(none.err.begin(), none.err.end(), '\n'), 1) << none.err;
}

TEST(CliTest, DiagnoseWritesTheTablesOfATrainedModel) {
  auto dir = test::scratch_dir();
  const std::string root = test::source_path("").string();
  CliResult train =
      run_cli("train " + root +
                  "/configs/pets/cartpole_quick.yaml --set env.max_episode_steps=12 "
                  "--set algorithm.num_trials=3 --set agent.optimizer.population_size=8 "
                  "--set agent.optimizer.num_iterations=1 --set agent.planning_horizon=2 "
                  "--set algorithm.model_training.num_epochs=1 --set algorithm.keep_models=true "
                  "--set threads=1 --run-dir pets",
              dir);
  ASSERT_EQ(train.exit_code, 0) << train.err;
  CliResult r = run_cli("diagnose pets --episodes 2 --horizon 4 --samples 8", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("k-step open-loop MSE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expected calibration error"), std::string::npos) << r.out;
  const fs::path diag = dir / "pets" / "diagnostics";
  for (const char* f : {"kstep_error.csv", "calibration.csv", "disagreement.csv", "summary.txt"}) {
    EXPECT_TRUE(fs::exists(diag / f)) << f;
  }
  // header and one row per k
  const std::string kstep = read_file(diag / "kstep_error.csv");
  EXPECT_EQ(kstep.substr(0, kstep.find('\n')), "k,obs_0,obs_1,obs_2,obs_3,all");
  EXPECT_EQ(std::count(kstep.begin(), kstep.end(), '\n'), 5);
  EXPECT_EQ(fs::exists(diag / "kstep_error.png"), gnuplot_available());  // else a warning
  // the objective-mismatch table: one row per kept model (trials 1..3), and its correlation
  const std::string mismatch = read_file(diag / "mismatch.csv");
  EXPECT_EQ(mismatch.substr(0, mismatch.find('\n')),
            "trial,holdout_loss,holdout_mse,episode_return");
  EXPECT_EQ(std::count(mismatch.begin(), mismatch.end(), '\n'), 4) << mismatch;
  EXPECT_NE(r.out.find("objective mismatch over 3 kept models"), std::string::npos) << r.out;
  EXPECT_EQ(fs::exists(diag / "mismatch.png"), gnuplot_available());

  // held-out episodes from a D4RL file: the agent's own rollouts, 4 episodes of 12 steps
  ASSERT_EQ(run_cli("collect pets -o held.hdf5 --transitions 48", dir).exit_code, 0);
  CliResult from_file = run_cli("diagnose pets --episodes held.hdf5 --horizon 4 --samples 8", dir);
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_NE(from_file.out.find("held out: 4 episodes (48 transitions) of held.hdf5"),
            std::string::npos)
      << from_file.out;
  EXPECT_NE(from_file.out.find("objective mismatch over 3 kept models"), std::string::npos);
  CliResult capped = run_cli(
      "diagnose pets --episodes held.hdf5 --max-transitions 12 --horizon 4 --samples 8", dir);
  EXPECT_NE(capped.out.find("held out: 1 episodes (12 transitions)"), std::string::npos)
      << capped.out << capped.err;
  CliResult missing = run_cli("diagnose pets --episodes nowhere.hdf5", dir);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--episodes: expected a count or a D4RL-layout file"),
            std::string::npos)
      << missing.err;

  // a bad option and a run without a model: one line, exit 2
  CliResult bad = run_cli("diagnose pets --horizon 0", dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--horizon: expected a positive integer, got 0"), std::string::npos)
      << bad.err;
  write_config(dir, "random.yaml", kValid);
  ASSERT_EQ(run_cli("train random.yaml --set threads=1 --run-dir random", dir).exit_code, 0);
  CliResult no_model = run_cli("diagnose random", dir);
  EXPECT_EQ(no_model.exit_code, 2);
  EXPECT_NE(no_model.err.find("the run has no learned model"), std::string::npos) << no_model.err;
  EXPECT_EQ(std::count(no_model.err.begin(), no_model.err.end(), '\n'), 1) << no_model.err;
  // episodes of another env (pendulum: obs 3, act 1) do not fit the cart-pole run's model
  ASSERT_EQ(run_cli("collect random -o pendulum.hdf5 --transitions 20", dir).exit_code, 0);
  CliResult other_env = run_cli("diagnose pets --episodes pendulum.hdf5", dir);
  EXPECT_EQ(other_env.exit_code, 2);
  EXPECT_NE(other_env.err.find("pendulum.hdf5: observations and actions have 3 and 1 columns"),
            std::string::npos)
      << other_env.err;
}

// MBPO with keep_models: one model per evaluation, paired with that evaluation's return
TEST(CliTest, DiagnoseScoresTheModelOfEachMbpoEvaluation) {
  auto dir = test::scratch_dir();
  std::string args = "train " + test::source_path("configs/mbpo/pendulum.yaml").string() +
                     " --run-dir mbpo --set algorithm.keep_models=true";
  std::vector<std::string> overrides = test::tiny_mbpo_overrides();
  overrides.insert(overrides.end(), {"algorithm.num_steps=400", "algorithm.sac_updates_per_step=1",
                                     "algorithm.model_training.num_epochs=2"});
  for (const auto& o : overrides) args += " --set '" + o + "'";
  CliResult train = run_cli(args, dir);
  ASSERT_EQ(train.exit_code, 0) << train.err;
  for (int step : {100, 200, 300, 400})
    EXPECT_TRUE(fs::exists(dir / "mbpo" / "models" / ("step_" + std::to_string(step) + ".pt")));
  CliResult r = run_cli("diagnose mbpo --episodes 2 --horizon 4 --samples 8", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string mismatch = read_file(dir / "mbpo" / "diagnostics" / "mismatch.csv");
  EXPECT_EQ(mismatch.substr(0, mismatch.find('\n')),
            "env_steps,holdout_loss,holdout_mse,eval_return");
  EXPECT_EQ(std::count(mismatch.begin(), mismatch.end(), '\n'), 5) << mismatch;
  EXPECT_NE(r.out.find("objective mismatch over 4 kept models"), std::string::npos) << r.out;
}

TEST(CliTest, BadReproduceTableIsOneLineExitTwo) {
  auto dir = test::scratch_dir();
  write_config(dir, "table.yaml", "title: t\nentries:\n  a: {config: nothing.yaml}\n");
  CliResult r = run_cli("reproduce table.yaml", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("table.yaml:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no config file"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "runs"));
  EXPECT_EQ(run_cli("reproduce no_such_table", dir).exit_code, 2);
}

}  // namespace
}  // namespace mbrl
