// Tests for models/model_trainer.cc: fitting, bootstrap, early stopping, elites, determinism.
#include "mbrl/models/model_trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/data_parallel.h"
#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/log/metrics.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/value_gradients.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/ranks.h"
#include "tests/support/tensor_matchers.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

// next = A obs + B act + noise: a known linear system with obs 2, act 1
TransitionBatch linear_system(int64_t n, uint64_t seed, double noise = 0.01) {
  auto gen = make_generator(seed, torch::kCPU);
  auto a = torch::tensor({{0.9f, 0.2f}, {-0.3f, 0.8f}});
  auto b = torch::tensor({{0.5f}, {-1.0f}});
  TransitionBatch t;
  t.obs = at::normal(0, 1, {n, 2}, gen);
  t.act = at::normal(0, 1, {n, 1}, gen);
  t.next_obs = t.obs.matmul(a.t()) + t.act.matmul(b.t()) + noise * at::normal(0, 1, {n, 2}, gen);
  t.reward = torch::zeros({n});
  t.terminated = torch::zeros({n}, torch::kBool);
  t.truncated = torch::zeros({n}, torch::kBool);
  return t;
}

std::shared_ptr<GaussianMlpEnsemble> small_model(uint64_t seed = 0, int64_t members = 3) {
  return std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(2, 1)
                                                   .ensemble_size(members)
                                                   .num_layers(2)
                                                   .hidden_size(32)
                                                   .num_elites(2),
                                               make_generator(seed, torch::kCPU));
}

ModelTrainerOptions quick() {
  return ModelTrainerOptions().batch_size(32).num_epochs(20).patience(0).lr(3e-3);
}

double prediction_mse(GaussianMlpEnsemble& model, const TransitionBatch& data) {
  torch::NoGradGuard no_grad;
  auto mean = model.predict(data.obs, data.act).mean;
  return (mean - model.targets(data).unsqueeze(0)).square().mean().item<double>();
}

TEST(ModelTrainerTest, FitsALinearSystem) {
  auto model = small_model();
  ModelTrainer trainer(quick(), model);
  auto gen = make_generator(1, torch::kCPU);
  auto test_data = linear_system(500, 99);
  const double before = prediction_mse(*model, test_data);
  ModelTrainResult r = trainer.train(linear_system(1000, 2), gen);
  EXPECT_EQ(r.epochs, 20);
  EXPECT_EQ(r.train_loss.size(), 20u);
  EXPECT_EQ(r.holdout_score.size(), 20u);
  EXPECT_EQ(r.gradient_steps, 20 * 25);  // 800 training rows / 32
  EXPECT_LT(r.train_loss.back(), r.train_loss.front());
  const double after = prediction_mse(*model, test_data);
  EXPECT_LT(after, 2e-3) << "before training: " << before;
  EXPECT_LT(after, before / 50);
}

TEST(ModelTrainerTest, BootstrappedMembersDiffer) {
  // every member starts from member 0's weights; only their data makes them differ
  auto model = small_model();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->member_parameters()) p.copy_(p[0].unsqueeze(0).expand_as(p));
  }
  ModelTrainer trainer(quick().num_epochs(3), model);
  auto gen = make_generator(1, torch::kCPU);
  trainer.train(linear_system(400, 2, 0.3), gen);
  torch::NoGradGuard no_grad;
  auto test_data = linear_system(50, 3);
  auto mean = model->predict(test_data.obs, test_data.act).mean;
  EXPECT_GT((mean[0] - mean[1]).abs().max().item<double>(), 1e-3);
  EXPECT_GT((mean[1] - mean[2]).abs().max().item<double>(), 1e-3);
}

TEST(ModelTrainerTest, EarlyStoppingStops) {
  // targets are pure noise: the holdout score soon stops improving
  auto data = linear_system(600, 4);
  data.next_obs = torch::randn({600, 2}) * 3;
  auto model = small_model();
  ModelTrainer trainer(
      ModelTrainerOptions().batch_size(32).num_epochs(0).patience(2).max_gradient_steps(20000),
      model);
  auto gen = make_generator(1, torch::kCPU);
  ModelTrainResult r = trainer.train(data, gen);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_LT(r.gradient_steps, 20000);
  EXPECT_EQ(static_cast<int64_t>(r.train_loss.size()), r.epochs);
}

