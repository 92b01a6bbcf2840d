// GruBackbone.
#include "mbrl/models/sequence/gru_backbone.h"

#include <torch/torch.h>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"

namespace mbrl {

GruBackboneImpl::GruBackboneImpl(GruBackboneOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.input_size() >= 1, "input_size", "expected an integer >= 1, got ",
                 o.input_size());
  MBRL_CHECK_ARG(o.hidden_size() >= 1, "hidden_size", "expected an integer >= 1, got ",
                 o.hidden_size());
  MBRL_CHECK_ARG(o.variant() == "block" || o.variant() == "plain", "variant",
                 "expected block or plain, got '", o.variant(), "'");
  MBRL_CHECK_ARG(o.members() >= 1, "members", "expected an integer >= 1, got ", o.members());
  MBRL_CHECK_ARG(o.members() == 1 || o.variant() == "block", "members",
                 "several members need variant block (a plain GRU cell mixes all its units), got ",
                 o.members());
  if (o.variant() == "plain") {
    plain_ = register_module("cell", torch::nn::GRUCell(o.input_size(), o.hidden_size()));
    return;
  }
  MBRL_CHECK_ARG(o.blocks() >= 1 && o.hidden_size() % o.blocks() == 0, "blocks",
                 "expected a divisor of hidden_size ", o.hidden_size(), ", got ", o.blocks());
  // every member's blocks side by side: member m's are [m G, (m + 1) G)
  const int64_t g = o.members() * o.blocks(), hb = o.hidden_size() / o.blocks();
  gates_ =
      register_module("gates", EnsembleLinear(EnsembleLinearOptions(g, hb + o.input_size(), 3 * hb)
                                                  .init(EnsembleInit::kXavierUniform)));
  norm_weight_ = register_parameter("norm_weight", torch::ones({g, 1, 3 * hb}));
  norm_bias_ = register_parameter("norm_bias", torch::zeros({g, 1, 3 * hb}));
}

BackboneState GruBackboneImpl::initial_state(int64_t batch, c10::Device device) const {
  return {{torch::zeros({batch, output_size()},
                        torch::TensorOptions().dtype(torch::kFloat32).device(device))}};
}

std::shared_ptr<SequenceBackbone> GruBackboneImpl::member(int64_t m) const {
  auto copy =
      detail::one_member_backbone<GruBackboneImpl>(options_, m, parameters().front().device());
  torch::NoGradGuard no_grad;
  if (plain_) {
    const auto from = parameters(), to = copy->parameters();
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
    return copy;
  }
  const int64_t g = options_.blocks();
  copy->gates_->weight.copy_(gates_->weight.narrow(0, m * g, g));
  copy->gates_->bias.copy_(gates_->bias.narrow(0, m * g, g));
  copy->norm_weight_.copy_(norm_weight_.narrow(0, m * g, g));
  copy->norm_bias_.copy_(norm_bias_.narrow(0, m * g, g));
  return copy;
}

at::Tensor GruBackboneImpl::cell(const at::Tensor& h, const at::Tensor& x) {
  if (plain_) return plain_->forward(x, h);
  const int64_t g = options_.members() * options_.blocks(),
                hb = options_.hidden_size() / options_.blocks(), b = h.size(0);
  // [G, B, H/G + in]: each block's own hidden slice next to the shared input
  const at::Tensor hg = h.view({b, g, hb}).transpose(0, 1);
  const at::Tensor in = torch::cat({hg, x.unsqueeze(0).expand({g, b, x.size(1)})}, -1);
  at::Tensor parts = gates_->forward(in);
  parts = at::layer_norm(parts, {3 * hb}) * norm_weight_ + norm_bias_;
  auto chunks = parts.chunk(3, -1);
  const at::Tensor reset = torch::sigmoid(chunks[0]);
  const at::Tensor cand = torch::tanh(reset * chunks[1]);
  const at::Tensor update = torch::sigmoid(chunks[2] - 1.0);
  const at::Tensor next = update * cand + (1.0 - update) * hg;  // [G, B, H/G]
  return next.transpose(0, 1).reshape({b, output_size()});
}

std::pair<at::Tensor, BackboneState> GruBackboneImpl::step(const BackboneState& state,
                                                           const at::Tensor& x,
                                                           const at::Tensor& is_first) {
  MBRL_CHECK_SHAPE(x, {-1, options_.input_size()}, "x");
  MBRL_CHECK(state.tensors.size() == 1, "gru: expected a state of one tensor");
  at::Tensor h = state.tensors[0];
  if (is_first.defined()) h = h * (~is_first.to(torch::kBool)).unsqueeze(-1).to(h.dtype());
  at::Tensor next = cell(h, x);
  return {next, BackboneState{{next}}};
}

std::pair<at::Tensor, BackboneState> GruBackboneImpl::forward(const at::Tensor& x,
                                                              const at::Tensor& is_first,
                                                              const BackboneState& state) {
  detail::check_sequence_input(x, options_.input_size());
  const int64_t T = x.size(0), B = x.size(1);
  const at::Tensor starts = detail::episode_starts(is_first, T, B, x.device());
  BackboneState s = state;
  std::vector<at::Tensor> ys;
  ys.reserve(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) {
    auto [y, next] = step(s, x[t], starts[t]);
    ys.push_back(y);
    s = std::move(next);
  }
  return {torch::stack(ys), s};
}

BackboneState GruBackboneImpl::states_along(const at::Tensor& x, const at::Tensor& is_first,
                                            const BackboneState& state, const at::Tensor& y) {
  (void)is_first;
  (void)state;
  detail::check_sequence_input(x, options_.input_size());
  MBRL_CHECK_SHAPE(y, {x.size(0), x.size(1), output_size()}, "y");
  return {{y.detach().flatten(0, 1)}};
}

GruBackboneOptions gru_backbone_options_from_config(const ConfigNode& node, int64_t input_size) {
  GruBackboneOptions o(input_size);
  MBRL_READ_OPTION(node, o, hidden_size);
  MBRL_READ_OPTION(node, o, variant);
  MBRL_READ_OPTION(node, o, blocks);
  MBRL_READ_OPTION(node, o, members);
  return o;
}

}  // namespace mbrl
