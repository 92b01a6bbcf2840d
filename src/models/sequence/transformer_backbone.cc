// TransformerBackbone: positions, the windowed episode mask, attention over [cache; chunk].
#include "mbrl/models/sequence/transformer_backbone.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "mbrl/config/config_node.h"
#include "mbrl/core/check.h"

namespace mbrl {

TransformerBackboneImpl::TransformerBackboneImpl(TransformerBackboneOptions options)
    : options_(std::move(options)) {
  const auto& o = options_;
  MBRL_CHECK_ARG(o.input_size() >= 1, "input_size", "expected an integer >= 1, got ",
                 o.input_size());
  MBRL_CHECK_ARG(o.d_model() >= 1, "d_model", "expected an integer >= 1, got ", o.d_model());
  MBRL_CHECK_ARG(o.num_layers() >= 1, "num_layers", "expected an integer >= 1, got ",
                 o.num_layers());
  MBRL_CHECK_ARG(o.num_heads() >= 1 && o.d_model() % o.num_heads() == 0, "num_heads",
                 "expected a divisor of d_model ", o.d_model(), ", got ", o.num_heads());
  MBRL_CHECK_ARG(o.d_ff() >= 0, "d_ff", "expected an integer >= 0, got ", o.d_ff());
  MBRL_CHECK_ARG(o.context() >= 1, "context", "expected an integer >= 1, got ", o.context());
  MBRL_CHECK_ARG(o.positions() == "sinusoidal" || o.positions() == "learned", "positions",
                 "expected sinusoidal or learned, got '", o.positions(), "'");
  MBRL_CHECK_ARG(o.max_positions() >= 1, "max_positions", "expected an integer >= 1, got ",
                 o.max_positions());
  MBRL_CHECK_ARG(o.members() >= 1, "members", "expected an integer >= 1, got ", o.members());
  const int64_t M = o.members(), D = o.d_model();
  d_ff_ = o.d_ff() > 0 ? o.d_ff() : 4 * D;
  input_ = register_module("input", torch::nn::Linear(o.input_size(), M * D));
  if (o.positions() == "learned") {
    learned_positions_ =
        register_module("positions", torch::nn::Embedding(o.max_positions(), M * D));
  }
  for (int64_t i = 0; i < o.num_layers(); ++i) {
    const std::string p = "layer" + std::to_string(i) + "_";
    Layer l;
    l.norm1_weight = register_parameter(p + "norm1_weight", torch::ones({M * D}));
    l.norm1_bias = register_parameter(p + "norm1_bias", torch::zeros({M * D}));
    l.qkv = register_module(p + "qkv", MemberLinear(M, D, 3 * D));
    l.out = register_module(p + "out", MemberLinear(M, D, D));
    l.norm2_weight = register_parameter(p + "norm2_weight", torch::ones({M * D}));
    l.norm2_bias = register_parameter(p + "norm2_bias", torch::zeros({M * D}));
    l.ff_in = register_module(p + "ff_in", MemberLinear(M, D, d_ff_));
    l.ff_out = register_module(p + "ff_out", MemberLinear(M, d_ff_, D));
    layers_.push_back(std::move(l));
  }
  final_weight_ = register_parameter("final_weight", torch::ones({M * D}));
  final_bias_ = register_parameter("final_bias", torch::zeros({M * D}));
}

std::shared_ptr<SequenceBackbone> TransformerBackboneImpl::member(int64_t m) const {
  auto copy =
      detail::one_member_backbone<TransformerBackboneImpl>(options_, m, final_weight_.device());
  torch::NoGradGuard no_grad;
  const int64_t D = options_.d_model();
  // member m's slice of a tensor of M blocks of D along `dim`
  const auto own = [m, D](const at::Tensor& t, int64_t dim = 0) { return t.narrow(dim, m * D, D); };
  copy->input_->weight.copy_(own(input_->weight));
  copy->input_->bias.copy_(own(input_->bias));
  if (learned_positions_)
    copy->learned_positions_->weight.copy_(own(learned_positions_->weight, 1));
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& from = layers_[i];
    Layer& to = copy->layers_[i];
    for (auto [dst, src] : {std::pair{to.norm1_weight, from.norm1_weight},
                            {to.norm1_bias, from.norm1_bias},
                            {to.norm2_weight, from.norm2_weight},
                            {to.norm2_bias, from.norm2_bias}}) {
      dst.copy_(own(src));
    }
    to.qkv->copy_member(*from.qkv, m);
    to.out->copy_member(*from.out, m);
    to.ff_in->copy_member(*from.ff_in, m);
    to.ff_out->copy_member(*from.ff_out, m);
  }
  copy->final_weight_.copy_(own(final_weight_));
  copy->final_bias_.copy_(own(final_bias_));
  return copy;
}

