// Command-line overrides of config values: `--set agent.optimizer.population_size=200`.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace mbrl {

/// One parsed `key.path=value` override.
struct ConfigOverride {
  std::string text;      // as given, for messages
  std::string key_path;  // dotted, e.g. "agent.optimizer.population_size"
  YAML::Node value;      // the value parsed as YAML ("200" -> scalar, "[1, 2]" -> list)
};

/// Parses `text`; throws ConfigError located at `--set <text>` when the syntax is wrong
/// (no '=', an empty or malformed key, YAML that does not parse).
ConfigOverride parse_override(const std::string& text);

/// Sets `o.value` at `o.key_path` inside `root`, creating intermediate maps; throws ConfigError
/// when a prefix of the path is a scalar or list.
void apply_override(YAML::Node& root, const ConfigOverride& o);

}  // namespace mbrl
