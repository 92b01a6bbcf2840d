// GaussianMlpEnsemble save and load: architecture (model_archive.h) and elites.
#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"
#include "mbrl/models/model_archive.h"

namespace mbrl {

ModelArchitecture GaussianMlpEnsemble::architecture() const {
  const auto& o = options_;
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  return {{"obs_dim", std::to_string(o.obs_dim())},
          {"act_dim", std::to_string(o.act_dim())},
          {"ensemble_size", std::to_string(o.ensemble_size())},
          {"num_layers", std::to_string(o.num_layers())},
          {"hidden_size", std::to_string(o.hidden_size())},
          {"activation", activation_name(o.activation())},
          {"deterministic", flag(o.deterministic())},
          {"learn_logvar_bounds", flag(o.learn_logvar_bounds())},
          {"no_delta_list", detail::list_text(o.no_delta_list())},
          {"angle_dims", detail::list_text(o.angle_dims())},
          {"learn_reward", flag(o.learn_reward())},
          {"learn_termination", flag(o.learn_termination())}};
}

void GaussianMlpEnsemble::save(torch::serialize::OutputArchive& archive) const {
  write_model_state(archive, type(), architecture(), *this);
  archive.write("elites", torch::tensor(elites_, torch::kInt64));
}

void GaussianMlpEnsemble::load(torch::serialize::InputArchive& archive, const std::string& source) {
  std::function<void()> apply = read_model_state(archive, source, type(), architecture(), *this);
  at::Tensor elites;
  if (!archive.try_read("elites", elites)) {
    throw DataError(source + ": model entry 'elites' is missing");
  }
  std::vector<int64_t> elite_list(elites.data_ptr<int64_t>(),
                                  elites.data_ptr<int64_t>() + elites.numel());
  try {
    set_elites(elite_list);
  } catch (const InvalidArgument& e) {
    throw DataError(source + ": bad elites: " + e.reason());
  }
  apply();
}

}  // namespace mbrl
