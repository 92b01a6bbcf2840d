// A small C++ layer over the HDF5 C API (libhdf5 from Debian): one open file, its datasets read
// into and written from tensors, with every failure a one-line mbrl error naming file and key.
// Private to the library: the public face is io/d4rl_dataset.h.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mbrl::hdf5 {

/// Owns an HDF5 identifier and closes it with the matching H5?close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  /// Gives up ownership without closing.
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

/// What a dataset holds, read from its dataspace and datatype.
struct DatasetInfo {
  std::vector<int64_t> shape;  // [] for a scalar
  H5T_class_t type_class = H5T_NO_CLASS;
  size_t type_size = 0;

  int64_t elements() const;
  /// "float64 [1000, 17]", "int8 enum [1000]", "string []": for error messages.
  std::string describe() const;
};

/// One HDF5 file, opened for reading or created for writing. Keys are paths such as
/// "observations" or "infos/qpos". Reads throw DataError "<file>: <key>: <what>"; writes throw
/// IoError "<file>: <key>: <what>".
class File {
 public:
  /// Opens an existing file read-only; IoError if it does not exist, DataError if it is not a
  /// readable HDF5 file (wrong format, truncated).
  static File open(const std::filesystem::path& path);
  /// Creates (or truncates) a file for writing; IoError on failure.
  static File create(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }

  /// Whether a dataset or group exists at `key` (each parent group is checked first).
  bool exists(const std::string& key) const;
  DatasetInfo info(const std::string& key) const;
  /// Names of the direct members of group `group` that are scalar datasets.
  std::vector<std::string> scalar_datasets(const std::string& group) const;

  /// The dataset as a float32 tensor of its shape. Requires a float or integer dataset.
  at::Tensor read_float32(const std::string& key) const;
  /// The dataset as a bool tensor of its shape. Accepts h5py's bool enum, integers and floats
  /// whose values are 0 or 1; any other value is a DataError naming its row.
  at::Tensor read_bool(const std::string& key) const;
  /// A scalar dataset as text: strings as they are, numbers printed.
  std::string read_scalar_text(const std::string& key) const;

  void create_group(const std::string& key);
  /// Writes `values` (float32, any shape with rows first) gzip-compressed in chunks of rows.
  void write_float32(const std::string& key, const at::Tensor& values);
  /// Writes `values` (bool) as h5py does: enum {FALSE = 0, TRUE = 1} over int8, compressed.
  void write_bool(const std::string& key, const at::Tensor& values);
  /// Writes a scalar fixed-length string.
  void write_string(const std::string& key, const std::string& value);
  /// Flushes and closes the file; IoError when that fails (a full disk shows here).
  void close();

 private:
  File(std::filesystem::path path, Handle file) : path_(std::move(path)), file_(std::move(file)) {}
  Handle open_dataset(const std::string& key) const;
  [[noreturn]] void read_error(const std::string& key, const std::string& what) const;
  [[noreturn]] void write_error(const std::string& key, const std::string& what) const;
  void write_rows(const std::string& key, const at::Tensor& values, hid_t file_type,
                  hid_t memory_type);

  std::filesystem::path path_;
  Handle file_;
};

}  // namespace mbrl::hdf5
