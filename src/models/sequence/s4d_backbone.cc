// S4dBackbone: discretisation, Vandermonde kernel, segment-wise FFT convolution, recurrence.
#include "mbrl/models/sequence/s4d_backbone.h"

#include <torch/torch.h>

#include <cmath>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"

namespace mbrl {
namespace {

// complex arithmetic on (re, im) pairs of real tensors
struct Complex {
  at::Tensor re, im;
};
Complex cmul(const Complex& a, const Complex& b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
Complex cdiv(const Complex& a, const Complex& b) {
  const at::Tensor den = b.re * b.re + b.im * b.im;
  return {(a.re * b.re + a.im * b.im) / den, (a.im * b.re - a.re * b.im) / den};
}
Complex cexp(const Complex& a) {
  const at::Tensor m = torch::exp(a.re);
  return {m * torch::cos(a.im), m * torch::sin(a.im)};
}
// exp(k * z) for z [H, N2] and k [L] -> [H, N2, L]
Complex cpow(const Complex& log_z, const at::Tensor& k) {
  return cexp({log_z.re.unsqueeze(-1) * k, log_z.im.unsqueeze(-1) * k});
}

}  // namespace

S4dBackboneImpl::S4dBackboneImpl(S4dBackboneOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.input_size() >= 1, "input_size", "expected an integer >= 1, got ",
                 o.input_size());
  MBRL_CHECK_ARG(o.d_model() >= 1, "d_model", "expected an integer >= 1, got ", o.d_model());
  MBRL_CHECK_ARG(o.num_layers() >= 1, "num_layers", "expected an integer >= 1, got ",
                 o.num_layers());
  MBRL_CHECK_ARG(o.d_state() >= 2 && o.d_state() % 2 == 0, "d_state",
                 "expected an even integer >= 2, got ", o.d_state());
  MBRL_CHECK_ARG(o.init() == "lin" || o.init() == "inv", "init", "expected lin or inv, got '",
                 o.init(), "'");
  MBRL_CHECK_ARG(o.discretization() == "zoh" || o.discretization() == "bilinear", "discretization",
                 "expected zoh or bilinear, got '", o.discretization(), "'");
  MBRL_CHECK_ARG(o.dt_min() > 0 && o.dt_min() <= o.dt_max(), "dt_min",
                 "expected 0 < dt_min <= dt_max, got ", o.dt_min(), " and ", o.dt_max());
  MBRL_CHECK_ARG(o.members() >= 1, "members", "expected an integer >= 1, got ", o.members());
  // H channels per member, C of them in all
  const int64_t H = o.d_model(), C = o.members() * H, N = o.d_state(), N2 = N / 2;
  torch::NoGradGuard no_grad;
  input_ = register_module("input", torch::nn::Linear(o.input_size(), C));
  const at::Tensor n = torch::arange(N2, torch::kFloat32);
  const at::Tensor a_im = o.init() == "lin" ? M_PI * n
                                            : (static_cast<double>(N) / M_PI) *
                                                  (static_cast<double>(N) / (2 * n + 1) - 1);
  for (int64_t i = 0; i < o.num_layers(); ++i) {
    const std::string p = "layer" + std::to_string(i) + "_";
    Layer l;
    l.log_dt = register_parameter(
        p + "log_dt", torch::empty({C}).uniform_(std::log(o.dt_min()), std::log(o.dt_max())));
    l.log_a_re = register_parameter(p + "log_a_re", torch::full({C, N2}, std::log(0.5)));
    l.a_im = register_parameter(p + "a_im", a_im.repeat({C, 1}));
    l.c_re = register_parameter(p + "c_re", torch::randn({C, N2}) * std::sqrt(0.5));
    l.c_im = register_parameter(p + "c_im", torch::randn({C, N2}) * std::sqrt(0.5));
    l.d_skip = register_parameter(p + "d_skip", torch::randn({C}));
    l.norm_weight = register_parameter(p + "norm_weight", torch::ones({C}));
    l.norm_bias = register_parameter(p + "norm_bias", torch::zeros({C}));
    l.mix = register_module(p + "mix", MemberLinear(o.members(), H, 2 * H));
    layers_.push_back(std::move(l));
  }
  final_weight_ = register_parameter("final_weight", torch::ones({C}));
  final_bias_ = register_parameter("final_bias", torch::zeros({C}));
}

std::shared_ptr<SequenceBackbone> S4dBackboneImpl::member(int64_t m) const {
  auto copy = detail::one_member_backbone<S4dBackboneImpl>(options_, m, final_weight_.device());
  torch::NoGradGuard no_grad;
  const int64_t H = options_.d_model();
  // member m's channels of a per-channel tensor (rows first)
  const auto own = [&](const at::Tensor& t) { return t.narrow(0, m * H, H); };
  copy->input_->weight.copy_(own(input_->weight));
  copy->input_->bias.copy_(own(input_->bias));
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& from = layers_[i];
    Layer& to = copy->layers_[i];
    for (auto [dst, src] : {std::pair{to.log_dt, from.log_dt},
                            {to.log_a_re, from.log_a_re},
                            {to.a_im, from.a_im},
                            {to.c_re, from.c_re},
                            {to.c_im, from.c_im},
                            {to.d_skip, from.d_skip},
                            {to.norm_weight, from.norm_weight},
                            {to.norm_bias, from.norm_bias}}) {
      dst.copy_(own(src));
    }
    to.mix->copy_member(*from.mix, m);
  }
  copy->final_weight_.copy_(own(final_weight_));
  copy->final_bias_.copy_(own(final_bias_));
  return copy;
}

