// Tests for algorithms/offline_mbpo.cc (`type: mopo`): penalties, the gradient-step loop, its
// metrics, determinism and bad input. Kill-and-resume is in resume_test.cc.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/agents/sac_agent.h"
#include "mbrl/algorithms/d4rl_collect.h"
#include "mbrl/algorithms/episode.h"
#include "mbrl/algorithms/experiment.h"
#include "mbrl/algorithms/offline_mbpo.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/d4rl_dataset.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/uncertainty.h"
#include "tests/support/csv.h"
#include "tests/support/d4rl_fixtures.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"
#include "tests/support/tiny_configs.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

class OfflineMbpoTest : public test::MbrlTest {};

// every value of column `name` of the CSV file at `path`
std::vector<double> column(const fs::path& path, const std::string& name) {
  const test::Csv csv = test::read_csv(path);
  std::vector<double> out;
  for (size_t r = 0; r < csv.rows.size(); ++r) out.push_back(std::stod(csv.column(r, name)));
  return out;
}

// a random dataset of `env_type` written to `file` (what `mbrl collect` of a random config makes)
void write_random_dataset(const std::string& env_type, const fs::path& file, int64_t rows) {
  auto env = make_env(load_config_string("type: " + env_type, "test"), BuildContext{});
  test::write_random_d4rl(*env, file, rows);
}

// the shipped pendulum config of `algorithm` (mopo, ravl), tiny, on `dataset`, writing runs under
// `root`
Experiment tiny_experiment(const fs::path& dataset, const fs::path& root,
                           std::vector<std::string> more = {},
                           const std::string& algorithm = "mopo") {
  std::vector<std::string> overrides = test::tiny_ensemble_sac_overrides();
  overrides.insert(
      overrides.end(),
      {"run_root=" + root.string(), "algorithm.dataset=" + dataset.string(),
       "algorithm.num_steps=40", "algorithm.rollout_freq=20", "algorithm.rollout_batch_size=50",
       "algorithm.rollout_length=2", "algorithm.eval_every=20", "algorithm.eval_episodes=1",
       "algorithm.model_training.num_epochs=2"});
  if (algorithm == "ravl") overrides.push_back("agent.num_critics=3");
  overrides.insert(overrides.end(), more.begin(), more.end());
  return Experiment(
      load_config(test::source_path("configs/" + algorithm + "/pendulum_medium.yaml").string(),
                  overrides),
      algorithm);
}

TEST_F(OfflineMbpoTest, PenaltiesEqualHandComputations) {
  // 2 members, 2 rows, 2 target dims
  const torch::Tensor mean = torch::tensor({{{0.f, 0.f}, {1.f, 1.f}}, {{3.f, 4.f}, {1.f, 2.f}}});
  const torch::Tensor std = torch::tensor({{{1.f, 2.f}, {0.f, 1.f}}, {{2.f, 2.f}, {3.f, 4.f}}});
  const Uncertainty u = ensemble_uncertainty(mean, std, torch::Tensor());
  const auto expect = [&](PenaltyKind kind, std::vector<float> values) {
    EXPECT_TRUE(torch::allclose(penalty_uncertainty(u, kind), torch::tensor(values), 1e-5, 1e-6))
        << penalty_name(kind) << ": " << penalty_uncertainty(u, kind);
  };
  // MOPO: max over members of |sigma_b|_2: row 0 max(sqrt 5, sqrt 8), row 1 max(1, 5)
  expect(PenaltyKind::kMaxAleatoric, {std::sqrt(8.f), 5.f});
  // the one pair's mean distance: |(3, 4)| = 5, |(0, 1)| = 1
  expect(PenaltyKind::kMaxPairwiseDiff, {5.f, 1.f});
  // distance of each member to the mean of the two: half the pair's
  expect(PenaltyKind::kMaxDeviation, {2.5f, 0.5f});
  // sqrt(mean over dims of the population variance): row 0 sqrt((2.25 + 4) / 2), row 1 sqrt(0.125)
  expect(PenaltyKind::kEnsembleStd, {std::sqrt(3.125f), std::sqrt(0.125f)});
  EXPECT_EQ(penalty_kind("ensemble_std"), PenaltyKind::kEnsembleStd);
  EXPECT_THROW_WITH(penalty_kind("variance"), InvalidArgument,
                    "expected one of none, max_aleatoric, max_pairwise_diff, max_deviation, "
                    "ensemble_std, log_likelihood_var, bellman_inconsistency, got 'variance'");
}

