// LsseLearner: sparse accumulation of the least-squares statistics and the exact FTL solve.
#include "mbrl/models/lsse_learner.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/log/log.h"
#include "mbrl/models/lsse_model.h"

namespace mbrl {
namespace {

// outer-product entries accumulated per block of rows (8 MB of float64)
constexpr int64_t kAccumulateEntries = 1 << 20;

}  // namespace

LsseLearner::LsseLearner(const LsseLearnerOptions& options, std::shared_ptr<LsseModel> model)
    : options_(options), model_(std::move(model)) {
  MBRL_ASSERT(model_ != nullptr, "LsseLearner needs a model");
  MBRL_CHECK_ARG(std::isfinite(options_.ridge()) && options_.ridge() > 0, "ridge",
                 "expected a finite number > 0, got ", options_.ridge());
  const int64_t dim = model_->num_features();
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(model_->device());
  gram_ = torch::eye(dim, f64).mul_(options_.ridge());
  moments_ = torch::zeros({dim, model_->target_dim()}, f64);
}

std::shared_ptr<DynamicsModel> LsseLearner::model() const { return model_; }

ModelTrainResult LsseLearner::train(const ReplayBuffer& replay, at::Generator&, MetricsWriter*) {
  // the rows added since the previous call that the ring still holds, oldest first
  const int64_t fresh = std::min(replay.num_added() - consumed_, replay.size());
  consumed_ = replay.num_added();
  if (fresh <= 0) return ModelTrainResult{};
  at::Tensor positions = torch::arange(replay.size() - fresh, replay.size(), torch::kInt64);
  return update(replay.at(positions));
}

ModelTrainResult LsseLearner::update(const TransitionBatch& batch_in) {
  torch::NoGradGuard no_grad;
  TransitionBatch batch = batch_in.to(model_->device());
  batch.check(model_->obs_dim(), model_->act_dim());
  model_->fit_normalizer_once(batch);
  const at::Tensor y = model_->targets(batch);
  if (!torch::isfinite(y).all().item<bool>())
    throw NonFiniteError("lsse: non-finite training target in the new transitions");
  ModelTrainResult result;
  const double before = (model_->predict(batch.obs, batch.act) - y).square().mean().item<double>();

  // A += sum_t phi_t phi_t^T and B += sum_t phi_t y_t^T over the active entries only
  SparseFeatures f = model_->features(batch.obs, batch.act);
  const int64_t n = f.index.size(0), s = f.index.size(1), dim = model_->num_features();
  at::Tensor value = f.value.to(torch::kFloat64), target = y.to(torch::kFloat64);
  at::Tensor gram = gram_.view(-1);
  // in blocks of rows, so the s^2 outer-product entries of a block stay a few MB
  const int64_t block = std::max<int64_t>(1, kAccumulateEntries / (s * s));
  for (int64_t begin = 0; begin < n; begin += block) {
    const int64_t rows = std::min(block, n - begin);
    at::Tensor idx = f.index.narrow(0, begin, rows), val = value.narrow(0, begin, rows);
    gram.index_add_(0, (idx.unsqueeze(2) * dim + idx.unsqueeze(1)).reshape(-1),
                    (val.unsqueeze(2) * val.unsqueeze(1)).reshape(-1));
    at::Tensor weighted = val.unsqueeze(2) * target.narrow(0, begin, rows).unsqueeze(1);
    moments_.index_add_(0, idx.reshape(-1), weighted.reshape({rows * s, -1}));
  }
  seen_ += n;

  // W = A^{-1} B through A = L L^T (A is symmetric positive definite: lambda > 0)
  at::Tensor chol = at::linalg_cholesky(gram_);
  at::Tensor w = at::cholesky_solve(moments_, chol);
  if (!torch::isfinite(w).all().item<bool>())
    throw NonFiniteError("lsse: non-finite least-squares solution after " + std::to_string(seen_) +
                         " transitions");
  model_->set_weight(w);

  const double after = (model_->predict(batch.obs, batch.act) - y).square().mean().item<double>();
  result.epochs = 1;
  result.train_loss = {after};
  result.holdout_score = {before};
  result.best_holdout_score = {before};
  result.elites = {0};
  log::logger("model")->debug("lsse: {} new transitions ({} in all), mse {:.5f} -> {:.5f}", n,
                              seen_, before, after);
  return result;
}

void LsseLearner::save(torch::serialize::OutputArchive& archive) const {
  archive.write("lsse.gram", gram_.cpu());
  archive.write("lsse.moments", moments_.cpu());
  archive.write("lsse.counts", torch::tensor({seen_, consumed_}, torch::kInt64));
}

void LsseLearner::load(torch::serialize::InputArchive& archive) {
  at::Tensor gram, moments, counts;
  if (!archive.try_read("lsse.gram", gram) || !archive.try_read("lsse.moments", moments) ||
      !archive.try_read("lsse.counts", counts)) {
    throw DataError("learner archive: not the state of an lsse learner (entry 'lsse.*' missing)");
  }
  if (gram.sizes() != gram_.sizes() || moments.sizes() != moments_.sizes() || counts.numel() != 2) {
    throw DataError(detail::str("learner archive: lsse statistics of shape ", gram.sizes(),
                                ", expected ", gram_.sizes()));
  }
  gram_.copy_(gram);
  moments_.copy_(moments);
  seen_ = counts[0].item<int64_t>();
  consumed_ = counts[1].item<int64_t>();
}

LsseLearnerOptions lsse_learner_options_from_config(const ConfigNode& node) {
  LsseLearnerOptions o;
  MBRL_READ_OPTION(node, o, ridge);
  return o;
}

}  // namespace mbrl
