// Data-parallel training across processes on torch.distributed's c10d: a Gloo process group
// whose ranks each compute the gradient of their shard of a global batch and sum them with one
// all-reduce, so every rank takes the same optimizer step. The ranks meet through a TCPStore at
// MASTER_ADDR:MASTER_PORT, as torchrun and Slurm jobs set them up.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mbrl {

/// Where the ranks meet and who this process is.
struct Rendezvous {
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int rank = 0;
  int world_size = 1;
};

/// The rendezvous the environment describes: RANK, WORLD_SIZE (torchrun, `mbrl train --nproc`)
/// or else SLURM_PROCID, SLURM_STEP_NUM_TASKS (the tasks of an `srun` step; not SLURM_NTASKS,
/// which a batch script has too), with MASTER_ADDR (default 127.0.0.1)
/// and MASTER_PORT (default 29500). nullopt when neither names a world of more than one rank.
/// ConfigError naming the variable when one is not a number or out of range.
std::optional<Rendezvous> rendezvous_from_environment();

/// A free TCP port on the loopback interface (for a one-machine rendezvous).
int free_loopback_port();

class DataParallel {
 public:
  /// True when this build has c10d's Gloo backend (Debian's libtorch-dev with libgloo-dev
  /// headers; PyTorch's LibTorch).
  static bool available();

  /// This rank of the process group. It joins at its first collective (so that a launcher can
  /// start the other ranks after building its own experiment), which blocks until all
  /// `world_size` ranks have joined; rank 0 hosts the store. Joining and every collective fail
  /// with IoError after `timeout`, or at once when a peer's process ends.
  explicit DataParallel(const Rendezvous& rendezvous,
                        std::chrono::milliseconds timeout = std::chrono::minutes(30));
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return rendezvous_.rank; }
  int world_size() const { return rendezvous_.world_size; }

  /// Rows [begin, end) of a batch of `rows` rows that this rank computes: contiguous, sizes
  /// differing by at most one, rank 0 first.
  std::pair<int64_t, int64_t> shard(int64_t rows) const;

  /// Sums `tensors` over the ranks, in place: every rank gets the same sums (one all-reduce of
  /// one flat float32 buffer; a single contiguous tensor is that buffer, without a copy).
  /// tensors: float32, same shapes on every rank.
  void all_reduce_sum(const std::vector<at::Tensor>& tensors);
  /// Sums the gradients of `parameters` (a missing gradient counts as zeros: a rank with no rows)
  /// and the tensors `also` (e.g. the loss) over the ranks, in one all-reduce.
  void sum_gradients(const std::vector<at::Tensor>& parameters,
                     const std::vector<at::Tensor>& also = {});

 private:
  void join();

  struct Group;
  Rendezvous rendezvous_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Group> group_;
};

}  // namespace mbrl
