// DataParallel on c10d's Gloo backend; the rendezvous from the environment.
#include "mbrl/core/data_parallel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <limits>

#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/core/error.h"

// Debian's libtorch-dev ships c10d with Gloo (USE_C10D_GLOO) but the <gloo/...> headers come
// with libgloo-dev; without them (or in a LibTorch without Gloo) data parallelism is unavailable
#if defined(USE_C10D_GLOO) && __has_include(<gloo/config.h>) && \
    __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>)
#define MBRL_HAVE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#else
#define MBRL_HAVE_C10D_GLOO 0
#endif

namespace mbrl {
namespace {

// an integer environment variable in [lo, hi]; nullopt when unset
std::optional<int> env_int(const char* name, int lo, int hi) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < lo || value > hi) {
    throw ConfigError(std::string("environment variable ") + name, "",
                      detail::str("expected an integer in [", lo, ", ", hi, "], got '", text, "'"));
  }
  return static_cast<int>(value);
}

}  // namespace

std::optional<Rendezvous> rendezvous_from_environment() {
  constexpr int kMaxRanks = 1 << 20;
  Rendezvous r;
  std::optional<int> world = env_int("WORLD_SIZE", 1, kMaxRanks);
  std::optional<int> rank = env_int("RANK", 0, kMaxRanks - 1);
  const char* rank_name = "RANK";
  if (!world) {
    // an srun step's tasks (a batch script itself has SLURM_NTASKS and SLURM_PROCID=0 but is
    // one process: it must not wait for ranks that never come)
    world = env_int("SLURM_STEP_NUM_TASKS", 1, kMaxRanks);
    rank = env_int("SLURM_PROCID", 0, kMaxRanks - 1);
    rank_name = "SLURM_PROCID";
  }
  if (!world || *world < 2) return std::nullopt;
  if (!rank) {
    throw ConfigError(std::string("environment variable ") + rank_name, "",
                      detail::str("is not set, but the world has ", *world, " ranks"));
  }
  if (*rank >= *world) {
    throw ConfigError(
        std::string("environment variable ") + rank_name, "",
        detail::str("expected a rank below the world size ", *world, ", got ", *rank));
  }
  r.world_size = *world;
  r.rank = *rank;
  if (const char* addr = std::getenv("MASTER_ADDR"); addr != nullptr && *addr != '\0')
    r.master_addr = addr;
  if (auto port = env_int("MASTER_PORT", 1, 65535)) r.master_port = *port;
  return r;
}

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw IoError("127.0.0.1", "cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) throw IoError("127.0.0.1", "cannot bind a socket to find a free port");
  return ntohs(addr.sin_port);
}

bool DataParallel::available() { return MBRL_HAVE_C10D_GLOO; }

#if MBRL_HAVE_C10D_GLOO

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
};

DataParallel::DataParallel(const Rendezvous& rendezvous, std::chrono::milliseconds timeout)
    : rendezvous_(rendezvous), timeout_(timeout), group_(std::make_unique<Group>()) {
  MBRL_CHECK(
      rendezvous.world_size >= 1 && rendezvous.rank >= 0 && rendezvous.rank < rendezvous.world_size,
      "DataParallel: rank ", rendezvous.rank, " of a world of ", rendezvous.world_size);
}

void DataParallel::join() {
  if (group_->gloo) return;
  const Rendezvous& rendezvous = rendezvous_;
  const std::chrono::milliseconds timeout = timeout_;
  const std::string where = rendezvous.master_addr + ":" + std::to_string(rendezvous.master_port);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(rendezvous.master_port);
    store_options.isServer = rendezvous.rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(rendezvous.world_size);
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    group_->store = c10::make_intrusive<c10d::TCPStore>(rendezvous.master_addr, store_options);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    const bool loopback =
        rendezvous.master_addr == "localhost" || rendezvous.master_addr.rfind("127.", 0) == 0;
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    options->devices.push_back(interface != nullptr && *interface != '\0'
                                   ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                               : loopback
                                   ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                   : c10d::ProcessGroupGloo::createDefaultDevice());
    group_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, rendezvous.rank,
                                                               rendezvous.world_size, options);
  } catch (const std::exception& e) {
    throw IoError(where, detail::str("rank ", rendezvous.rank, " of ", rendezvous.world_size,
                                     " could not join the process group: ", e.what()));
  }
}

void DataParallel::all_reduce_sum(const std::vector<at::Tensor>& tensors) {
  if (tensors.empty() || world_size() == 1) return;
  join();
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> flat_parts;
  for (const auto& t : tensors) {
    MBRL_CHECK(t.scalar_type() == at::kFloat, "DataParallel::all_reduce_sum: float32 tensors");
    flat_parts.push_back(t.reshape({-1}));
  }
  // one contiguous tensor is reduced in place; several are gathered into one buffer and back
  const bool in_place = tensors.size() == 1 && tensors[0].is_contiguous();
  std::vector<at::Tensor> buffer{in_place ? flat_parts[0] : at::cat(flat_parts)};
  try {
    group_->gloo->allreduce(buffer)->wait();
  } catch (const std::exception& e) {
    throw IoError(rendezvous_.master_addr + ":" + std::to_string(rendezvous_.master_port),
                  detail::str("all-reduce of rank ", rank(), " failed: ", e.what()));
  }
  if (in_place) return;
  int64_t offset = 0;
  for (const auto& t : tensors) {
    t.copy_(buffer[0].narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

#else

struct DataParallel::Group {};

DataParallel::DataParallel(const Rendezvous& rendezvous, std::chrono::milliseconds timeout)
    : rendezvous_(rendezvous), timeout_(timeout) {
  throw ConfigError("data parallelism", "",
                    "this build has no c10d Gloo backend (Debian: install libgloo-dev and "
                    "rebuild)");
}

void DataParallel::join() {}

void DataParallel::all_reduce_sum(const std::vector<at::Tensor>&) {}

#endif

DataParallel::~DataParallel() = default;

void DataParallel::sum_gradients(const std::vector<at::Tensor>& parameters,
                                 const std::vector<at::Tensor>& also) {
  std::vector<at::Tensor> tensors;
  for (auto p : parameters) {
    if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
    tensors.push_back(p.grad());
  }
  tensors.insert(tensors.end(), also.begin(), also.end());
  all_reduce_sum(tensors);
}

std::pair<int64_t, int64_t> DataParallel::shard(int64_t rows) const {
  const int64_t w = world_size(), r = rank();
  return {r * rows / w, (r + 1) * rows / w};
}

}  // namespace mbrl
