// Saving and restoring a model's architecture and tensors in a torch archive, shared by every
// DynamicsModel: a file of another type or architecture is named, not a shape error.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "mbrl/io/archive_fwd.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn
namespace mbrl {

/// (field, value) pairs that must match between a saved file and the model loading it.
using ModelArchitecture = std::vector<std::pair<std::string, std::string>>;

/// Writes "model_type", "architecture.<field>" and "state.<name>" for every parameter and
/// buffer of `module` (as CPU tensors).
void write_model_state(torch::serialize::OutputArchive& archive, const std::string& type,
                       const ModelArchitecture& architecture, const torch::nn::Module& module);

/// Checks what write_model_state wrote against `type` and `architecture` and reads every
/// parameter and buffer of `module`, overwriting nothing yet: returns the function that copies
/// them in (call it after any further checks of the caller's own entries). Throws DataError
/// naming `source` and the first difference (type, architecture field, missing entry, shape).
std::function<void()> read_model_state(torch::serialize::InputArchive& archive,
                                       const std::string& source, const std::string& type,
                                       const ModelArchitecture& architecture,
                                       torch::nn::Module& module);

}  // namespace mbrl
