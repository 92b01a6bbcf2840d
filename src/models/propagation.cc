// Propagation methods: names and the row-to-member assignments they draw.
#include "mbrl/models/propagation.h"

#include <torch/torch.h>

#include "mbrl/core/check.h"

namespace mbrl {

Propagation parse_propagation(const std::string& name) {
  if (name == "ts1") return Propagation::kTs1;
  if (name == "ts_inf") return Propagation::kTsInf;
  if (name == "expectation") return Propagation::kExpectation;
  if (name == "random_model") return Propagation::kRandomModel;
  throw InvalidArgument(
      "propagation", "expected one of expectation, random_model, ts1, ts_inf, got '" + name + "'");
}

std::string propagation_name(Propagation p) {
  switch (p) {
    case Propagation::kTs1:
      return "ts1";
    case Propagation::kTsInf:
      return "ts_inf";
    case Propagation::kExpectation:
      return "expectation";
    case Propagation::kRandomModel:
      return "random_model";
  }
  MBRL_ASSERT(false, "unknown propagation");
}

at::Tensor draw_groups(Propagation method, int64_t n, int64_t particles, int64_t groups,
                       at::Generator& gen) {
  MBRL_ASSERT(n >= 0 && particles >= 1 && groups >= 1, "draw_groups(", n, ", ", particles, ", ",
              groups, ")");
  const auto opts = torch::TensorOptions().dtype(torch::kInt64).device(gen.device());
  at::Tensor particle = torch::arange(n, opts).remainder(particles);
  switch (method) {
    case Propagation::kTsInf:
      return particle.remainder(groups);
    case Propagation::kTs1: {
      // one permutation per candidate (the argsort of uniform keys, row by row), as PETS's TS1
      const int64_t candidates = (n + particles - 1) / particles;
      at::Tensor keys = at::rand({candidates, particles}, gen, opts.dtype(torch::kFloat32));
      return keys.argsort(/*dim=*/int64_t{1}).reshape({-1}).narrow(0, 0, n).remainder(groups);
    }
    case Propagation::kRandomModel:
      return at::randint(groups, {n}, gen, opts);
    case Propagation::kExpectation:
      break;
  }
  MBRL_ASSERT(false, "draw_groups: no groups for propagation ", propagation_name(method));
}

MemberAssignment group_rows(const at::Tensor& group, int64_t groups) {
  MemberAssignment a;
  a.order = std::get<1>(group.sort(c10::optional<bool>(true), /*dim=*/0, /*descending=*/false));
  at::Tensor ends = group.bincount({}, groups).cumsum(0).cpu();
  a.offsets.push_back(0);
  const int64_t* e = ends.data_ptr<int64_t>();
  a.offsets.insert(a.offsets.end(), e, e + groups);
  return a;
}

}  // namespace mbrl
