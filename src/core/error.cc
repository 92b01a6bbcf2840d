// Message assembly for the typed errors of core/error.h.
#include "mbrl/core/error.h"

namespace mbrl {
namespace {

std::string join_location(const std::string& where, const std::string& key_path,
                          const std::string& message) {
  std::string out;
  if (!where.empty()) out += where + ": ";
  if (!key_path.empty()) out += key_path + ": ";
  return out + message;
}

}  // namespace

ConfigError::ConfigError(std::string where, std::string key_path, const std::string& message)
    : Error(join_location(where, key_path, message)),
      where_(std::move(where)),
      key_path_(std::move(key_path)),
      reason_(message) {}

InvalidArgument::InvalidArgument(std::string field, const std::string& message)
    : Error(join_location("", field, message)), field_(std::move(field)), reason_(message) {}

IoError::IoError(std::string path, const std::string& message)
    : Error(join_location(path, "", message)), path_(std::move(path)) {}

}  // namespace mbrl
