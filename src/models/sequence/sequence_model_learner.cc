// SequenceModelLearner.
#include "mbrl/models/sequence/sequence_model_learner.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/core/data_parallel.h"
#include "mbrl/data/replay_buffer.h"
#include "mbrl/models/bootstrap_counts.h"

namespace mbrl {

SequenceModelLearner::SequenceModelLearner(SequenceModelLearnerOptions options,
                                           std::shared_ptr<SequenceModel> model)
    : options_(options), model_(std::move(model)) {
  const auto& o = options_;
  MBRL_ASSERT(model_ != nullptr, "SequenceModelLearner needs a model");
  MBRL_CHECK_ARG(o.gradient_steps() >= 1, "gradient_steps", "expected an integer >= 1, got ",
                 o.gradient_steps());
  MBRL_CHECK_ARG(o.batch_size() >= 1, "batch_size", "expected an integer >= 1, got ",
                 o.batch_size());
  MBRL_CHECK_ARG(o.sequence_length() >= 1, "sequence_length", "expected an integer >= 1, got ",
                 o.sequence_length());
  MBRL_CHECK_ARG(std::isfinite(o.lr()) && o.lr() > 0, "lr", "expected a number > 0, got ", o.lr());
  MBRL_CHECK_ARG(o.weight_decay() >= 0, "weight_decay", "expected a number >= 0, got ",
                 o.weight_decay());
  MBRL_CHECK_ARG(o.grad_clip() > 0, "grad_clip", "expected a number > 0, got ", o.grad_clip());
  MBRL_CHECK_ARG(o.burn_in() >= 0 && o.burn_in() < o.sequence_length(), "burn_in",
                 "expected an integer in [0, sequence_length = ", o.sequence_length(), "), got ",
                 o.burn_in());
  MBRL_CHECK_ARG(o.bootstrap() == SequenceBootstrap::kNone || model_->predictors() >= 2,
                 "bootstrap",
                 "a bootstrap needs two predictors or more (model heads >= 2 or backbone "
                 "members >= 2), got ",
                 model_->predictors());
  adam_ = std::make_unique<torch::optim::Adam>(
      model_->parameters(), torch::optim::AdamOptions(o.lr()).weight_decay(o.weight_decay()));
}

ModelTrainResult SequenceModelLearner::train(const ReplayBuffer& replay, at::Generator& gen,
                                             MetricsWriter*) {
  MBRL_CHECK(replay.size() >= 2, "sequence model learner: expected at least 2 transitions, got ",
             replay.size());
  torch::AutoGradMode grad(true);
  model_->train();
  model_->fit_normalizers(replay.all());
  const int64_t length = std::min(options_.sequence_length(), replay.size());
  const bool bootstrap = options_.bootstrap() != SequenceBootstrap::kNone;
  if (bootstrap && bootstrap_seed_ < 0) {
    bootstrap_seed_ = torch::randint(std::numeric_limits<int64_t>::max(), {1}, gen, torch::kInt64)
                          .item<int64_t>();
  }
  at::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(model_->device()));
  for (int64_t i = 0; i < options_.gradient_steps(); ++i) {
    const at::Tensor first = replay.sample_sequence_starts(options_.batch_size(), length, gen);
    const SequenceBatch batch = replay.sequences_at(first, length);
    at::Tensor weights = loss_weights(replay, first, length);
    if (weights.defined()) weights = weights.to(model_->device());
    adam_->zero_grad();
    at::Tensor loss;
    if (data_parallel_ && data_parallel_->world_size() > 1) {
      // this rank's columns, weighted by their share: the ranks' sum is the whole batch's mean
      const auto [begin, end] = data_parallel_->shard(batch.batch());
      const double share = static_cast<double>(end - begin) / static_cast<double>(batch.batch());
      loss = torch::zeros({}, torch::TensorOptions().device(model_->device()));
      if (end > begin) {
        const at::Tensor part =
            model_
                ->sequence_loss(
                    batch.columns(begin, end - begin),
                    weights.defined() ? weights.narrow(2, begin, end - begin) : at::Tensor())
                .at("loss");
        (part * share).backward();
        loss = part.detach() * share;
      }
      loss = loss.reshape({1});
      data_parallel_->sum_gradients(model_->parameters(), {loss});
      loss = loss.squeeze(0);
    } else {
      loss = model_->sequence_loss(batch, weights).at("loss");
      loss.backward();
    }
    torch::nn::utils::clip_grad_norm_(model_->parameters(), options_.grad_clip());
    adam_->step();
    loss_sum += loss.detach();
    ++total_steps_;
    // one host sync per 50 updates to catch a diverging loss early
    if ((i + 1) % 50 == 0 || i + 1 == options_.gradient_steps()) {
      if (!std::isfinite(loss_sum.item<double>())) {
        throw NonFiniteError(
            detail::str("sequence model learner: non-finite loss by update ", total_steps_));
      }
    }
  }
  model_->eval();
  ModelTrainResult result;
  result.train_loss = {loss_sum.item<double>() / static_cast<double>(options_.gradient_steps())};
  result.epochs = 1;
  result.gradient_steps = options_.gradient_steps();
  return result;
}