TEST_F(OfflineMbpoTest, TrainsInGradientStepsAndLogsTheNormalisedScore) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  Experiment experiment = tiny_experiment(dir / "data.hdf5", dir);
  RunDir run = experiment.create_run_dir();
  experiment.run(run);
  auto loop = std::dynamic_pointer_cast<OfflineMbpo>(experiment.algorithm());
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->gradient_steps(), 40);
  EXPECT_EQ(loop->dataset().size(), 298);  // 300 rows less the timeout row 199 and the last
  ASSERT_EQ(loop->evaluations().size(), 2u);

  const fs::path eval = run.path() / "eval.csv";
  EXPECT_EQ(column(eval, "gradient_steps"), std::vector<double>({20, 40}));
  const ReferenceReturns pendulum = reference_returns("pendulum").value();
  EXPECT_NEAR(column(eval, "normalized_score")[1],
              normalized_score(column(eval, "eval_return")[1], pendulum), 1e-2);
  const fs::path model = run.path() / "model.csv";
  EXPECT_EQ(column(model, "gradient_steps"), std::vector<double>({0, 20}));
  EXPECT_EQ(column(model, "rollout_transitions"), std::vector<double>({100, 100}));
  EXPECT_EQ(column(model, "model_buffer_size"), std::vector<double>({100, 200}));
  EXPECT_GT(column(model, "rollout_penalty")[0], 0);
  EXPECT_EQ(column(run.path() / "metrics.csv", "gradient_steps"), std::vector<double>({20, 40}));
  EXPECT_TRUE(fs::exists(run.path() / "agent.pt"));
  EXPECT_TRUE(fs::exists(checkpoint_path(run)));
}

// the same draws with lambda = 0 and lambda = 2: every penalised reward is lower by 2 u
TEST_F(OfflineMbpoTest, PenaltyLowersRolloutRewardsByLambdaTimesU) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  const auto first_rollout = [&](double coef) {
    Experiment e =
        tiny_experiment(dir / "data.hdf5", dir, {"algorithm.penalty_coef=" + std::to_string(coef)});
    e.run(e.create_run_dir());
    auto loop = std::dynamic_pointer_cast<OfflineMbpo>(e.algorithm());
    return loop->model_buffer()->all().reward.slice(0, 0, 100);
  };
  const torch::Tensor plain = first_rollout(0.0);
  const torch::Tensor penalised = first_rollout(2.0);
  const torch::Tensor u = (plain - penalised) / 2;
  EXPECT_GT(u.min().item<double>(), 0);  // max aleatoric is a norm of stds > 0
  // and u is the max aleatoric norm the model reports for the stored transitions
  Experiment e = tiny_experiment(dir / "data.hdf5", dir, {"algorithm.penalty_coef=0"});
  e.run(e.create_run_dir());
  auto loop = std::dynamic_pointer_cast<OfflineMbpo>(e.algorithm());
  const TransitionBatch rows = loop->model_buffer()->all().slice(0, 100);
  auto* aware = dynamic_cast<const UncertaintyAware*>(e.model().get());
  ASSERT_NE(aware, nullptr);
  at::Generator gen = at::detail::createCPUGenerator(0);
  ModelEnv model_env(ModelEnvOptions(), e.model(), nullptr, gen);
  const ModelStepResult step = model_env.step(rows.obs, rows.act, /*with_uncertainty=*/true);
  // the final model differs from the first rollout's only if training changed it: it did not
  // (the model is trained once, before the first rollout)
  EXPECT_TRUE(torch::allclose(u, step.uncertainty.aleatoric_max_norm, 1e-4, 1e-5));
}

TEST_F(OfflineMbpoTest, SameSeedSameRun) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  std::vector<std::vector<std::string>> evals;
  for (int i = 0; i < 2; ++i) {
    Experiment e = tiny_experiment(dir / "data.hdf5", dir);
    RunDir run = e.create_run_dir(dir / ("run" + std::to_string(i)));
    e.run(run);
    evals.push_back(test::rows_without_times(run.path() / "eval.csv"));
  }
  EXPECT_EQ(evals[0], evals[1]);
}

