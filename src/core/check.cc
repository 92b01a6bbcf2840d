// Shape checking behind MBRL_CHECK_SHAPE, integer option checks and list formatting.
#include "mbrl/core/check.h"

namespace mbrl::detail {
namespace {

std::string format_dims(std::initializer_list<int64_t> dims) {
  std::string out = "[";
  bool first = true;
  for (int64_t d : dims) {
    if (!first) out += ", ";
    out += d < 0 ? std::string("*") : std::to_string(d);
    first = false;
  }
  return out + "]";
}

}  // namespace

std::string list_text(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

void check_shape(const at::Tensor& t, std::initializer_list<int64_t> dims, const char* name) {
  if (!t.defined())
    throw ShapeError(detail::str(name, ": expected a tensor of shape ", format_dims(dims),
                                 ", got an undefined tensor"));
  bool ok = t.dim() == static_cast<int64_t>(dims.size());
  int64_t i = 0;
  for (int64_t d : dims) {
    if (!ok) break;
    ok = d < 0 || t.size(i) == d;
    ++i;
  }
  if (!ok) {
    throw ShapeError(
        detail::str(name, ": expected shape ", format_dims(dims), ", got ", t.sizes()));
  }
}

}  // namespace mbrl::detail

namespace mbrl {

void check_positive(int64_t value, const char* key) {
  MBRL_CHECK_ARG(value >= 1, key, "expected a positive integer, got ", value);
}

void check_non_negative(int64_t value, const char* key) {
  MBRL_CHECK_ARG(value >= 0, key, "expected an integer >= 0, got ", value);
}

}  // namespace mbrl
