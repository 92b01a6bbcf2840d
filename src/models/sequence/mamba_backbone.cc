// MambaBackbone and the chunked linear scan.
#include "mbrl/models/sequence/mamba_backbone.h"

#include <torch/torch.h>

#include <cmath>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"

namespace mbrl {
namespace {

// RMSNorm of each member's slice of x [..., M D] by weight [M D]
at::Tensor rms_norm(const at::Tensor& x, int64_t members, const at::Tensor& weight) {
  if (members == 1) return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + 1e-5) * weight;
  const at::Tensor per_member = x.unflatten(-1, {members, -1});
  return (per_member * torch::rsqrt(per_member.pow(2).mean(-1, /*keepdim=*/true) + 1e-5))
             .flatten(-2) *
         weight;
}

// [..., M W] -> [..., M, W]: each member's slice of the last dimension
at::Tensor per_member(const at::Tensor& x, int64_t members) {
  return x.unflatten(-1, {members, -1});
}

}  // namespace

namespace detail {

at::Tensor chunked_linear_scan(const at::Tensor& a, const at::Tensor& b, const at::Tensor& h0,
                               int64_t chunk) {
  MBRL_ASSERT(chunk >= 1 && a.sizes() == b.sizes(), "chunked_linear_scan: bad arguments");
  torch::NoGradGuard no_grad;
  const int64_t T = a.size(0), L = std::min(chunk, T), C = (T + L - 1) / L;
  at::Tensor A = a, B = b;
  if (C * L > T) {  // the last chunk padded with identity steps (a = 1, b = 0)
    std::vector<int64_t> pad(a.sizes().begin(), a.sizes().end());
    pad[0] = C * L - T;
    A = torch::cat({a, torch::ones(pad, a.options())});
    B = torch::cat({b, torch::zeros(pad, b.options())});
  }
  std::vector<int64_t> blocks{C, L};
  blocks.insert(blocks.end(), a.sizes().begin() + 1, a.sizes().end());
  A = A.reshape(blocks);  // [C, L, ...]
  B = B.reshape(blocks);
  at::Tensor carries = h0.unsqueeze(0);  // [C, ...]: the state entering each chunk
  if (C > 1) {
    // 1. every chunk's composition from a zero state, all chunks at once: h_end = e + p h_start
    at::Tensor e = B.select(1, 0).clone(), p = A.select(1, 0).clone();
    for (int64_t t = 1; t < L; ++t) {
      e.mul_(A.select(1, t)).add_(B.select(1, t));
      p.mul_(A.select(1, t));
    }
    // 2. one carry per chunk
    carries = torch::empty_like(e);
    at::Tensor h = h0;
    for (int64_t c = 0; c < C; ++c) {
      carries[c].copy_(h);
      h = torch::addcmul(e[c], p[c], h);
    }
  }
  // 3. every chunk's recurrence again from its carry, all chunks at once
  at::Tensor H = torch::empty_like(A);
  for (int64_t t = 0; t < L; ++t) {
    at::Tensor out = H.select(1, t);
    at::addcmul_out(out, B.select(1, t), A.select(1, t), t == 0 ? carries : H.select(1, t - 1));
  }
  std::vector<int64_t> flat(a.sizes().begin(), a.sizes().end());
  flat[0] = C * L;
  return H.reshape(flat).narrow(0, 0, T);
}

namespace {

// h = scan(a, b, h0) whose backward pass is the reverse scan (as in mamba.py's pscan.py), so
// autograd keeps a and h instead of the scan's intermediates:
//   gb_t = gh_t + a_{t+1} gb_{t+1},  ga_t = h_{t-1} gb_t (h_{-1} = h0),  gh0 = a_0 gb_0.
class LinearScan : public torch::autograd::Function<LinearScan> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a,
                            const at::Tensor& b, const at::Tensor& h0, int64_t chunk) {
    const at::Tensor h = chunked_linear_scan(a, b, h0, chunk);
    ctx->save_for_backward({a, h, h0});
    ctx->saved_data["chunk"] = chunk;
    return h;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &a = saved[0], &h = saved[1], &h0 = saved[2];
    const int64_t chunk = ctx->saved_data["chunk"].toInt(), T = a.size(0);
    const at::Tensor a_next =
        torch::cat({a.narrow(0, 1, T - 1), torch::zeros_like(a[0]).unsqueeze(0)});
    const at::Tensor gb =
        chunked_linear_scan(a_next.flip(0), grads[0].flip(0), torch::zeros_like(h0), chunk).flip(0);
    const at::Tensor h_prev = torch::cat({h0.unsqueeze(0), h.narrow(0, 0, T - 1)});
    return {h_prev * gb, gb, a[0] * gb[0], at::Tensor()};
  }
};

}  // namespace

