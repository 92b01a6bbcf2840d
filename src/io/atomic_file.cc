// Atomic writes by temporary file and rename.
#include "mbrl/io/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mbrl/core/check.h"

namespace mbrl {

namespace fs = std::filesystem;

void write_atomic(const fs::path& path, const std::function<void(const fs::path&)>& writer) {
  fs::path tmp = path;
  tmp += detail::str(".tmp.", ::getpid());
  try {
    writer(tmp);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(path.string(), "cannot move the written file into place: " + ec.message());
  }
}

void write_file_atomic(const fs::path& path, std::string_view contents) {
  write_atomic(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw IoError(tmp.string(), std::string("cannot open for writing: ") + std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) throw IoError(tmp.string(), "write failed (disk full?)");
  });
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw IoError(path.string(), std::string("cannot open for reading: ") + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw IoError(path.string(), "read failed");
  return buf.str();
}

}  // namespace mbrl
