// Tests for models/lsse_ftl_*.cc: the exact and sparse follow-the-leader solvers on the same
// streams: equal statistics, equal weights where the rows' features are disjoint, a bounded gap
// and a never-increasing objective otherwise, save/load, refused archives.
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "mbrl/models/lsse_ftl.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

class LsseFtlTest : public test::MbrlTest {};

// a stream of n rows with s active features each, drawn from D features, and d targets
struct Stream {
  at::Tensor index, value, target;  // [n, s], [n, s], [n, d]
  Stream slice(int64_t begin, int64_t end) const {
    return {index.slice(0, begin, end), value.slice(0, begin, end), target.slice(0, begin, end)};
  }
};

// rows whose active features overlap: each row picks one of `cells` cells in each of g groups
// (a cell's features are 4 consecutive indices), with weights summing to 1 per group
Stream overlapping_stream(int64_t n, int64_t g, int64_t cells, int64_t d, uint64_t seed) {
  auto gen = make_generator(seed, torch::kCPU);
  at::Tensor cell = at::randint(cells, {n, g, 1}, gen, torch::kInt64);
  at::Tensor group = torch::arange(g).view({1, g, 1}) * (cells + 3);
  at::Tensor index = (group + cell + torch::arange(4).view({1, 1, 4})).view({n, -1});
  at::Tensor value = at::rand({n, g, 4}, gen);
  value = (value / value.sum(2, true)).view({n, -1});
  // a non-linear target of the cells, plus noise
  at::Tensor target =
      torch::sin(cell.view({n, g}).to(torch::kFloat32) * 0.7).matmul(at::randn({g, d}, gen)) +
      0.1 * at::randn({n, d}, gen);
  return {index, value, target};
}

// the FTL objective sum |W^T phi - y|^2 + lambda |W|^2 from the statistics, up to the constant
// sum |y|^2: tr(W^T A W) - 2 tr(W^T B)
double objective(const at::Tensor& gram, const at::Tensor& moments, const at::Tensor& w) {
  return ((w * gram.matmul(w)).sum() - 2.0 * (w * moments).sum()).item<double>();
}

