// LatentDisagreement: an ensemble of heads that predict a world model's next stochastic latent,
// whose spread measures how uncertain the model is of a latent transition (Plan2Explore's
// disagreement, Sekar et al. 2020, as DreamerV3's expl.py Disag; COPlanner's uncertainty for
// Dreamer).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/module.h>

#include "mbrl/nn/ensemble_linear.h"

namespace torch::optim {
class Adam;
}  // namespace torch::optim
namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace mbrl {

/// Options of LatentDisagreement. Defaults: DreamerV3's disag_models 8 and expl_opt (Adam lr
/// 1e-4, eps 1e-5, norm clip 100); the heads are smaller than its disag_head (5 x 1024), sized
/// for CPU like the rest of our Dreamer.
struct LatentDisagreementOptions {
  LatentDisagreementOptions(int64_t feature_size, int64_t act_dim, int64_t target_size)
      : feature_size_(feature_size), act_dim_(act_dim), target_size_(target_size) {}
  /// The world model's features [h, z] and its action size: the heads read [h, z, a].
  TORCH_ARG(int64_t, feature_size);
  TORCH_ARG(int64_t, act_dim);
  /// The predicted latent's size (the world model's latents x classes).
  TORCH_ARG(int64_t, target_size);
  /// Heads E >= 2, hidden layers >= 1 of `units` (LayerNorm + SiLU).
  TORCH_ARG(int64_t, heads) = 8;
  TORCH_ARG(int64_t, units) = 128;
  TORCH_ARG(int64_t, layers) = 2;
  TORCH_ARG(double, lr) = 1e-4;
  TORCH_ARG(double, adam_eps) = 1e-5;
  TORCH_ARG(double, grad_clip) = 100.0;
};

/// E heads, each an MLP from [h_t, z_t, a_t] to z_{t+1} (the next step's one-hot latent sample,
/// flattened), computed together in batched matmuls (EnsembleLinear). Trained by regression
/// (DreamerV3's mse head: squared error summed over the latent, mean over steps, summed over
/// heads) on posterior sequences with stop-gradient inputs and targets, its own Adam.
/// The disagreement of a transition is the population std over heads of their predictions,
/// averaged over the latent's entries (expl.py Disag.__call__).
/// Differs from DreamerV3: the layers start as EnsembleLinear's truncated normal (DreamerV3:
/// normal, fan avg), and transitions across an episode start are left out of the loss.
class LatentDisagreement : public torch::nn::Module {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  explicit LatentDisagreement(LatentDisagreementOptions options);
  ~LatentDisagreement() override;

  const LatentDisagreementOptions& options() const { return options_; }

  /// features [N, F], action [N, A] -> every head's prediction [E, N, target_size].
  at::Tensor predict(const at::Tensor& features, const at::Tensor& action);
  /// features [N, F], action [N, A] -> disagreement [N] (no gradients).
  at::Tensor disagreement(const at::Tensor& features, const at::Tensor& action);

  /// One Adam step on the transitions t -> t + 1 of a chunk: features [T, B, F] (the posterior
  /// [h, z] of every step), action [T - 1, B, A] (the action taken at step t), valid [T - 1, B]
  /// bool (the transition t -> t + 1 stays in one episode). Inputs and targets are detached.
  /// Returns the loss; throws NonFiniteError ("dreamer: non-finite disagreement loss") when it is
  /// not finite, before any step.
  double train(const at::Tensor& features, const at::Tensor& action, const at::Tensor& valid);

  /// The optimizer's state (Module::save keeps the parameters).
  void save_training_state(torch::serialize::OutputArchive& archive) const;
  void load_training_state(torch::serialize::InputArchive& archive);

 private:
  LatentDisagreementOptions options_;
  std::vector<EnsembleLinear> hidden_;
  std::vector<at::Tensor> norm_scale_, norm_offset_;  // [E, 1, units] each
  EnsembleLinear output_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
};

}  // namespace mbrl
