// ModelTrainer: holdout split, bootstrapped epochs, per-member snapshots, early stopping, elites.
#include "mbrl/models/model_trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/data_parallel.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/log/log.h"
#include "mbrl/log/metrics.h"
#include "mbrl/log/progress.h"
#include "mbrl/models/ensemble_backprop.h"
#include "mbrl/models/ensemble_inference.h"
#include "mbrl/models/fused_adam.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/sample_weighting.h"
#include "mbrl/models/value_gradients.h"

namespace mbrl {

// network inputs, targets and termination flags of the training and holdout rows
struct ModelTrainer::Split {
  at::Tensor x_train, y_train, t_train;  // [N_train, in], [N_train, d], [N_train] float
  at::Tensor x_val, y_val;               // [N_val, in], [N_val, d]
  at::Tensor g_train;                    // VaGraM: [N_train, G, obs_dim] value gradients
  at::Tensor sw_train;                   // sample weights: [N_train]
  at::Tensor w_val;                      // VaGraM and sample weights: [N_val, d] holdout weights
};

ModelTrainer::ModelTrainer(const ModelTrainerOptions& options,
                           std::shared_ptr<GaussianMlpEnsemble> model)
    : options_(options), model_(std::move(model)) {
  const auto& o = options_;
  MBRL_ASSERT(model_ != nullptr, "ModelTrainer needs a model");
  MBRL_CHECK_ARG(o.lr() > 0, "lr", "expected a number > 0, got ", o.lr());
  MBRL_CHECK_ARG(o.adam_eps() > 0, "adam_eps", "expected a number > 0, got ", o.adam_eps());
  MBRL_CHECK_ARG(o.batch_size() >= 1, "batch_size", "expected an integer >= 1, got ",
                 o.batch_size());
  MBRL_CHECK_ARG(o.num_epochs() >= 0, "num_epochs", "expected an integer >= 0, got ",
                 o.num_epochs());
  MBRL_CHECK_ARG(o.max_gradient_steps() >= 0, "max_gradient_steps",
                 "expected an integer >= 0, got ", o.max_gradient_steps());
  MBRL_CHECK_ARG(o.patience() >= 0, "patience", "expected an integer >= 0, got ", o.patience());
  MBRL_CHECK_ARG(o.num_epochs() > 0 || o.patience() > 0 || o.max_gradient_steps() > 0, "num_epochs",
                 "expected > 0 when patience and max_gradient_steps are 0 (training would never "
                 "stop), got 0");
  MBRL_CHECK_ARG(o.improvement_threshold() >= 0, "improvement_threshold",
                 "expected a number >= 0, got ", o.improvement_threshold());
  MBRL_CHECK_ARG(o.validation_ratio() >= 0 && o.validation_ratio() < 1, "validation_ratio",
                 "expected a number in [0, 1), got ", o.validation_ratio());
  MBRL_CHECK_ARG(o.max_validation_size() >= 1, "max_validation_size",
                 "expected an integer >= 1, got ", o.max_validation_size());
  inference_ = std::make_unique<EnsembleInference>(*model_);
}

ModelTrainer::~ModelTrainer() = default;

bool ModelTrainer::use_fused() const { return options_.fused() && model_->device().is_cpu(); }

bool ModelTrainer::needs_value_gradients() const {
  return model_->options().loss() == EnsembleLoss::kVagram;
}

void ModelTrainer::set_value_gradient_source(std::shared_ptr<ValueGradientSource> source) {
  value_source_ = std::move(source);
}

at::Tensor ModelTrainer::value_gradients(const at::Tensor& next_obs) const {
  constexpr int64_t kChunk = 8192;
  std::vector<at::Tensor> parts;
  for (int64_t r = 0; r < next_obs.size(0); r += kChunk) {
    const at::Tensor g = value_source_->value_gradients(
        next_obs.narrow(0, r, std::min(kChunk, next_obs.size(0) - r)));
    MBRL_CHECK(g.dim() == 3 && g.size(2) == model_->obs_dim(),
               "model trainer: value gradients must be [G, B, obs_dim = ", model_->obs_dim(),
               "], got ", g.sizes());
    parts.push_back(g.detach().to(model_->device()).transpose(0, 1));
  }
  at::Tensor all = torch::cat(parts, 0).contiguous();  // [N, G, obs_dim]
  MBRL_CHECK(all.isfinite().all().item<bool>(),
             "model trainer: non-finite value gradients in training round ", rounds_);
  return all;
}

at::Tensor ModelTrainer::vagram_weights(const at::Tensor& value_grads) const {
  // [E, B, G, o] -> clip per value function over all E x B rows -> [E, B, d]
  const at::Tensor clipped = clip_value_gradients(value_grads.permute({2, 0, 1, 3}),
                                                  model_->options().vagram_clip_quantile());
  return vagram_target_weights(clipped, model_->target_dim()).contiguous();
}

ModelTrainer::Split ModelTrainer::split(const TransitionBatch& data, const at::Tensor& value_grads,
                                        const at::Tensor& sample_weights,
                                        at::Generator& gen) const {
  const int64_t n = data.size();
  const auto n_val =
      std::min<int64_t>(static_cast<int64_t>(static_cast<double>(n) * options_.validation_ratio()),
                        options_.max_validation_size());
  at::Tensor x = model_->normalized_inputs(data.obs, data.act);
  at::Tensor y = model_->targets(data);
  at::Tensor perm = at::randperm(n, gen, torch::kInt64).to(x.device());
  at::Tensor train = perm.narrow(0, n_val, n - n_val);

  Split s;
  s.x_train = x.index_select(0, train);
  s.y_train = y.index_select(0, train);
  s.t_train = data.terminated.to(torch::kFloat32).index_select(0, train);
  at::Tensor val = n_val > 0 ? perm.narrow(0, 0, n_val)
                             : train.narrow(0, 0, std::min(n, options_.max_validation_size()));
  s.x_val = x.index_select(0, val);
  s.y_val = y.index_select(0, val);
  if (value_grads.defined()) {
    s.g_train = value_grads.index_select(0, train);
    s.w_val = vagram_weights(value_grads.index_select(0, val).unsqueeze(0)).squeeze(0);
  }
  if (sample_weights.defined()) {
    s.sw_train = sample_weights.index_select(0, train);
    const at::Tensor sw_val = sample_weights.index_select(0, val).unsqueeze(1);
    s.w_val = s.w_val.defined() ? s.w_val * sw_val : sw_val.expand({-1, y.size(1)}).contiguous();
  }
  return s;
}

at::Tensor ModelTrainer::score(const at::Tensor& x, const at::Tensor& y, const at::Tensor& w) {
  const auto e = model_->ensemble_size();
  std::vector<int64_t> all(e);
  std::iota(all.begin(), all.end(), 0);
  at::Tensor raw = inference_->forward_all(x.contiguous(), all);
  at::Tensor mean = model_->split_output(raw).mean;
  at::Tensor err2 = (mean - y.unsqueeze(0)).square();
  return (w.defined() ? err2 * w : err2).mean({1, 2});
}

at::Tensor ModelTrainer::evaluate(const TransitionBatch& data) {
  torch::NoGradGuard no_grad;
  TransitionBatch d = data.to(model_->device());
  return score(model_->normalized_inputs(d.obs, d.act), model_->targets(d));
}

void ModelTrainer::ensure_optimizer() {
  if (use_fused()) {
    if (!backprop_) {
      backprop_ = std::make_unique<EnsembleBackprop>(model_);
      fused_adam_ = std::make_unique<FusedAdam>(
          backprop_->parameters(), backprop_->weight_decay(),
          FusedAdamOptions().lr(options_.lr()).eps(options_.adam_eps()));
    }
    return;
  }
  if (!adam_) {
    std::vector<at::Tensor> params;
    for (const auto& p : model_->parameters()) {
      if (p.requires_grad()) params.push_back(p);
    }
    adam_ = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(options_.lr()).eps(options_.adam_eps()));
  }
}

