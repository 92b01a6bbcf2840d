// BcAgent: behaviour cloning, a deterministic policy regressed onto a dataset's actions; the
// baseline offline RL results are read against (D4RL's BC row; CORL's any_percent_bc.py).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/arg.h>

#include "mbrl/agents/learner.h"
#include "mbrl/core/types.h"
#include "mbrl/nn/mlp.h"

namespace torch::optim {
class Adam;
}  // namespace torch::optim

namespace mbrl {

struct BuildContext;
class ConfigNode;

/// Options of BcAgent; each field is the YAML key of the `agent:` section (type: bc). Defaults
/// are CORL's any_percent_bc.py (256 x 2 ReLU actor, Adam 3e-4, batch 256).
struct BcOptions {
  /// Width of the policy's hidden layers, >= 1.
  TORCH_ARG(int64_t, hidden_size) = 256;
  /// Hidden layers, >= 1.
  TORCH_ARG(int64_t, num_layers) = 2;
  /// Adam learning rate, > 0.
  TORCH_ARG(double, lr) = 3e-4;
  /// Minibatch size the training loops sample for each update, >= 1.
  TORCH_ARG(int64_t, batch_size) = 256;
};

/// A deterministic policy a = c + h * tanh(f(s)), with f an MLP and c, h the centre and half
/// width of the action bounds, trained by mean squared error to the batch's actions mapped to
/// [-1, 1] (CORL's BC: `(pi(s) - a)^2` with a tanh actor scaled to max_action). It ignores
/// rewards, next states and termination. Exploration and evaluation act alike.
class BcAgent : public PolicyLearner {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  BcAgent(BcOptions options, const EnvSpec& spec, at::Generator gen,
          c10::Device device = c10::kCPU);
  ~BcAgent() override;

  at::Tensor act(const at::Tensor& obs, ActMode mode = ActMode::kExplore) override;
  /// obs: [B, obs_dim] -> actions [B, act_dim] in the env's bounds (always the policy's output).
  at::Tensor act_batch(const at::Tensor& obs, bool deterministic) override;
  /// One Adam step on the mean over batch and action dims of (tanh f(s) - a_normalised)^2 ->
  /// {bc_loss} (before the step). Throws NonFiniteError on a non-finite loss.
  UpdateMetrics update(const TransitionBatch& batch) override;
  const std::vector<std::string>& metric_names() const override;
  int64_t batch_size() const override { return options_.batch_size(); }

  void save(torch::serialize::OutputArchive& archive) const override;
  /// Throws DataError when the archive holds another shape of agent.
  void load(torch::serialize::InputArchive& archive) override;

  const BcOptions& options() const { return options_; }

 private:
  // obs [B, obs_dim] on the device -> tanh f(s) in [-1, 1]
  at::Tensor normalized_action(const at::Tensor& obs);

  BcOptions options_;
  int64_t obs_dim_, act_dim_;
  c10::Device device_;
  Mlp policy_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  at::Tensor act_bias_, act_scale_;  // [act_dim]: centre and half width of the bounds
};

/// Reads BcOptions from the `agent:` section.
BcOptions bc_options_from_config(const ConfigNode& node);
/// The `bc` entry of policy_learner_registry().
std::shared_ptr<BcAgent> make_bc_agent(const ConfigNode& node, const BuildContext& ctx);

}  // namespace mbrl
