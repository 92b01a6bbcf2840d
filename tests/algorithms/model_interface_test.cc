// The dynamics-model interface holds: a model registered only in this test (a tiny
// deterministic MLP and its own learner) runs in PETS and in MBPO from a config, and so does the
// built-in LSSE model through the shipped configs; PETS and MBPO know neither.
#include <atomic>
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/algorithms/experiment.h"
#include "mbrl/config/config_node.h"
#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/core/registry.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/models/dynamics_model.h"
#include "mbrl/models/model_archive.h"
#include "mbrl/models/model_learner.h"
#include "mbrl/models/model_registry.h"
#include "mbrl/register_builtins.h"
#include "tests/support/csv.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

// next_obs = obs + f(obs, act)[:o], reward = f(obs, act)[o], f a one-hidden-layer tanh MLP
class TinyMlpModel : public DynamicsModel {
 public:
  TinyMlpModel(int64_t obs_dim, int64_t act_dim, int64_t hidden)
      : obs_dim_(obs_dim), act_dim_(act_dim), hidden_(hidden) {
    net = register_module(
        "net", torch::nn::Sequential(torch::nn::Linear(obs_dim + act_dim, hidden),
                                     torch::nn::Tanh(), torch::nn::Linear(hidden, obs_dim + 1)));
  }
  std::string type() const override { return "tiny_mlp_test"; }
  int64_t obs_dim() const override { return obs_dim_; }
  int64_t act_dim() const override { return act_dim_; }
  bool learns_reward() const override { return true; }
  c10::Device device() const override { return parameters().front().device(); }

  at::Tensor forward(const at::Tensor& obs, const at::Tensor& act) {
    return net->forward(torch::cat({obs, act}, 1));
  }
  ModelState initial_state(const at::Tensor& obs, const RolloutSpec& spec,
                           at::Generator&) override {
    ModelState s;
    s.obs = obs.to(torch::kFloat32);
    s.spec = spec;
    return s;
  }
  ModelStep step(const ModelState& state, const at::Tensor& act, at::Generator&) override {
    torch::NoGradGuard no_grad;
    at::Tensor y = forward(state.obs, act);
    ModelStep t;
    t.next_obs = state.obs + y.narrow(1, 0, obs_dim_);
    t.reward = y.select(1, obs_dim_).contiguous();
    t.state.obs = t.next_obs;
    t.state.spec = state.spec;
    return t;
  }
  ModelLosses loss(const TransitionBatch& b) override {
    at::Tensor target = torch::cat({b.next_obs - b.obs, b.reward.unsqueeze(1)}, 1);
    at::Tensor mse = (forward(b.obs, b.act) - target).square().mean();
    return {{"loss", mse}, {"mse", mse}};
  }
  ModelArchitecture architecture() const {
    return {{"obs_dim", std::to_string(obs_dim_)}, {"hidden", std::to_string(hidden_)}};
  }
  void save(torch::serialize::OutputArchive& archive) const override {
    write_model_state(archive, type(), architecture(), *this);
  }
  void load(torch::serialize::InputArchive& archive, const std::string& source) override {
    read_model_state(archive, source, type(), architecture(), *this)();
  }
  using DynamicsModel::load;

  torch::nn::Sequential net{nullptr};

 private:
  int64_t obs_dim_, act_dim_, hidden_;
};

std::atomic<int> tiny_trainings{0};

// full-batch Adam on the whole replay, `steps` steps per call
class TinyMlpLearner : public ModelLearner {
 public:
  TinyMlpLearner(std::shared_ptr<TinyMlpModel> model, int64_t steps)
      : model_(std::move(model)), steps_(steps), adam_(model_->parameters(), 1e-2) {}
  std::shared_ptr<DynamicsModel> model() const override { return model_; }
  ModelTrainResult train(const ReplayBuffer& replay, at::Generator&, MetricsWriter*) override {
    ++tiny_trainings;
    TransitionBatch all = replay.all();
    ModelTrainResult r;
    for (int64_t i = 0; i < steps_; ++i) {
      adam_.zero_grad();
      at::Tensor loss = model_->loss(all).at("loss");
      loss.backward();
      adam_.step();
      r.train_loss = {loss.item<double>()};
    }
    r.holdout_score = r.train_loss;
    r.best_holdout_score = r.train_loss;
    r.elites = {0};
    r.epochs = 1;
    r.gradient_steps = steps_;
    return r;
  }
  void save(torch::serialize::OutputArchive& archive) const override { adam_.save(archive); }
  void load(torch::serialize::InputArchive& archive) override { adam_.load(archive); }

 private:
  std::shared_ptr<TinyMlpModel> model_;
  int64_t steps_;
  torch::optim::Adam adam_;
};

void register_tiny_mlp() {
  register_builtins();
  if (model_registry().contains("tiny_mlp_test")) return;
  model_registry().add("tiny_mlp_test", [](const ConfigNode& node, const BuildContext& ctx) {
    const EnvSpec& env = ctx.env();
    return std::make_shared<TinyMlpModel>(env.obs_dim(), env.act_dim(),
                                          node.get_or<int64_t>("hidden_size", 16));
  });
  model_learner_registry().add(
      "tiny_mlp_test", [](const ConfigNode& section, std::shared_ptr<DynamicsModel> model,
                          const ModelTrainerOptions&) {
        return std::make_shared<TinyMlpLearner>(std::dynamic_pointer_cast<TinyMlpModel>(model),
                                                section.get_or<int64_t>("steps", 20));
      });
}

class ModelInterfaceTest : public test::MbrlTest {
 protected:
  void SetUp() override {
    test::MbrlTest::SetUp();
    register_tiny_mlp();
    tiny_trainings = 0;
  }
  RunDir run(const ConfigNode& config, const std::string& name) {
    Experiment e(config, name);
    RunDir dir = e.create_run_dir(root_ / name);
    e.run(dir);
    return dir;
  }
  fs::path root_ = test::scratch_dir();
};

