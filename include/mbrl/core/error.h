// Typed errors thrown by mbrl. Each message is one line: `<where>: <key path>: <what was wrong>`.
#pragma once

#include <stdexcept>
#include <string>

namespace mbrl {

/// Base class of every error mbrl throws. `what()` is a single line, ready to print.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Bad user configuration: a YAML file, a `--set` override or a command-line flag.
/// `where` is `file:line:col` (1-based) or `--set key=value`; `key_path` is dotted
/// (`agent.optimizer.elite_ratio`). The CLI exits with code 2 on this error.
class ConfigError : public Error {
 public:
  ConfigError(std::string where, std::string key_path, const std::string& message);

  const std::string& where() const { return where_; }
  const std::string& key_path() const { return key_path_; }
  /// The message without the location prefix.
  const std::string& reason() const { return reason_; }

 private:
  std::string where_;
  std::string key_path_;
  std::string reason_;
};

/// An invalid value given to a constructor or function. `field` is the option name, which is
/// also its YAML key, so the registry can rethrow it as a ConfigError with the full key path.
class InvalidArgument : public Error {
 public:
  InvalidArgument(std::string field, const std::string& message);

  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string field_;
  std::string reason_;
};

/// A tensor whose shape breaks a documented contract.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read or written. The message starts with the path.
class IoError : public Error {
 public:
  IoError(std::string path, const std::string& message);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Data that is present but wrong: a corrupt checkpoint, NaN in a dataset, a model file of
/// another architecture. The message names the file (and row or key where known).
class DataError : public Error {
 public:
  using Error::Error;
};

/// A MuJoCo model that fails to load or compile; the message names the XML and line.
class MujocoError : public Error {
 public:
  using Error::Error;
};

/// A non-finite loss or prediction; the message names the component and the step.
class NonFiniteError : public Error {
 public:
  using Error::Error;
};

/// A broken internal invariant, i.e. a bug in mbrl (thrown by MBRL_ASSERT).
class InternalError : public Error {
 public:
  using Error::Error;
};

}  // namespace mbrl