at::Tensor linear_scan(const at::Tensor& a, const at::Tensor& b, const at::Tensor& h0,
                       int64_t chunk) {
  return LinearScan::apply(a, b, h0, chunk);
}

at::Tensor sequential_linear_scan(const at::Tensor& a, const at::Tensor& b, const at::Tensor& h0) {
  std::vector<at::Tensor> hs;
  at::Tensor h = h0;
  for (int64_t t = 0; t < a.size(0); ++t) {
    h = a[t] * h + b[t];
    hs.push_back(h);
  }
  return torch::stack(hs);
}

}  // namespace detail

MambaBackboneImpl::MambaBackboneImpl(MambaBackboneOptions options) : options_(options) {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.input_size() >= 1, "input_size", "expected an integer >= 1, got ",
                 o.input_size());
  MBRL_CHECK_ARG(o.d_model() >= 1, "d_model", "expected an integer >= 1, got ", o.d_model());
  MBRL_CHECK_ARG(o.num_layers() >= 1, "num_layers", "expected an integer >= 1, got ",
                 o.num_layers());
  MBRL_CHECK_ARG(o.d_state() >= 1, "d_state", "expected an integer >= 1, got ", o.d_state());
  MBRL_CHECK_ARG(o.d_conv() >= 1, "d_conv", "expected an integer >= 1, got ", o.d_conv());
  MBRL_CHECK_ARG(o.expand() >= 1, "expand", "expected an integer >= 1, got ", o.expand());
  MBRL_CHECK_ARG(o.dt_rank() >= 0, "dt_rank", "expected an integer >= 0, got ", o.dt_rank());
  MBRL_CHECK_ARG(o.dt_min() > 0 && o.dt_min() <= o.dt_max(), "dt_min",
                 "expected 0 < dt_min <= dt_max, got ", o.dt_min(), " and ", o.dt_max());
  MBRL_CHECK_ARG(o.scan_chunk() >= 1, "scan_chunk", "expected an integer >= 1, got ",
                 o.scan_chunk());
  MBRL_CHECK_ARG(o.members() >= 1, "members", "expected an integer >= 1, got ", o.members());
  const int64_t M = o.members(), D = o.d_model(), N = o.d_state(), K = o.d_conv();
  inner_ = o.expand() * D;
  dt_rank_ = o.dt_rank() > 0 ? o.dt_rank() : (D + 15) / 16;

  torch::NoGradGuard no_grad;
  const int64_t channels = M * inner_;
  input_ = register_module("input", torch::nn::Linear(o.input_size(), M * D));
  for (int64_t i = 0; i < o.num_layers(); ++i) {
    const std::string p = "layer" + std::to_string(i) + "_";
    Layer l;
    l.norm_weight = register_parameter(p + "norm", torch::ones({M * D}));
    l.in_proj = register_module(p + "in_proj", MemberLinear(M, D, 2 * inner_));
    const double conv_bound = 1.0 / std::sqrt(static_cast<double>(K));
    l.conv_weight = register_parameter(
        p + "conv_weight", torch::empty({channels, K}).uniform_(-conv_bound, conv_bound));
    l.conv_bias = register_parameter(p + "conv_bias",
                                     torch::empty({channels}).uniform_(-conv_bound, conv_bound));
    l.x_proj =
        register_module(p + "x_proj", MemberLinear(M, inner_, dt_rank_ + 2 * N, /*bias=*/false));
    l.dt_proj = register_module(p + "dt_proj", MemberLinear(M, dt_rank_, inner_));
    const double dt_bound = 1.0 / std::sqrt(static_cast<double>(dt_rank_));
    l.dt_proj->weight.uniform_(-dt_bound, dt_bound);
    // softplus(bias) log-uniform in [dt_min, dt_max], floor 1e-4; bias = dt + log(-expm1(-dt))
    const at::Tensor dt =
        torch::exp(torch::empty({channels}).uniform_(std::log(o.dt_min()), std::log(o.dt_max())))
            .clamp_min(1e-4);
    l.dt_proj->bias.copy_((dt + torch::log(-torch::expm1(-dt))).view_as(l.dt_proj->bias));
    l.a_log = register_parameter(
        p + "a_log", torch::log(torch::arange(1, N + 1, torch::kFloat32)).repeat({channels, 1}));
    l.d_skip = register_parameter(p + "d_skip", torch::ones({channels}));
    l.out_proj = register_module(p + "out_proj", MemberLinear(M, inner_, D));
    layers_.push_back(std::move(l));
  }
  final_norm_ = register_parameter("final_norm", torch::ones({M * D}));
}