BackboneState TransformerBackboneImpl::initial_state(int64_t batch, c10::Device device) const {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  const int64_t K = options_.context() - 1, D = output_size();
  BackboneState s{{torch::zeros({batch}, opts), torch::zeros({batch, K}, opts)}};
  for (size_t i = 0; i < layers_.size(); ++i) {
    s.tensors.push_back(torch::zeros({batch, K, D}, opts));
    s.tensors.push_back(torch::zeros({batch, K, D}, opts));
  }
  return s;
}

at::Tensor TransformerBackboneImpl::encode_positions(const at::Tensor& p) {
  const int64_t D = options_.d_model();
  if (learned_positions_) {
    return learned_positions_->forward(p.to(torch::kInt64).clamp_max(options_.max_positions() - 1));
  }
  // PE(p, 2i) = sin(p / 10000^(2i/D)), PE(p, 2i + 1) = cos(p / 10000^(2i/D)), for every member
  const at::Tensor two_i = torch::arange(0, D, 2, p.options());
  const at::Tensor angle = p.unsqueeze(-1) * torch::exp(two_i * (-std::log(10000.0) / D));
  const at::Tensor pe =
      torch::stack({torch::sin(angle), torch::cos(angle)}, -1).flatten(-2).narrow(-1, 0, D);
  return options_.members() == 1 ? pe : pe.repeat({1, 1, options_.members()});
}

at::Tensor TransformerBackboneImpl::attend(Layer& l, const at::Tensor& u, at::Tensor& cache_k,
                                           at::Tensor& cache_v, const at::Tensor& allowed,
                                           std::vector<at::Tensor>* keys_values) {
  // all members' heads side by side: D is M d_model, H is M num_heads
  const int64_t M = options_.members(), T = u.size(0), B = u.size(1), D = output_size();
  const int64_t H = M * options_.num_heads(), dh = D / H, K = cache_k.size(1);
  const at::Tensor projected = l.qkv->forward(u);  // [T, B, M 3 d_model]
  // each member's own (q, k, v) thirds of its projection, members side by side: [T, B, D] each
  std::vector<at::Tensor> qkv =
      M == 1 ? projected.chunk(3, -1) : projected.unflatten(-1, {M, -1}).chunk(3, -1);
  if (M > 1)
    for (auto& t : qkv) t = t.flatten(-2);
  const at::Tensor keys = torch::cat({cache_k.transpose(0, 1), qkv[1]});    // [K + T, B, D]
  const at::Tensor values = torch::cat({cache_v.transpose(0, 1), qkv[2]});  // [K + T, B, D]
  cache_k = keys.narrow(0, T, K).transpose(0, 1);
  cache_v = values.narrow(0, T, K).transpose(0, 1);
  if (keys_values != nullptr) *keys_values = {keys, values};
  const double scale = 1.0 / std::sqrt(double(dh));
  const double minus_inf = -std::numeric_limits<double>::infinity();
  if (allowed.dim() == 3) {
    // heads: [B, H, T, dh] queries against [B, H, K + T, dh] keys
    const at::Tensor q = qkv[0].reshape({T, B, H, dh}).permute({1, 2, 0, 3});
    const at::Tensor k = keys.reshape({K + T, B, H, dh}).permute({1, 2, 0, 3});
    const at::Tensor v = values.reshape({K + T, B, H, dh}).permute({1, 2, 0, 3});
    const at::Tensor logits = torch::matmul(q, k.transpose(-2, -1)) * scale;
    const at::Tensor weights =
        torch::softmax(logits.masked_fill(~allowed.unsqueeze(1), minus_inf), -1);
    const at::Tensor attended = torch::matmul(weights, v).permute({2, 0, 1, 3}).reshape({T, B, D});
    return l.out->forward(attended);
  }
  // banded: n blocks of P = W queries, block j against keys jP .. jP + P + K - 1
  const int64_t n = allowed.size(1), P = allowed.size(2), Tp = n * P;
  auto pad = [&](const at::Tensor& t, int64_t length) {  // [L, B, D] -> [length, B, D]
    return length > t.size(0)
               ? torch::cat({t, torch::zeros({length - t.size(0), B, D}, t.options())})
               : t;
  };
  // [n, B, D, P + K] windows -> [B, H, n, P + K, dh]
  auto windows = [&](const at::Tensor& t) {
    return pad(t, Tp + K)
        .unfold(0, P + K, P)
        .reshape({n, B, H, dh, P + K})
        .permute({1, 2, 0, 4, 3});
  };
  const at::Tensor q = pad(qkv[0], Tp).reshape({n, P, B, H, dh}).permute({2, 3, 0, 1, 4});
  const at::Tensor logits = torch::matmul(q, windows(keys).transpose(-2, -1)) * scale;
  const at::Tensor weights =
      torch::softmax(logits.masked_fill(~allowed.unsqueeze(1), minus_inf), -1);  // [B,H,n,P,P+K]
  const at::Tensor attended = torch::matmul(weights, windows(values))            // [B,H,n,P,dh]
                                  .permute({2, 3, 0, 1, 4})
                                  .reshape({Tp, B, D})
                                  .narrow(0, 0, T);
  return l.out->forward(attended);
}

