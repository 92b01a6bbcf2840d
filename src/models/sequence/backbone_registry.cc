// The backbone registry, one line each, the input checks shared by the backbones, and the
// default SequenceBackbone::states_along.
#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/models/sequence/gru_backbone.h"
#include "mbrl/models/sequence/mamba_backbone.h"
#include "mbrl/models/sequence/s4d_backbone.h"
#include "mbrl/models/sequence/sequence_backbone.h"
#include "mbrl/models/sequence/transformer_backbone.h"

namespace mbrl {

namespace detail {

at::Tensor episode_starts(const at::Tensor& is_first, int64_t T, int64_t B, c10::Device device) {
  if (!is_first.defined()) {
    return torch::zeros({T, B}, torch::TensorOptions().dtype(torch::kBool).device(device));
  }
  MBRL_CHECK_SHAPE(is_first, {T, B}, "is_first");
  return is_first.to(device, torch::kBool);
}

void check_sequence_input(const at::Tensor& x, int64_t width) {
  MBRL_CHECK_SHAPE(x, {-1, -1, width}, "x");
  if (x.size(0) < 1 || x.size(1) < 1) {
    throw ShapeError(
        mbrl::detail::str("x: expected [T, B, ", width, "] with T, B >= 1, got ", x.sizes()));
  }
}

std::pair<at::Tensor, BackboneState> step_by_forward(SequenceBackbone& backbone,
                                                     const BackboneState& state,
                                                     const at::Tensor& x,
                                                     const at::Tensor& is_first) {
  MBRL_CHECK_SHAPE(x, {-1, backbone.input_size()}, "x");
  auto [y, next] = backbone.forward(x.unsqueeze(0),
                                    is_first.defined() ? is_first.unsqueeze(0) : is_first, state);
  return {y.squeeze(0), next};
}

void check_member(int64_t m, int64_t members) {
  MBRL_CHECK_ARG(0 <= m && m < members, "members", "expected a member in [0, ", members, "), got ",
                 m);
}

}  // namespace detail

BackboneState SequenceBackbone::states_along(const at::Tensor& x, const at::Tensor& is_first,
                                             const BackboneState& state, const at::Tensor& y) {
  (void)y;
  detail::check_sequence_input(x, input_size());
  torch::NoGradGuard no_grad;
  const int64_t T = x.size(0), B = x.size(1);
  const at::Tensor starts = detail::episode_starts(is_first, T, B, x.device());
  BackboneState s = state;
  std::vector<std::vector<at::Tensor>> per_tensor;
  for (int64_t t = 0; t < T; ++t) {
    s = step(s, x[t], starts[t]).second;
    per_tensor.resize(s.tensors.size());
    for (size_t i = 0; i < s.tensors.size(); ++i) per_tensor[i].push_back(s.tensors[i]);
  }
  BackboneState every;
  for (auto& steps : per_tensor) every.tensors.push_back(torch::stack(steps).flatten(0, 1));
  return every;
}

std::shared_ptr<SequenceBackbone> SequenceBackbone::member(int64_t m) const {
  (void)m;
  throw InvalidArgument("members",
                        mbrl::detail::str("the ", type(), " backbone cannot hold several members"));
}

namespace {

template <class Module, class Options>
std::shared_ptr<SequenceBackbone> on_device(Options options, const BuildContext& ctx) {
  auto m = std::make_shared<Module>(std::move(options));
  m->to(ctx.device);
  return m;
}

std::shared_ptr<SequenceBackbone> make_gru(const ConfigNode& node, const BuildContext& ctx,
                                           int64_t input_size) {
  return on_device<GruBackboneImpl>(gru_backbone_options_from_config(node, input_size), ctx);
}
std::shared_ptr<SequenceBackbone> make_mamba(const ConfigNode& node, const BuildContext& ctx,
                                             int64_t input_size) {
  return on_device<MambaBackboneImpl>(mamba_backbone_options_from_config(node, input_size), ctx);
}
std::shared_ptr<SequenceBackbone> make_s4d(const ConfigNode& node, const BuildContext& ctx,
                                           int64_t input_size) {
  return on_device<S4dBackboneImpl>(s4d_backbone_options_from_config(node, input_size), ctx);
}
std::shared_ptr<SequenceBackbone> make_transformer(const ConfigNode& node, const BuildContext& ctx,
                                                   int64_t input_size) {
  return on_device<TransformerBackboneImpl>(
      transformer_backbone_options_from_config(node, input_size), ctx);
}

}  // namespace

BackboneRegistry& backbone_registry() {
  static BackboneRegistry registry("backbones");
  return registry;
}

void register_backbones() {
  auto& registry = backbone_registry();
  if (!registry.contains("gru")) {
    registry.add("gru", make_gru, "DreamerV3's block GRU (LayerNorm, block-diagonal), or plain");
    registry.add("mamba", make_mamba,
                 "selective SSM blocks (Mamba): input-dependent dt, B, C; chunked parallel scan");
    registry.add("s4d", make_s4d,
                 "diagonal SSM blocks (S4D-Lin/Inv, ZOH/bilinear): FFT convolution, recurrence");
    registry.add("transformer", make_transformer,
                 "causal pre-norm Transformer over a context window; key/value cache to step");
  }
}

}  // namespace mbrl
