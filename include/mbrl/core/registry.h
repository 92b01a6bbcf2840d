// Registry<Base>: builds components by their `type:` name from a config node.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/check.h"

namespace mbrl {

/// A string-keyed table of factories for one interface (envs, models, planners, ...).
///
/// Registration is explicit: each layer's `register.cc` adds its implementations, one line each,
/// and `register_builtins()` calls them all (no static self-registration, which static libraries
/// would silently drop). Not thread-safe: register at start-up, then only create.
///
/// A factory gets its node and the BuildContext, plus `Args`: the typed inputs a kind of
/// component is built from that are not in the context (an algorithm gets its agent's section,
/// since each algorithm builds the agent it trains).
template <class Base, class... Args>
class Registry {
 public:
  using Factory =
      std::function<std::shared_ptr<Base>(const ConfigNode&, const BuildContext&, Args...)>;

  struct Entry {
    Factory factory;
    std::string summary;  // one line shown by `mbrl list`
  };

  /// `kind` names the registry in messages and in `mbrl list <kind>`, e.g. "envs".
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  const std::string& kind() const { return kind_; }

  /// Adds a factory under `type`; throws InternalError on a duplicate name.
  void add(const std::string& type, Factory factory, std::string summary = "") {
    MBRL_ASSERT(!entries_.count(type), "duplicate registration of ", kind_, " type '", type, "'");
    entries_[type] = Entry{std::move(factory), std::move(summary)};
  }

  bool contains(const std::string& type) const { return entries_.count(type) > 0; }

  /// Registered names, sorted.
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& kv : entries_) out.push_back(kv.first);
    return out;
  }

  const Entry& entry(const std::string& type) const {
    auto it = entries_.find(type);
    MBRL_ASSERT(it != entries_.end(), "no ", kind_, " type '", type, "'");
    return it->second;
  }

  /// Builds the component named by `node.type`. An unknown type is a ConfigError listing the
  /// registered ones; an InvalidArgument thrown while building becomes a ConfigError at the
  /// offending key.
  std::shared_ptr<Base> create(const ConfigNode& node, const BuildContext& ctx,
                               Args... args) const {
    return create_named(node.get<std::string>("type"), node, ctx, "type", args...);
  }
  /// Builds the component registered as `type` from `node` (for a component chosen by a plain
  /// value, e.g. an agent's `scorer: model`); an unknown type is a ConfigError at node.key.
  std::shared_ptr<Base> create_named(const std::string& type, const ConfigNode& node,
                                     const BuildContext& ctx, const std::string& key,
                                     Args... args) const {
    auto it = entries_.find(type);
    if (it == entries_.end()) {
      std::string known;
      for (const auto& kv : entries_) known += (known.empty() ? "" : ", ") + kv.first;
      throw node.error(key, "unknown " + kind_ + " type '" + type + "'; registered: " + known);
    }
    return with_config_context(node, [&] { return it->second.factory(node, ctx, args...); });
  }

 private:
  std::string kind_;
  std::map<std::string, Entry> entries_;
};

}  // namespace mbrl