TEST_F(LsseFtlTest, BothSolversAccumulateTheSameStatistics) {
  const int64_t dim = 3 * 23;
  Stream data = overlapping_stream(300, 3, 20, 2, 1);
  ExactFtl exact(dim, 2, 0.5, torch::kCPU);
  SparseFtl sparse(dim, 2, 0.5);
  for (int64_t begin = 0; begin < 300; begin += 100) {
    exact.add(data.slice(begin, begin + 100).index, data.slice(begin, begin + 100).value,
              data.slice(begin, begin + 100).target);
    sparse.add(data.slice(begin, begin + 100).index, data.slice(begin, begin + 100).value,
               data.slice(begin, begin + 100).target);
  }
  // the closed forms: A = lambda I + Phi^T Phi, B = Phi^T Y
  at::Tensor phi = torch::zeros({300, dim}, torch::kFloat64)
                       .scatter_add_(1, data.index, data.value.to(torch::kFloat64));
  at::Tensor gram = phi.t().matmul(phi) + 0.5 * torch::eye(dim, torch::kFloat64);
  at::Tensor moments = phi.t().matmul(data.target.to(torch::kFloat64));
  EXPECT_TRUE(torch::allclose(exact.dense_gram(), gram, 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(sparse.dense_gram(), gram, 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(sparse.moments(), moments, 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(exact.weight(), at::linalg_solve(gram, moments), 1e-8, 1e-10));
  // each feature's row holds the features it was ever active with, and no others
  EXPECT_EQ(sparse.gram_nonzeros(), (phi.t().matmul(phi) != 0).sum().item<int64_t>());
}

TEST_F(LsseFtlTest, SparseEqualsExactWhenRowsShareNoFeature) {
  // row t activates features 5t .. 5t + 4 (and a repeated index is summed): disjoint rows
  const int64_t n = 40, s = 5, dim = n * s + 7;
  auto gen = make_generator(2, torch::kCPU);
  at::Tensor index = torch::arange(n * s).view({n, s});
  index.select(1, 4).copy_(index.select(1, 3));  // a repeated index within a row
  at::Tensor value = at::rand({n, s}, gen) + 0.1;
  at::Tensor target = at::randn({n, 3}, gen);
  ExactFtl exact(dim, 3, 0.1, torch::kCPU);
  SparseFtl sparse(dim, 3, 0.1);
  for (int64_t begin = 0; begin < n; begin += 8) {
    exact.add(index.slice(0, begin, begin + 8), value.slice(0, begin, begin + 8),
              target.slice(0, begin, begin + 8));
    sparse.add(index.slice(0, begin, begin + 8), value.slice(0, begin, begin + 8),
               target.slice(0, begin, begin + 8));
    EXPECT_TRUE(torch::allclose(sparse.weight(), exact.weight(), 1e-9, 1e-12)) << begin;
  }
  EXPECT_GT(exact.weight().abs().max().item<double>(), 0.1);  // not trivially zero
}

TEST_F(LsseFtlTest, SparseStepsNeverIncreaseTheObjectiveAndStayCloseToExact) {
  const int64_t dim = 8 * 33;
  Stream data = overlapping_stream(2000, 8, 30, 3, 3);
  ExactFtl exact(dim, 3, 1.0, torch::kCPU);
  SparseFtl sparse(dim, 3, 1.0);
  // one row at a time for the first 100 rows: every block step lowers the current objective
  for (int64_t t = 0; t < 100; ++t) {
    Stream row = data.slice(t, t + 1);
    at::Tensor before = sparse.weight();
    sparse.add(row.index, row.value, row.target);
    const at::Tensor gram = sparse.dense_gram(), moments = sparse.moments();
    EXPECT_LE(objective(gram, moments, sparse.weight()), objective(gram, moments, before) + 1e-9)
        << t;
  }
  exact.add(data.slice(0, 100).index, data.slice(0, 100).value, data.slice(0, 100).target);
  for (int64_t begin = 100; begin < 2000; begin += 200) {
    Stream batch = data.slice(begin, begin + 200);
    exact.add(batch.index, batch.value, batch.target);
    sparse.add(batch.index, batch.value, batch.target);
  }
  // the gap in the objective's data term, relative to exact FTL's whole objective
  const at::Tensor gram = exact.dense_gram(), moments = exact.moments();
  const double y2 = data.target.to(torch::kFloat64).square().sum().item<double>();
  const double j_exact = y2 + objective(gram, moments, exact.weight());
  const double j_sparse = y2 + objective(gram, moments, sparse.weight());
  EXPECT_GE(j_sparse, j_exact - 1e-6);  // exact is the minimum
  EXPECT_LT(j_sparse, 1.01 * j_exact) << j_sparse << " vs " << j_exact;
  // and not because the objective is flat: zero weights are far worse
  EXPECT_GT(y2, 2.0 * j_exact);
}

TEST_F(LsseFtlTest, SparseSaveLoadContinuesIdentically) {
  const int64_t dim = 4 * 23;
  Stream data = overlapping_stream(400, 4, 20, 2, 4);
  SparseFtl a(dim, 2, 0.3);
  a.add(data.slice(0, 250).index, data.slice(0, 250).value, data.slice(0, 250).target);
  torch::serialize::OutputArchive out;
  a.save(out);
  const auto path = test::scratch_dir() / "ftl.pt";
  out.save_to(path.string());
  SparseFtl b(dim, 2, 0.3);
  torch::serialize::InputArchive in;
  in.load_from(path.string());
  b.load(in);
  EXPECT_TRUE(torch::equal(a.dense_gram(), b.dense_gram()));
  a.add(data.slice(250, 400).index, data.slice(250, 400).value, data.slice(250, 400).target);
  b.add(data.slice(250, 400).index, data.slice(250, 400).value, data.slice(250, 400).target);
  EXPECT_TRUE(torch::equal(a.weight(), b.weight()));

  // another solver's state, another size
  ExactFtl exact(dim, 2, 0.3, torch::kCPU);
  torch::serialize::InputArchive again;
  again.load_from(path.string());
  EXPECT_THROW_WITH(exact.load(again), DataError, "solver 'exact'");
  SparseFtl wider(dim + 1, 2, 0.3);
  torch::serialize::InputArchive third;
  third.load_from(path.string());
  EXPECT_THROW_WITH(wider.load(third), DataError, "expected 93");
}

TEST_F(LsseFtlTest, BadSolverChoicesAreErrorsNamingTheOption) {
  EXPECT_THROW_WITH(make_ftl_solver("cg", 10, 1, 1.0, torch::kCPU), InvalidArgument, "solver");
  EXPECT_THROW_WITH(make_ftl_solver("exact", ExactFtl::kMaxFeatures + 1, 1, 1.0, torch::kCPU),
                    InvalidArgument, "use 'sparse'");
  EXPECT_EQ(make_ftl_solver("sparse", 1 << 20, 1, 1.0, torch::kCPU)->kind(), "sparse");
}

}  // namespace
}  // namespace mbrl
