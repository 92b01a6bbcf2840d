// LsseLearner: new replay rows through the LSSE encoding into a follow-the-leader solver.
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

LsseLearner::LsseLearner(const LsseLearnerOptions& options, std::shared_ptr<LsseModel> model)
    : options_(options), model_(std::move(model)) {
  MBRL_ASSERT(model_ != nullptr, "LsseLearner needs a model");
  MBRL_CHECK_ARG(std::isfinite(options_.ridge()) && options_.ridge() > 0, "ridge",
                 "expected a finite number > 0, got ", options_.ridge());
  solver_ = make_ftl_solver(options_.solver(), model_->num_features(), model_->target_dim(),
                            options_.ridge(), model_->device());
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

  SparseFeatures f = model_->features(batch.obs, batch.act);
  const int64_t n = f.index.size(0);
  solver_->add(f.index, f.value, y);
  seen_ += n;
  at::Tensor w = solver_->weight();
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
  log::logger("model")->debug("lsse ({}): {} new transitions ({} in all), mse {:.5f} -> {:.5f}",
                              solver_->kind(), n, seen_, before, after);
  return result;
}

void LsseLearner::save(torch::serialize::OutputArchive& archive) const {
  solver_->save(archive);
  archive.write("lsse.counts", torch::tensor({seen_, consumed_}, torch::kInt64));
}

void LsseLearner::load(torch::serialize::InputArchive& archive) {
  at::Tensor counts;
  if (!archive.try_read("lsse.counts", counts) || counts.numel() != 2) {
    throw DataError("learner archive: not the state of an lsse learner (entry 'lsse.counts')");
  }
  solver_->load(archive);
  seen_ = counts[0].item<int64_t>();
  consumed_ = counts[1].item<int64_t>();
}

LsseLearnerOptions lsse_learner_options_from_config(const ConfigNode& node) {
  LsseLearnerOptions o;
  MBRL_READ_OPTION(node, o, ridge);
  MBRL_READ_OPTION(node, o, solver);
  return o;
}

}  // namespace mbrl
