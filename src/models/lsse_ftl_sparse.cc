// SparseFtl: the Gram as sorted sparse rows, and per new row a block solve on its active features.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"
#include "mbrl/models/lsse_ftl.h"

namespace mbrl {

SparseFtl::SparseFtl(int64_t num_features, int64_t target_dim, double ridge)
    : num_features_(num_features),
      target_dim_(target_dim),
      ridge_(ridge),
      rows_(num_features),
      moments_(num_features * target_dim, 0.0),
      weight_(num_features * target_dim, 0.0) {
  MBRL_ASSERT(num_features >= 1 && num_features <= INT32_MAX, "SparseFtl: D out of range");
}

void SparseFtl::add_to_row(Row& row, const int32_t* cols, const double* vals, int64_t n) {
  // entries already present are added in place; the missing ones are merged in from the back
  thread_local std::vector<char> present;
  present.assign(n, 0);
  int64_t missing = 0;
  for (int64_t k = 0; k < n; ++k) {
    auto it = std::lower_bound(row.col.begin(), row.col.end(), cols[k]);
    if (it != row.col.end() && *it == cols[k]) {
      row.val[it - row.col.begin()] += vals[k];
      present[k] = 1;
    } else {
      ++missing;
    }
  }
  if (missing == 0) return;
  const int64_t old = static_cast<int64_t>(row.col.size());
  row.col.resize(old + missing);
  row.val.resize(old + missing);
  int64_t i = old - 1, out = old + missing - 1;
  for (int64_t k = n - 1; k >= 0; --k) {
    if (present[k]) continue;
    while (i >= 0 && row.col[i] > cols[k]) {
      row.col[out] = row.col[i];
      row.val[out--] = row.val[i--];
    }
    row.col[out] = cols[k];
    row.val[out--] = vals[k];
  }
}

void SparseFtl::add_row(const std::vector<int32_t>& cols, const std::vector<double>& vals,
                        const double* y) {
  const int64_t s = static_cast<int64_t>(cols.size()), d = target_dim_;
  // A += phi phi^T on the rows of S, B += phi y^T
  thread_local std::vector<double> outer;
  outer.resize(s);
  for (int64_t j = 0; j < s; ++j) {
    for (int64_t k = 0; k < s; ++k) outer[k] = vals[j] * vals[k];
    add_to_row(rows_[cols[j]], cols.data(), outer.data(), s);
    double* b = &moments_[cols[j] * d];
    for (int64_t c = 0; c < d; ++c) b[c] += vals[j] * y[c];
  }
  // the block system on S: A_SS and the residual R = B_S - A_{S,:} W (ridge included)
  at::Tensor block = torch::empty({s, s}, torch::kFloat64);
  at::Tensor residual = torch::empty({s, d}, torch::kFloat64);
  double* a_ss = block.data_ptr<double>();
  double* r = residual.data_ptr<double>();
  for (int64_t j = 0; j < s; ++j) {
    const Row& row = rows_[cols[j]];
    const double* w_j = &weight_[cols[j] * d];
    const double* b_j = &moments_[cols[j] * d];
    double* r_j = r + j * d;
    for (int64_t c = 0; c < d; ++c) r_j[c] = b_j[c] - ridge_ * w_j[c];
    int64_t k = 0;  // walks S (sorted) beside the row
    for (size_t e = 0; e < row.col.size(); ++e) {
      const int32_t col = row.col[e];
      const double a = row.val[e];
      const double* w = &weight_[static_cast<int64_t>(col) * d];
      for (int64_t c = 0; c < d; ++c) r_j[c] -= a * w[c];
      while (k < s && cols[k] < col) a_ss[j * s + k++] = 0.0;
      if (k < s && cols[k] == col) a_ss[j * s + k++] = a;
    }
    while (k < s) a_ss[j * s + k++] = 0.0;
    a_ss[j * s + j] += ridge_;
  }
  // W_S += A_SS^{-1} R: A_SS is a principal block of a positive definite A
  auto [chol, info] = at::linalg_cholesky_ex(block);
  if (info.item<int64_t>() != 0) {
    throw NonFiniteError("lsse: the sparse solver's block system is not positive definite");
  }
  at::Tensor delta = at::cholesky_solve(residual, chol).contiguous();  // LAPACK: column-major
  const double* dw = delta.data_ptr<double>();
  for (int64_t j = 0; j < s; ++j) {
    double* w_j = &weight_[cols[j] * d];
    for (int64_t c = 0; c < d; ++c) w_j[c] += dw[j * d + c];
  }
}

void SparseFtl::add(const at::Tensor& index_in, const at::Tensor& value_in,
                    const at::Tensor& target_in) {
  const at::Tensor index = index_in.to(torch::kCPU, torch::kInt64).contiguous();
  const at::Tensor value = value_in.to(torch::kCPU, torch::kFloat64).contiguous();
  const at::Tensor target = target_in.to(torch::kCPU, torch::kFloat64).contiguous();
  MBRL_CHECK_SHAPE(target, {index.size(0), target_dim_}, "target");
  const int64_t n = index.size(0), s = index.size(1);
  const int64_t* idx = index.data_ptr<int64_t>();
  const double* val = value.data_ptr<double>();
  const double* y = target.data_ptr<double>();
  std::vector<int64_t> order(s);
  std::vector<int32_t> cols;
  std::vector<double> vals;
  for (int64_t t = 0; t < n; ++t) {
    const int64_t* row_idx = idx + t * s;
    const double* row_val = val + t * s;
    // the row's features sorted by index, repeated indices summed
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int64_t a, int64_t b) { return row_idx[a] < row_idx[b]; });
    cols.clear();
    vals.clear();
    for (int64_t k : order) {
      MBRL_ASSERT(row_idx[k] >= 0 && row_idx[k] < num_features_, "SparseFtl: feature index ",
                  row_idx[k], " outside [0, ", num_features_, ")");
      if (!cols.empty() && cols.back() == row_idx[k]) {
        vals.back() += row_val[k];
      } else {
        cols.push_back(static_cast<int32_t>(row_idx[k]));
        vals.push_back(row_val[k]);
      }
    }
    add_row(cols, vals, y + t * target_dim_);
  }
}

