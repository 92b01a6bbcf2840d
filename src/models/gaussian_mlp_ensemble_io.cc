// GaussianMlpEnsemble save and load: architecture check, parameters, normalizer and elites.
#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"

namespace mbrl {
namespace {

std::string read_string(torch::serialize::InputArchive& archive, const std::string& key,
                        const std::string& source) {
  c10::IValue value;
  if (!archive.try_read(key, value) || !value.isString()) {
    throw DataError(source + ": not a model file of this kind (entry '" + key + "' is missing)");
  }
  return value.toStringRef();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> GaussianMlpEnsemble::architecture() const {
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
  archive.write("model_type", c10::IValue(type()));
  for (const auto& [field, value] : architecture()) {
    archive.write("architecture." + field, c10::IValue(value));
  }
  for (const auto& p : named_parameters(/*recurse=*/true)) {
    archive.write("state." + p.key(), p.value().detach().cpu());
  }
  for (const auto& b : named_buffers(/*recurse=*/true)) {
    archive.write("state." + b.key(), b.value().cpu(), /*is_buffer=*/true);
  }
  archive.write("elites", torch::tensor(elites_, torch::kInt64));
}

void GaussianMlpEnsemble::load(torch::serialize::InputArchive& archive, const std::string& source) {
  // the architecture first, so a mismatch is named instead of failing on a tensor shape
  const std::string file_type = read_string(archive, "model_type", source);
  if (file_type != type()) {
    throw DataError(source + ": holds a '" + file_type + "' model, expected '" + type() + "'");
  }
  for (const auto& [field, value] : architecture()) {
    const std::string in_file = read_string(archive, "architecture." + field, source);
    if (in_file != value) {
      throw DataError(source + ": model architecture differs: " + field + " is " + in_file +
                      " in the file, " + value + " in this model");
    }
  }

  // then every tensor, checked before anything is overwritten
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;
  auto stage = [&](const std::string& name, const at::Tensor& target, bool is_buffer) {
    at::Tensor t;
    if (!archive.try_read("state." + name, t, is_buffer)) {
      throw DataError(source + ": model entry '" + name + "' is missing");
    }
    if (t.sizes() != target.sizes()) {
      throw DataError(detail::str(source, ": model entry '", name, "' has shape ", t.sizes(),
                                  ", expected ", target.sizes()));
    }
    copies.emplace_back(target, t);
  };
  for (const auto& p : named_parameters(true)) stage(p.key(), p.value(), false);
  for (const auto& b : named_buffers(true)) stage(b.key(), b.value(), true);
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

  torch::NoGradGuard no_grad;
  for (auto& [target, value] : copies) target.copy_(value);
}

}  // namespace mbrl