TEST_F(OfflineMbpoTest, ResumingOnAnotherDatasetIsRefused) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  Experiment e = tiny_experiment(dir / "data.hdf5", dir);
  RunDir run = e.create_run_dir();
  e.run(run);
  write_random_dataset("pendulum", dir / "data.hdf5", 320);  // the file changed since
  Experiment again(load_config(run.config_path().string()), "mopo");
  EXPECT_THROW_WITH(again.resume(run), DataError,
                    "data.hdf5: not the dataset this run started with (318 transitions now, "
                    "298 in the checkpoint");
}

// A run writes its fitted model to model.pt; a run given it as model_file skips the fit and then
// runs exactly as the run that fitted it (the fit draws only from its own generator)
TEST_F(OfflineMbpoTest, ModelFileSkipsTheFitAndContinuesAsTheFittingRun) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  Experiment fitting = tiny_experiment(dir / "data.hdf5", dir);
  RunDir fitted = fitting.create_run_dir(dir / "fitted");
  fitting.run(fitted);
  ASSERT_TRUE(fs::exists(fitted.path() / "model.pt"));

  Experiment reading = tiny_experiment(
      dir / "data.hdf5", dir, {"algorithm.model_file=" + (dir / "fitted/model.pt").string()});
  RunDir read = reading.create_run_dir(dir / "read");
  reading.run(read);
  EXPECT_FALSE(fs::exists(read.path() / "model.pt"));
  const fs::path no_fit = read.path() / "model_train.csv";  // no epoch was trained
  EXPECT_TRUE(!fs::exists(no_fit) || test::read_csv(no_fit).rows.empty());
  EXPECT_FALSE(test::read_csv(fitted.path() / "model_train.csv").rows.empty());
  EXPECT_EQ(test::rows_without_times(read.path() / "eval.csv"),
            test::rows_without_times(fitted.path() / "eval.csv"));
  EXPECT_EQ(test::rows_without_times(read.path() / "model.csv"),
            test::rows_without_times(fitted.path() / "model.csv"));

  // a model fitted on other data, a missing file and a file that is no model are refused before
  // any run folder is written
  write_random_dataset("pendulum", dir / "other.hdf5", 320);
  const std::string model_file = "algorithm.model_file=" + (dir / "fitted/model.pt").string();
  EXPECT_THROW_WITH(tiny_experiment(dir / "other.hdf5", dir / "refused", {model_file}), DataError,
                    "model.pt: fitted on another dataset (298 transitions; ");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir / "refused",
                                    {"algorithm.model_file=" + (dir / "absent.pt").string()}),
                    IoError, "absent.pt: no such file");
  std::ofstream(dir / "garbage.pt") << "not a torch archive";
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir / "refused",
                                    {"algorithm.model_file=" + (dir / "garbage.pt").string()}),
                    DataError, "garbage.pt: not a model file");
  EXPECT_FALSE(fs::exists(dir / "refused"));
}

// Lu et al.'s log-likelihood variance as the penalty: rollouts lowered by it, not with MOREC
TEST_F(OfflineMbpoTest, LogLikelihoodVariancePenalisesRollouts) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  Experiment e = tiny_experiment(dir / "data.hdf5", dir, {"algorithm.penalty=log_likelihood_var"});
  RunDir run = e.create_run_dir();
  e.run(run);
  const std::vector<double> u = column(run.path() / "model.csv", "rollout_penalty");
  ASSERT_EQ(u.size(), 2u);
  EXPECT_GT(u[0], 0);
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir,
                                    {"algorithm.penalty=log_likelihood_var",
                                     "algorithm.dynamics_reward.iterations=10"},
                                    "morec_mopo"),
                    ConfigError, "log_likelihood_var reads the step's own draw");
}

// a dynamics reward small enough for a test
const std::vector<std::string> kTinyDynamicsReward{
    "algorithm.dynamics_reward.hidden_size=8", "algorithm.dynamics_reward.pretrain_steps=20",
    "algorithm.dynamics_reward.iterations=100", "algorithm.dynamics_reward.snapshot_every=10"};

