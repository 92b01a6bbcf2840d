// ConfigNode: typed reads with one-line errors, and the record of what was read.
#include "mbrl/config/config_node.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "mbrl/config/config_document.h"
#include "mbrl/core/check.h"

namespace mbrl {
namespace detail {
namespace {

// shortest text that reads back as the same double
std::string format_double(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "nothing";
  return "'" + node.Scalar() + "'";
}

// parent path of "a.b.c" is "a.b"; of "a.b[2]" is "a.b"; of "a" is ""
std::string parent_path(const std::string& path) {
  size_t cut = path.find_last_of(".[");
  return cut == std::string::npos ? std::string() : path.substr(0, cut);
}

const std::string* longest_prefix(const std::map<std::string, std::string>& origins,
                                  std::string path) {
  while (true) {
    auto it = origins.find(path);
    if (it != origins.end()) return &it->second;
    if (path.empty()) return nullptr;
    path = parent_path(path);
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

}  // namespace

// scalar parsing: each returns false when `text` is not a value of the type
bool parse_scalar(const std::string& text, int64_t* out) {
  const char* end = text.data() + text.size();
  auto res = std::from_chars(text.data(), end, *out);
  return res.ec == std::errc() && res.ptr == end && !text.empty();
}
bool parse_scalar(const std::string& text, uint64_t* out) {
  const char* end = text.data() + text.size();
  auto res = std::from_chars(text.data(), end, *out);
  return res.ec == std::errc() && res.ptr == end && !text.empty();
}
bool parse_scalar(const std::string& text, int* out) {
  int64_t v = 0;
  if (!parse_scalar(text, &v) || v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}
bool parse_scalar(const std::string& text, double* out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto res = std::from_chars(begin, end, *out);
  return res.ec == std::errc() && res.ptr == end && begin != end && std::isfinite(*out);
}
bool parse_scalar(const std::string& text, float* out) {
  double v = 0;
  if (!parse_scalar(text, &v)) return false;
  *out = static_cast<float>(v);
  return true;
}
bool parse_scalar(const std::string& text, bool* out) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  if (t == "true" || t == "yes" || t == "on") return *out = true, true;
  if (t == "false" || t == "no" || t == "off") return *out = false, true;
  return false;
}
bool parse_scalar(const std::string& text, std::string* out) {
  *out = text;
  return true;
}

template <class T>
const char* type_name();
template <>
const char* type_name<int>() {
  return "an integer";
}
template <>
const char* type_name<int64_t>() {
  return "an integer";
}
template <>
const char* type_name<uint64_t>() {
  return "a non-negative integer";
}
template <>
const char* type_name<double>() {
  return "a finite number";
}
template <>
const char* type_name<float>() {
  return "a finite number";
}
template <>
const char* type_name<bool>() {
  return "a boolean (true or false)";
}
template <>
const char* type_name<std::string>() {
  return "a string";
}

template <class T>
YAML::Node to_yaml(const T& v) {
  if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
    return YAML::Node(format_double(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    return YAML::Node(v ? "true" : "false");
  } else {
    return YAML::Node(v);
  }
}

template <class T>
struct Converter {
  static T convert(const YAML::Node& node, const std::string& where, const std::string& path) {
    T value{};
    if (!node.IsScalar() || !parse_scalar(node.Scalar(), &value)) {
      throw ConfigError(where, path, str("expected ", type_name<T>(), ", got ", describe(node)));
    }
    // components compute in float32: a number it cannot hold is out of range, not a late crash
    if constexpr (std::is_floating_point_v<T>) {
      if (std::abs(static_cast<double>(value)) > std::numeric_limits<float>::max()) {
        throw ConfigError(where, path,
                          str("out of range: ", describe(node),
                              " is not finite in float32 (the precision components use; "
                              "|x| <= 3.4e38)"));
      }
    }
    return value;
  }
  static YAML::Node record(const T& v) { return to_yaml(v); }
};

template <class T>
struct Converter<std::vector<T>> {
  static std::vector<T> convert(const YAML::Node& node, const std::string& where,
                                const std::string& path) {
    if (!node.IsSequence()) {
      throw ConfigError(
          where, path, str("expected a list of ", type_name<T>(), " values, got ", describe(node)));
    }
    std::vector<T> out;
    for (size_t i = 0; i < node.size(); ++i) {
      out.push_back(Converter<T>::convert(node[i], where, str(path, "[", i, "]")));
    }
    return out;
  }
  static YAML::Node record(const std::vector<T>& v) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (const T& x : v) seq.push_back(to_yaml(x));
    seq.SetStyle(YAML::EmitterStyle::Flow);
    return seq;
  }
};

void set_origin(ConfigDocument& doc, const std::string& path, const std::string& origin,
                bool is_override) {
  (is_override ? doc.override_origins : doc.file_origins)[path] = origin;
}

std::shared_ptr<ConfigDocument> document_of(const ConfigNode& node) { return node.doc_; }

[[noreturn]] void rethrow_in_context(const ConfigNode& node, const InvalidArgument& e) {
  // walk down the dotted field as far as the input has it, for the best position
  std::string where = node.where();
  ConfigNode cur = node;
  std::string rest = e.field();
  while (!rest.empty()) {
    size_t dot = rest.find('.');
    std::string key = rest.substr(0, dot);
    rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
    if (!cur.has(key)) break;
    where = cur.where(key);
    if (rest.empty() || !cur.yaml()[key].IsMap()) break;
    cur = cur.child(key);
  }
  throw ConfigError(where, node.key_path(e.field()), e.reason());
}

}  // namespace detail

ConfigNode::ConfigNode()
    : ConfigNode(YAML::Node(YAML::NodeType::Map), "", YAML::Node(YAML::NodeType::Map),
                 std::make_shared<detail::ConfigDocument>()) {}

ConfigNode::ConfigNode(YAML::Node node, std::string path, YAML::Node record,
                       std::shared_ptr<detail::ConfigDocument> doc)
    : node_(std::move(node)), path_(std::move(path)), record_(record), doc_(std::move(doc)) {}

ConfigNode ConfigNode::from_yaml(YAML::Node root, const std::string& source) {
  auto doc = std::make_shared<detail::ConfigDocument>();
  doc->source = source;
  doc->file_origins[""] = source;
  doc->resolved_root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  doc->input_root = root;
  return ConfigNode(root, "", doc->resolved_root, doc);
}

std::string ConfigNode::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::string ConfigNode::where_of(const YAML::Node& node, const std::string& path) const {
  if (const std::string* o = detail::longest_prefix(doc_->override_origins, path)) return *o;
  const std::string* file = detail::longest_prefix(doc_->file_origins, path);
  std::string source = file ? *file : doc_->source;
  if (node.IsDefined() && !node.Mark().is_null()) {
    return detail::str(source, ":", node.Mark().line + 1, ":", node.Mark().column + 1);
  }
  return source;
}

std::string ConfigNode::where() const { return where_of(node_, path_); }

std::string ConfigNode::where(const std::string& key) const {
  return has(key) ? where_of(input(key), key_path(key)) : where();
}

std::string ConfigNode::key_where(const std::string& key) const {
  if (node_.IsMap()) {
    for (const auto& kv : node_) {
      // merged maps rebuild their key nodes, which then carry no position: use the value's
      if (kv.first.Scalar() == key) {
        return kv.first.Mark().is_null() ? where(key) : where_of(kv.first, key_path(key));
      }
    }
  }
  return where();
}

bool ConfigNode::is_map() const { return node_.IsMap(); }
bool ConfigNode::is_sequence() const { return node_.IsSequence(); }
bool ConfigNode::is_scalar() const { return node_.IsScalar(); }
bool ConfigNode::is_null() const { return !node_.IsDefined() || node_.IsNull(); }

YAML::Node ConfigNode::input(const std::string& key) const {
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& const_node = node_;
  return const_node[key];
}

bool ConfigNode::has(const std::string& key) const {
  YAML::Node in = input(key);
  return in.IsDefined() && !in.IsNull();
}

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::string> out;
  if (node_.IsMap()) {
    for (const auto& kv : node_) out.push_back(kv.first.Scalar());
  }
  return out;
}

size_t ConfigNode::size() const { return node_.IsSequence() ? node_.size() : 0; }

ConfigNode ConfigNode::child(const std::string& key) const {
  if (!has(key)) throw error(detail::str("missing required key '", key, "'"));
  YAML::Node in = input(key);
  if (!in.IsMap()) {
    throw ConfigError(where(key), key_path(key),
                      detail::str("expected a map, got ", detail::describe(in)));
  }
  YAML::Node rec = record_[key];
  if (!rec.IsMap()) rec = YAML::Node(YAML::NodeType::Map);
  return ConfigNode(in, key_path(key), rec, doc_);
}

ConfigNode ConfigNode::section(const std::string& key) const {
  if (has(key)) return child(key);
  YAML::Node rec = record_[key];
  if (!rec.IsMap()) rec = YAML::Node(YAML::NodeType::Map);
  return ConfigNode(YAML::Node(YAML::NodeType::Map), key_path(key), rec, doc_);
}

std::optional<ConfigNode> ConfigNode::optional_child(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return child(key);
}

ConfigNode ConfigNode::at(size_t i) const {
  MBRL_ASSERT(node_.IsSequence() && i < node_.size(), "at(", i, ") on ", path_);
  if (!record_.IsSequence()) record_ = YAML::Node(YAML::NodeType::Sequence);
  while (record_.size() <= i) record_.push_back(YAML::Node(YAML::NodeType::Null));
  YAML::Node rec = record_[i];
  const YAML::Node& const_node = node_;
  YAML::Node in = const_node[i];
  if (in.IsMap() && !rec.IsMap()) rec = YAML::Node(YAML::NodeType::Map);
  return ConfigNode(in, detail::str(path_, "[", i, "]"), rec, doc_);
}

template <class T>
T ConfigNode::get(const std::string& key) const {
  if (!has(key)) throw error(detail::str("missing required key '", key, "'"));
  YAML::Node in = input(key);
  T value = detail::Converter<T>::convert(in, where(key), key_path(key));
  record(key, detail::Converter<T>::record(value));
  return value;
}

template <class T>
T ConfigNode::get_or(const std::string& key, const T& fallback) const {
  T value =
      has(key) ? detail::Converter<T>::convert(input(key), where(key), key_path(key)) : fallback;
  record(key, detail::Converter<T>::record(value));
  return value;
}

template <class T>
T ConfigNode::as() const {
  T value = detail::Converter<T>::convert(node_, where(), path_);
  record_ = detail::Converter<T>::record(value);
  return value;
}

#define MBRL_INSTANTIATE_CONFIG_GET(T)                                  \
  template T ConfigNode::get<T>(const std::string&) const;              \
  template T ConfigNode::get_or<T>(const std::string&, const T&) const; \
  template T ConfigNode::as<T>() const;
MBRL_INSTANTIATE_CONFIG_GET(int)
MBRL_INSTANTIATE_CONFIG_GET(int64_t)
MBRL_INSTANTIATE_CONFIG_GET(uint64_t)
MBRL_INSTANTIATE_CONFIG_GET(double)
MBRL_INSTANTIATE_CONFIG_GET(float)
MBRL_INSTANTIATE_CONFIG_GET(bool)
MBRL_INSTANTIATE_CONFIG_GET(std::string)
MBRL_INSTANTIATE_CONFIG_GET(std::vector<int>)
MBRL_INSTANTIATE_CONFIG_GET(std::vector<int64_t>)
MBRL_INSTANTIATE_CONFIG_GET(std::vector<double>)
MBRL_INSTANTIATE_CONFIG_GET(std::vector<std::string>)
#undef MBRL_INSTANTIATE_CONFIG_GET

ConfigError ConfigNode::error(const std::string& message) const {
  return ConfigError(where(), path_, message);
}

ConfigError ConfigNode::error(const std::string& key, const std::string& message) const {
  return ConfigError(where(key), key_path(key), message);
}

void ConfigNode::record(const std::string& key, const YAML::Node& value) const {
  if (!record_.IsMap()) record_ = YAML::Node(YAML::NodeType::Map);
  record_[key] = value;
}

YAML::Node ConfigNode::resolved() const { return doc_->resolved_root; }

namespace {

void check_read(const ConfigNode& node, const YAML::Node& input, const YAML::Node& record) {
  if (input.IsMap()) {
    std::set<std::string> allowed;
    if (record.IsMap()) {
      for (const auto& kv : record) allowed.insert(kv.first.Scalar());
    }
    for (const auto& kv : input) {
      const std::string key = kv.first.Scalar();
      if (!allowed.count(key)) {
        std::string message = "unknown key '" + key + "'";
        std::string best;
        size_t best_d = 3;
        for (const auto& a : allowed) {
          size_t d = detail::edit_distance(key, a);
          if (d < best_d) best_d = d, best = a;
        }
        if (!best.empty()) message += " (did you mean '" + best + "'?)";
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        message += allowed.empty() ? "; this section takes no keys" : "; allowed keys: " + list;
        throw ConfigError(node.key_where(key), node.key_path(key), message);
      }
      if (kv.second.IsMap() || kv.second.IsSequence()) {
        const YAML::Node& const_record = record;
        YAML::Node rec = const_record[key];
        if (kv.second.IsMap() && rec.IsMap()) check_read(node.child(key), kv.second, rec);
      }
    }
  } else if (input.IsSequence() && record.IsSequence()) {
    for (size_t i = 0; i < input.size() && i < record.size(); ++i) {
      const YAML::Node& const_record = record;
      if (input[i].IsMap()) check_read(node.at(i), input[i], const_record[i]);
    }
  }
}

}  // namespace

void ConfigNode::check_all_read() const {
  // walk on a copy of the record so that the walk itself records nothing new
  YAML::Node snapshot = YAML::Clone(doc_->resolved_root);
  ConfigNode scratch(doc_->input_root, "", snapshot, doc_);
  check_read(scratch, doc_->input_root, snapshot);
}

std::string emit_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  out << node;
  return std::string(out.c_str()) + "\n";
}

}  // namespace mbrl