std::shared_ptr<SequenceBackbone> MambaBackboneImpl::member(int64_t m) const {
  auto copy = detail::one_member_backbone<MambaBackboneImpl>(options_, m, final_norm_.device());
  torch::NoGradGuard no_grad;
  const int64_t D = options_.d_model();
  // member m's rows of a tensor of M blocks of `width` rows
  const auto own = [m](const at::Tensor& t, int64_t width) {
    return t.narrow(0, m * width, width);
  };
  copy->input_->weight.copy_(own(input_->weight, D));
  copy->input_->bias.copy_(own(input_->bias, D));
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& from = layers_[i];
    Layer& to = copy->layers_[i];
    to.norm_weight.copy_(own(from.norm_weight, D));
    for (auto [dst, src] : {std::pair{to.conv_weight, from.conv_weight},
                            {to.conv_bias, from.conv_bias},
                            {to.a_log, from.a_log},
                            {to.d_skip, from.d_skip}}) {
      dst.copy_(own(src, inner_));
    }
    to.in_proj->copy_member(*from.in_proj, m);
    to.x_proj->copy_member(*from.x_proj, m);
    to.dt_proj->copy_member(*from.dt_proj, m);
    to.out_proj->copy_member(*from.out_proj, m);
  }
  copy->final_norm_.copy_(own(final_norm_, D));
  return copy;
}

BackboneState MambaBackboneImpl::initial_state(int64_t batch, c10::Device device) const {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  BackboneState s;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const int64_t channels = options_.members() * inner_;
    s.tensors.push_back(torch::zeros({batch, channels, options_.d_state()}, opts));
    s.tensors.push_back(torch::zeros({batch, options_.d_conv() - 1, channels}, opts));
  }
  return s;
}

