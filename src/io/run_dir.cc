// Run folder creation and layout.
#include "mbrl/io/run_dir.h"

#include <ctime>

#include "mbrl/core/check.h"

namespace mbrl {

namespace fs = std::filesystem;

std::string utc_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

RunDir RunDir::create(const fs::path& root, const std::string& config_name, uint64_t seed) {
  const fs::path base = root / config_name / detail::str(utc_timestamp(), "-s", seed);
  fs::path path = base;
  std::error_code ec;
  for (int i = 2; fs::exists(path, ec); ++i) path = detail::str(base.string(), "-", i);
  fs::create_directories(path, ec);
  if (ec) throw IoError(path.string(), "cannot create the run folder: " + ec.message());
  return RunDir(path);
}

RunDir RunDir::create_at(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec) && !(fs::is_directory(path, ec) && fs::is_empty(path, ec))) {
    throw IoError(path.string(), "run folder already exists and is not empty");
  }
  fs::create_directories(path, ec);
  if (ec) throw IoError(path.string(), "cannot create the run folder: " + ec.message());
  return RunDir(path);
}

RunDir RunDir::open(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) throw IoError(path.string(), "run folder does not exist");
  if (!fs::exists(path / "config.yaml", ec)) {
    throw IoError(path.string(), "not a run folder: it has no config.yaml");
  }
  return RunDir(path);
}

fs::path RunDir::checkpoints_dir() const {
  fs::path dir = path_ / "checkpoints";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir.string(), "cannot create: " + ec.message());
  return dir;
}

}  // namespace mbrl
