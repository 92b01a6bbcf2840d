// HDF5 files through the C API (HDF5 1.10 as Debian 12 ships it).
#include "hdf5_file.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include <ATen/ATen.h>

#include "mbrl/core/check.h"

namespace mbrl::hdf5 {

namespace {

namespace fs = std::filesystem;

// HDF5 prints its error stack to stderr by default; mbrl reports one line of its own instead.
void silence_hdf5_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// Rows per chunk: about 256 KiB of data per chunk, at least one row.
hsize_t chunk_rows(int64_t rows, int64_t row_bytes) {
  const int64_t target = 256 * 1024;
  return static_cast<hsize_t>(
      std::clamp<int64_t>(target / std::max<int64_t>(row_bytes, 1), 1, std::max<int64_t>(rows, 1)));
}

}  // namespace

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && close_ != nullptr) close_(id_);
  id_ = -1;
}

int64_t DatasetInfo::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string DatasetInfo::describe() const {
  std::string type;
  switch (type_class) {
    case H5T_FLOAT:
      type = detail::str("float", 8 * type_size);
      break;
    case H5T_INTEGER:
      type = detail::str("int", 8 * type_size);
      break;
    case H5T_ENUM:
      type = detail::str("int", 8 * type_size, " enum");
      break;
    case H5T_STRING:
      type = "string";
      break;
    default:
      type = detail::str("HDF5 type class ", static_cast<int>(type_class));
  }
  return type + " " + detail::list_text(shape);
}

File File::open(const fs::path& path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw IoError(path.string(), "no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw DataError(path.string() + ": not an HDF5 file (wrong format or truncated)");
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw DataError(path.string() + ": cannot open as HDF5 (truncated or corrupt file)");
  return File(path, Handle(id, H5Fclose));
}

File File::create(const fs::path& path) {
  silence_hdf5_errors();
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) throw IoError(path.string(), "cannot create an HDF5 file");
  return File(path, Handle(id, H5Fclose));
}

void File::read_error(const std::string& key, const std::string& what) const {
  throw DataError(path_.string() + ": " + key + ": " + what);
}

void File::write_error(const std::string& key, const std::string& what) const {
  throw IoError(path_.string(), key + ": " + what);
}

bool File::exists(const std::string& key) const {
  // H5Lexists needs every parent group to exist: check "infos" before "infos/qpos"
  size_t slash = 0;
  while (true) {
    slash = key.find('/', slash + 1);
    const std::string prefix = key.substr(0, slash);
    if (H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) return true;
  }
}

Handle File::open_dataset(const std::string& key) const {
  if (!exists(key)) read_error(key, "missing");
  hid_t id = H5Dopen2(file_.get(), key.c_str(), H5P_DEFAULT);
  if (id < 0) read_error(key, "not a dataset");
  return Handle(id, H5Dclose);
}

DatasetInfo File::info(const std::string& key) const {
  Handle dataset = open_dataset(key);
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  if (!space.valid() || !type.valid()) read_error(key, "unreadable header (corrupt file)");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) read_error(key, "unreadable dataspace (corrupt file)");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  DatasetInfo out;
  out.shape.assign(dims.begin(), dims.end());
  out.type_class = H5Tget_class(type.get());
  out.type_size = H5Tget_size(type.get());
  return out;
}

std::vector<std::string> File::scalar_datasets(const std::string& group) const {
  std::vector<std::string> names;
  if (!exists(group)) return names;
  Handle g(H5Gopen2(file_.get(), group.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) return names;
  H5G_info_t group_info;
  if (H5Gget_info(g.get(), &group_info) < 0) read_error(group, "unreadable group");
  for (hsize_t i = 0; i < group_info.nlinks; ++i) {
    const ssize_t length =
        H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (length < 0) continue;
    std::string name(static_cast<size_t>(length) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<size_t>(length));
    // groups (metadata/policy) fail to open as datasets and are left out
    Handle dataset(H5Dopen2(g.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!dataset.valid()) continue;
    Handle space(H5Dget_space(dataset.get()), H5Sclose);
    if (space.valid() && H5Sget_simple_extent_npoints(space.get()) == 1) names.push_back(name);
  }
  return names;
}

at::Tensor File::read_float32(const std::string& key) const {
  const DatasetInfo shape = info(key);
  if (shape.type_class != H5T_FLOAT && shape.type_class != H5T_INTEGER)
    read_error(key, "expected floats, got " + shape.describe());
  at::Tensor out = at::empty(shape.shape, at::kFloat);
  Handle dataset = open_dataset(key);
  if (H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()) < 0)
    read_error(key, "cannot read the data (truncated or corrupt file)");
  return out;
}

at::Tensor File::read_bool(const std::string& key) const {
  const DatasetInfo shape = info(key);
  // h5py's bools are an int8 enum, which HDF5 converts to an integer on reading
  hid_t memory_type = H5T_NATIVE_INT64;
  at::ScalarType scalar = at::kLong;
  if (shape.type_class == H5T_FLOAT) {
    memory_type = H5T_NATIVE_DOUBLE;
    scalar = at::kDouble;
  } else if (shape.type_class == H5T_ENUM) {
    memory_type = H5T_NATIVE_INT8;
    scalar = at::kChar;
  } else if (shape.type_class != H5T_INTEGER) {
    read_error(key, "expected bools (0 or 1), got " + shape.describe());
  }
  at::Tensor values = at::empty(shape.shape, scalar);
  Handle dataset = open_dataset(key);
  if (H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data_ptr()) < 0)
    read_error(key, "cannot read the data (truncated or corrupt file)");
  const at::Tensor flat = values.reshape({-1});
  const at::Tensor bad = (flat != 0).logical_and(flat != 1).nonzero();
  if (bad.numel() > 0) {
    const int64_t index = bad[0].item<int64_t>();
    const int64_t row_elements =
        values.dim() > 0 && values.size(0) > 0 ? flat.numel() / values.size(0) : 1;
    const int64_t row = index / std::max<int64_t>(row_elements, 1);
    read_error(key,
               detail::str("row ", row, ": expected 0 or 1, got ", flat[index].item<double>()));
  }
  return values.to(at::kBool);
}