at::Tensor SparseFtl::weight() const {
  return torch::tensor(weight_, torch::kFloat64).view({num_features_, target_dim_});
}

at::Tensor SparseFtl::moments() const {
  return torch::tensor(moments_, torch::kFloat64).view({num_features_, target_dim_});
}

at::Tensor SparseFtl::dense_gram() const {
  at::Tensor gram = torch::eye(num_features_, torch::kFloat64).mul_(ridge_);
  double* g = gram.data_ptr<double>();
  for (int64_t i = 0; i < num_features_; ++i) {
    for (size_t e = 0; e < rows_[i].col.size(); ++e)
      g[i * num_features_ + rows_[i].col[e]] += rows_[i].val[e];
  }
  return gram;
}

int64_t SparseFtl::gram_nonzeros() const {
  int64_t n = 0;
  for (const Row& row : rows_) n += static_cast<int64_t>(row.col.size());
  return n;
}

void SparseFtl::save(torch::serialize::OutputArchive& archive) const {
  // A in compressed sparse row form
  at::Tensor row_ptr = torch::empty({num_features_ + 1}, torch::kInt64);
  int64_t* ptr = row_ptr.data_ptr<int64_t>();
  ptr[0] = 0;
  for (int64_t i = 0; i < num_features_; ++i)
    ptr[i + 1] = ptr[i] + static_cast<int64_t>(rows_[i].col.size());
  at::Tensor col = torch::empty({ptr[num_features_]}, torch::kInt32);
  at::Tensor val = torch::empty({ptr[num_features_]}, torch::kFloat64);
  for (int64_t i = 0; i < num_features_; ++i) {
    std::copy(rows_[i].col.begin(), rows_[i].col.end(), col.data_ptr<int32_t>() + ptr[i]);
    std::copy(rows_[i].val.begin(), rows_[i].val.end(), val.data_ptr<double>() + ptr[i]);
  }
  archive.write("lsse.sparse.row_ptr", row_ptr);
  archive.write("lsse.sparse.col", col);
  archive.write("lsse.sparse.val", val);
  archive.write("lsse.moments", moments());
  archive.write("lsse.weight", weight());
}

void SparseFtl::load(torch::serialize::InputArchive& archive) {
  at::Tensor row_ptr, col, val, moments, weight;
  if (!archive.try_read("lsse.sparse.row_ptr", row_ptr) ||
      !archive.try_read("lsse.sparse.col", col) || !archive.try_read("lsse.sparse.val", val) ||
      !archive.try_read("lsse.moments", moments) || !archive.try_read("lsse.weight", weight)) {
    throw DataError(
        "learner archive: not the state of an lsse learner with solver 'sparse' (entry "
        "'lsse.sparse.*' missing)");
  }
  const std::vector<int64_t> shape{num_features_, target_dim_};
  if (row_ptr.numel() != num_features_ + 1 || moments.sizes() != shape || weight.sizes() != shape) {
    throw DataError(detail::str("learner archive: lsse statistics for ", row_ptr.numel() - 1,
                                " features, expected ", num_features_));
  }
  row_ptr = row_ptr.to(torch::kInt64).contiguous();
  col = col.to(torch::kInt32).contiguous();
  val = val.to(torch::kFloat64).contiguous();
  const int64_t* ptr = row_ptr.data_ptr<int64_t>();
  const int32_t* c = col.data_ptr<int32_t>();
  const double* v = val.data_ptr<double>();
  if (ptr[0] != 0 || ptr[num_features_] != col.numel() || col.numel() != val.numel()) {
    throw DataError("learner archive: corrupt entry 'lsse.sparse.row_ptr'");
  }
  std::vector<Row> rows(num_features_);
  for (int64_t i = 0; i < num_features_; ++i) {
    if (ptr[i + 1] < ptr[i])
      throw DataError("learner archive: corrupt entry 'lsse.sparse.row_ptr'");
    for (int64_t e = ptr[i]; e < ptr[i + 1]; ++e) {
      if (c[e] < 0 || c[e] >= num_features_ || (e > ptr[i] && c[e] <= c[e - 1]) ||
          !std::isfinite(v[e])) {
        throw DataError(detail::str("learner archive: corrupt entry 'lsse.sparse.col' in row ", i));
      }
    }
    rows[i].col.assign(c + ptr[i], c + ptr[i + 1]);
    rows[i].val.assign(v + ptr[i], v + ptr[i + 1]);
  }
  rows_ = std::move(rows);
  moments = moments.to(torch::kFloat64).contiguous();
  weight = weight.to(torch::kFloat64).contiguous();
  moments_.assign(moments.data_ptr<double>(), moments.data_ptr<double>() + moments.numel());
  weight_.assign(weight.data_ptr<double>(), weight.data_ptr<double>() + weight.numel());
}

}  // namespace mbrl
