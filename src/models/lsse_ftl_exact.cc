// ExactFtl: the dense Gram, accumulated on the active entries, and the full Cholesky solve.
#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"
#include "mbrl/models/lsse_ftl.h"

namespace mbrl {
namespace {

// outer-product entries accumulated per block of rows (8 MB of float64)
constexpr int64_t kAccumulateEntries = 1 << 20;

}  // namespace

ExactFtl::ExactFtl(int64_t num_features, int64_t target_dim, double ridge, c10::Device device) {
  MBRL_CHECK_ARG(num_features <= kMaxFeatures, "solver",
                 "'exact' keeps a dense D x D Gram, at most ", kMaxFeatures,
                 " features; this model has ", num_features, " (use 'sparse')");
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  gram_ = torch::eye(num_features, f64).mul_(ridge);
  moments_ = torch::zeros({num_features, target_dim}, f64);
  weight_ = torch::zeros({num_features, target_dim}, f64);
}

void ExactFtl::add(const at::Tensor& index_in, const at::Tensor& value_in,
                   const at::Tensor& target_in) {
  const auto device = gram_.device();
  const at::Tensor index = index_in.to(device), value = value_in.to(device, torch::kFloat64);
  const at::Tensor target = target_in.to(device, torch::kFloat64);
  const int64_t n = index.size(0), s = index.size(1), dim = gram_.size(0);
  at::Tensor gram = gram_.view(-1);
  // in blocks of rows, so the s^2 outer-product entries of a block stay a few MB
  const int64_t block = std::max<int64_t>(1, kAccumulateEntries / (s * s));
  for (int64_t begin = 0; begin < n; begin += block) {
    const int64_t rows = std::min(block, n - begin);
    at::Tensor idx = index.narrow(0, begin, rows), val = value.narrow(0, begin, rows);
    gram.index_add_(0, (idx.unsqueeze(2) * dim + idx.unsqueeze(1)).reshape(-1),
                    (val.unsqueeze(2) * val.unsqueeze(1)).reshape(-1));
    at::Tensor weighted = val.unsqueeze(2) * target.narrow(0, begin, rows).unsqueeze(1);
    moments_.index_add_(0, idx.reshape(-1), weighted.reshape({rows * s, -1}));
  }
  // W = A^{-1} B through A = L L^T (A is symmetric positive definite: lambda > 0)
  weight_ = at::cholesky_solve(moments_, at::linalg_cholesky(gram_));
}

at::Tensor ExactFtl::dense_gram() const { return gram_.to(torch::kCPU, false, true); }

void ExactFtl::save(torch::serialize::OutputArchive& archive) const {
  archive.write("lsse.gram", gram_.cpu());
  archive.write("lsse.moments", moments_.cpu());
}

void ExactFtl::load(torch::serialize::InputArchive& archive) {
  at::Tensor gram, moments;
  if (!archive.try_read("lsse.gram", gram) || !archive.try_read("lsse.moments", moments)) {
    throw DataError(
        "learner archive: not the state of an lsse learner with solver 'exact' (entry "
        "'lsse.gram' missing)");
  }
  if (gram.sizes() != gram_.sizes() || moments.sizes() != moments_.sizes()) {
    throw DataError(detail::str("learner archive: lsse statistics of shape ", gram.sizes(),
                                ", expected ", gram_.sizes()));
  }
  gram_.copy_(gram);
  moments_.copy_(moments);
  weight_ = at::cholesky_solve(moments_, at::linalg_cholesky(gram_));
}

std::unique_ptr<FtlSolver> make_ftl_solver(const std::string& kind, int64_t num_features,
                                           int64_t target_dim, double ridge, c10::Device device) {
  if (kind == "exact") return std::make_unique<ExactFtl>(num_features, target_dim, ridge, device);
  if (kind == "sparse") return std::make_unique<SparseFtl>(num_features, target_dim, ridge);
  throw InvalidArgument("solver", "expected 'sparse' or 'exact', got '" + kind + "'");
}

}  // namespace mbrl
