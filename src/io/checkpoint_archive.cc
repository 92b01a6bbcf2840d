// Checkpoint archive helpers.
#include "mbrl/io/checkpoint_archive.h"

#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/io/atomic_file.h"

namespace mbrl::checkpoint {
namespace {

at::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key) {
  at::Tensor t;
  if (!archive.try_read(key, t)) throw DataError("checkpoint entry '" + key + "' is missing");
  return t;
}

}  // namespace

void write_int(torch::serialize::OutputArchive& archive, const std::string& key, int64_t value) {
  archive.write(key, torch::tensor(value, torch::kInt64));
}

void write_double(torch::serialize::OutputArchive& archive, const std::string& key, double value) {
  archive.write(key, torch::tensor(value, torch::kFloat64));
}

int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  return read_tensor(archive, key).item<int64_t>();
}

double read_double(torch::serialize::InputArchive& archive, const std::string& key) {
  return read_tensor(archive, key).item<double>();
}

void write_generator(torch::serialize::OutputArchive& archive, const std::string& key,
                     const at::Generator& gen) {
  archive.write(key, gen.get_state());
}

void read_generator(torch::serialize::InputArchive& archive, const std::string& key,
                    at::Generator& gen) {
  at::Tensor state = read_tensor(archive, key);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state.to(torch::kCPU));
}

torch::serialize::InputArchive read_nested(torch::serialize::InputArchive& archive,
                                           const std::string& key) {
  torch::serialize::InputArchive nested;
  if (!archive.try_read(key, nested)) throw DataError("checkpoint entry '" + key + "' is missing");
  return nested;
}

void save_file(const std::filesystem::path& path, const std::string& what,
               const std::function<void(torch::serialize::OutputArchive&)>& fill) {
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    torch::serialize::OutputArchive archive;
    fill(archive);
    try {
      archive.save_to(tmp.string());
    } catch (const c10::Error&) {
      throw IoError(tmp.string(), "cannot write " + what);
    }
  });
}

torch::serialize::InputArchive load_file(const std::filesystem::path& path,
                                         const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw DataError(path.string() + ": file does not exist");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path.string());
  } catch (const c10::Error&) {
    throw DataError(path.string() + ": not " + what + " (cannot be read as a torch archive)");
  }
  return archive;
}

}  // namespace mbrl::checkpoint