// MOREC-MOPO: the dynamics reward is learned once, and every stored rollout transition that it
// scores below the threshold ends its rollout (is stored as terminal)
TEST_F(OfflineMbpoTest, MorecStoresTransitionsScoredBelowTheThresholdAsTerminal) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  std::vector<std::string> more = kTinyDynamicsReward;
  more.push_back("algorithm.rollout_length=4");
  // near the median r_D of this tiny run's candidates, so some rollouts stop and some go on
  more.push_back("algorithm.dynamics_reward.stop_below=0.73");
  Experiment e = tiny_experiment(dir / "data.hdf5", dir, more, "morec_mopo");
  RunDir run = e.create_run_dir();
  e.run(run);
  auto loop = std::dynamic_pointer_cast<OfflineMbpo>(e.algorithm());
  ASSERT_TRUE(loop);
  ASSERT_NE(loop->dynamics_reward(), nullptr);
  const DynamicsReward& reward = *loop->dynamics_reward();
  EXPECT_GE(reward->snapshots(), 1);
  EXPECT_LE(reward->snapshots(), 10);
  EXPECT_EQ(column(run.path() / "dynamics_reward.csv", "iteration").size(), 10u);

  const TransitionBatch stored = loop->model_buffer()->all();
  const at::Tensor r_d = reward->score(stored.obs, stored.act, stored.next_obs);
  const at::Tensor low = r_d < 0.73;
  EXPECT_TRUE(stored.terminated.logical_or(low.logical_not()).all().item<bool>());
  const fs::path model = run.path() / "model.csv";
  const std::vector<double> stops = column(model, "rollout_filter_stops");
  const std::vector<double> chosen = column(model, "rollout_dynamics_reward");
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_GT(stops[0], 0.0);
  EXPECT_LT(stops[0], 1.0);
  EXPECT_GT(low.sum().item<int64_t>(), 0);
  // the first batch: the mean r_D of its stored transitions (those of the second batch follow)
  const int64_t first = static_cast<int64_t>(column(model, "rollout_transitions")[0]);
  EXPECT_NEAR(chosen[0], r_d.narrow(0, 0, first).mean().item<double>(), 1e-4);

  // the filter needs an ensemble to draw candidates from, and sane keys
  EXPECT_THROW_WITH(
      tiny_experiment(dir / "data.hdf5", dir, {"algorithm.dynamics_reward.clip=2"}, "morec_mopo"),
      ConfigError, "algorithm.dynamics_reward.clip: expected a number in (0, 1]");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir,
                                    {"algorithm.dynamics_reward.sample_count=2"}, "morec_mopo"),
                    ConfigError, "sample_count");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir,
                                    {"algorithm.dynamics_reward.choice=first"}, "morec_mopo"),
                    ConfigError, "algorithm.dynamics_reward.choice: expected best or softmax");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir,
                                    {"algorithm.dynamics_reward.choice=softmax",
                                     "algorithm.dynamics_reward.softmax_temperature=0"},
                                    "morec_mopo"),
                    ConfigError, "softmax_temperature");
}

// MOREC's softmax_elite: with a softmax choice the stored transitions are draws, so their mean
// dynamics reward falls below the best-of choice's on the same run up to the first rollout
TEST_F(OfflineMbpoTest, MorecSoftmaxChoiceDrawsAmongTheCandidates) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  std::vector<std::string> more = kTinyDynamicsReward;
  more.push_back("algorithm.rollout_length=1");
  more.push_back("algorithm.dynamics_reward.stop_below=-1");
  const auto first_batch_score = [&](const std::vector<std::string>& extra, const char* name) {
    std::vector<std::string> sets = more;
    sets.insert(sets.end(), extra.begin(), extra.end());
    Experiment e = tiny_experiment(dir / "data.hdf5", dir / name, sets, "morec_mopo");
    RunDir run = e.create_run_dir();
    e.run(run);
    return column(run.path() / "model.csv", "rollout_dynamics_reward").at(0);
  };
  const double best = first_batch_score({}, "best");
  // a high temperature: nearly uniform draws among the candidates
  const double soft = first_batch_score({"algorithm.dynamics_reward.choice=softmax",
                                         "algorithm.dynamics_reward.softmax_temperature=100"},
                                        "soft");
  EXPECT_LT(soft, best - 1e-3);
}