TEST(ModelTrainerTest, ElitesAreTheBestHoldoutMembers) {
  auto model = small_model(0, 5);
  // scoring on the training rows (validation_ratio 0), so the test can recompute the scores
  ModelTrainer trainer(quick().num_epochs(2).validation_ratio(0.0), model);
  auto gen = make_generator(1, torch::kCPU);
  auto data = linear_system(300, 5, 0.2);
  ModelTrainResult r = trainer.train(data, gen);
  auto scores = trainer.evaluate(data);
  EXPECT_SHAPE(scores, {5});
  for (int64_t m = 0; m < 5; ++m) {
    EXPECT_NEAR(scores[m].item<double>(), r.best_holdout_score[m], 1e-4 * r.best_holdout_score[m]);
  }
  auto order = std::get<1>(scores.sort());
  std::vector<int64_t> best{order[0].item<int64_t>(), order[1].item<int64_t>()};
  std::sort(best.begin(), best.end());
  EXPECT_EQ(r.elites, best);
  EXPECT_EQ(model->elites(), best);
}

// A second training round on new data keeps what it learned even when no member beats its
// weights from before the call by the improvement threshold (MBPO's fresh best per call): the
// first epoch is always kept, and elites are ranked on this round's holdout
TEST(ModelTrainerTest, SecondRoundOnNewDataIsNeverThrownAway) {
  auto model = small_model(0, 5);
  auto gen = make_generator(1, torch::kCPU);
  ModelTrainer(quick().num_epochs(40), model).train(linear_system(1000, 2, 0.3), gen);
  std::vector<at::Tensor> before;
  for (const auto& p : model->member_parameters()) before.push_back(p.detach().clone());

  // a converged model, one more epoch on fresh samples of the same system: too little to beat
  // the old weights by 1 %, but trained on data they never saw
  ModelTrainer one_epoch(quick().num_epochs(1).lr(1e-3), model);
  ModelTrainResult r = one_epoch.train(linear_system(1000, 3, 0.3), gen);
  EXPECT_GT(r.members_not_better_than_before, 0);
  auto params = model->member_parameters();
  for (int64_t m = 0; m < 5; ++m) {
    bool changed = false;
    for (size_t i = 0; i < params.size(); ++i) {
      changed |= !torch::equal(params[i][m], before[i][m]);
    }
    EXPECT_TRUE(changed) << "member " << m << " was handed back its weights from before the call";
  }
  // the kept weights are the epoch's: their scores are the epoch's holdout scores
  double mean_best = 0;
  for (double b : r.best_holdout_score) mean_best += b / 5.0;
  EXPECT_NEAR(mean_best, r.holdout_score.back(), 1e-9 * std::abs(mean_best));
}

TEST(ModelTrainerTest, SameSeedSameModel) {
  auto a = small_model(7), b = small_model(7);
  auto data = linear_system(300, 6);
  auto g1 = make_generator(3, torch::kCPU), g2 = make_generator(3, torch::kCPU);
  ModelTrainer(quick().num_epochs(2), a).train(data, g1);
  ModelTrainer(quick().num_epochs(2), b).train(data, g2);
  auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()]));
}

TEST(ModelTrainerTest, FusedAndAutogradPathsAgree) {
  auto a = small_model(7), b = small_model(7);
  auto data = linear_system(300, 6);
  auto g1 = make_generator(3, torch::kCPU), g2 = make_generator(3, torch::kCPU);
  auto r1 = ModelTrainer(quick().num_epochs(2).fused(true), a).train(data, g1);
  auto r2 = ModelTrainer(quick().num_epochs(2).fused(false), b).train(data, g2);
  EXPECT_NEAR(r1.train_loss.back(), r2.train_loss.back(), 1e-3 * std::abs(r2.train_loss.back()));
  auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) {
    EXPECT_TENSOR_CLOSE(p.value(), pb[p.key()], 1e-3, 1e-4) << p.key();
  }
}

