// WorldModel: DreamerV3's RSSM on a SequenceBackbone.
#include "mbrl/models/world/world_model.h"

#include <string>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"
#include "mbrl/io/checkpoint_archive.h"
#include "mbrl/models/world/categorical_latent.h"
#include "mbrl/nn/symlog.h"

namespace mbrl {
namespace {

// the reward bins, checked before TwoHotBins is built (its own check names no config key)
int64_t checked_bins(int64_t bins, const char* key) {
  MBRL_CHECK_ARG(bins >= 2, key, "expected an integer >= 2, got ", bins);
  return bins;
}

}  // namespace

WorldModel::WorldModel(WorldModelOptions options, std::shared_ptr<SequenceBackbone> backbone,
                       at::Generator gen)
    : options_(options),
      backbone_(std::move(backbone)),
      gen_(std::move(gen)),
      bins_(checked_bins(options.reward_bins(), "reward_bins")) {
  const WorldModelOptions& o = options_;
  MBRL_CHECK_ARG(o.obs_dim() >= 1 && o.act_dim() >= 1, "world_model",
                 "expected obs_dim and act_dim >= 1, got ", o.obs_dim(), " and ", o.act_dim());
  MBRL_CHECK_ARG(o.latents() >= 1, "latents", "expected an integer >= 1, got ", o.latents());
  MBRL_CHECK_ARG(o.classes() >= 2, "classes", "expected an integer >= 2, got ", o.classes());
  MBRL_CHECK_ARG(o.units() >= 1, "units", "expected an integer >= 1, got ", o.units());
  MBRL_CHECK_ARG(o.layers() >= 1, "layers", "expected an integer >= 1, got ", o.layers());
  MBRL_CHECK_ARG(o.free_nats() >= 0, "free_nats", "expected a number >= 0, got ", o.free_nats());
  MBRL_CHECK_ARG(o.dyn_scale() >= 0, "dyn_scale", "expected a number >= 0, got ", o.dyn_scale());
  MBRL_CHECK_ARG(o.rep_scale() >= 0, "rep_scale", "expected a number >= 0, got ", o.rep_scale());
  MBRL_CHECK_ARG(o.unimix() >= 0 && o.unimix() < 1, "unimix", "expected a number in [0, 1), got ",
                 o.unimix());
  MBRL_CHECK_ARG(o.posterior() == "history" || o.posterior() == "observation", "posterior",
                 "expected history or observation, got '", o.posterior(), "'");
  MBRL_CHECK(backbone_ != nullptr, "WorldModel: no backbone");
  MBRL_CHECK_ARG(backbone_->members() == 1, "members",
                 "the world model's deterministic path is one backbone; expected members 1, got ",
                 backbone_->members());
  const int64_t latent = o.latents() * o.classes();
  MBRL_CHECK_ARG(backbone_->input_size() == latent + o.act_dim(), "backbone",
                 "expected a backbone reading latents * classes + act_dim = ", latent + o.act_dim(),
                 " inputs, got ", backbone_->input_size());
  register_module("backbone", backbone_);
  const int64_t deter = backbone_->output_size();
  const int64_t feat = deter + latent;
  encoder_ = register_module(
      "encoder", Mlp(layer_norm_silu_mlp(o.obs_dim(), o.units(), o.units(), o.layers())));
  const int64_t posterior_in = posterior_reads_history() ? deter + o.units() : o.units();
  posterior_ =
      register_module("posterior", Mlp(layer_norm_silu_mlp(posterior_in, latent, o.units(), 1)));
  prior_ = register_module("prior", Mlp(layer_norm_silu_mlp(deter, latent, o.units(), 1)));
  decoder_ = register_module("decoder",
                             Mlp(layer_norm_silu_mlp(feat, o.obs_dim(), o.units(), o.layers())));
  reward_ = register_module("reward",
                            Mlp(layer_norm_silu_mlp(feat, bins_.size(), o.units(), o.layers())));
  continue_ = register_module("cont", Mlp(layer_norm_silu_mlp(feat, 1, o.units(), o.layers())));
  // the reward head starts predicting 0 (DreamerV3: outscale 0.0)
  torch::NoGradGuard no_grad;
  const std::string out = "linear" + std::to_string(o.layers());
  for (const char* p : {".weight", ".bias"}) reward_->named_parameters()[out + p].zero_();
}

int64_t WorldModel::feature_size() const {
  return backbone_->output_size() + options_.latents() * options_.classes();
}

LatentState WorldModel::initial_state(int64_t batch, c10::Device device) const {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  return {backbone_->initial_state(batch, device),
          torch::zeros({batch, backbone_->output_size()}, opts),
          torch::zeros({batch, options_.latents() * options_.classes()}, opts)};
}

at::Tensor WorldModel::prior_log_probs(const at::Tensor& h) {
  at::Tensor logits = prior_->forward(h).unflatten(-1, {options_.latents(), options_.classes()});
  return unimix_log_probs(logits, options_.unimix());
}

at::Tensor WorldModel::posterior_logits(const at::Tensor& h, const at::Tensor& embed) {
  const at::Tensor in = posterior_reads_history() ? torch::cat({h, embed}, -1) : embed;
  return posterior_->forward(in).unflatten(-1, {options_.latents(), options_.classes()});
}

at::Tensor WorldModel::features(const LatentState& state) const {
  return torch::cat({state.h, state.z}, -1);
}

LatentState cat_rows(const std::vector<LatentState>& parts) {
  MBRL_CHECK(!parts.empty(), "cat_rows: no state");
  const auto cat = [&](auto field) {
    std::vector<at::Tensor> rows;
    for (const auto& p : parts) rows.push_back(field(p));
    return torch::cat(rows);
  };
  LatentState all;
  for (size_t i = 0; i < parts.front().memory.tensors.size(); ++i)
    all.memory.tensors.push_back(cat([i](const LatentState& p) { return p.memory.tensors[i]; }));
  all.h = cat([](const LatentState& p) { return p.h; });
  all.z = cat([](const LatentState& p) { return p.z; });
  return all;
}

LatentState repeat_rows(const LatentState& state, int64_t k) {
  const auto repeat = [k](const at::Tensor& t) {
    std::vector<int64_t> times(static_cast<size_t>(t.dim()), 1);
    times[0] = k;
    return t.repeat(times);
  };
  LatentState out;
  out.h = repeat(state.h);
  out.z = repeat(state.z);
  for (const auto& t : state.memory.tensors) out.memory.tensors.push_back(repeat(t));
  return out;
}

Observation WorldModel::observe(const StepBatch& steps, bool keep_states) {
  const int64_t T = steps.length(), B = steps.batch();
  MBRL_CHECK(T >= 1 && B >= 1, "WorldModel::observe: an empty chunk");
  MBRL_CHECK(
      steps.obs.size(2) == options_.obs_dim() && steps.prev_act.size(2) == options_.act_dim(),
      "WorldModel::observe: expected obs [T, B, ", options_.obs_dim(), "] and prev_act [T, B, ",
      options_.act_dim(), "], got ", steps.obs.sizes(), " and ", steps.prev_act.sizes());
  const at::Tensor embed = encoder_->forward(symlog(steps.obs));
  if (!posterior_reads_history()) return observe_in_parallel(steps, embed, keep_states);
  LatentState state = initial_state(B, steps.obs.device());
  std::vector<at::Tensor> features, posteriors, priors;
  std::vector<LatentState> states;
  for (int64_t t = 0; t < T; ++t) {
    PosteriorStep step = posterior_step(state, embed[t], steps.prev_act[t], steps.is_first[t]);
    state = std::move(step.state);
    features.push_back(this->features(state));
    posteriors.push_back(step.posterior);
    priors.push_back(step.prior);
    if (keep_states) states.push_back(state);
  }
  Observation o{torch::stack(features), torch::stack(posteriors), torch::stack(priors), state, {}};
  if (keep_states) o.every = cat_rows(states);
  return o;
}

Observation WorldModel::observe_in_parallel(const StepBatch& steps, const at::Tensor& embed,
                                            bool keep_states) {
  const int64_t T = steps.length(), B = steps.batch();
  const LatentState start = initial_state(B, steps.obs.device());
  Observation o;
  o.posterior = unimix_log_probs(posterior_logits(at::Tensor(), embed), options_.unimix());
  // [T * B * G] rows drawn in one call: the samples posterior_step draws step by step
  const at::Tensor z = sample_straight_through(o.posterior, gen_).flatten(-2);  // [T, B, G K]
  // the backbone reads [z_{t-1}, a_{t-1}], zero at an episode's first step (as posterior_step)
  const at::Tensor prev_z = torch::cat({start.z.unsqueeze(0), z.narrow(0, 0, T - 1)}, 0);
  const at::Tensor keep = steps.is_first.logical_not().unsqueeze(-1).to(torch::kFloat32);
  const at::Tensor input = torch::cat({prev_z * keep, steps.prev_act * keep}, -1);
  auto [h, memory] = backbone_->forward(input, steps.is_first, start.memory);
  o.prior = prior_log_probs(h);
  o.features = torch::cat({h, z}, -1);
  o.last = {std::move(memory), h[T - 1], z[T - 1]};
  if (keep_states) {
    o.every = {backbone_->states_along(input.detach(), steps.is_first, start.memory, h),
               h.flatten(0, 1), z.flatten(0, 1)};
  }
  return o;
}

WorldModel::PosteriorStep WorldModel::posterior_step(const LatentState& state,
                                                     const at::Tensor& embed,
                                                     const at::Tensor& prev_act,
                                                     const at::Tensor& is_first) {
  // an episode's first step forgets z and a; the backbone resets its own memory
  const at::Tensor keep = is_first.logical_not().unsqueeze(-1).to(torch::kFloat32);
  const at::Tensor input = torch::cat({state.z * keep, prev_act * keep}, -1);
  auto [h, memory] = backbone_->step(state.memory, input, is_first);
  PosteriorStep step;
  step.prior = prior_log_probs(h);
  step.posterior = unimix_log_probs(posterior_logits(h, embed), options_.unimix());
  step.state = {std::move(memory), h, sample_straight_through(step.posterior, gen_).flatten(-2)};
  return step;
}

LatentState WorldModel::observe_step(const LatentState& state, const at::Tensor& obs,
                                     const at::Tensor& prev_act, const at::Tensor& is_first) {
  MBRL_CHECK(obs.dim() == 2 && obs.size(1) == options_.obs_dim() && prev_act.dim() == 2 &&
                 prev_act.size(1) == options_.act_dim(),
             "WorldModel::observe_step: expected obs [B, ", options_.obs_dim(),
             "] and prev_act [B, ", options_.act_dim(), "], got ", obs.sizes(), " and ",
             prev_act.sizes());
  return posterior_step(state, encoder_->forward(symlog(obs)), prev_act, is_first).state;
}

LatentState WorldModel::imagine_step(const LatentState& state, const at::Tensor& action) {
  auto [h, memory] = backbone_->step(state.memory, torch::cat({state.z, action}, -1), at::Tensor());
  const at::Tensor z = sample_straight_through(prior_log_probs(h), gen_).flatten(-2);
  return {std::move(memory), h, z};
}

at::Tensor WorldModel::predict_reward(const at::Tensor& features) {
  return bins_.decode(reward_->forward(features));
}

at::Tensor WorldModel::predict_continue(const at::Tensor& features) {
  return torch::sigmoid(continue_->forward(features).squeeze(-1));
}

at::Tensor WorldModel::decode(const at::Tensor& features) {
  return symexp(decoder_->forward(features));
}

WorldModelLosses WorldModel::loss(const StepBatch& steps, Observation* observed) {
  const Observation o = observe(steps, /*keep_states=*/observed != nullptr);
  if (observed != nullptr) *observed = o;
  WorldModelLosses l;
  l.recon = (decoder_->forward(o.features) - symlog(steps.obs)).square().sum(-1).mean();
  l.reward = bins_.loss(reward_->forward(o.features), steps.reward).mean();
  const at::Tensor cont_target = steps.is_terminal.logical_not().to(torch::kFloat32);
  l.cont = torch::binary_cross_entropy_with_logits(continue_->forward(o.features).squeeze(-1),
                                                   cont_target);
  const KlLosses kl = kl_losses(o.posterior, o.prior, options_.free_nats());
  l.dyn = kl.dyn.mean();
  l.rep = kl.rep.mean();
  l.kl = kl.kl.mean();
  l.total =
      l.recon + l.reward + l.cont + options_.dyn_scale() * l.dyn + options_.rep_scale() * l.rep;
  return l;
}

void save_world_model(const WorldModel& model, const std::filesystem::path& path) {
  checkpoint::save_file(path, "the world model",
                        [&](torch::serialize::OutputArchive& a) { model.save(a); });
}

void load_world_model(WorldModel& model, const std::filesystem::path& path) {
  torch::serialize::InputArchive archive = checkpoint::load_file(path, "a world model file");
  try {
    model.load(archive);
  } catch (const c10::Error&) {
    throw DataError(path.string() + ": holds a world model of other sizes than this run's");
  }
}

}  // namespace mbrl
