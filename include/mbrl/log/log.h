// Named spdlog loggers (`mbrl.<name>`). Library code only logs; apps choose levels and sinks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

namespace mbrl::log {

/// The logger `mbrl.<name>`, created on first use with the sinks set by `configure`.
/// Thread-safe.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

/// For apps only: sends every mbrl logger (existing and future) to `sinks` at `level`
/// ("trace", "debug", "info", "warn", "error", "off"). Throws InvalidArgument("log_level") on an
/// unknown level name.
void configure(const std::string& level, std::vector<spdlog::sink_ptr> sinks);

/// Parses a level name; throws InvalidArgument("log_level") listing the valid names.
spdlog::level::level_enum parse_level(const std::string& name);

}  // namespace mbrl::log
