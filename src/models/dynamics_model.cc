// Path-based save and load of dynamics models, written atomically.
#include "mbrl/models/dynamics_model.h"

#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"

namespace mbrl {

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
