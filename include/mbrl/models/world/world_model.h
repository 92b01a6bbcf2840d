// WorldModel: DreamerV3's recurrent state-space model for vector observations, with its
// deterministic path on any SequenceBackbone (GRU as DreamerV3, Transformer, S4D, Mamba).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/module.h>

#include "mbrl/data/step_replay.h"
#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/nn/mlp.h"
#include "mbrl/nn/twohot.h"

namespace mbrl {

/// Options of WorldModel; defaults are DreamerV3's (2023 release, ec526b9) but for the network
/// widths, set small for CPU (its `small` preset: units 512, deter 512).
struct WorldModelOptions {
  WorldModelOptions(int64_t obs_dim, int64_t act_dim) : obs_dim_(obs_dim), act_dim_(act_dim) {}
  TORCH_ARG(int64_t, obs_dim);
  TORCH_ARG(int64_t, act_dim);
  /// Categorical latent variables (G) and classes of each (K).
  TORCH_ARG(int64_t, latents) = 32;
  TORCH_ARG(int64_t, classes) = 32;
  /// Width and hidden layers of the encoder, decoder and heads (LayerNorm + SiLU).
  TORCH_ARG(int64_t, units) = 256;
  TORCH_ARG(int64_t, layers) = 2;
  /// Uniform mixture of the latent categoricals.
  TORCH_ARG(double, unimix) = 0.01;
  /// Free bits of each KL term, and the weights of the dynamics and representation terms.
  TORCH_ARG(double, free_nats) = 1.0;
  TORCH_ARG(double, dyn_scale) = 0.5;
  TORCH_ARG(double, rep_scale) = 0.1;
  /// Two-hot bins of the reward head.
  TORCH_ARG(int64_t, reward_bins) = 255;
  /// What the posterior reads: "history" q(z_t | h_t, x_t), DreamerV3's RSSM, observed step by
  /// step; or "observation" q(z_t | x_t), S4WM's and STORM's, observed in parallel over time.
  TORCH_ARG(std::string, posterior) = "history";
};

/// The model state of B sequences: the backbone's memory, its last output h [B, deter] and the
/// last stochastic state z [B, G * K] (one-hot samples, straight-through).
struct LatentState {
  BackboneState memory;
  at::Tensor h;
  at::Tensor z;
};

/// What `observe` computes for a chunk of steps: features [T, B, deter + G K] = [h_t, z_t] and
/// the unimix log-probabilities of the posterior and the prior [T, B, G, K].
struct Observation {
  at::Tensor features;
  at::Tensor posterior;
  at::Tensor prior;
  LatentState last;  // the state after the last step
  /// With observe(..., keep_states): the state after every step, all T x B of them as one batch
  /// (row t * B + b), where imagination starts (DreamerV3 imagines from every replayed step).
  LatentState every;
};

/// The world-model losses of a chunk, each the mean over its T x B steps: decoder symlog-MSE
/// (summed over observation entries), reward two-hot cross-entropy, continue binary
/// cross-entropy (target 1 - is_terminal), and the KL terms (with free bits); `total` is
/// recon + reward + cont + dyn_scale dyn + rep_scale rep, as DreamerV3's loss scales. `kl` is
/// the raw KL[q || p], for logging.
struct WorldModelLosses {
  at::Tensor total, recon, reward, cont, dyn, rep, kl;
};

/// DreamerV3's RSSM (Hafner et al. 2023, section 2; 2023 release nets.py RSSM):
///   h_t = backbone(h_{t-1}; [z_{t-1}, a_{t-1}]),  prior p(z_t | h_t),
///   posterior q(z_t | h_t, e_t) with e_t = encoder(symlog(x_t)),
/// and heads on [h_t, z_t]: decoder (symlog x_t), reward (two-hot over symlog bins, output layer
/// zero-initialised), continue. At an episode's first step the backbone's memory, z_{t-1} and
/// a_{t-1} are reset to zero; a chunk starts from the initial state, as DreamerV3's training.
/// With this posterior `observe` runs the backbone's recurrent form step by step (z_t feeds
/// h_{t+1}, and the posterior of z_t reads h_t), which every backbone has.
///
/// With `posterior: observation` the posterior is q(z_t | e_t), as S4WM's (Deng et al. 2023,
/// section 3: the encoder infers each frame's latent independently, the S4 blocks read
/// [z_{t-1}, a_{t-1}] and output h_t for the prior and the decoder) and STORM's (Zhang et al.
/// 2023: per-frame categorical VAE, a causal Transformer over [z, a] tokens). All z_t of a chunk
/// are then sampled first and the backbone reads the chunk in its parallel form (FFT convolution
/// for S4D, one masked attention for the Transformer, the chunked scan for Mamba). The rest is
/// DreamerV3's: the same heads, losses (KL balance and free bits), unimix and imagination.
/// Differences from those papers: S4WM and STORM decode images with a CNN and STORM's decoder
/// reads z_t only; here the vector decoder reads [h_t, z_t] as DreamerV3's does.
class WorldModel : public torch::nn::Module {
 public:
  /// backbone: its input_size() must be latents * classes + act_dim. gen: a generator on the
  /// model's device for the latent samples, owned from now on.
  WorldModel(WorldModelOptions options, std::shared_ptr<SequenceBackbone> backbone,
             at::Generator gen);

