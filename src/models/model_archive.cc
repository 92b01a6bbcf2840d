// Model archives: type and architecture entries, then every parameter and buffer.
#include "mbrl/models/model_archive.h"

#include <memory>

#include <torch/torch.h>

#include "mbrl/core/check.h"

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

void write_model_state(torch::serialize::OutputArchive& archive, const std::string& type,
                       const ModelArchitecture& architecture, const torch::nn::Module& module) {
  archive.write("model_type", c10::IValue(type));
  for (const auto& [field, value] : architecture) {
    archive.write("architecture." + field, c10::IValue(value));
  }
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    archive.write("state." + p.key(), p.value().detach().cpu());
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    archive.write("state." + b.key(), b.value().cpu(), /*is_buffer=*/true);
  }
}

std::function<void()> read_model_state(torch::serialize::InputArchive& archive,
                                       const std::string& source, const std::string& type,
                                       const ModelArchitecture& architecture,
                                       torch::nn::Module& module) {
  // the architecture first, so a mismatch is named instead of failing on a tensor shape
  const std::string file_type = read_string(archive, "model_type", source);
  if (file_type != type) {
    throw DataError(source + ": holds a '" + file_type + "' model, expected '" + type + "'");
  }
  for (const auto& [field, value] : architecture) {
    const std::string in_file = read_string(archive, "architecture." + field, source);
    if (in_file != value) {
      throw DataError(source + ": model architecture differs: " + field + " is " + in_file +
                      " in the file, " + value + " in this model");
    }
  }

  // then every tensor, checked before anything is overwritten
  auto copies = std::make_shared<std::vector<std::pair<at::Tensor, at::Tensor>>>();
  auto stage = [&](const std::string& name, const at::Tensor& target, bool is_buffer) {
    at::Tensor t;
    if (!archive.try_read("state." + name, t, is_buffer)) {
      throw DataError(source + ": model entry '" + name + "' is missing");
    }
    if (t.sizes() != target.sizes()) {
      throw DataError(detail::str(source, ": model entry '", name, "' has shape ", t.sizes(),
                                  ", expected ", target.sizes()));
    }
    copies->emplace_back(target, t);
  };
  for (const auto& p : module.named_parameters(true)) stage(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(true)) stage(b.key(), b.value(), true);
  return [copies] {
    torch::NoGradGuard no_grad;
    for (auto& [target, value] : *copies) target.copy_(value);
  };
}

}  // namespace mbrl
