// Logger registry: every mbrl logger shares one sink list and level, set by the app.
#include "mbrl/log/log.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "mbrl/core/check.h"

namespace mbrl::log {
namespace {

struct State {
  std::mutex mutex;
  std::vector<spdlog::sink_ptr> sinks;
  spdlog::level::level_enum level = spdlog::level::info;
  bool configured = false;
};

State& state() {
  static State s;
  return s;
}

std::vector<spdlog::sink_ptr> default_sinks() {
  return {std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
}

}  // namespace

spdlog::level::level_enum parse_level(const std::string& name) {
  static const std::pair<const char*, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  for (const auto& [text, level] : kLevels) {
    if (name == text) return level;
  }
  MBRL_CHECK_ARG(false, "log_level", "expected one of trace, debug, info, warn, error, off, got '",
                 name, "'");
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const std::string full = "mbrl." + name;
  if (auto existing = spdlog::get(full)) return existing;
  if (!s.configured) {
    s.sinks = default_sinks();
    s.configured = true;
  }
  auto lg = std::make_shared<spdlog::logger>(full, s.sinks.begin(), s.sinks.end());
  lg->set_level(s.level);
  lg->flush_on(spdlog::level::info);  // log.txt stays current for `tail -f` and after a kill
  spdlog::register_logger(lg);
  return lg;
}

void configure(const std::string& level, std::vector<spdlog::sink_ptr> sinks) {
  auto lvl = parse_level(level);
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.sinks = std::move(sinks);
  s.level = lvl;
  s.configured = true;
  spdlog::apply_all([&](std::shared_ptr<spdlog::logger> lg) {
    if (lg->name().rfind("mbrl.", 0) != 0) return;
    lg->sinks() = s.sinks;
    lg->set_level(lvl);
  });
}

}  // namespace mbrl::log
