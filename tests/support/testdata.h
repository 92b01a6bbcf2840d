// Paths used by tests: the source tree, the build tree and per-test scratch folders.
#pragma once

#include <filesystem>
#include <string>

namespace mbrl::test {

/// `<source>/relative`, e.g. source_path("configs/random/cartpole.yaml").
std::filesystem::path source_path(const std::string& relative);
/// `<build>/relative`, e.g. binary_path("apps/mbrl").
std::filesystem::path binary_path(const std::string& relative);
/// A fresh, empty folder under the system temp dir, unique to the running test.
std::filesystem::path scratch_dir();

}  // namespace mbrl::test