at::Tensor MambaBackboneImpl::mix(Layer& l, const at::Tensor& u, const at::Tensor& starts,
                                  at::Tensor& h, at::Tensor& conv) {
  const int64_t T = u.size(0), B = u.size(1), K = options_.d_conv(), N = options_.d_state(),
                M = options_.members(), channels = M * inner_;
  // each member's (x, z) halves of its own projection
  auto xz = per_member(l.in_proj->forward(u), M).chunk(2, -1);
  const at::Tensor x = xz[0].flatten(-2), z = xz[1].flatten(-2);  // [T, B, M ED]

  // causal depthwise convolution over [history; x], an input counting only within its episode
  const at::Tensor seg = starts.to(torch::kInt64).cumsum(0);  // [T, B]: episode index in chunk
  const at::Tensor padded = torch::cat({conv.transpose(0, 1), x});  // [T+K-1, B, ED]
  const at::Tensor seg_pad = torch::cat({torch::zeros({K - 1, B}, seg.options()), seg});
  at::Tensor xc = l.conv_bias.expand({T, B, channels});
  for (int64_t j = 0; j < K; ++j) {
    const at::Tensor same = (seg_pad.narrow(0, j, T) == seg).unsqueeze(-1).to(x.dtype());
    xc = xc + l.conv_weight.select(1, j) * padded.narrow(0, j, T) * same;
  }
  xc = torch::silu(xc);
  if (K > 1) {
    const at::Tensor keep = (seg_pad.narrow(0, T, K - 1) == seg[T - 1]).unsqueeze(-1).to(x.dtype());
    conv = (padded.narrow(0, T, K - 1) * keep).transpose(0, 1);
  }

  // selective scan: h_t = exp(dt A) h_{t-1} + dt B_t x_t, reset to 0 at an episode start; each
  // member's B_t, C_t [T, B, M, 1, N] reach its own channels only
  const auto parts = per_member(l.x_proj->forward(xc), M).split({dt_rank_, N, N}, -1);
  const at::Tensor dt = torch::softplus(l.dt_proj->forward(parts[0].flatten(-2)));  // [T, B, M ED]
  const at::Tensor A = -torch::exp(l.a_log);                                        // [M ED, N]
  const at::Tensor keep = (~starts).to(x.dtype()).unsqueeze(-1).unsqueeze(-1);
  const at::Tensor a = torch::exp(dt.unsqueeze(-1) * A) * keep;  // [T, B, M ED, N]
  const at::Tensor b = (per_member(dt * xc, M).unsqueeze(-1) * parts[1].unsqueeze(-2))
                           .flatten(2, 3);  // [T, B, M ED, N]
  const at::Tensor hs = detail::linear_scan(a, b, h, options_.scan_chunk());
  h = hs[T - 1];
  const at::Tensor read =
      (per_member(hs.flatten(-2), M).unflatten(-1, {inner_, N}) * parts[2].unsqueeze(-2))
          .sum(-1)
          .flatten(-2);  // <h_t, C_t>: [T, B, M ED]
  const at::Tensor y = read + l.d_skip * xc;
  return l.out_proj->forward(y * torch::silu(z));
}

std::pair<at::Tensor, BackboneState> MambaBackboneImpl::forward(const at::Tensor& x,
                                                                const at::Tensor& is_first,
                                                                const BackboneState& state) {
  detail::check_sequence_input(x, options_.input_size());
  const int64_t T = x.size(0), B = x.size(1);
  MBRL_CHECK(state.tensors.size() == 2 * layers_.size() && state.batch() == B,
             "mamba: expected the state of ", B, " sequences from initial_state");
  const at::Tensor starts = detail::episode_starts(is_first, T, B, x.device());
  BackboneState next;
  at::Tensor u = input_->forward(x);
  for (size_t i = 0; i < layers_.size(); ++i) {
    at::Tensor h = state.tensors[2 * i], conv = state.tensors[2 * i + 1];
    u = u +
        mix(layers_[i], rms_norm(u, options_.members(), layers_[i].norm_weight), starts, h, conv);
    next.tensors.push_back(h);
    next.tensors.push_back(conv);
  }
  return {rms_norm(u, options_.members(), final_norm_), next};
}

std::pair<at::Tensor, BackboneState> MambaBackboneImpl::step(const BackboneState& state,
                                                             const at::Tensor& x,
                                                             const at::Tensor& is_first) {
  return detail::step_by_forward(*this, state, x, is_first);
}

MambaBackboneOptions mamba_backbone_options_from_config(const ConfigNode& node,
                                                        int64_t input_size) {
  MambaBackboneOptions o(input_size);
  MBRL_READ_OPTION(node, o, d_model);
  MBRL_READ_OPTION(node, o, num_layers);
  MBRL_READ_OPTION(node, o, d_state);
  MBRL_READ_OPTION(node, o, d_conv);
  MBRL_READ_OPTION(node, o, expand);
  MBRL_READ_OPTION(node, o, dt_rank);
  MBRL_READ_OPTION(node, o, dt_min);
  MBRL_READ_OPTION(node, o, dt_max);
  MBRL_READ_OPTION(node, o, scan_chunk);
  MBRL_READ_OPTION(node, o, members);
  return o;
}

}  // namespace mbrl
