// Parsing and applying `--set key.path=value` overrides.
#include "mbrl/config/overrides.h"

#include <regex>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"

namespace mbrl {

ConfigOverride parse_override(const std::string& text) {
  static const std::regex kPattern(
      R"(^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)=(.*)$)");
  const std::string where = "--set " + text;
  std::smatch m;
  if (!std::regex_match(text, m, kPattern)) {
    throw ConfigError(where, "",
                      "expected key.path=value with a dotted key of letters, digits and '_'");
  }
  ConfigOverride o;
  o.text = where;
  o.key_path = m[1];
  try {
    o.value = YAML::Load(m[2].str());
  } catch (const YAML::Exception& e) {
    throw ConfigError(where, o.key_path, "value is not valid YAML: " + e.msg);
  }
  if (!o.value.IsDefined() || o.value.IsNull()) {
    throw ConfigError(where, o.key_path, "expected a value after '='");
  }
  return o;
}

void apply_override(YAML::Node& root, const ConfigOverride& o) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = o.key_path.find('.', start);
    parts.push_back(o.key_path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  YAML::Node cur = root;
  std::string prefix;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    prefix += (i ? "." : "") + parts[i];
    YAML::Node next = cur[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      next = YAML::Node(YAML::NodeType::Map);
    } else if (!next.IsMap()) {
      throw ConfigError(o.text, o.key_path,
                        detail::str("cannot set a key inside '", prefix, "', which is not a map"));
    }
    cur.reset(next);
  }
  cur[parts.back()] = o.value;
}

}  // namespace mbrl