bool ModelTrainer::set_data_parallel(std::shared_ptr<DataParallel> group) {
  data_parallel_ = std::move(group);
  return true;
}

double ModelTrainer::gradient_step(const at::Tensor& x, const at::Tensor& y,
                                   const at::Tensor& terminated, const at::Tensor& weights) {
  ensure_optimizer();
  if (data_parallel_ && data_parallel_->world_size() > 1)
    return data_parallel_step(x, y, terminated, weights);
  if (use_fused()) {
    const double loss = backprop_->compute(x, y, terminated, weights);
    fused_adam_->step(backprop_->grad_parts());
    return loss;
  }
  adam_->zero_grad();
  at::Tensor loss = model_->loss(x, y, terminated, weights);
  (loss + model_->weight_decay_penalty()).backward();
  adam_->step();
  return loss.item<double>();
}

double ModelTrainer::data_parallel_step(const at::Tensor& x, const at::Tensor& y,
                                        const at::Tensor& terminated, const at::Tensor& weights) {
  const int64_t batch = x.size(1);
  const auto [begin, end] = data_parallel_->shard(batch);
  const int64_t rows = end - begin;
  auto shard = [&, begin = begin](const at::Tensor& t) {
    return t.defined() ? t.narrow(1, begin, rows).contiguous() : t;
  };
  // the shards' losses and gradients sum to the whole minibatch's; the last rank's shard is
  // never empty, so it adds the terms that do not depend on rows (the bound term)
  const bool last = data_parallel_->rank() == data_parallel_->world_size() - 1;
  if (use_fused()) {
    // one flat buffer of every parameter's gradient and the loss, kept between steps: the parts
    // are summed into it and it is all-reduced in place
    const auto& params = backprop_->parameters();
    if (!dp_flat_.defined()) {
      int64_t total = 1;
      for (const auto& p : params) total += p.numel();
      dp_flat_ = torch::empty({total});
      int64_t offset = 0;
      for (const auto& p : params) {
        dp_grads_.push_back(dp_flat_.narrow(0, offset, p.numel()).view(p.sizes()));
        offset += p.numel();
      }
    }
    dp_flat_.zero_();
    if (rows > 0) {
      dp_flat_[-1] =
          backprop_->compute(shard(x), shard(y), shard(terminated), shard(weights), batch, last);
      for (const auto& part : backprop_->grad_parts()) {
        for (size_t i = 0; i < params.size(); ++i) dp_grads_[i].add_(part[i]);
      }
    }
    data_parallel_->all_reduce_sum({dp_flat_});
    fused_adam_->step({dp_grads_});
    return dp_flat_[-1].item<double>();
  }
  at::Tensor loss = torch::zeros({1}, x.options().dtype(torch::kFloat32));
  adam_->zero_grad();
  const double share = static_cast<double>(rows) / static_cast<double>(batch);
  if (rows > 0) {
    // the mean over this shard, weighted by its share of the minibatch; decay and bound terms
    // are weighted the same, so the shares sum to one of each
    at::Tensor shard_loss = model_->loss(shard(x), shard(y), shard(terminated), shard(weights));
    ((shard_loss + model_->weight_decay_penalty()) * share).backward();
    loss.fill_(shard_loss.item<double>() * share);
  }
  std::vector<at::Tensor> params;
  for (auto& group : adam_->param_groups()) {
    for (auto& p : group.params()) params.push_back(p);
  }
  data_parallel_->sum_gradients(params, {loss});
  adam_->step();
  return loss.item<double>();
}