  const WorldModelOptions& options() const { return options_; }
  int64_t feature_size() const;
  /// The generator of the latent samples (for checkpoints: Module::save keeps parameters only).
  at::Generator& generator() { return gen_; }
  /// The state before the first step of `batch` sequences.
  LatentState initial_state(int64_t batch, c10::Device device) const;

  /// Posterior states of a chunk: steps as StepReplay returns them (obs [T, B, obs_dim],
  /// prev_act [T, B, act_dim], is_first [T, B]). keep_states: also return every step's state
  /// (Observation::every; every backbone's memory tensors are batch-first, so they stack).
  Observation observe(const StepBatch& steps, bool keep_states = false);
  /// One real step, as an agent acting in the environment tracks its state: the posterior
  /// sample after observing obs [B, obs_dim] reached by prev_act [B, act_dim]; is_first [B] bool
  /// (an episode's first observation: prev_act is ignored and the memory reset).
  LatentState observe_step(const LatentState& state, const at::Tensor& obs,
                           const at::Tensor& prev_act, const at::Tensor& is_first);
  /// One imagined step: the prior's sample after taking `action` [B, act_dim] in `state`.
  LatentState imagine_step(const LatentState& state, const at::Tensor& action);
  /// [h, z] of a state: [B, feature_size()].
  at::Tensor features(const LatentState& state) const;

  /// The losses of a chunk (see WorldModelLosses); differentiable. With `observed`, also the
  /// observation the losses were computed on, every step's state kept (for imagination).
  WorldModelLosses loss(const StepBatch& steps, Observation* observed = nullptr);
  /// Predicted reward and continue probability from features [..., F]: [...] each.
  at::Tensor predict_reward(const at::Tensor& features);
  at::Tensor predict_continue(const at::Tensor& features);
  /// The decoder's observation from features [..., F]: symexp of its symlog prediction,
  /// [..., obs_dim].
  at::Tensor decode(const at::Tensor& features);

 private:
  struct PosteriorStep {
    LatentState state;
    at::Tensor posterior, prior;  // [B, G, K] unimix log-probabilities
  };
  // the step that observe and observe_step share: embed [B, units]
  PosteriorStep posterior_step(const LatentState& state, const at::Tensor& embed,
                               const at::Tensor& prev_act, const at::Tensor& is_first);
  at::Tensor posterior_logits(const at::Tensor& h, const at::Tensor& embed);
  // observe with posterior: observation, the backbone's parallel form
  Observation observe_in_parallel(const StepBatch& steps, const at::Tensor& embed,
                                  bool keep_states);
  bool posterior_reads_history() const { return options_.posterior() == "history"; }
  at::Tensor prior_log_probs(const at::Tensor& h);

  WorldModelOptions options_;
  std::shared_ptr<SequenceBackbone> backbone_;
  at::Generator gen_;
  TwoHotBins bins_;
  Mlp encoder_{nullptr}, posterior_{nullptr}, prior_{nullptr}, decoder_{nullptr}, reward_{nullptr},
      continue_{nullptr};
};

/// The rows of every state in `parts`, in order, as one state (every tensor is batch-first, so
/// they concatenate): T states of B rows give row t * B + b.
LatentState cat_rows(const std::vector<LatentState>& parts);
/// The state of N rows repeated k times, copy-major (row c N + n is row n).
LatentState repeat_rows(const LatentState& state, int64_t k);

/// Writes the world model's weights to `path` atomically (a torch archive; its generator is not
/// kept); IoError naming the path when it cannot be written.
void save_world_model(const WorldModel& model, const std::filesystem::path& path);
/// Reads weights save_world_model wrote into `model`; DataError naming the path when the file is
/// missing, unreadable or holds a world model of other sizes.
void load_world_model(WorldModel& model, const std::filesystem::path& path);

}  // namespace mbrl
