// Helpers for checkpoint archives (algorithms, learners): scalars, generators and nested archives
// by key, with errors that name the missing entry; archive files written atomically and read back
// with errors that name the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <ATen/core/Generator.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

namespace mbrl::checkpoint {

/// Writes an integer / a double (as a 0-d tensor) under `key`.
void write_int(torch::serialize::OutputArchive& archive, const std::string& key, int64_t value);
void write_double(torch::serialize::OutputArchive& archive, const std::string& key, double value);
/// Reads what write_int / write_double wrote; throws DataError naming `key` when it is missing.
int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key);
double read_double(torch::serialize::InputArchive& archive, const std::string& key);

/// Writes the state of `gen` (any device) / restores it into `gen` (DataError when missing).
void write_generator(torch::serialize::OutputArchive& archive, const std::string& key,
                     const at::Generator& gen);
void read_generator(torch::serialize::InputArchive& archive, const std::string& key,
                    at::Generator& gen);

/// Writes a nested archive under `key`, filled by `fill(OutputArchive&)`.
template <class Fill>
void write_nested(torch::serialize::OutputArchive& archive, const std::string& key, Fill&& fill) {
  torch::serialize::OutputArchive nested(archive.compilation_unit());
  fill(nested);
  archive.write(key, nested);
}

/// The nested archive under `key`; throws DataError naming `key` when it is missing.
torch::serialize::InputArchive read_nested(torch::serialize::InputArchive& archive,
                                           const std::string& key);

/// Writes the archive `fill` builds to the file `path` atomically (write_atomic: an existing file
/// is replaced whole or not at all); IoError naming the file, "cannot write <what>" (e.g. "the
/// replay buffer"), when it cannot be written.
void save_file(const std::filesystem::path& path, const std::string& what,
               const std::function<void(torch::serialize::OutputArchive&)>& fill);
/// The archive in the file `path`; DataError "<path>: file does not exist" when it is missing,
/// "<path>: not <what> (cannot be read as a torch archive)" (e.g. "a model file") when it is not
/// an archive.
torch::serialize::InputArchive load_file(const std::filesystem::path& path,
                                         const std::string& what);

}  // namespace mbrl::checkpoint
