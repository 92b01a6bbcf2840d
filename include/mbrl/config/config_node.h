// ConfigNode: a YAML subtree that knows its key path and source position, converts values with
// one-line errors, and records every key a component reads (the resolved config).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "mbrl/core/error.h"

namespace mbrl {

class ConfigNode;
namespace detail {
struct ConfigDocument;
std::shared_ptr<ConfigDocument> document_of(const ConfigNode& node);
}  // namespace detail

/// A view of one node of a loaded configuration.
///
/// Components parse their options with `get`/`get_or`; each read is recorded, with the default
/// filled in when the key is absent. The record is the resolved config written to a run folder,
/// and `check_all_read()` reports any key that no component read (a misspelling) with the keys
/// that were allowed. Errors name `file:line:col` (1-based) or the `--set` override, and the
/// dotted key path, e.g. `cartpole.yaml:7:14: agent.optimizer.elite_ratio: expected ...`.
///
/// Copies share the underlying document. Not thread-safe; configs are parsed on one thread.
class ConfigNode {
 public:
  /// An empty map with no source, for building components in code.
  ConfigNode();

  /// Wraps a parsed document; `source` names it in messages (usually the file path).
  static ConfigNode from_yaml(YAML::Node root, const std::string& source);

  /// Dotted key path from the root, "" for the root; sequence elements as `key[i]`.
  const std::string& path() const { return path_; }
  /// Dotted path of child `key`.
  std::string key_path(const std::string& key) const;
  /// Source position: `file:line:col`, `--set key=value`, or the source name.
  std::string where() const;
  /// Position of the value of child `key` if present, else of this node.
  std::string where(const std::string& key) const;
  /// Position of the key `key` itself (for "unknown key" errors), else of this node.
  std::string key_where(const std::string& key) const;

  bool is_map() const;
  bool is_sequence() const;
  bool is_scalar() const;
  bool is_null() const;
  bool has(const std::string& key) const;
  /// Map keys in file order.
  std::vector<std::string> keys() const;
  /// Number of elements of a sequence (0 for other nodes).
  size_t size() const;

  /// Child map `key`; throws ConfigError if it is missing or not a map.
  ConfigNode child(const std::string& key) const;
  /// Child map `key`, or an empty map when it is absent, for optional sections whose keys all
  /// have defaults: the defaults read from it are still recorded under `key`.
  ConfigNode section(const std::string& key) const;
  /// Child map `key`, or std::nullopt when the key is absent or null.
  std::optional<ConfigNode> optional_child(const std::string& key) const;
  /// Element `i` of a sequence.
  ConfigNode at(size_t i) const;

  /// Required value of child `key`; throws ConfigError naming the key and expected type.
  template <class T>
  T get(const std::string& key) const;
  /// Value of child `key`, or `fallback` when absent; the value used is recorded either way.
  template <class T>
  T get_or(const std::string& key, const T& fallback) const;
  /// This node's own value.
  template <class T>
  T as() const;

  /// A ConfigError located at this node (return value, for `throw node.error(...)`).
  ConfigError error(const std::string& message) const;
  /// A ConfigError located at child `key` (or at this node when the key is absent).
  ConfigError error(const std::string& key, const std::string& message) const;

  /// The raw YAML of this node.
  const YAML::Node& yaml() const { return node_; }

  /// The whole document as read so far: every key read, defaults included.
  YAML::Node resolved() const;
  /// Throws ConfigError at the first key of the document that no component read, listing the
  /// keys that were read at that level. Call after building every component.
  void check_all_read() const;

  /// Records `value` at child `key` of the resolved config without reading the input; used for
  /// derived entries that a component wants to show in the resolved config.
  void record(const std::string& key, const YAML::Node& value) const;

 private:
  friend std::shared_ptr<detail::ConfigDocument> detail::document_of(const ConfigNode&);
  ConfigNode(YAML::Node node, std::string path, YAML::Node record,
             std::shared_ptr<detail::ConfigDocument> doc);

  YAML::Node input(const std::string& key) const;
  std::string where_of(const YAML::Node& node, const std::string& path) const;

  YAML::Node node_;  // input; may be undefined when absent
  std::string path_;
  mutable YAML::Node record_;  // this node's entry in the resolved tree
  std::shared_ptr<detail::ConfigDocument> doc_;
};

/// Reads the option `name` of `options` (a TORCH_ARG options struct) from the key of the same
/// name under `node`, keeping the option's current value (its default) when the key is absent,
/// so each key is written once:
///   MBRL_READ_OPTION(node, o, num_trials);
///   // is o.num_trials(node.get_or("num_trials", o.num_trials()))
#define MBRL_READ_OPTION(node, options, name) (options).name((node).get_or(#name, (options).name()))

/// Runs `fn` and turns an InvalidArgument thrown inside it (a constructor check naming an option)
/// into a ConfigError located at that option's key under `node`.
template <class Fn>
auto with_config_context(const ConfigNode& node, Fn&& fn) -> decltype(fn());

/// Serializes a YAML tree (e.g. `ConfigNode::resolved()`) as block-style text.
std::string emit_yaml(const YAML::Node& node);

namespace detail {
/// Records `origin` (a file or `--set` text) as the source of key `path` and its subtree.
void set_origin(ConfigDocument& doc, const std::string& path, const std::string& origin,
                bool is_override);
[[noreturn]] void rethrow_in_context(const ConfigNode& node, const InvalidArgument& e);
}  // namespace detail

template <class Fn>
auto with_config_context(const ConfigNode& node, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const InvalidArgument& e) {
    detail::rethrow_in_context(node, e);
  }
}

}  // namespace mbrl
