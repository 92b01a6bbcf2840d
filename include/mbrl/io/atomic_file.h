// Atomic file writes: write to a temporary name in the same folder, then rename into place, so a
// killed process never leaves a torn file.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

namespace mbrl {

/// Writes `contents` to `path` atomically; throws IoError naming the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

/// Calls `writer(tmp_path)` to produce the file under a temporary name, then renames it to
/// `path`. If `writer` throws, the temporary is removed and `path` is left untouched.
void write_atomic(const std::filesystem::path& path,
                  const std::function<void(const std::filesystem::path&)>& writer);

/// Reads a whole file; throws IoError naming the path when it is missing or unreadable.
std::string read_file(const std::filesystem::path& path);

}  // namespace mbrl
