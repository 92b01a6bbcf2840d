// Check macros: user-facing checks that survive release builds, and assertions for bugs.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "mbrl/core/error.h"

namespace mbrl::detail {

/// Concatenates the streamable `parts` into one string, like TORCH_CHECK's message builder.
template <class... Parts>
std::string str(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

/// An integer list as error messages show it: "[1, 2, 3]".
std::string list_text(const std::vector<int64_t>& values);

/// Throws ShapeError unless `t` has `dims.size()` dimensions matching `dims` (-1 matches any).
void check_shape(const at::Tensor& t, std::initializer_list<int64_t> dims, const char* name);

}  // namespace mbrl::detail

namespace mbrl {

/// Throws InvalidArgument(key, "expected a positive integer, got <value>") unless value >= 1.
void check_positive(int64_t value, const char* key);
/// Throws InvalidArgument(key, "expected an integer >= 0, got <value>") unless value >= 0.
void check_non_negative(int64_t value, const char* key);

}  // namespace mbrl

/// Throws mbrl::Error with the message built from the remaining arguments unless `cond` holds.
#define MBRL_CHECK(cond, ...)                                           \
  do {                                                                  \
    if (!(cond)) throw ::mbrl::Error(::mbrl::detail::str(__VA_ARGS__)); \
  } while (false)

/// Throws mbrl::InvalidArgument naming option `field` (its YAML key) unless `cond` holds.
/// Message convention: "expected <what>, got <value>".
#define MBRL_CHECK_ARG(cond, field, ...)                                                 \
  do {                                                                                   \
    if (!(cond)) throw ::mbrl::InvalidArgument(field, ::mbrl::detail::str(__VA_ARGS__)); \
  } while (false)

/// Throws mbrl::ShapeError unless tensor `t` has shape `dims`; -1 is a wildcard.
/// Example: MBRL_CHECK_SHAPE(obs, {-1, obs_dim}, "obs").
#define MBRL_CHECK_SHAPE(t, ...) ::mbrl::detail::check_shape((t), __VA_ARGS__)

/// Throws mbrl::InternalError (a bug in mbrl, not bad input) unless `cond` holds.
#define MBRL_ASSERT(cond, ...)                                                             \
  do {                                                                                     \
    if (!(cond))                                                                           \
      throw ::mbrl::InternalError(::mbrl::detail::str(                                     \
          __FILE__, ":", __LINE__, ": internal check failed: " #cond " ", ##__VA_ARGS__)); \
  } while (false)