// Two ranks, each computing its half of every minibatch and summing gradients, reach the weights
// one process reaches on the whole minibatches, on both paths (learned log-variance bounds, whose
// term one rank adds, included); a last minibatch of 1 row leaves one rank's shard empty.
TEST(ModelTrainerTest, DataParallelRanksTrainAsOneProcess) {
  for (bool fused : {true, false}) {
    SCOPED_TRACE(fused ? "fused" : "autograd");
    const auto options = quick().num_epochs(3).fused(fused).batch_size(32);
    auto data = linear_system(321, 6);  // 257 training rows: 8 minibatches of 32, then 1
    auto one = small_model(7);
    auto gen = make_generator(3, torch::kCPU);
    const ModelTrainResult alone = ModelTrainer(options, one).train(data, gen);

    std::vector<std::shared_ptr<GaussianMlpEnsemble>> models{small_model(7), small_model(7)};
    std::vector<ModelTrainResult> results(2);
    test::on_ranks(2, [&](DataParallel& group) {
      ModelTrainer trainer(options, models[group.rank()]);
      // the group outlives the trainer: share it without owning it
      EXPECT_TRUE(trainer.set_data_parallel(std::shared_ptr<DataParallel>(&group, [](auto*) {})));
      auto rank_gen = make_generator(3, torch::kCPU);
      results[group.rank()] = trainer.train(data, rank_gen);
    });
    ASSERT_EQ(results[0].train_loss.size(), alone.train_loss.size());
    for (size_t i = 0; i < alone.train_loss.size(); ++i) {
      EXPECT_EQ(results[0].train_loss[i], results[1].train_loss[i]);  // every rank the same
      EXPECT_NEAR(results[0].train_loss[i], alone.train_loss[i],
                  1e-4 * std::abs(alone.train_loss[i]));
    }
    auto p1 = models[1]->named_parameters(), p_alone = one->named_parameters();
    for (const auto& p : models[0]->named_parameters()) {
      EXPECT_TRUE(torch::equal(p.value(), p1[p.key()])) << p.key();
      EXPECT_TENSOR_CLOSE(p.value(), p_alone[p.key()], 1e-4, 1e-5) << p.key();
    }
    EXPECT_EQ(results[0].elites, alone.elites);
  }
}

TEST(ModelTrainerTest, LogsOneRowPerEpoch) {
  auto dir = test::scratch_dir();
  MetricsWriter metrics(dir);
  ModelTrainer trainer(quick().num_epochs(3), small_model());
  auto gen = make_generator(1, torch::kCPU);
  trainer.train(linear_system(200, 2), gen, &metrics);
  trainer.train(linear_system(200, 3), gen, &metrics);
  EXPECT_EQ(metrics.rows("model_train").size(), 6u);
  EXPECT_TRUE(std::filesystem::exists(dir / "model_train.csv"));
  EXPECT_EQ(trainer.rounds(), 2);
}

TEST(ModelTrainerTest, NonFiniteLossIsAnError) {
  auto data = linear_system(100, 2);
  data.next_obs[5][0] = std::numeric_limits<float>::infinity();
  ModelTrainer trainer(quick().num_epochs(1).validation_ratio(0.0), small_model());
  auto gen = make_generator(1, torch::kCPU);
  EXPECT_THROW_WITH(trainer.train(data, gen), NonFiniteError, "epoch 1");
}

TEST(ModelTrainerTest, TrainsOnCudaWithAutograd_CUDA) {
  MBRL_SKIP_WITHOUT_CUDA();
  auto model = small_model();
  model->to(torch::kCUDA);
  ModelTrainer trainer(quick().num_epochs(5), model);
  auto gen = make_generator(1, torch::kCPU);
  ModelTrainResult r = trainer.train(linear_system(400, 2), gen);
  EXPECT_LT(r.train_loss.back(), r.train_loss.front());
  EXPECT_TRUE(model->layers()[0]->weight.is_cuda());
  auto path = test::scratch_dir() / "cuda_model.pt";
  save_model(*model, path);
  auto cpu_model = small_model(5);
  load_model(*cpu_model, path);
  EXPECT_TENSOR_CLOSE(cpu_model->layers()[0]->weight, model->layers()[0]->weight.cpu());
}

