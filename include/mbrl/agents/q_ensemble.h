// QEnsemble: N independent Q(s, a) networks evaluated in one batched matmul per layer (SAC's twin
// critic with N = 2; SAC-N / RAVL critics with larger N).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include "mbrl/io/archive_fwd.h"
#include "mbrl/nn/ensemble_mlp.h"

namespace mbrl {

/// Options of QEnsemble.
struct QEnsembleOptions {
  QEnsembleOptions(int64_t obs_dim, int64_t act_dim) : obs_dim_(obs_dim), act_dim_(act_dim) {}
  /// Observation width, >= 1.
  TORCH_ARG(int64_t, obs_dim);
  /// Action width, >= 1.
  TORCH_ARG(int64_t, act_dim);
  /// Number of Q networks, >= 1 (2: SAC's clipped double Q).
  TORCH_ARG(int64_t, num_critics) = 2;
  /// Width of the hidden layers, >= 1.
  TORCH_ARG(int64_t, hidden_size) = 256;
  /// Number of hidden ReLU layers, >= 1.
  TORCH_ARG(int64_t, num_layers) = 2;
};

/// `num_critics` MLPs Q_n([obs, act]) with their own weights: one EnsembleMlp (each layer one
/// `baddbmm` for all members, no loop over members) with Xavier-uniform weights. Each member is
/// in -> hidden (ReLU) x num_layers -> 1.
class QEnsembleImpl : public torch::nn::Cloneable<QEnsembleImpl> {
 public:
  explicit QEnsembleImpl(QEnsembleOptions options);

  void reset() override;
  /// Xavier-uniform weights (gain 1, per member) and zero biases from `gen` (nullopt: global).
  void reset_parameters(std::optional<at::Generator> gen = std::nullopt);

  /// obs: [B, obs_dim], act: [B, act_dim] (or [N, B, act_dim]: one action per critic) -> Q
  /// values [N, B].
  at::Tensor forward(const at::Tensor& obs, const at::Tensor& act);

  /// The elementwise minimum over members. obs: [B, obs_dim], act: [B, act_dim] -> [B].
  at::Tensor min_q(const at::Tensor& obs, const at::Tensor& act);

  /// Reads what save wrote; also reads files saved before the critics were an EnsembleMlp, whose
  /// layers were the module's own children layer0..layerL (the same tensors).
  void load(torch::serialize::InputArchive& archive) override;

  void pretty_print(std::ostream& stream) const override;

  QEnsembleOptions options;

 private:
  EnsembleMlp mlp_{nullptr};
};

/// A ModuleHolder for QEnsembleImpl.
TORCH_MODULE(QEnsemble);

}  // namespace mbrl
