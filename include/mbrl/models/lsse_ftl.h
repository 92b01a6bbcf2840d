// Follow-the-leader solvers for LSSE: ridge least squares on sparse features, kept up to date as
// rows arrive, exactly (a dense Gram and a full solve) or sparsely (only the active weights).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace mbrl {

/// The follow-the-leader (FTL) problem after rows (phi_t, y_t), t <= T, with D features and d
/// targets: W_T = argmin_W sum_t |W^T phi_t - y_t|^2 + lambda |W|^2 = A^{-1} B with the
/// sufficient statistics A = lambda I + sum phi phi^T [D, D] and B = sum phi y^T [D, d]. A solver
/// absorbs rows in order and keeps W; each row touches A only on the s^2 entries of its s active
/// features. Float64 throughout.
class FtlSolver {
 public:
  virtual ~FtlSolver() = default;

  /// "exact" or "sparse".
  virtual std::string kind() const = 0;
  /// Absorbs N rows in order and updates W.
  /// index [N, s] int64 in [0, D), value [N, s] float, target [N, d] float (any device).
  virtual void add(const at::Tensor& index, const at::Tensor& value, const at::Tensor& target) = 0;
  /// W [D, d] float64 (a copy, as are the statistics below).
  virtual at::Tensor weight() const = 0;
  /// A as a dense [D, D] float64 on the CPU (tests and diagnostics: D^2 memory).
  virtual at::Tensor dense_gram() const = 0;
  /// B [D, d] float64.
  virtual at::Tensor moments() const = 0;

  /// Entries "lsse.*" of a learner archive; load throws DataError naming the entry when the
  /// archive holds another solver's state, another shape or a corrupt one.
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
};

/// Exact FTL: A kept dense [D, D] on `device`, W = A^{-1} B by a Cholesky factorisation after
/// every add call (O(D^3) per call, D^2 memory: refused above kMaxFeatures features).
class ExactFtl : public FtlSolver {
 public:
  static constexpr int64_t kMaxFeatures = 32768;  // 8 GiB of float64 Gram

  /// Throws InvalidArgument naming "solver" when D > kMaxFeatures.
  ExactFtl(int64_t num_features, int64_t target_dim, double ridge, c10::Device device);

  std::string kind() const override { return "exact"; }
  void add(const at::Tensor& index, const at::Tensor& value, const at::Tensor& target) override;
  at::Tensor weight() const override { return weight_.clone(); }
  at::Tensor dense_gram() const override;
  at::Tensor moments() const override { return moments_.clone(); }
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

 private:
  at::Tensor gram_, moments_, weight_;  // [D, D], [D, d], [D, d]
};

/// Sparse incremental FTL (our reading of Liu et al. 2024's sparse update: only the weights of
/// the active features change). For each new row in turn, with S its active features:
/// A += phi phi^T, B += phi y^T, then W_S = argmin over W_S of the whole FTL objective with the
/// other weights held, i.e. W_S += A_SS^{-1} (B_S - A_{S,:} W). That is an exact block
/// coordinate-descent step on the current objective (it never increases it), costing
/// O(s^3 + s r d) per row for a row of A with r nonzeros: it depends on the sparsity, not on D.
/// It equals exact FTL when no two rows share an active feature (A is then block diagonal), and
/// otherwise lags it where older rows' weights are not revisited (docs/benchmarks.md states
/// the measured gap). A is kept as sorted sparse rows on the CPU (12 bytes per nonzero); W and B
/// as dense [D, d].
class SparseFtl : public FtlSolver {
 public:
  SparseFtl(int64_t num_features, int64_t target_dim, double ridge);

  std::string kind() const override { return "sparse"; }
  void add(const at::Tensor& index, const at::Tensor& value, const at::Tensor& target) override;
  at::Tensor weight() const override;
  at::Tensor dense_gram() const override;
  at::Tensor moments() const override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  /// Nonzeros of A off the ridge diagonal.
  int64_t gram_nonzeros() const;

 private:
  struct Row {
    std::vector<int32_t> col;  // sorted, distinct
    std::vector<double> val;
  };
  // adds vals[k] at column cols[k] (sorted, distinct) of `row`
  static void add_to_row(Row& row, const int32_t* cols, const double* vals, int64_t n);
  // absorbs one row: its sorted distinct features `cols` with values `vals`, target y [d]
  void add_row(const std::vector<int32_t>& cols, const std::vector<double>& vals, const double* y);

  int64_t num_features_, target_dim_;
  double ridge_;
  std::vector<Row> rows_;        // A minus lambda I, by row
  std::vector<double> moments_;  // B [D, d] row-major
  std::vector<double> weight_;   // W [D, d] row-major
};

/// "exact" -> ExactFtl on `device`, "sparse" -> SparseFtl (CPU); InvalidArgument naming "solver"
/// otherwise.
std::unique_ptr<FtlSolver> make_ftl_solver(const std::string& kind, int64_t num_features,
                                           int64_t target_dim, double ridge, c10::Device device);

}  // namespace mbrl
