// DynamicsModel: the base of every learned dynamics model built from the `model:` config section.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/nn/module.h>

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace mbrl {

/// A learned model of an environment's transitions (and optionally of its reward and
/// termination), built by model_registry() from `model: {type: ..., ...}`.
///
/// It is a torch::nn::Module, so `to(device)`, `parameters()` and `train()`/`eval()` work on it.
/// The base is kept small on purpose: what a model can do beyond this (ensemble members, elites,
/// uncertainty for GaussianMlpEnsemble; recurrent state for sequence models) lives on the
/// concrete class, which algorithms obtain with `std::dynamic_pointer_cast` once, at build time.
///
/// Threading contract: one thread at a time per instance; implementations may parallelize
/// internally.
class DynamicsModel : public torch::nn::Module {
 public:
  /// The registry type, e.g. "gaussian_mlp_ensemble"; used in messages and saved files.
  virtual std::string type() const = 0;
  virtual int64_t obs_dim() const = 0;
  virtual int64_t act_dim() const = 0;
  /// True when the model predicts the reward (so no task reward function is needed).
  virtual bool learns_reward() const { return false; }
  /// True when the model predicts termination.
  virtual bool learns_termination() const { return false; }

  /// Writes everything needed to restore the model exactly: its architecture, parameters and
  /// fitted state (normalizer, elites).
  void save(torch::serialize::OutputArchive& archive) const override = 0;
  /// Reads what `save` wrote; `source` names the file in messages. Throws DataError naming the
  /// source and the first difference when the archive holds another architecture, and naming
  /// the missing entry when it is incomplete.
  virtual void load(torch::serialize::InputArchive& archive, const std::string& source) = 0;
  /// Same, with a generic source name.
  void load(torch::serialize::InputArchive& archive) override { load(archive, "model archive"); }
};

/// Writes `model` to `path` atomically (a killed process leaves the old file or none); throws
/// IoError naming the path when it cannot be written.
void save_model(const DynamicsModel& model, const std::filesystem::path& path);

/// Restores `model` from a file written by save_model. Throws DataError naming the path when the
/// file is missing, is not a model archive, or holds another architecture (the message names the
/// first differing field, e.g. "hidden_size is 100 in the file, 200 in this model").
void load_model(DynamicsModel& model, const std::filesystem::path& path);

}  // namespace mbrl
