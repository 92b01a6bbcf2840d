// Config loading: YAML parsing with positions, `defaults:` composition, overrides.
#include "mbrl/config/loader.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "mbrl/config/config_document.h"
#include "mbrl/config/overrides.h"
#include "mbrl/core/check.h"

namespace mbrl {
namespace {

namespace fs = std::filesystem;

using Origins = std::map<std::string, std::string>;

// a key given twice in one mapping is an error (yaml-cpp keeps both and a merge would silently
// take the last): names the file, both lines and the key path
void check_unique_keys(const YAML::Node& node, const std::string& source, const std::string& path) {
  if (node.IsSequence()) {
    for (const auto& item : node) check_unique_keys(item, source, path);
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string key_path = path.empty() ? key : path + "." + key;
    auto [it, fresh] = seen.emplace(key, kv.first.Mark());
    if (!fresh) {
      const YAML::Mark m = kv.first.Mark();
      throw ConfigError(detail::str(source, ":", m.line + 1, ":", m.column + 1), key_path,
                        detail::str("duplicate key (first given at line ", it->second.line + 1,
                                    ", again at line ", m.line + 1, ")"));
    }
    check_unique_keys(kv.second, source, key_path);
  }
}

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  try {
    YAML::Node root = YAML::Load(text);
    check_unique_keys(root, source, "");
    if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
      throw ConfigError(source, "", "expected a map of keys at the top level");
    }
    return root.IsMap() ? root : YAML::Node(YAML::NodeType::Map);
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null()
                            ? source
                            : detail::str(source, ":", e.mark.line + 1, ":", e.mark.column + 1);
    throw ConfigError(where, "", "malformed YAML: " + e.msg);
  }
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ConfigError(path, "", "config file does not exist");
  if (fs::is_directory(path, ec))
    throw ConfigError(path, "", "expected a YAML file, got a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw ConfigError(path, "", "cannot open config file for reading");
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw ConfigError(path, "", "cannot read config file");
  return buf.str();
}

// merges `src` into `dst`, key by key; maps merge recursively, anything else replaces
void deep_merge(YAML::Node dst, const YAML::Node& src, const std::string& path,
                const std::string& file, Origins& origins) {
  for (const auto& kv : src) {
    const std::string key = kv.first.Scalar();
    const std::string child_path = path.empty() ? key : path + "." + key;
    YAML::Node existing = dst[key];
    if (existing.IsMap() && kv.second.IsMap()) {
      deep_merge(existing, kv.second, child_path, file, origins);
    } else {
      dst[key] = kv.second;
      // drop origins recorded under the replaced subtree
      for (auto it = origins.lower_bound(child_path); it != origins.end();) {
        bool under = it->first == child_path || it->first.rfind(child_path + ".", 0) == 0;
        if (!under) break;
        it = origins.erase(it);
      }
      origins[child_path] = file;
    }
  }
}

// loads `text` from `source` with its `defaults:` list resolved relative to `dir`
YAML::Node compose(const std::string& text, const std::string& source, const fs::path& dir,
                   Origins& origins, std::vector<std::string>& stack) {
  YAML::Node own = parse_yaml(text, source);
  YAML::Node merged(YAML::NodeType::Map);
  if (own["defaults"]) {
    YAML::Node defaults = own["defaults"];
    if (!defaults.IsSequence()) {
      throw ConfigError(
          detail::str(source, ":", defaults.Mark().line + 1, ":", defaults.Mark().column + 1),
          "defaults", "expected a list of YAML file paths");
    }
    for (const auto& entry : defaults) {
      std::string where =
          detail::str(source, ":", entry.Mark().line + 1, ":", entry.Mark().column + 1);
      if (!entry.IsScalar()) throw ConfigError(where, "defaults", "expected a file path");
      fs::path included = dir / entry.Scalar();
      if (included.extension().empty()) included += ".yaml";
      std::string included_name = included.lexically_normal().string();
      if (std::find(stack.begin(), stack.end(), included_name) != stack.end()) {
        throw ConfigError(where, "defaults", "circular include of " + included_name);
      }
      std::error_code ec;
      if (!fs::exists(included, ec)) {
        throw ConfigError(where, "defaults", "included file does not exist: " + included_name);
      }
      stack.push_back(included_name);
      Origins sub_origins;
      YAML::Node sub = compose(read_file(included_name), included_name, included.parent_path(),
                               sub_origins, stack);
      stack.pop_back();
      deep_merge(merged, sub, "", included_name, origins);
      for (const auto& [p, f] : sub_origins) origins[p] = f;
    }
    own.remove("defaults");
  }
  deep_merge(merged, own, "", source, origins);
  return merged;
}

ConfigNode finish(YAML::Node tree, const std::string& source, Origins origins,
                  const std::vector<std::string>& overrides) {
  std::vector<ConfigOverride> parsed;
  for (const auto& text : overrides) parsed.push_back(parse_override(text));
  for (const auto& o : parsed) apply_override(tree, o);
  ConfigNode root = ConfigNode::from_yaml(tree, source);
  auto doc = detail::document_of(root);
  for (const auto& [path, file] : origins) detail::set_origin(*doc, path, file, false);
  for (const auto& o : parsed) detail::set_origin(*doc, o.key_path, o.text, true);
  return root;
}

}  // namespace

ConfigNode load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::string text = read_file(path);
  Origins origins;
  std::vector<std::string> stack{fs::path(path).lexically_normal().string()};
  YAML::Node tree = compose(text, path, fs::path(path).parent_path(), origins, stack);
  return finish(tree, path, origins, overrides);
}

ConfigNode load_config_string(const std::string& yaml, const std::string& source,
                              const std::vector<std::string>& overrides) {
  Origins origins;
  std::vector<std::string> stack;
  YAML::Node tree = compose(yaml, source, fs::current_path(), origins, stack);
  return finish(tree, source, origins, overrides);
}

}  // namespace mbrl