at::Tensor SequenceModelLearner::loss_weights(const ReplayBuffer& replay, const at::Tensor& first,
                                              int64_t length) const {
  const int64_t burn_in = std::min(options_.burn_in(), length - 1);
  const bool bootstrap = options_.bootstrap() != SequenceBootstrap::kNone;
  if (!bootstrap && burn_in == 0) return at::Tensor();
  at::Tensor weights = bootstrap ? bootstrap_counts(replay, first, length)
                                 : torch::ones({model_->predictors(), length, first.size(0)});
  if (burn_in > 0) {
    weights.narrow(1, 0, burn_in).zero_();
    weights.mul_(static_cast<double>(length) / static_cast<double>(length - burn_in));
  }
  return weights;
}

at::Tensor SequenceModelLearner::bootstrap_counts(const ReplayBuffer& replay,
                                                  const at::Tensor& first, int64_t length) const {
  const at::Tensor positions = torch::arange(length).unsqueeze(1) + first.unsqueeze(0);  // [T, B]
  const at::Tensor ids = options_.bootstrap() == SequenceBootstrap::kEpisodes
                             ? replay.episode_ids(positions)
                             : replay.transition_ids(positions);
  // unscaled: a batch's mean of count x error is an unbiased estimate of the predictor's loss
  // on its resample (the mean count is 1), whatever the batch holds
  return poisson_bootstrap_counts(ids, model_->predictors(),
                                  static_cast<uint64_t>(bootstrap_seed_));
}

bool SequenceModelLearner::set_data_parallel(std::shared_ptr<DataParallel> group) {
  data_parallel_ = std::move(group);
  return true;
}

void SequenceModelLearner::save(torch::serialize::OutputArchive& archive) const {
  archive.write("total_gradient_steps", torch::tensor(total_steps_, torch::kInt64));
  torch::serialize::OutputArchive optimizer(archive.compilation_unit());
  adam_->save(optimizer);
  archive.write("adam", optimizer);
  archive.write("bootstrap_seed", torch::tensor(bootstrap_seed_, torch::kInt64));
}

void SequenceModelLearner::load(torch::serialize::InputArchive& archive) {
  at::Tensor steps;
  torch::serialize::InputArchive optimizer;
  if (!archive.try_read("total_gradient_steps", steps) || !archive.try_read("adam", optimizer)) {
    throw DataError(
        "sequence model learner: state entries 'total_gradient_steps' and 'adam' "
        "expected");
  }
  adam_->load(optimizer);
  total_steps_ = steps.item<int64_t>();
  // states saved before the bootstrap existed have no seed: one is drawn at the next call
  at::Tensor seed;
  bootstrap_seed_ = archive.try_read("bootstrap_seed", seed) ? seed.item<int64_t>() : -1;
}

SequenceModelLearnerOptions sequence_model_learner_options_from_config(const ConfigNode& node) {
  SequenceModelLearnerOptions o;
  MBRL_READ_OPTION(node, o, gradient_steps);
  MBRL_READ_OPTION(node, o, batch_size);
  MBRL_READ_OPTION(node, o, sequence_length);
  MBRL_READ_OPTION(node, o, lr);
  MBRL_READ_OPTION(node, o, weight_decay);
  MBRL_READ_OPTION(node, o, grad_clip);
  MBRL_READ_OPTION(node, o, burn_in);
  const auto bootstrap = node.get_or<std::string>("bootstrap", "none");
  if (bootstrap == "none") {
    o.bootstrap(SequenceBootstrap::kNone);
  } else if (bootstrap == "transitions") {
    o.bootstrap(SequenceBootstrap::kTransitions);
  } else if (bootstrap == "episodes") {
    o.bootstrap(SequenceBootstrap::kEpisodes);
  } else {
    throw node.error("bootstrap",
                     "expected one of none, transitions, episodes, got '" + bootstrap + "'");
  }
  return o;
}

}  // namespace mbrl