std::string File::read_scalar_text(const std::string& key) const {
  const DatasetInfo shape = info(key);
  Handle dataset = open_dataset(key);
  if (shape.elements() != 1) read_error(key, "expected a scalar, got " + shape.describe());
  if (shape.type_class == H5T_STRING) {
    Handle file_type(H5Dget_type(dataset.get()), H5Tclose);
    if (H5Tis_variable_str(file_type.get()) > 0) {
      Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(memory_type.get(), H5T_VARIABLE);
      H5Tset_cset(memory_type.get(), H5Tget_cset(file_type.get()));
      char* text = nullptr;
      if (H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0)
        read_error(key, "cannot read the string");
      std::string out = text != nullptr ? text : "";
      Handle space(H5Dget_space(dataset.get()), H5Sclose);
      H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, &text);
      return out;
    }
    Handle memory_type(H5Tcopy(file_type.get()), H5Tclose);
    std::string out(shape.type_size, '\0');
    if (H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
      read_error(key, "cannot read the string");
    out.resize(std::strlen(out.c_str()));  // fixed-length strings are padded with NULs
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }
  if (shape.type_class == H5T_INTEGER) {
    int64_t value = 0;
    if (H5Dread(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0)
      read_error(key, "cannot read the number");
    return std::to_string(value);
  }
  if (shape.type_class == H5T_FLOAT) {
    double value = 0;
    if (H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0)
      read_error(key, "cannot read the number");
    return detail::str(value);
  }
  read_error(key, "expected a string or a number, got " + shape.describe());
}

void File::create_group(const std::string& key) {
  Handle group(H5Gcreate2(file_.get(), key.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose);
  if (!group.valid()) write_error(key, "cannot create the group");
}

void File::write_rows(const std::string& key, const at::Tensor& values, hid_t file_type,
                      hid_t memory_type) {
  const at::Tensor data = values.contiguous();
  std::vector<hsize_t> dims(data.sizes().begin(), data.sizes().end());
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!space.valid() || !properties.valid()) write_error(key, "cannot describe the dataset");
  if (!dims.empty() && dims[0] > 0) {
    std::vector<hsize_t> chunk = dims;
    const int64_t rows = data.size(0);
    const int64_t row_bytes = rows > 0 ? data.numel() * data.element_size() / rows : 0;
    chunk[0] = chunk_rows(rows, row_bytes);
    H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_deflate(properties.get(), 4);  // gzip, as D4RL's files (h5py compression="gzip")
  }
  Handle dataset(H5Dcreate2(file_.get(), key.c_str(), file_type, space.get(), H5P_DEFAULT,
                            properties.get(), H5P_DEFAULT),
                 H5Dclose);
  if (!dataset.valid()) write_error(key, "cannot create the dataset");
  if (H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data_ptr()) < 0)
    write_error(key, "cannot write the data (disk full?)");
}

void File::write_float32(const std::string& key, const at::Tensor& values) {
  write_rows(key, values.to(at::kFloat), H5T_IEEE_F32LE, H5T_NATIVE_FLOAT);
}

void File::write_bool(const std::string& key, const at::Tensor& values) {
  Handle type(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
  int8_t value = 0;
  H5Tenum_insert(type.get(), "FALSE", &value);
  value = 1;
  H5Tenum_insert(type.get(), "TRUE", &value);
  write_rows(key, values.to(at::kChar), type.get(), type.get());
}

void File::write_string(const std::string& key, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<size_t>(value.size(), 1));
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle dataset(H5Dcreate2(file_.get(), key.c_str(), type.get(), space.get(), H5P_DEFAULT,
                            H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
  if (!dataset.valid()) write_error(key, "cannot create the dataset");
  std::string padded = value;
  padded.resize(std::max<size_t>(value.size(), 1), '\0');
  if (H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()) < 0)
    write_error(key, "cannot write the string");
}

void File::close() {
  if (!file_.valid()) return;
  if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) write_error("/", "cannot flush (disk full?)");
  const hid_t id = file_.release();  // closed here, to see the result
  if (H5Fclose(id) < 0) throw IoError(path_.string(), "cannot close the HDF5 file (disk full?)");
}

}  // namespace mbrl::hdf5