const char* kTinyPets = R"(
seed: 0
threads: 1
env: {type: cartpole_swingup, max_episode_steps: 20}
model: {type: tiny_mlp_test, hidden_size: 16}
agent:
  type: mpc
  planning_horizon: 3
  model_env: {particles: 1}
  optimizer: {type: cem, num_iterations: 2, population_size: 8}
algorithm:
  type: pets
  num_trials: 2
  model_training: {steps: 5}
)";

const char* kTinyMbpo = R"(
seed: 0
threads: 1
env: {type: pendulum, max_episode_steps: 50}
model: {type: tiny_mlp_test}
agent: {type: sac, hidden_size: 16, batch_size: 32}
algorithm:
  type: mbpo
  num_steps: 150
  epoch_length: 50
  initial_random_steps: 50
  model_train_freq: 50
  rollout_batch_size: 20
  sac_updates_per_step: 1
  eval_every: 150
  eval_episodes: 1
  checkpoint_every: 0
  rollout_uncertainty: false
  model_training: {steps: 5}
)";

TEST_F(ModelInterfaceTest, ModelRegisteredOnlyInTheTestRunsInPets) {
  RunDir dir = run(load_config_string(kTinyPets, "pets.yaml"), "pets_tiny");
  test::Csv trials = test::read_csv(dir.metrics_path());
  ASSERT_EQ(trials.rows.size(), 3u);  // one random trial, two MPC trials
  EXPECT_EQ(trials.column(2, "env_steps"), "60");
  EXPECT_NE(trials.column(2, "model_train_loss"), "");
  EXPECT_EQ(tiny_trainings.load(), 2);  // once before each MPC trial
}

TEST_F(ModelInterfaceTest, ModelRegisteredOnlyInTheTestRunsInMbpo) {
  RunDir dir = run(load_config_string(kTinyMbpo, "mbpo.yaml"), "mbpo_tiny");
  test::Csv model = test::read_csv(dir.path() / "model.csv");
  ASSERT_EQ(model.rows.size(), 3u);  // trainings at 50, 100, 150
  EXPECT_EQ(model.column(0, "rollout_transitions"), "20");
  EXPECT_EQ(model.column(0, "rollout_epistemic_std"), "");  // no uncertainty asked for
  EXPECT_EQ(tiny_trainings.load(), 3);
}

TEST_F(ModelInterfaceTest, MbpoRefusesUncertaintyFromAModelWithout) {
  EXPECT_THROW_WITH(
      Experiment(load_config_string(kTinyMbpo, "mbpo.yaml", {"algorithm.rollout_uncertainty=true"}),
                 "mbpo"),
      ConfigError, "algorithm.rollout_uncertainty");
}

TEST_F(ModelInterfaceTest, LearnerOptionsOfAnotherModelAreUnknownKeys) {
  EXPECT_THROW_WITH(Experiment(load_config_string(kTinyPets, "pets.yaml",
                                                  {"algorithm.model_training.patience=3"}),
                               "pets"),
                    ConfigError, "algorithm.model_training.patience");
}

TEST_F(ModelInterfaceTest, ShippedLsseConfigsRunPetsAndMbpo) {
  RunDir pets = run(load_config(test::source_path("configs/pets/cartpole_lsse.yaml").string(),
                                {"env.max_episode_steps=30", "algorithm.num_trials=2",
                                 "agent.optimizer.population_size=20",
                                 "agent.optimizer.num_iterations=2", "agent.planning_horizon=5"}),
                    "pets_lsse");
  test::Csv trials = test::read_csv(pets.metrics_path());
  ASSERT_EQ(trials.rows.size(), 3u);
  EXPECT_NE(trials.column(1, "model_holdout_score"), "");

  RunDir mbpo =
      run(load_config(test::source_path("configs/mbpo/pendulum_lsse.yaml").string(),
                      {"env.max_episode_steps=50", "algorithm.num_steps=150",
                       "algorithm.initial_random_steps=50", "algorithm.model_train_freq=50",
                       "algorithm.epoch_length=50", "algorithm.rollout_batch_size=50",
                       "algorithm.eval_every=150", "algorithm.eval_episodes=1",
                       "algorithm.sac_updates_per_step=1", "agent.hidden_size=16"}),
          "mbpo_lsse");
  test::Csv model = test::read_csv(mbpo.path() / "model.csv");
  ASSERT_EQ(model.rows.size(), 3u);
  EXPECT_EQ(model.column(2, "rollout_transitions"), "50");
}

TEST_F(ModelInterfaceTest, BadLsseOptionsAreConfigErrors) {
  const std::string path = test::source_path("configs/pets/cartpole_lsse.yaml").string();
  EXPECT_THROW_WITH(Experiment(load_config(path, {"model.num_bins=1"}), "pets"), ConfigError,
                    "model.num_bins");
  EXPECT_THROW_WITH(Experiment(load_config(path, {"algorithm.model_training.ridge=-1"}), "pets"),
                    ConfigError, "algorithm.model_training.ridge");
  EXPECT_THROW_WITH(Experiment(load_config(path, {"model.hidden_size=3"}), "pets"), ConfigError,
                    "model.hidden_size");
  EXPECT_THROW_WITH(
      Experiment(load_config(path, {"algorithm.model_training.solver=cholesky"}), "pets"),
      ConfigError, "algorithm.model_training.solver");
  EXPECT_THROW_WITH(Experiment(load_config(path, {"model.squash=relu"}), "pets"), ConfigError,
                    "model.squash");
}

}  // namespace
}  // namespace mbrl
