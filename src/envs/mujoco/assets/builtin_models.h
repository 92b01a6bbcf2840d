// The MJCF texts compiled into the library (one file per model in this folder).
#pragma once

#include <string_view>
#include <vector>

namespace mbrl::detail {

struct BuiltinModel {
  const char* name;      // "hopper"
  std::string_view xml;  // the MJCF text
};

std::string_view half_cheetah_xml();
std::string_view hopper_xml();
std::string_view walker2d_xml();
std::string_view ant_xml();
std::string_view inverted_pendulum_xml();
std::string_view reacher_xml();

/// Every built-in model, in a fixed order.
inline std::vector<BuiltinModel> builtin_models() {
  return {{"half_cheetah", half_cheetah_xml()},
          {"hopper", hopper_xml()},
          {"walker2d", walker2d_xml()},
          {"ant", ant_xml()},
          {"inverted_pendulum", inverted_pendulum_xml()},
          {"reacher", reacher_xml()}};
}

}  // namespace mbrl::detail