S4dDiscretization S4dBackboneImpl::discretize(size_t i) const {
  const Layer& l = layers_.at(i);
  const at::Tensor dt = torch::exp(l.log_dt).unsqueeze(-1);  // [H, 1]
  const Complex A{-torch::exp(l.log_a_re), l.a_im};
  const Complex dA{dt * A.re, dt * A.im};
  Complex a_bar, b_bar, log_a;
  if (options_.discretization() == "zoh") {
    log_a = dA;
    a_bar = cexp(dA);
    b_bar = cdiv({a_bar.re - 1.0, a_bar.im}, A);
  } else {
    const Complex den{1.0 - dA.re / 2, -dA.im / 2};
    a_bar = cdiv({1.0 + dA.re / 2, dA.im / 2}, den);
    b_bar = cdiv({dt.expand_as(den.re), torch::zeros_like(den.im)}, den);
    log_a = {0.5 * torch::log(a_bar.re * a_bar.re + a_bar.im * a_bar.im),
             torch::atan2(a_bar.im, a_bar.re)};
  }
  return {a_bar.re, a_bar.im, b_bar.re, b_bar.im, l.c_re, l.c_im, log_a.re, log_a.im};
}

at::Tensor S4dBackboneImpl::kernel(size_t i, int64_t length) const {
  const S4dDiscretization d = discretize(i);
  const Complex cb = cmul({d.c_re, d.c_im}, {d.b_re, d.b_im});
  const Complex v =
      cpow({d.log_a_re, d.log_a_im}, torch::arange(length, d.c_re.options()));  // [H, N2, L]
  return 2 * (cb.re.unsqueeze(-1) * v.re - cb.im.unsqueeze(-1) * v.im).sum(1);
}

BackboneState S4dBackboneImpl::initial_state(int64_t batch, c10::Device device) const {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  BackboneState s;
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (int k = 0; k < 2; ++k)
      s.tensors.push_back(torch::zeros({batch, output_size(), options_.d_state() / 2}, opts));
  }
  return s;
}

