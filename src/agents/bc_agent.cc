// Behaviour cloning: a tanh MLP policy regressed onto the dataset's actions.
#include "mbrl/agents/bc_agent.h"

#include <cmath>

#include <torch/torch.h>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/check.h"
#include "mbrl/envs/env.h"

namespace mbrl {
namespace {

at::Tensor shape_signature(int64_t obs_dim, int64_t act_dim, const BcOptions& o) {
  return torch::tensor({obs_dim, act_dim, o.hidden_size(), o.num_layers()}, torch::kInt64);
}

}  // namespace

BcAgent::BcAgent(BcOptions options, const EnvSpec& spec, at::Generator gen, c10::Device device)
    : options_(std::move(options)),
      obs_dim_(spec.obs_dim()),
      act_dim_(spec.act_dim()),
      device_(device),
      policy_(MlpOptions(spec.obs_dim(), spec.act_dim())
                  .hidden_size(options_.hidden_size())
                  .num_layers(options_.num_layers())) {
  check_positive(options_.hidden_size(), "hidden_size");
  check_positive(options_.num_layers(), "num_layers");
  check_positive(options_.batch_size(), "batch_size");
  MBRL_CHECK_ARG(options_.lr() > 0 && std::isfinite(options_.lr()), "lr",
                 "expected a finite number > 0, got ", options_.lr());
  policy_->to(device_);
  policy_->reset_parameters(gen);
  optimizer_ = std::make_unique<torch::optim::Adam>(policy_->parameters(),
                                                    torch::optim::AdamOptions(options_.lr()));
  const Box& bounds = spec.action_space;
  act_bias_ = ((bounds.high + bounds.low) / 2).to(device_, torch::kFloat32);
  act_scale_ = ((bounds.high - bounds.low) / 2).to(device_, torch::kFloat32);
}

BcAgent::~BcAgent() = default;

const std::vector<std::string>& BcAgent::metric_names() const {
  static const std::vector<std::string> names{"bc_loss"};
  return names;
}

at::Tensor BcAgent::normalized_action(const at::Tensor& obs) {
  return torch::tanh(policy_->forward(obs.to(device_, torch::kFloat32)));
}

at::Tensor BcAgent::act(const at::Tensor& obs, ActMode) {
  MBRL_CHECK_SHAPE(obs, {obs_dim_}, "obs");
  return act_batch(obs.unsqueeze(0), true).squeeze(0).to(torch::kCPU);
}

at::Tensor BcAgent::act_batch(const at::Tensor& obs, bool) {
  MBRL_CHECK_SHAPE(obs, {-1, obs_dim_}, "obs");
  torch::NoGradGuard no_grad;
  return (act_bias_ + act_scale_ * normalized_action(obs)).to(obs.device());
}

UpdateMetrics BcAgent::update(const TransitionBatch& batch) {
  MBRL_CHECK_SHAPE(batch.obs, {-1, obs_dim_}, "obs");
  MBRL_CHECK_SHAPE(batch.act, {batch.obs.size(0), act_dim_}, "act");
  torch::AutoGradMode grad(true);
  const at::Tensor target =
      ((batch.act.to(device_, torch::kFloat32) - act_bias_) / act_scale_).clamp(-1.0, 1.0);
  const at::Tensor loss = (normalized_action(batch.obs) - target).pow(2).mean();
  const double value = loss.item<double>();
  if (!std::isfinite(value)) throw NonFiniteError("bc: non-finite loss");
  optimizer_->zero_grad();
  loss.backward();
  optimizer_->step();
  return {value};
}

void BcAgent::save(torch::serialize::OutputArchive& archive) const {
  archive.write("shape", shape_signature(obs_dim_, act_dim_, options_));
  torch::serialize::OutputArchive policy(archive.compilation_unit());
  policy_->save(policy);
  archive.write("policy", policy);
  torch::serialize::OutputArchive optimizer(archive.compilation_unit());
  optimizer_->save(optimizer);
  archive.write("optimizer", optimizer);
}

void BcAgent::load(torch::serialize::InputArchive& archive) {
  at::Tensor shape;
  archive.read("shape", shape);
  const at::Tensor expected = shape_signature(obs_dim_, act_dim_, options_);
  shape = shape.to(torch::kCPU, torch::kInt64).contiguous();
  if (!shape.sizes().equals(expected.sizes()) || !shape.equal(expected)) {
    throw DataError(detail::str("bc: the archive was saved for (obs_dim, act_dim, hidden_size, ",
                                "num_layers) = ", shape.view(-1), "; this agent has ",
                                expected.view(-1)));
  }
  torch::serialize::InputArchive policy, optimizer;
  archive.read("policy", policy);
  policy_->load(policy);
  archive.read("optimizer", optimizer);
  optimizer_->load(optimizer);
}

BcOptions bc_options_from_config(const ConfigNode& node) {
  BcOptions o;
  MBRL_READ_OPTION(node, o, hidden_size);
  MBRL_READ_OPTION(node, o, num_layers);
  MBRL_READ_OPTION(node, o, lr);
  MBRL_READ_OPTION(node, o, batch_size);
  return o;
}

std::shared_ptr<BcAgent> make_bc_agent(const ConfigNode& node, const BuildContext& ctx) {
  require_continuous_actions(node, ctx);
  return std::make_shared<BcAgent>(bc_options_from_config(node), ctx.env(), ctx.generator("agent"),
                                   ctx.device);
}

}  // namespace mbrl
