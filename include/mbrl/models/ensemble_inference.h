// EnsembleInference: the fast, allocation-free forward pass of a GaussianMlpEnsemble used inside
// planning and rollouts (no autograd).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mbrl {

class GaussianMlpEnsemble;

/// Runs the ensemble's network on rows that each go through one member (`forward_grouped`) or
/// through several members (`forward_all`), and returns raw network outputs (feed them to
/// `GaussianMlpEnsemble::split_output`).
///
/// On the CPU the rows are cut into tiles of at most `kTileRows` rows of one member; the tiles are
/// split across LibTorch's intra-op threads in one parallel region, each thread running every
/// layer of its tile (single-threaded GEMM with the bias as its initial value, then the
/// activation in place) in per-thread scratch buffers that stay in cache. Output and scratch
/// buffers are reused across calls, so after the first call of a given size nothing large is
/// allocated. On other devices it falls back to batched matmuls over all members.
///
/// Reads the model's parameters at every call (training in between is fine). Not thread-safe:
/// one workspace per calling thread.
class EnsembleInference {
 public:
  static constexpr int64_t kTileRows = 256;

  /// `model` must outlive this object (the ensemble owns the one its rollouts use).
  explicit EnsembleInference(const GaussianMlpEnsemble& model);

  /// x: [N, input_dim] float32, contiguous, normalized inputs whose rows are grouped by member:
  /// rows [offsets[j], offsets[j+1]) go through member members[j]. offsets: G + 1 values from 0
  /// to N, non-decreasing; members: G indices in [0, E). Returns raw outputs
  /// [N, output_columns], a view of an internal buffer that the next call overwrites.
  at::Tensor forward_grouped(const at::Tensor& x, const std::vector<int64_t>& members,
                             const std::vector<int64_t>& offsets);

  /// x: [N, input_dim] float32 contiguous -> raw outputs [M, N, output_columns] of each of the M
  /// `members` on every row (a view of an internal buffer, overwritten by the next call).
  at::Tensor forward_all(const at::Tensor& x, const std::vector<int64_t>& members);

  const GaussianMlpEnsemble& model() const { return *model_; }

 private:
  // one tile: `rows` rows of x starting at x_row, through member `member`, into out rows from
  // out_row of the flat [*, output_columns] output buffer
  struct Job {
    int64_t member, x_row, out_row, rows;
  };
  void run_cpu(const at::Tensor& x, const std::vector<Job>& jobs, at::Tensor& out);
  static void add_jobs(std::vector<Job>& jobs, int64_t member, int64_t x_row, int64_t out_row,
                       int64_t rows);
  at::Tensor output_buffer(int64_t rows);

  const GaussianMlpEnsemble* model_;
  at::Tensor out_;                   // flat [capacity, output_columns]
  std::vector<at::Tensor> scratch_;  // per thread: [2, kTileRows, hidden_size]
};

}  // namespace mbrl
