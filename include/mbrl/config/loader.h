// Loading a configuration: read YAML, compose `defaults:` files, apply `--set` overrides.
#pragma once

#include <string>
#include <vector>

#include "mbrl/config/config_node.h"

namespace mbrl {

/// Loads the YAML file at `path`.
///
/// Composition: a top-level `defaults:` list names other YAML files (relative to the including
/// file) that are deep-merged in order, then the file's own keys are merged on top. Overrides
/// (`key.path=value`, values parsed as YAML) are applied last, before any component validates the
/// tree. Errors (a missing or unreadable file, malformed YAML, a bad override) are ConfigErrors
/// that name the file, line and column, or the override text.
ConfigNode load_config(const std::string& path, const std::vector<std::string>& overrides = {});

/// Like load_config, for YAML text held in memory; `source` names it in messages.
ConfigNode load_config_string(const std::string& yaml, const std::string& source,
                              const std::vector<std::string>& overrides = {});

}  // namespace mbrl