// model-free offline learning: behaviour cloning on the dataset alone
TEST_F(OfflineMbpoTest, BehaviourCloningLearnsFromTheDatasetAlone) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  auto bc_experiment = [&](std::vector<std::string> more) {
    std::vector<std::string> overrides{"run_root=" + dir.string(),
                                       "env.max_episode_steps=50",
                                       "agent.hidden_size=16",
                                       "agent.batch_size=32",
                                       "algorithm.dataset=" + (dir / "data.hdf5").string(),
                                       "algorithm.num_steps=40",
                                       "algorithm.eval_every=20",
                                       "algorithm.eval_episodes=1"};
    overrides.insert(overrides.end(), more.begin(), more.end());
    return Experiment(
        load_config(test::source_path("configs/bc/pendulum_medium.yaml").string(), overrides),
        "bc");
  };
  Experiment e = bc_experiment({});
  RunDir run = e.create_run_dir();
  e.run(run);
  auto loop = std::dynamic_pointer_cast<OfflineMbpo>(e.algorithm());
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->gradient_steps(), 40);
  EXPECT_EQ(loop->model_buffer(), nullptr);
  EXPECT_EQ(column(run.path() / "eval.csv", "gradient_steps"), std::vector<double>({20, 40}));
  const std::vector<double> loss = column(run.path() / "metrics.csv", "bc_loss");
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_LT(loss[1], loss[0]);
  EXPECT_FALSE(fs::exists(run.path() / "model.csv"));
  EXPECT_TRUE(fs::exists(checkpoint_path(run)));

  EXPECT_THROW_WITH(bc_experiment({"algorithm.rollout_length=5"}), ConfigError,
                    "algorithm.rollout_length");
  EXPECT_THROW_WITH(bc_experiment({"model.type=gaussian_mlp_ensemble"}), ConfigError,
                    "learns from the dataset alone; remove the 'model' section");
}

// RAVL: the same loop without a penalty, pessimistic through the agent's critic ensemble
TEST_F(OfflineMbpoTest, RavlTrainsAnEdacCriticEnsembleWithoutAPenalty) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  Experiment e = tiny_experiment(dir / "data.hdf5", dir, {}, "ravl");
  RunDir run = e.create_run_dir();
  e.run(run);
  auto loop = std::dynamic_pointer_cast<OfflineMbpo>(e.algorithm());
  EXPECT_EQ(loop->options().penalty(), PenaltyKind::kNone);
  EXPECT_EQ(loop->evaluations().size(), 2u);
  const auto similarity = column(run.path() / "metrics.csv", "critic_similarity");
  ASSERT_EQ(similarity.size(), 2u);
  EXPECT_LT(std::abs(similarity[0]), 2.0);  // a mean of cosines over N - 1 pairs per critic
  const test::Csv model = test::read_csv(run.path() / "model.csv");
  EXPECT_EQ(model.column(0, "rollout_penalty"), "");  // no penalty to report

  EXPECT_THROW_WITH(
      tiny_experiment(dir / "data.hdf5", dir, {"algorithm.penalty=ensemble_std"}, "ravl"),
      ConfigError, "algorithm.penalty");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir, {"agent.num_critics=1"}, "ravl"),
                    ConfigError, "agent.critic_diversity: needs num_critics >= 2");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir, {"agent.critic_diversity=0"}, "ravl"),
                    ConfigError, "agent.critic_diversity: algorithm 'ravl' needs a diversity > 0");
}

TEST_F(OfflineMbpoTest, BadOptionsAndDatasetsAreNamed) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  write_random_dataset("cartpole_swingup", dir / "cartpole.hdf5", 300);
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir, {"algorithm.penalty=variance"}),
                    ConfigError, "algorithm.penalty: expected one of none, max_aleatoric");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir, {"algorithm.penalty_coef=-1"}),
                    ConfigError, "algorithm.penalty_coef: expected a finite number >= 0");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir, {"algorithm.rollout_length=0"}),
                    ConfigError, "algorithm.rollout_length: expected a positive integer");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir, {"algorithm.rollout_history=4"}),
                    ConfigError,
                    "algorithm.rollout_history: model 'gaussian_mlp_ensemble' has no "
                    "memory to read a history into; expected 0");
  EXPECT_THROW_WITH(tiny_experiment(dir / "data.hdf5", dir, {"algorithm.reference_returns=[1, 1]"}),
                    ConfigError, "algorithm.reference_returns: expected [random, expert]");
  EXPECT_THROW_WITH(tiny_experiment(dir / "cartpole.hdf5", dir), DataError,
                    "cartpole.hdf5: observations x actions are 4 x 1, but env 'pendulum' has "
                    "3 x 1");
  EXPECT_THROW_WITH(tiny_experiment(dir / "absent.hdf5", dir), IoError,
                    "absent.hdf5: no such file");
  EXPECT_FALSE(fs::exists(dir / "mopo"));  // no run folder was written
}

}  // namespace
}  // namespace mbrl