void ModelTrainer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("rounds", torch::tensor(rounds_, torch::kInt64));
  torch::serialize::OutputArchive optimizer(archive.compilation_unit());
  if (fused_adam_) {
    fused_adam_->save(optimizer);
    archive.write("fused_adam", optimizer);
  } else if (adam_) {
    adam_->save(optimizer);
    archive.write("adam", optimizer);
  }
}

void ModelTrainer::load(torch::serialize::InputArchive& archive) {
  at::Tensor rounds;
  if (!archive.try_read("rounds", rounds)) {
    throw DataError("model trainer: state entry 'rounds' is missing");
  }
  torch::serialize::InputArchive optimizer;
  const bool fused = archive.try_read("fused_adam", optimizer);
  if (fused || archive.try_read("adam", optimizer)) {
    if (fused != use_fused()) {
      throw DataError(std::string("model trainer: the state was saved by the ") +
                      (fused ? "fused" : "autograd") + " training path, this trainer uses the " +
                      (use_fused() ? "fused" : "autograd") + " one");
    }
    ensure_optimizer();
    if (fused) {
      fused_adam_->load(optimizer);
    } else {
      adam_->load(optimizer);
    }
  }
  rounds_ = rounds.item<int64_t>();
}

namespace {

constexpr const char* kMetricsGroup = "model_train";

std::vector<double> to_vector(const at::Tensor& t) {
  at::Tensor c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// score beats best by more than `threshold` relative to |best|; anything beats an infinite best
bool improves(double best, double score, double threshold) {
  return !std::isfinite(best) || (best - score) / std::abs(best) > threshold;
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

void add_metrics_group(MetricsWriter& metrics) {
  if (metrics.has_group(kMetricsGroup)) return;
  metrics.add_group(kMetricsGroup, "model_train.csv",
                    {{"round", MetricFormat::kInt},
                     {"epoch", MetricFormat::kInt},
                     {"gradient_steps", MetricFormat::kInt},
                     {"train_loss", MetricFormat::kFloat},
                     {"holdout_score", MetricFormat::kFloat},
                     {"best_holdout_score", MetricFormat::kFloat},
                     {"epoch_time_s", MetricFormat::kSeconds}},
                    /*print=*/false);
}

// The weights of every member at its best holdout score so far, one snapshot per member (as MBPO
// keeps them); the shared log-variance bounds are kept whenever any member improves.
class MemberSnapshots {
 public:
  explicit MemberSnapshots(const GaussianMlpEnsemble& model)
      : params_(model.member_parameters()), shared_{model.min_logvar, model.max_logvar} {
    for (const auto& p : params_) snapshot_.push_back(p.detach().clone());
    for (const auto& p : shared_) shared_snapshot_.push_back(p.detach().clone());
  }

  // snapshots the current weights of `members`
  void keep(const std::vector<int64_t>& members) {
    if (members.empty()) return;
    torch::NoGradGuard no_grad;
    at::Tensor idx = torch::tensor(members, torch::kInt64).to(params_[0].device());
    for (size_t i = 0; i < params_.size(); ++i) {
      snapshot_[i].index_copy_(0, idx, params_[i].detach().index_select(0, idx));
    }
    for (size_t i = 0; i < shared_.size(); ++i) shared_snapshot_[i].copy_(shared_[i].detach());
  }

  // puts every snapshot back into the model
  void restore() {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(snapshot_[i]);
    for (size_t i = 0; i < shared_.size(); ++i) shared_[i].copy_(shared_snapshot_[i]);
  }

 private:
  std::vector<at::Tensor> params_, shared_, snapshot_, shared_snapshot_;
};

}  // namespace

std::shared_ptr<DynamicsModel> ModelTrainer::model() const { return model_; }

ModelTrainResult ModelTrainer::train(const ReplayBuffer& replay, at::Generator& gen,
                                     MetricsWriter* metrics) {
  return train(replay.all(), gen, metrics,
               replay_sample_weights(replay, model_->options().sample_weighting()));
}

ModelTrainResult ModelTrainer::train(const TransitionBatch& data, at::Generator& gen,
                                     MetricsWriter* metrics, const at::Tensor& sample_weights) {
  data.check(model_->obs_dim(), model_->act_dim());
  MBRL_CHECK(data.size() >= 2, "ModelTrainer::train: expected at least 2 transitions, got ",
             data.size());
  ++rounds_;
  const TransitionBatch d = data.to(model_->device());
  model_->fit_normalizer(d);
  at::Tensor value_grads;
  if (needs_value_gradients()) {
    MBRL_CHECK(value_source_ != nullptr,
               "model trainer: loss 'vagram' needs the value functions of a policy learner "
               "(set_value_gradient_source) before training");
    value_grads = value_gradients(d.next_obs);
  }
  if (sample_weights.defined()) {
    MBRL_CHECK_SHAPE(sample_weights, {data.size()}, "sample_weights");
    MBRL_CHECK(
        sample_weights.isfinite().all().item<bool>() && (sample_weights >= 0).all().item<bool>(),
        "model trainer: sample weights must be finite and >= 0");
  }
  Split s;
  {
    torch::NoGradGuard no_grad;
    s = split(d, value_grads,
              sample_weights.defined() ? sample_weights.to(model_->device(), torch::kFloat32)
                                       : at::Tensor(),
              gen);
  }

  const int64_t e = model_->ensemble_size();
  const at::Tensor rows = member_rows(s.x_train.size(0), gen);
  MemberSnapshots best_weights(*model_);
  ModelTrainResult result;
  // a fresh best per call, as MBPO's _start_train: the first epoch is always kept
  const std::vector<double> before = holdout_scores(s);
  result.best_holdout_score.assign(e, std::numeric_limits<double>::infinity());
  if (metrics != nullptr) add_metrics_group(*metrics);
  int64_t since_improvement = 0;
  // a bar when the length is known: fixed epochs, or a gradient-step cap
  std::optional<Progress> progress;
  if (options_.num_epochs() > 0) {
    progress.emplace("model epochs", options_.num_epochs());
  } else if (options_.max_gradient_steps() > 0) {
    progress.emplace("model gradient steps", options_.max_gradient_steps());
  }
  while (options_.num_epochs() == 0 || result.epochs < options_.num_epochs()) {
    const auto start = std::chrono::steady_clock::now();
    const double loss = run_epoch(s, rows, gen, result.gradient_steps);
    ++result.epochs;
    if (!std::isfinite(loss)) {
      throw NonFiniteError(detail::str("model trainer: non-finite training loss in epoch ",
                                       result.epochs, " (gradient step ", result.gradient_steps,
                                       ") of training round ", rounds_));
    }

    // snapshot the members that improved enough
    const std::vector<double> current = holdout_scores(s);
    std::vector<int64_t> improved;
    for (int64_t m = 0; m < e; ++m) {
      if (improves(result.best_holdout_score[m], current[m], options_.improvement_threshold())) {
        improved.push_back(m);
        result.best_holdout_score[m] = current[m];
      }
    }
    best_weights.keep(improved);
    since_improvement = improved.empty() ? since_improvement + 1 : 0;

    result.train_loss.push_back(loss);
    result.holdout_score.push_back(mean_of(current));
    log_epoch(metrics, result,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (progress) {
      progress->update(options_.num_epochs() > 0 ? result.epochs : result.gradient_steps,
                       detail::str("loss ", loss));
    }
    if (options_.patience() > 0 && since_improvement >= options_.patience()) {
      result.stopped_early = true;
      break;
    }
    if (options_.max_gradient_steps() > 0 &&
        result.gradient_steps >= options_.max_gradient_steps()) {
      break;
    }
  }

  // every member back to its best weights; the best members become elites
  best_weights.restore();
  choose_elites(result);
  for (int64_t m = 0; m < e; ++m) {
    if (!improves(before[m], result.best_holdout_score[m], options_.improvement_threshold())) {
      ++result.members_not_better_than_before;
    }
  }
  return result;
}

at::Tensor ModelTrainer::member_rows(int64_t n, at::Generator& gen) const {
  const int64_t e = model_->ensemble_size();
  const auto cpu_long = torch::TensorOptions().dtype(torch::kInt64);
  return options_.bootstrap() ? at::randint(n, {e, n}, gen, cpu_long)
                              : torch::arange(n, cpu_long).expand({e, n});
}

void ModelTrainer::choose_elites(ModelTrainResult& result) {
  std::vector<int64_t> order(model_->ensemble_size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return result.best_holdout_score[a] < result.best_holdout_score[b];
  });
  order.resize(model_->options().num_elites());
  model_->set_elites(order);
  result.elites = model_->elites();
}

std::vector<double> ModelTrainer::holdout_scores(const Split& s) {
  torch::NoGradGuard no_grad;
  return to_vector(score(s.x_val, s.y_val, s.w_val));
}

void ModelTrainer::log_epoch(MetricsWriter* metrics, const ModelTrainResult& result,
                             double seconds) const {
  log::logger("model")->debug("model training round {} epoch {}: train loss {:.5g}, holdout {:.5g}",
                              rounds_, result.epochs, result.train_loss.back(),
                              result.holdout_score.back());
  if (metrics == nullptr) return;
  metrics->log(kMetricsGroup, "round", static_cast<double>(rounds_));
  metrics->log(kMetricsGroup, "epoch", static_cast<double>(result.epochs));
  metrics->log(kMetricsGroup, "gradient_steps", static_cast<double>(result.gradient_steps));
  metrics->log(kMetricsGroup, "train_loss", result.train_loss.back());
  metrics->log(kMetricsGroup, "holdout_score", result.holdout_score.back());
  metrics->log(kMetricsGroup, "best_holdout_score", mean_of(result.best_holdout_score));
  metrics->log(kMetricsGroup, "epoch_time_s", seconds);
  metrics->dump(kMetricsGroup);
}

double ModelTrainer::run_epoch(const Split& s, const at::Tensor& rows, at::Generator& gen,
                               int64_t& steps) {
  const int64_t e = rows.size(0), n = rows.size(1), bs = options_.batch_size();
  const auto dev = model_->device();

  // an independent shuffle of every member's rows
  at::Tensor order = at::rand({e, n}, gen).argsort(/*dim=*/1, /*descending=*/false);
  at::Tensor epoch_rows = rows.gather(1, order).to(dev);
  double total = 0.0;
  int64_t batches = 0;
  for (int64_t b = 0; b < n; b += bs) {
    const int64_t count = std::min(bs, n - b);
    at::Tensor idx = epoch_rows.narrow(1, b, count).flatten();
    at::Tensor x = s.x_train.index_select(0, idx).view({e, count, -1});
    at::Tensor y = s.y_train.index_select(0, idx).view({e, count, -1});
    at::Tensor t = model_->learns_termination() ? s.t_train.index_select(0, idx).view({e, count})
                                                : at::Tensor();
    at::Tensor w;
    if (s.g_train.defined()) {
      torch::NoGradGuard no_grad;
      w = vagram_weights(s.g_train.index_select(0, idx).view({e, count, s.g_train.size(1), -1}));
    }
    if (s.sw_train.defined()) {
      const at::Tensor sw = s.sw_train.index_select(0, idx).view({e, count, 1});
      w = w.defined() ? w * sw : sw.expand({e, count, s.y_train.size(1)}).contiguous();
    }
    total += gradient_step(x, y, t, w);
    ++batches;
    ++steps;
    if (options_.max_gradient_steps() > 0 && steps >= options_.max_gradient_steps()) break;
  }
  return total / static_cast<double>(batches);
}

}  // namespace mbrl