at::Tensor S4dBackboneImpl::ssm_parallel(size_t i, const at::Tensor& u, const at::Tensor& starts,
                                         at::Tensor& x_re, at::Tensor& x_im) const {
  const int64_t T = u.size(0), B = u.size(1), H = u.size(2);
  const auto long_opts = torch::TensorOptions().dtype(torch::kInt64).device(u.device());
  const at::Tensor seg = starts.to(torch::kInt64).cumsum(0);  // [T, B]: episode within the window
  at::Tensor first = starts.clone();
  first[0].fill_(true);  // every sequence's first segment starts at t = 0
  // segment rows in sequence-major order, and each step's offset inside its segment
  const at::Tensor row = first.t().flatten().to(torch::kInt64).cumsum(0) - 1;  // [B T]
  const int64_t R = row[-1].item<int64_t>() + 1;
  const at::Tensor t_idx = torch::arange(T, long_opts).unsqueeze(1).expand({T, B});
  const at::Tensor start =
      std::get<0>(torch::cummax(torch::where(first, t_idx, torch::zeros_like(t_idx)), 0));
  const at::Tensor offset = (t_idx - start).t().flatten();  // [B T]
  const at::Tensor slot = row * T + offset;

  // every segment convolved with K as its own row: y_r = irfft(rfft(u_r) rfft(K))[:T]
  const at::Tensor rows = torch::zeros({R * T, H}, u.options())
                              .index_add(0, slot, u.transpose(0, 1).reshape({B * T, H}));
  const at::Tensor k_f = torch::fft::rfft(kernel(i, T).t(), 2 * T, 0);      // [T+1, H]
  const at::Tensor u_f = torch::fft::rfft(rows.view({R, T, H}), 2 * T, 1);  // [R, T+1, H]
  const at::Tensor conv = torch::fft::irfft(u_f * k_f, 2 * T, 1).narrow(1, 0, T);
  at::Tensor y = conv.reshape({R * T, H}).index_select(0, slot).view({B, T, H}).transpose(0, 1);

  // the state carried in reaches the first segment: 2 Re(C A-bar^{t+1} x0)
  const S4dDiscretization d = discretize(i);
  const Complex log_a{d.log_a_re, d.log_a_im};
  const Complex cv = cmul({d.c_re.unsqueeze(-1), d.c_im.unsqueeze(-1)},
                          cpow(log_a, torch::arange(1, T + 1, u.options())));  // [H, N2, T]
  const at::Tensor carry = 2 * (torch::einsum("hnt,bhn->tbh", {cv.re, x_re}) -
                                torch::einsum("hnt,bhn->tbh", {cv.im, x_im}));
  y = y + carry * (seg == 0).unsqueeze(-1).to(u.dtype());
  y = y + layers_[i].d_skip * u;

  // the state after the window: the last segment's inputs, plus x0 when no episode started
  const Complex w = cmul(cpow(log_a, torch::arange(T - 1, -1, -1, u.options())),
                         {d.b_re.unsqueeze(-1), d.b_im.unsqueeze(-1)});  // [H, N2, T]
  const at::Tensor in_last = u * (seg == seg[T - 1]).unsqueeze(-1).to(u.dtype());
  const Complex a_t =
      cexp({d.log_a_re * static_cast<double>(T), d.log_a_im * static_cast<double>(T)});
  const at::Tensor continues = (seg[T - 1] == 0).to(u.dtype()).view({B, 1, 1});
  const Complex carried = cmul(a_t, {x_re, x_im});
  x_re = torch::einsum("hnt,tbh->bhn", {w.re, in_last}) + continues * carried.re;
  x_im = torch::einsum("hnt,tbh->bhn", {w.im, in_last}) + continues * carried.im;
  return y;
}

at::Tensor S4dBackboneImpl::block_output(size_t i, const at::Tensor& ssm_y) {
  const at::Tensor mixed = layers_[i].mix->forward(torch::gelu(ssm_y));  // [..., M 2H]
  const int64_t members = options_.members();
  if (members == 1) return torch::glu(mixed, -1);
  // each member's own GLU over its 2H mixed channels
  return torch::glu(mixed.unflatten(-1, {members, -1}), -1).flatten(-2);
}

std::pair<at::Tensor, BackboneState> S4dBackboneImpl::forward(const at::Tensor& x,
                                                              const at::Tensor& is_first,
                                                              const BackboneState& state) {
  return run(x, is_first, state, nullptr);
}

BackboneState S4dBackboneImpl::states_along(const at::Tensor& x, const at::Tensor& is_first,
                                            const BackboneState& state, const at::Tensor& y) {
  (void)y;
  torch::NoGradGuard no_grad;
  BackboneState every;
  run(x, is_first, state, &every);
  return every;
}