namespace mbrl {
namespace {

// Learning: a medium pendulum dataset made as scripts/make_d4rl_datasets.sh makes it (SAC
// stopped a third of the way from random to expert, its sampled rollouts), then MOPO with the
// shipped config's settings, shortened: the offline policy must beat the policy that made the
// data (the dataset's own mean return) and behaviour cloning of the same data. SAC is evaluated
// every 250 steps, not 1000: its pendulum return can jump from -1060 to -168 within 1000 steps
// (AMD EPYC, OpenBLAS Zen kernels), and a stop there would make an expert dataset.
TEST_F(OfflineMbpoTest, SlowBeatsThePendulumMediumDataset) {
  const fs::path dir = test::scratch_dir();
  ConfigNode sac = load_config(
      test::source_path("configs/sac/pendulum.yaml").string(),
      {"run_root=" + dir.string(), "algorithm.num_steps=6000", "algorithm.eval_every=250",
       "algorithm.eval_episodes=3", "algorithm.stop_at_eval_return=-870"});
  Experiment medium(sac, "sac");
  medium.run(medium.create_run_dir(dir / "medium"));
  D4rlCollectOptions options;
  options.transitions = 20000;
  const D4rlDataset data = collect_d4rl(*medium.env(), *medium.agent(), options);
  write_d4rl(dir / "medium.hdf5", data);
  const double dataset_return = mean_std(d4rl_episode_returns(data)).first;

  Experiment mopo(load_config(test::source_path("configs/mopo/pendulum_medium.yaml").string(),
                              {"run_root=" + dir.string(),
                               "algorithm.dataset=" + (dir / "medium.hdf5").string(),
                               "algorithm.num_steps=4000", "algorithm.rollout_batch_size=10000",
                               "algorithm.eval_every=2000", "algorithm.eval_episodes=10",
                               "algorithm.model_training.num_epochs=20"}),
                  "mopo");
  mopo.run(mopo.create_run_dir(dir / "mopo"));
  auto loop = std::dynamic_pointer_cast<OfflineMbpo>(mopo.algorithm());
  const double offline_return = loop->evaluations().back().mean_return;
  EXPECT_GT(offline_return, dataset_return)
      << "MOPO " << offline_return << ", the dataset's mean return " << dataset_return;

  Experiment bc(
      load_config(
          test::source_path("configs/bc/pendulum_medium.yaml").string(),
          {"run_root=" + dir.string(), "algorithm.dataset=" + (dir / "medium.hdf5").string(),
           "algorithm.num_steps=4000", "algorithm.eval_every=2000", "algorithm.eval_episodes=10"}),
      "bc");
  bc.run(bc.create_run_dir(dir / "bc"));
  const double bc_return =
      std::dynamic_pointer_cast<OfflineMbpo>(bc.algorithm())->evaluations().back().mean_return;
  EXPECT_GT(offline_return, bc_return) << "MOPO " << offline_return << ", BC " << bc_return;
}

}  // namespace
}  // namespace mbrl

namespace mbrl {
namespace {

// MOBILE's penalty by hand: M next states per member from the model, a' from the policy, the
// minimum over the target critics, the mean over the M draws, the std over members
TEST(MobileTest, BellmanInconsistencyEqualsAHandComputation) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  Experiment e = tiny_experiment(dir / "data.hdf5", dir,
                                 {"algorithm.num_next_samples=4", "agent.deterministic_backup=true",
                                  "algorithm.penalty_coef=0.5"},
                                 "mobile");
  e.run(e.create_run_dir(dir / "run"));
  auto loop = std::dynamic_pointer_cast<OfflineMbpo>(e.algorithm());
  EXPECT_GT(column(dir / "run" / "metrics.csv", "bellman_penalty")[0], 0);