TEST(ModelTrainerTest, RejectsBadOptions) {
  auto model = small_model();
  EXPECT_THROW_WITH(ModelTrainer(ModelTrainerOptions().lr(0), model), InvalidArgument, "lr");
  EXPECT_THROW_WITH(ModelTrainer(ModelTrainerOptions().batch_size(0), model), InvalidArgument,
                    "batch_size");
  EXPECT_THROW_WITH(ModelTrainer(ModelTrainerOptions().validation_ratio(1.0), model),
                    InvalidArgument, "validation_ratio");
  EXPECT_THROW_WITH(ModelTrainer(ModelTrainerOptions().num_epochs(0).patience(0), model),
                    InvalidArgument, "num_epochs");
}

TEST(ModelTrainerTest, OptionsFromConfig) {
  ConfigNode node = load_config_string(
      "lr: 7.5e-4\nbatch_size: 64\nnum_epochs: 25\npatience: 25\nbootstrap: false\n",
      "training.yaml");
  ModelTrainerOptions o = model_trainer_options_from_config(node);
  EXPECT_DOUBLE_EQ(o.lr(), 7.5e-4);
  EXPECT_EQ(o.batch_size(), 64);
  EXPECT_EQ(o.num_epochs(), 25);
  EXPECT_EQ(o.patience(), 25);
  EXPECT_FALSE(o.bootstrap());
  EXPECT_DOUBLE_EQ(o.improvement_threshold(), 0.01);
  node.check_all_read();

  ConfigNode bad = load_config_string("lr: 1.0e-3\nepochs: 5\n", "training.yaml");
  model_trainer_options_from_config(bad);
  EXPECT_THROW_WITH(bad.check_all_read(), ConfigError, "epochs");
}

// Value functions that depend on observation dim `dim` only: every gradient is e_dim.
class OneDimValues : public ValueGradientSource {
 public:
  OneDimValues(int64_t dim, int64_t functions) : dim_(dim), functions_(functions) {}
  at::Tensor value_gradients(const at::Tensor& obs) override {
    rows_seen += obs.size(0);
    at::Tensor g = torch::zeros({functions_, obs.size(0), obs.size(1)});
    g.select(2, dim_).fill_(1.0);
    return g;
  }
  int64_t rows_seen = 0;

 private:
  int64_t dim_, functions_;
};

std::shared_ptr<GaussianMlpEnsemble> mean_only_model(EnsembleLoss loss) {
  return std::make_shared<GaussianMlpEnsemble>(GaussianMlpEnsembleOptions(2, 1)
                                                   .ensemble_size(3)
                                                   .num_layers(2)
                                                   .hidden_size(32)
                                                   .num_elites(2)
                                                   .loss(loss),
                                               make_generator(0, torch::kCPU));
}

TEST(ModelTrainerTest, VagramFitsOnlyWhatTheValueFunctionsSee) {
  for (bool fused : {true, false}) {
    SCOPED_TRACE(fused ? "fused" : "autograd");
    auto model = mean_only_model(EnsembleLoss::kVagram);
    auto& out = model->layers().back();
    // the output column of obs dim 1, which no value function depends on
    const at::Tensor w1 = out->weight.detach().select(2, 1).clone();
    const at::Tensor b1 = out->bias.detach().select(2, 1).clone();
    const at::Tensor w0 = out->weight.detach().select(2, 0).clone();
    ModelTrainer trainer(quick().fused(fused), model);
    auto values = std::make_shared<OneDimValues>(0, 2);
    ASSERT_TRUE(trainer.needs_value_gradients());
    trainer.set_value_gradient_source(values);
    auto gen = make_generator(1, torch::kCPU);
    trainer.train(linear_system(1000, 2), gen);
    EXPECT_EQ(values->rows_seen, 1000);  // once per call, every row
    EXPECT_TRUE(out->weight.detach().select(2, 1).equal(w1));
    EXPECT_TRUE(out->bias.detach().select(2, 1).equal(b1));
    EXPECT_FALSE(out->weight.detach().select(2, 0).equal(w0));
    // dim 0 is fitted, dim 1 is not
    const auto test_data = linear_system(500, 99);
    torch::NoGradGuard no_grad;
    const at::Tensor err2 =
        (model->predict(test_data.obs, test_data.act).mean - model->targets(test_data)).square();
    EXPECT_LT(err2.select(2, 0).mean().item<double>(), 0.05);
    EXPECT_GT(err2.select(2, 1).mean().item<double>(), 0.2);
  }
}