std::pair<at::Tensor, BackboneState> S4dBackboneImpl::run(const at::Tensor& x,
                                                          const at::Tensor& is_first,
                                                          const BackboneState& state,
                                                          BackboneState* every) {
  detail::check_sequence_input(x, options_.input_size());
  const int64_t T = x.size(0), B = x.size(1), M = options_.members();
  MBRL_CHECK(state.tensors.size() == 2 * layers_.size() && state.batch() == B,
             "s4d: expected the state of ", B, " sequences from initial_state");
  const at::Tensor starts = detail::episode_starts(is_first, T, B, x.device());
  BackboneState next;
  at::Tensor h = input_->forward(x);
  for (size_t i = 0; i < layers_.size(); ++i) {
    at::Tensor x_re = state.tensors[2 * i], x_im = state.tensors[2 * i + 1];
    const at::Tensor u = member_layer_norm(h, M, layers_[i].norm_weight, layers_[i].norm_bias);
    if (every != nullptr) {
      // x_t = A-bar x_{t-1} + B-bar u_t (x_{t-1} = 0 at an episode start), as step() does
      const S4dDiscretization d = discretize(i);
      const at::Tensor keep = starts.logical_not().to(x.dtype()).view({T, B, 1, 1});
      Complex xs{x_re, x_im};
      std::vector<at::Tensor> re, im;
      for (int64_t t = 0; t < T; ++t) {
        const Complex ax = cmul({d.a_re, d.a_im}, {xs.re * keep[t], xs.im * keep[t]});
        const at::Tensor ut = u[t].unsqueeze(-1);
        xs = {ax.re + d.b_re * ut, ax.im + d.b_im * ut};
        re.push_back(xs.re);
        im.push_back(xs.im);
      }
      every->tensors.push_back(torch::stack(re).flatten(0, 1));
      every->tensors.push_back(torch::stack(im).flatten(0, 1));
    }
    h = h + block_output(i, ssm_parallel(i, u, starts, x_re, x_im));
    next.tensors.push_back(x_re);
    next.tensors.push_back(x_im);
  }
  return {member_layer_norm(h, M, final_weight_, final_bias_), next};
}

std::pair<at::Tensor, BackboneState> S4dBackboneImpl::step(const BackboneState& state,
                                                           const at::Tensor& x,
                                                           const at::Tensor& is_first) {
  MBRL_CHECK_SHAPE(x, {-1, options_.input_size()}, "x");
  const int64_t B = x.size(0), M = options_.members();
  MBRL_CHECK(state.tensors.size() == 2 * layers_.size() && state.batch() == B,
             "s4d: expected the state of ", B, " sequences from initial_state");
  const at::Tensor keep = is_first.defined()
                              ? (~is_first.to(torch::kBool)).to(x.dtype()).view({B, 1, 1})
                              : torch::ones({B, 1, 1}, x.options());
  BackboneState next;
  at::Tensor h = input_->forward(x);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const S4dDiscretization d = discretize(i);
    const at::Tensor u = member_layer_norm(h, M, layers_[i].norm_weight, layers_[i].norm_bias);
    // x_k = A-bar x_{k-1} + B-bar u_k; y_k = 2 Re(C x_k) + D u_k
    const Complex prev{state.tensors[2 * i] * keep, state.tensors[2 * i + 1] * keep};
    const Complex ax = cmul({d.a_re, d.a_im}, prev);
    const at::Tensor uu = u.unsqueeze(-1);
    const Complex xs{ax.re + d.b_re * uu, ax.im + d.b_im * uu};
    const at::Tensor y = 2 * (d.c_re * xs.re - d.c_im * xs.im).sum(-1) + layers_[i].d_skip * u;
    h = h + block_output(i, y);
    next.tensors.push_back(xs.re);
    next.tensors.push_back(xs.im);
  }
  return {member_layer_norm(h, M, final_weight_, final_bias_), next};
}

S4dBackboneOptions s4d_backbone_options_from_config(const ConfigNode& node, int64_t input_size) {
  S4dBackboneOptions o(input_size);
  MBRL_READ_OPTION(node, o, d_model);
  MBRL_READ_OPTION(node, o, num_layers);
  MBRL_READ_OPTION(node, o, d_state);
  MBRL_READ_OPTION(node, o, init);
  MBRL_READ_OPTION(node, o, discretization);
  MBRL_READ_OPTION(node, o, dt_min);
  MBRL_READ_OPTION(node, o, dt_max);
  MBRL_READ_OPTION(node, o, members);
  return o;
}

}  // namespace mbrl