  const TransitionBatch rows = loop->dataset().all().slice(0, 6);
  at::Generator gen = make_generator(9, torch::kCPU);
  const at::Tensor u = loop->bellman_inconsistency(rows.obs, rows.act, gen);
  ASSERT_EQ(u.sizes(), torch::IntArrayRef({6}));

  gen = make_generator(9, torch::kCPU);
  auto* aware = dynamic_cast<UncertaintyAware*>(e.model().get());
  auto sac = std::dynamic_pointer_cast<SacAgent>(e.agent());
  torch::NoGradGuard no_grad;
  const MemberSamples members = aware->sample_members(rows.obs, rows.act, 4, gen);
  ASSERT_EQ(members.next_obs.sizes(), torch::IntArrayRef({4, 3, 6, 3}));
  // the 2 elites' draws, as OfflineRL-Kit's sample_next_obss
  const at::Tensor next = members.next_obs.index_select(1, members.rollout_members);
  const PolicySample pi = sac->policy()->sample(next.reshape({-1, 3}), gen);
  const at::Tensor q = sac->target_critic()->forward(next.reshape({-1, 3}), pi.action);
  const at::Tensor min_q = torch::minimum(q[0], q[1]).reshape({4, 2, 6});
  const at::Tensor t = min_q.mean(0);                                // [2, 6]
  const at::Tensor expected = (t[0] - t[1]).abs() / std::sqrt(2.0);  // unbiased std of two
  EXPECT_TRUE(torch::allclose(u, expected, 1e-5, 1e-6)) << u << expected;
}

// every member's draws: their mean approaches the member's predicted next state
TEST(MobileTest, MemberNextObsSamplesFollowEachMember) {
  const fs::path dir = test::scratch_dir();
  write_random_dataset("pendulum", dir / "data.hdf5", 300);
  Experiment e = tiny_experiment(dir / "data.hdf5", dir, {"algorithm.num_steps=1"}, "mobile");
  e.run(e.create_run_dir());
  auto* aware = dynamic_cast<UncertaintyAware*>(e.model().get());
  auto loop = std::dynamic_pointer_cast<OfflineMbpo>(e.algorithm());
  const TransitionBatch rows = loop->dataset().all().slice(0, 5);
  at::Generator gen = make_generator(3, torch::kCPU);
  const MemberSamples members = aware->sample_members(rows.obs, rows.act, 4000, gen);
  const at::Tensor& draws = members.next_obs;
  ModelEnv env(ModelEnvOptions(), e.model(), nullptr, gen);
  const ModelStepResult step = env.step(rows.obs, rows.act, /*with_uncertainty=*/true);
  // pendulum's targets are deltas: member mean of the next state = obs + mean delta
  const at::Tensor predicted = rows.obs.unsqueeze(0) + step.member_mean.narrow(-1, 0, 3);
  const at::Tensor spread = step.member_std.narrow(-1, 0, 3);
  EXPECT_TRUE(((draws.mean(0) - predicted).abs() < 0.1 * spread + 1e-4).all().item<bool>());
  EXPECT_TRUE(torch::allclose(draws.std(0), spread, 0.1, 1e-4));
  // the learned reward is drawn with the next state; the uncertainty is the step's
  const at::Tensor reward_mean = step.member_mean.select(-1, 3);
  const at::Tensor reward_std = step.member_std.select(-1, 3);
  EXPECT_TRUE(
      ((members.reward.mean(0) - reward_mean).abs() < 0.1 * reward_std + 1e-4).all().item<bool>());
  EXPECT_FALSE(members.terminated.defined());
  const auto model = std::dynamic_pointer_cast<GaussianMlpEnsemble>(e.model());
  EXPECT_TRUE(torch::equal(members.rollout_members, torch::tensor(model->elites())));
  EXPECT_TRUE(torch::allclose(members.uncertainty.epistemic_std, step.uncertainty.epistemic_std));
  EXPECT_TRUE(
      torch::allclose(members.uncertainty.aleatoric_max_norm, step.uncertainty.aleatoric_max_norm));
}

}  // namespace
}  // namespace mbrl
