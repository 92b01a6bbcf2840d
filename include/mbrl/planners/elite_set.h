// EliteSet: the best candidates of a population and the CEM update they drive (CEM and iCEM).
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Selects the E best of S populations and refits the sampling distribution to them.
/// Buffers ([S, E] scores and indices, [S, E, H, A] elites) are sized by `allocate` and reused.
class EliteSet {
 public:
  /// Sizes the buffers for S problems, E elites and sequences [H, A] on `options`' device.
  void allocate(int64_t S, int64_t E, int64_t H, int64_t A, const at::TensorOptions& options);

  int64_t size() const { return elites_.defined() ? elites_.size(1) : 0; }

  /// population: [S, P, H, A] with P >= E, values: [S, P] -> keeps the E best of each problem,
  /// best first, in elites() and values().
  void select(const at::Tensor& population, const at::Tensor& values);

  /// [S, E, H, A] and [S, E]: the elites of the last `select`, best first.
  const at::Tensor& elites() const { return elites_; }
  const at::Tensor& values() const { return values_; }

  /// The momentum update of CEM: mean <- alpha mean + (1 - alpha) mean(elites), and the same
  /// for var with the (biased) elite variance. mean, var: [S, H, A], updated in place; where
  /// `active` ([S] bool) is defined, only its true rows change.
  void update(at::Tensor& mean, at::Tensor& var, double alpha, const at::Tensor& active) const;

  /// best: [S, H, A], best_value: [S]: replaced, in place, by the top elite where it scores
  /// higher (and, when `active` is defined, the row is active).
  void track_best(at::Tensor& best, at::Tensor& best_value, const at::Tensor& active) const;

 private:
  at::Tensor values_;   // [S, E]
  at::Tensor indices_;  // [S, E] int64
  at::Tensor elites_;   // [S, E, H, A]
};

}  // namespace mbrl
