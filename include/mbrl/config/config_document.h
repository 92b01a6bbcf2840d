// Internal: the state shared by all ConfigNodes of one loaded configuration.
#pragma once

#include <map>
#include <string>

#include <yaml-cpp/yaml.h>

namespace mbrl::detail {

struct ConfigDocument {
  std::string source;        // the top-level file (or a name for in-memory configs)
  YAML::Node input_root;     // the merged input, after `defaults:` and `--set`
  YAML::Node resolved_root;  // what components read, defaults filled in
  // key path -> file it came from (composition through `defaults:`); "" is the top file
  std::map<std::string, std::string> file_origins;
  // key path -> the `--set key=value` text that set it
  std::map<std::string, std::string> override_origins;
};

}  // namespace mbrl::detail