std::pair<at::Tensor, BackboneState> TransformerBackboneImpl::forward(const at::Tensor& x,
                                                                      const at::Tensor& is_first,
                                                                      const BackboneState& state) {
  return run(x, is_first, state, nullptr);
}

BackboneState TransformerBackboneImpl::states_along(const at::Tensor& x, const at::Tensor& is_first,
                                                    const BackboneState& state,
                                                    const at::Tensor& y) {
  if (options_.context() < 2) return SequenceBackbone::states_along(x, is_first, state, y);
  torch::NoGradGuard no_grad;
  BackboneState every;
  run(x, is_first, state, &every);
  return every;
}

std::pair<at::Tensor, BackboneState> TransformerBackboneImpl::run(const at::Tensor& x,
                                                                  const at::Tensor& is_first,
                                                                  const BackboneState& state,
                                                                  BackboneState* every) {
  detail::check_sequence_input(x, options_.input_size());
  const int64_t T = x.size(0), B = x.size(1), M = options_.members();
  const int64_t W = options_.context(), K = W - 1;
  MBRL_CHECK(state.tensors.size() == 2 + 2 * layers_.size() && state.batch() == B,
             "transformer: expected the state of ", B, " sequences from initial_state");
  const at::Tensor starts = detail::episode_starts(is_first, T, B, x.device());
  const auto long_opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());

  // positions: steps since the episode's start, continuing the carried-in count until one starts
  const at::Tensor t_idx = torch::arange(T, long_opts).unsqueeze(1).expand({T, B});
  const at::Tensor last_start =
      std::get<0>(torch::cummax(torch::where(starts, t_idx, torch::full_like(t_idx, -1)), 0));
  const at::Tensor carried = state.tensors[0].to(torch::kInt64).unsqueeze(0) + t_idx;
  const at::Tensor position = torch::where(last_start >= 0, t_idx - last_start, carried);

  // which key each query may see: keys are [cache (times -K..-1); chunk (0..T-1)]
  const at::Tensor seg = starts.to(torch::kInt64).cumsum(0);  // [T, B]: episode within the chunk
  const at::Tensor key_seg = torch::cat({torch::zeros({K, B}, long_opts), seg});  // [K + T, B]
  const at::Tensor key_valid =
      torch::cat({state.tensors[1].t() > 0.5, torch::ones({T, B}, starts.options())});
  at::Tensor allowed;
  if (T <= W) {
    const at::Tensor lag = torch::arange(T, long_opts).unsqueeze(1) -
                           torch::arange(-K, T, long_opts).unsqueeze(0);  // [T, K + T]
    const at::Tensor in_window = (lag >= 0).logical_and(lag < W);
    allowed = in_window.unsqueeze(0)
                  .logical_and(seg.t().unsqueeze(2) == key_seg.t().unsqueeze(1))
                  .logical_and(key_valid.t().unsqueeze(1));  // [B, T, K + T]
  } else {
    // banded: n blocks of P = W queries; query p of block j is step jP + p, key m of its
    // window is key jP + m, i.e. step jP + m - K, so the lag p - m + K is the same in every block
    const int64_t P = W, n = (T + P - 1) / P, Tp = n * P;
    const at::Tensor lag = torch::arange(P, long_opts).unsqueeze(1) -
                           torch::arange(P + K, long_opts).unsqueeze(0) + K;  // [P, P + K]
    const at::Tensor in_window = (lag >= 0).logical_and(lag < W);
    // padding: queries past T see every key (kept finite, then dropped); padded keys are invalid
    const at::Tensor q_seg = torch::cat({seg, torch::full({Tp - T, B}, -1, long_opts)});
    const at::Tensor k_seg = torch::cat({key_seg, torch::full({Tp - T, B}, -2, long_opts)});
    const at::Tensor k_valid =
        torch::cat({key_valid, torch::zeros({Tp - T, B}, key_valid.options())});
    const at::Tensor q_block = q_seg.reshape({n, P, B}).permute({2, 0, 1});     // [B, n, P]
    const at::Tensor k_block = k_seg.unfold(0, P + K, P).permute({1, 0, 2});    // [B, n, P + K]
    const at::Tensor v_block = k_valid.unfold(0, P + K, P).permute({1, 0, 2});  // [B, n, P + K]
    const at::Tensor padded_query = (torch::arange(Tp, long_opts) >= T).reshape({1, n, P, 1});
    allowed = in_window.reshape({1, 1, P, P + K})
                  .logical_and(q_block.unsqueeze(3) == k_block.unsqueeze(2))
                  .logical_and(v_block.unsqueeze(2))
                  .logical_or(padded_query);  // [B, n, P, P + K]
  }

  at::Tensor h = input_->forward(x) + encode_positions(position.to(x.dtype()));
  BackboneState next{{(position[T - 1] + 1).to(x.dtype()),
                      key_valid.logical_and(key_seg == seg[T - 1].unsqueeze(0))
                          .narrow(0, T, K)
                          .t()
                          .to(x.dtype())}};
  // every step's state: the window of K keys of [cache; chunk] ending at it, [T * B, K, ...]
  auto window_per_step = [&](const at::Tensor& t) {    // [K + T, B, ...] -> [T * B, K, ...]
    at::Tensor w = t.unfold(0, K, 1).narrow(0, 1, T);  // [T, B, ..., K]
    return w.movedim(-1, 2).flatten(0, 1);
  };
  if (every != nullptr) {
    // a key of the window is valid for step t when it is and lies in t's episode
    const at::Tensor valid = window_per_step(key_valid).logical_and(window_per_step(key_seg) ==
                                                                    seg.flatten().unsqueeze(1));
    every->tensors = {(position + 1).to(x.dtype()).flatten(), valid.to(x.dtype())};
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = layers_[i];
    at::Tensor cache_k = state.tensors[2 + 2 * i], cache_v = state.tensors[3 + 2 * i];
    std::vector<at::Tensor> keys_values;
    h = h + attend(l, member_layer_norm(h, M, l.norm1_weight, l.norm1_bias), cache_k, cache_v,
                   allowed, every != nullptr ? &keys_values : nullptr);
    if (every != nullptr) {
      every->tensors.push_back(window_per_step(keys_values[0]));
      every->tensors.push_back(window_per_step(keys_values[1]));
    }
    const at::Tensor u = member_layer_norm(h, M, l.norm2_weight, l.norm2_bias);
    h = h + l.ff_out->forward(torch::gelu(l.ff_in->forward(u)));
    next.tensors.push_back(cache_k);
    next.tensors.push_back(cache_v);
  }
  return {member_layer_norm(h, M, final_weight_, final_bias_), next};
}

std::pair<at::Tensor, BackboneState> TransformerBackboneImpl::step(const BackboneState& state,
                                                                   const at::Tensor& x,
                                                                   const at::Tensor& is_first) {
  return detail::step_by_forward(*this, state, x, is_first);
}

TransformerBackboneOptions transformer_backbone_options_from_config(const ConfigNode& node,
                                                                    int64_t input_size) {
  TransformerBackboneOptions o(input_size);
  MBRL_READ_OPTION(node, o, d_model);
  MBRL_READ_OPTION(node, o, num_layers);
  MBRL_READ_OPTION(node, o, num_heads);
  MBRL_READ_OPTION(node, o, d_ff);
  MBRL_READ_OPTION(node, o, context);
  MBRL_READ_OPTION(node, o, positions);
  MBRL_READ_OPTION(node, o, max_positions);
  MBRL_READ_OPTION(node, o, members);
  return o;
}

}  // namespace mbrl
