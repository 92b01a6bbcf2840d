// RunDir: the folder a run writes: runs/<config-name>/<UTC time>-s<seed>/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace mbrl {

/// The output folder of one run, holding `config.yaml` (the resolved config), `metrics.csv`,
/// `log.txt` and `checkpoints/`.
class RunDir {
 public:
  /// Creates `<root>/<config_name>/<YYYYMMDDTHHMMSSZ>-s<seed>/` (a `-2`, `-3`, ... suffix is
  /// added if it exists). Throws IoError when it cannot be created.
  static RunDir create(const std::filesystem::path& root, const std::string& config_name,
                       uint64_t seed);
  /// Uses exactly `path`, which must not exist or be an empty folder (CLI `--run-dir`).
  static RunDir create_at(const std::filesystem::path& path);
  /// Opens an existing run folder (eval, resume); throws IoError if it has no config.yaml.
  static RunDir open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path config_path() const { return path_ / "config.yaml"; }
  std::filesystem::path metrics_path() const { return path_ / "metrics.csv"; }
  std::filesystem::path log_path() const { return path_ / "log.txt"; }
  /// `checkpoints/`, created on first call.
  std::filesystem::path checkpoints_dir() const;

 private:
  explicit RunDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

/// Current UTC time as `YYYYMMDDTHHMMSSZ`.
std::string utc_timestamp();

}  // namespace mbrl
