// Row selection of rollout states, the uncertainty capability, and path-based save and load of
// dynamics models, written atomically.
#include "mbrl/models/dynamics_model.h"

#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"

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
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    torch::serialize::OutputArchive archive;
    model.save(archive);
    try {
      archive.save_to(tmp.string());
    } catch (const c10::Error&) {
      throw IoError(tmp.string(), "cannot write the " + model.type() + " model");
    }
  });
}

void load_model(DynamicsModel& model, const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw DataError(path.string() + ": file does not exist");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path.string());
  } catch (const c10::Error&) {
    throw DataError(path.string() + ": not a model file (cannot be read as a torch archive)");
  }
  model.load(archive, path.string());
}

}  // namespace mbrl
