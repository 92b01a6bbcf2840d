// Row selection of rollout states, the uncertainty capability, and path-based save and load of
// dynamics models, written atomically.
#include "mbrl/models/dynamics_model.h"

#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/io/checkpoint_archive.h"

namespace mbrl {

ModelState ModelState::select(const at::Tensor& index) const {
  ModelState s;
  s.obs = obs.index_select(0, index);
  for (const auto& l : latent) s.latent.push_back(l.index_select(0, index));
  if (member.defined()) s.member = member.index_select(0, index);
  s.spec = spec;
  return s;
}

UncertaintyAware* uncertainty_aware(DynamicsModel& model) {
  auto* aware = dynamic_cast<UncertaintyAware*>(&model);
  return aware != nullptr && aware->reports_uncertainty() ? aware : nullptr;
}

const UncertaintyAware* uncertainty_aware(const DynamicsModel& model) {
  return uncertainty_aware(const_cast<DynamicsModel&>(model));
}

void save_model(const DynamicsModel& model, const std::filesystem::path& path) {
  checkpoint::save_file(path, "the " + model.type() + " model",
                        [&](torch::serialize::OutputArchive& a) { model.save(a); });
}

void load_model(DynamicsModel& model, const std::filesystem::path& path) {
  torch::serialize::InputArchive archive = checkpoint::load_file(path, "a model file");
  model.load(archive, path.string());
}

}  // namespace mbrl