TEST(ModelTrainerTest, VagramWithUnitValueGradientsIsTheMseLoss) {
  // one value function with gradient 1 everywhere, no learned reward: weights of exactly 1, so
  // the same training as loss mse, bit for bit
  class Ones : public ValueGradientSource {
   public:
    at::Tensor value_gradients(const at::Tensor& obs) override {
      return torch::ones({1, obs.size(0), obs.size(1)});
    }
  };
  auto vagram = mean_only_model(EnsembleLoss::kVagram);
  auto mse = mean_only_model(EnsembleLoss::kMse);
  ModelTrainer a(quick(), vagram), b(quick(), mse);
  a.set_value_gradient_source(std::make_shared<Ones>());
  auto gen_a = make_generator(1, torch::kCPU), gen_b = make_generator(1, torch::kCPU);
  const ModelTrainResult ra = a.train(linear_system(300, 2), gen_a);
  const ModelTrainResult rb = b.train(linear_system(300, 2), gen_b);
  EXPECT_EQ(ra.train_loss, rb.train_loss);
  EXPECT_EQ(ra.holdout_score, rb.holdout_score);
  for (size_t i = 0; i < vagram->member_parameters().size(); ++i) {
    EXPECT_TRUE(vagram->member_parameters()[i].equal(mse->member_parameters()[i])) << i;
  }
}

TEST(ModelTrainerTest, SampleWeightsOfOneTrainExactlyAsNoneAndZeroRemovesRows) {
  const TransitionBatch data = linear_system(300, 2);
  auto train = [&](const at::Tensor& weights, const TransitionBatch& d) {
    auto model = small_model();
    ModelTrainer trainer(quick().num_epochs(3), model);
    auto gen = make_generator(1, torch::kCPU);
    trainer.train(d, gen, nullptr, weights);
    return model->member_parameters();
  };
  const auto plain = train({}, data);
  const auto ones = train(torch::ones({300}), data);
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_TRUE(ones[i].equal(plain[i])) << i;
  // rows of weight 0 may hold anything: the training does not see them
  at::Tensor half = torch::ones({300});
  half.narrow(0, 0, 150).zero_();
  TransitionBatch corrupted = data;
  corrupted.next_obs = data.next_obs.clone();
  corrupted.next_obs.narrow(0, 0, 150).mul_(-50.0);
  const auto a = train(half, data), b = train(half, corrupted);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << i;
  EXPECT_FALSE(a[0].equal(plain[0]));
  EXPECT_THROW_WITH(train(torch::ones({299}), data), Error, "sample_weights");
  EXPECT_THROW_WITH(train(-torch::ones({300}), data), Error, "finite and >= 0");
}

TEST(ModelTrainerTest, VagramWithoutValueFunctionsIsAnError) {
  ModelTrainer trainer(quick(), mean_only_model(EnsembleLoss::kVagram));
  auto gen = make_generator(1, torch::kCPU);
  EXPECT_THROW_WITH(trainer.train(linear_system(100, 2), gen), Error,
                    "loss 'vagram' needs the value functions of a policy learner");
  EXPECT_FALSE(ModelTrainer(quick(), small_model()).needs_value_gradients());
}

}  // namespace
}  // namespace mbrl
