// MOREC's dynamics reward: adversarial fit of historical discriminators, batched scoring.
#include "mbrl/models/dynamics_reward.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <torch/torch.h>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"
#include "mbrl/log/metrics.h"
#include "mbrl/nn/ensemble_linear.h"
#include "mbrl/nn/mlp.h"

namespace mbrl {
namespace {

constexpr const char* kGroup = "dynamics_reward";
constexpr double kMinLogStd = -5.0, kMaxLogStd = 2.0;
// rows scored per chunk: K x rows x hidden floats stay near 64 MiB
constexpr int64_t kScoreFloats = int64_t{1} << 24;

// x [K, N, in] through K stacked tanh MLPs -> logits [K, N]
at::Tensor discriminate(const at::Tensor& x, const std::vector<at::Tensor>& weights,
                        const std::vector<at::Tensor>& biases) {
  at::Tensor h = x;
  for (size_t l = 0; l < weights.size(); ++l) {
    h = at::baddbmm(biases[l], h, weights[l]);
    if (l + 1 < weights.size()) h = h.tanh();
  }
  return h.squeeze(-1);
}

void check_options(const DynamicsRewardOptions& o) {
  check_positive(o.hidden_size(), "hidden_size");
  check_positive(o.num_layers(), "num_layers");
  check_positive(o.iterations(), "iterations");
  check_positive(o.snapshot_every(), "snapshot_every");
  check_positive(o.max_snapshots(), "max_snapshots");
  MBRL_CHECK_ARG(o.pretrain_steps() >= 0, "pretrain_steps", "expected an integer >= 0, got ",
                 o.pretrain_steps());
  MBRL_CHECK_ARG(o.batch_size() >= 2, "batch_size", "expected an integer >= 2, got ",
                 o.batch_size());
  MBRL_CHECK_ARG(o.discriminator_lr() > 0, "discriminator_lr", "expected a number > 0, got ",
                 o.discriminator_lr());
  MBRL_CHECK_ARG(o.generator_lr() > 0, "generator_lr", "expected a number > 0, got ",
                 o.generator_lr());
  MBRL_CHECK_ARG(o.entropy_coef() >= 0, "entropy_coef", "expected a number >= 0, got ",
                 o.entropy_coef());
  MBRL_CHECK_ARG(o.clip() > 0 && o.clip() <= 1, "clip", "expected a number in (0, 1], got ",
                 o.clip());
}

}  // namespace

DynamicsRewardOptions dynamics_reward_options_from_config(const ConfigNode& node) {
  DynamicsRewardOptions o;
  MBRL_READ_OPTION(node, o, hidden_size);
  MBRL_READ_OPTION(node, o, num_layers);
  MBRL_READ_OPTION(node, o, pretrain_steps);
  MBRL_READ_OPTION(node, o, iterations);
  MBRL_READ_OPTION(node, o, batch_size);
  MBRL_READ_OPTION(node, o, discriminator_lr);
  MBRL_READ_OPTION(node, o, generator_lr);
  MBRL_READ_OPTION(node, o, entropy_coef);
  MBRL_READ_OPTION(node, o, snapshot_every);
  MBRL_READ_OPTION(node, o, max_snapshots);
  MBRL_READ_OPTION(node, o, clip);
  check_options(o);
  return o;
}

at::Tensor dynamics_reward_from_logits(const at::Tensor& logits, const at::Tensor& expert_value,
                                       const at::Tensor& learner_value, double clip) {
  const int64_t k = expert_value.numel();
  MBRL_CHECK(k >= 1 && logits.dim() >= 1 && logits.size(0) == k && learner_value.numel() == k,
             "dynamics_reward_from_logits: logits ", logits.sizes(), " for ", k, " expert and ",
             learner_value.numel(), " learner values");
  std::vector<int64_t> shape(static_cast<size_t>(logits.dim()), 1);
  shape[0] = k;
  const at::Tensor hi = expert_value.reshape(shape), lo = learner_value.reshape(shape);
  const at::Tensor range = 2 * torch::maximum(expert_value.abs().max(), learner_value.abs().max());
  const at::Tensor clamped = torch::maximum(torch::minimum(logits, hi), lo);
  const at::Tensor mapped = (clamped - lo) / (hi - lo + 1e-7) * range - range / 2;
  const at::Tensor p = torch::sigmoid(mapped).clamp(0.0, clip);
  return -torch::log(1 - p.mean(0) + 1e-9);
}

DynamicsRewardImpl::DynamicsRewardImpl(DynamicsRewardOptions options, int64_t obs_dim,
                                       int64_t act_dim)
    : options_(std::move(options)), obs_dim_(obs_dim), act_dim_(act_dim) {
  check_options(options_);
  MBRL_CHECK(obs_dim >= 1 && act_dim >= 1, "DynamicsReward: obs_dim and act_dim must be >= 1");
  int64_t in = 2 * obs_dim + act_dim;
  normalizer = register_module("normalizer", InputNormalizer(in));
  for (int64_t l = 0; l <= options_.num_layers(); ++l) {
    const int64_t out = l < options_.num_layers() ? options_.hidden_size() : 1;
    weights.push_back(register_buffer("weight" + std::to_string(l), torch::zeros({0, in, out})));
    biases.push_back(register_buffer("bias" + std::to_string(l), torch::zeros({0, 1, out})));
    in = out;
  }
  expert_value = register_buffer("expert_value", torch::zeros({0}));
  learner_value = register_buffer("learner_value", torch::zeros({0}));
}

at::Tensor DynamicsRewardImpl::features(const at::Tensor& obs, const at::Tensor& act,
                                        const at::Tensor& next_obs) const {
  const auto dev = normalizer->mean.device();
  const at::Tensor o = obs.to(dev, torch::kFloat32);
  return torch::cat({o, act.to(dev, torch::kFloat32), next_obs.to(dev, torch::kFloat32) - o}, 1);
}

DynamicsRewardFit DynamicsRewardImpl::fit(const TransitionBatch& data, at::Generator& gen,
                                          MetricsWriter* metrics) {
  const auto start_time = std::chrono::steady_clock::now();
  const auto& o = options_;
  const int64_t n = data.size();
  MBRL_CHECK(n >= 2, "DynamicsReward::fit: needs at least 2 transitions, got ", n);
  MBRL_CHECK_SHAPE(data.obs, {n, obs_dim_}, "obs");
  MBRL_CHECK_SHAPE(data.act, {n, act_dim_}, "act");
  MBRL_CHECK_SHAPE(data.next_obs, {n, obs_dim_}, "next_obs");
  const auto dev = normalizer->mean.device();
  const at::Tensor raw = features(data.obs, data.act, data.next_obs);
  normalizer->fit(raw);
  const at::Tensor standardised = normalizer->forward(raw);
  const int64_t sa = obs_dim_ + act_dim_;
  const at::Tensor state_in = standardised.narrow(1, 0, sa);         // [N, obs + act]
  const at::Tensor delta_in = standardised.narrow(1, sa, obs_dim_);  // [N, obs]

  // the generator T(delta | s, a): a Gaussian MLP with state-dependent std
  Mlp generator(MlpOptions(obs_dim_ + act_dim_, 2 * obs_dim_)
                    .hidden_size(o.hidden_size())
                    .num_layers(o.num_layers()));
  generator->to(dev);
  generator->reset_parameters(gen);
  torch::optim::Adam g_opt(generator->parameters(), torch::optim::AdamOptions(o.generator_lr()));
  auto generate = [&](const at::Tensor& x) {
    const at::Tensor out = generator->forward(x);
    return std::make_pair(out.narrow(1, 0, obs_dim_),
                          out.narrow(1, obs_dim_, obs_dim_).clamp(kMinLogStd, kMaxLogStd));
  };
  // the discriminator D(s, a, delta) -> logit: one member of stacked tanh layers, laid out as
  // the kept ones are
  std::vector<EnsembleLinear> layers;
  std::vector<at::Tensor> d_weights, d_biases;
  for (size_t l = 0; l < weights.size(); ++l) {
    layers.emplace_back(EnsembleLinearOptions(1, weights[l].size(1), weights[l].size(2))
                            .init(EnsembleInit::kXavierUniform));
    layers.back()->to(dev);
    layers.back()->reset_parameters(gen);
    d_weights.push_back(layers.back()->weight);
    d_biases.push_back(layers.back()->bias);
  }
  std::vector<at::Tensor> d_params = d_weights;
  d_params.insert(d_params.end(), d_biases.begin(), d_biases.end());
  torch::optim::Adam d_opt(d_params, torch::optim::AdamOptions(o.discriminator_lr()));
  auto d_logits = [&](const at::Tensor& x, const at::Tensor& d) {
    return discriminate(torch::cat({x, d}, 1).unsqueeze(0), d_weights, d_biases).squeeze(0);
  };
  auto finite = [](const at::Tensor& loss, const char* what, int64_t step) {
    if (!std::isfinite(loss.item<double>()))
      throw NonFiniteError(
          detail::str("dynamics reward: non-finite ", what, " loss at step ", step));
  };
  auto batch_rows = [&] {
    return torch::randint(n, {o.batch_size()}, gen, torch::dtype(torch::kInt64).device(dev));
  };

  torch::AutoGradMode grad(true);
  for (int64_t step = 1; step <= o.pretrain_steps(); ++step) {
    const at::Tensor rows = batch_rows();
    auto [mu, log_std] = generate(state_in.index_select(0, rows));
    const at::Tensor z = (delta_in.index_select(0, rows) - mu) * torch::exp(-log_std);
    const at::Tensor loss = (0.5 * z.pow(2) + log_std).sum(1).mean();
    finite(loss, "generator pretraining", step);
    g_opt.zero_grad();
    loss.backward();
    g_opt.step();
  }

  std::vector<double> expert, learner;
  std::vector<std::vector<at::Tensor>> snap_w, snap_b;
  if (metrics != nullptr && !metrics->has_group(kGroup)) {
    metrics->add_group(kGroup, "dynamics_reward.csv",
                       {{"iteration", MetricFormat::kInt},
                        {"discriminator_loss"},
                        {"generator_loss"},
                        {"data_logit"},
                        {"generated_logit"},
                        {"snapshots", MetricFormat::kInt}},
                       /*print=*/false);
  }
  for (int64_t it = 1; it <= o.iterations(); ++it) {
    const at::Tensor rows = batch_rows();
    const at::Tensor x = state_in.index_select(0, rows);
    const at::Tensor real = delta_in.index_select(0, rows);
    auto [mu, log_std] = generate(x);
    const at::Tensor eps = at::empty_like(mu).normal_(0.0, 1.0, gen);
    const at::Tensor fake = mu + eps * log_std.exp();

    // discriminator: data 1, generated 0
    const at::Tensor d_loss = torch::softplus(-d_logits(x, real)).mean() +
                              torch::softplus(d_logits(x, fake.detach())).mean();
    d_opt.zero_grad();
    d_loss.backward();
    d_opt.step();

    // generator: the transition agent's reward -log(1 - D) = softplus(logit), plus entropy
    const at::Tensor g_loss =
        -torch::softplus(d_logits(x, fake)).mean() - o.entropy_coef() * log_std.sum(1).mean();
    g_opt.zero_grad();
    g_loss.backward();
    g_opt.step();
    finite(d_loss.detach() + g_loss.detach(), "adversarial", it);  // one host sync for both

    if (it % o.snapshot_every() == 0) {
      torch::NoGradGuard no_grad;
      const double hi = d_logits(x, real).mean().item<double>();
      const double lo = d_logits(x, fake).mean().item<double>();
      if (hi > lo) {
        std::vector<at::Tensor> w, b;
        for (auto& layer : layers) {
          w.push_back(layer->weight.detach().clone());
          b.push_back(layer->bias.detach().clone());
        }
        snap_w.push_back(std::move(w));
        snap_b.push_back(std::move(b));
        expert.push_back(hi);
        learner.push_back(lo);
        if (static_cast<int64_t>(expert.size()) > o.max_snapshots()) {
          snap_w.erase(snap_w.begin());
          snap_b.erase(snap_b.begin());
          expert.erase(expert.begin());
          learner.erase(learner.begin());
        }
      }
      if (metrics != nullptr) {
        metrics->log(kGroup, "iteration", static_cast<double>(it));
        metrics->log(kGroup, "discriminator_loss", d_loss.item<double>());
        metrics->log(kGroup, "generator_loss", g_loss.item<double>());
        metrics->log(kGroup, "data_logit", hi);
        metrics->log(kGroup, "generated_logit", lo);
        metrics->log(kGroup, "snapshots", static_cast<double>(expert.size()));
        metrics->dump(kGroup);
      }
    }
  }
  MBRL_CHECK(!expert.empty(),
             "dynamics reward: no discriminator rated the data above the "
             "generator in ",
             o.iterations(), " iterations; train longer (iterations) or check the data");

  torch::NoGradGuard no_grad;
  for (size_t l = 0; l < weights.size(); ++l) {
    std::vector<at::Tensor> w, b;
    for (size_t k = 0; k < snap_w.size(); ++k) {
      w.push_back(snap_w[k][l]);
      b.push_back(snap_b[k][l]);
    }
    weights[l].set_(torch::cat(w, 0));
    biases[l].set_(torch::cat(b, 0));
  }
  expert_value.set_(torch::tensor(expert, torch::dtype(torch::kFloat32).device(dev)));
  learner_value.set_(torch::tensor(learner, torch::dtype(torch::kFloat32).device(dev)));

  DynamicsRewardFit r;
  r.snapshots = snapshots();
  const int64_t m = std::min<int64_t>(n, 10000);  // the first rows
  const at::Tensor o_rows = data.obs.narrow(0, 0, m).to(dev, torch::kFloat32);
  const at::Tensor a_rows = data.act.narrow(0, 0, m);
  r.data_reward = score(o_rows, a_rows, data.next_obs.narrow(0, 0, m)).mean().item<double>();
  auto [mu, log_std] = generate(state_in.narrow(0, 0, m));
  const at::Tensor sampled = mu + at::empty_like(mu).normal_(0.0, 1.0, gen) * log_std.exp();
  const at::Tensor delta = sampled * normalizer->stddev.narrow(0, sa, obs_dim_) +
                           normalizer->mean.narrow(0, sa, obs_dim_);
  r.generated_reward = score(o_rows, a_rows, o_rows + delta).mean().item<double>();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return r;
}

at::Tensor DynamicsRewardImpl::score(const at::Tensor& obs, const at::Tensor& act,
                                     const at::Tensor& next_obs) const {
  torch::NoGradGuard no_grad;
  MBRL_CHECK(fitted(), "DynamicsReward::score: the dynamics reward is not fitted");
  MBRL_CHECK(obs.dim() >= 1 && obs.size(-1) == obs_dim_ && next_obs.sizes() == obs.sizes() &&
                 act.dim() == obs.dim() && act.size(-1) == act_dim_,
             "DynamicsReward::score: obs ", obs.sizes(), ", act ", act.sizes(), ", next_obs ",
             next_obs.sizes(), " for obs_dim ", obs_dim_, " and act_dim ", act_dim_);
  const at::Tensor x = normalizer->forward(features(
      obs.reshape({-1, obs_dim_}), act.reshape({-1, act_dim_}), next_obs.reshape({-1, obs_dim_})));
  const int64_t rows = x.size(0), k = snapshots();
  const int64_t chunk = std::max<int64_t>(1, kScoreFloats / (k * options_.hidden_size()));
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < rows; start += chunk) {
    const at::Tensor part = x.narrow(0, start, std::min(chunk, rows - start));
    const at::Tensor logits = discriminate(part.unsqueeze(0).expand({k, -1, -1}), weights, biases);
    parts.push_back(
        dynamics_reward_from_logits(logits, expert_value, learner_value, options_.clip()));
  }
  std::vector<int64_t> shape(obs.sizes().begin(), obs.sizes().end() - 1);
  return (parts.empty() ? torch::zeros({0}, x.options()) : torch::cat(parts)).reshape(shape);
}

void DynamicsRewardImpl::load(torch::serialize::InputArchive& archive, const std::string& source) {
  try {
    torch::nn::Module::load(archive);
  } catch (const c10::Error& e) {
    throw DataError(
        detail::str(source, ": not a dynamics reward (", e.what_without_backtrace(), ")"));
  }
  const int64_t k = expert_value.numel();
  int64_t in = 2 * obs_dim_ + act_dim_;
  bool ok = learner_value.numel() == k && normalizer->mean.numel() == in;
  for (size_t l = 0; ok && l < weights.size(); ++l) {
    const int64_t out = l + 1 < weights.size() ? options_.hidden_size() : 1;
    ok = weights[l].sizes() == at::IntArrayRef({k, in, out}) &&
         biases[l].sizes() == at::IntArrayRef({k, 1, out});
    in = out;
  }
  if (!ok) {
    throw DataError(detail::str(source, ": the dynamics reward has other sizes than this one (",
                                obs_dim_, " obs, ", act_dim_, " act, hidden ",
                                options_.hidden_size(), " x ", options_.num_layers(), ")"));
  }
}

}  // namespace mbrl
