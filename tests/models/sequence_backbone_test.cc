// Tests for models/sequence/: every backbone's parallel form equals its recurrent form (with
// episode starts inside the window), causality, gradients, save/load, bad options; the chunked
// scan against the sequential one; S4D's kernel against the explicit sum.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/models/sequence/gru_backbone.h"
#include "mbrl/models/sequence/mamba_backbone.h"
#include "mbrl/models/sequence/s4d_backbone.h"
#include "mbrl/models/sequence/transformer_backbone.h"
#include "mbrl/register_builtins.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

class SequenceBackboneTest : public test::MbrlTest,
                             public ::testing::WithParamInterface<std::string> {};

constexpr int64_t kIn = 5;

// a small instance of each registered backbone, built from YAML as a config would
std::shared_ptr<SequenceBackbone> make(const std::string& yaml) {
  register_builtins();
  torch::manual_seed(3);
  return backbone_registry().create(load_config_string(yaml, "backbone.yaml"), BuildContext{}, kIn);
}

std::string small_yaml(const std::string& type) {
  if (type == "gru") return "type: gru\nhidden_size: 16\nblocks: 4\n";
  if (type == "gru_plain") return "type: gru\nhidden_size: 16\nvariant: plain\n";
  if (type == "gru_members") return "type: gru\nhidden_size: 8\nblocks: 2\nmembers: 3\n";
  if (type == "mamba")
    return "type: mamba\nd_model: 16\nnum_layers: 2\nd_state: 4\nscan_chunk: 8\n";
  if (type == "mamba_members")
    return "type: mamba\nd_model: 6\nnum_layers: 2\nd_state: 4\nscan_chunk: 8\nmembers: 3\n";
  if (type == "s4d") return "type: s4d\nd_model: 16\nnum_layers: 2\nd_state: 8\n";
  if (type == "s4d_members")
    return "type: s4d\nd_model: 6\nnum_layers: 2\nd_state: 8\nmembers: 3\n";
  if (type == "s4d_inv_bilinear")
    return "type: s4d\nd_model: 16\nnum_layers: 2\nd_state: 8\ninit: inv\n"
           "discretization: bilinear\n";
  if (type == "transformer")
    return "type: transformer\nd_model: 16\nnum_layers: 2\nnum_heads: 2\ncontext: 12\n";
  // a window of 4: the parallel form is banded for T > 4 (T = 6 here: two blocks, the second
  // padded; T = 64: sixteen)
  if (type == "transformer_banded")
    return "type: transformer\nd_model: 16\nnum_layers: 2\nnum_heads: 2\ncontext: 4\n";
  if (type == "transformer_members")
    return "type: transformer\nd_model: 8\nnum_layers: 2\nnum_heads: 2\ncontext: 12\n"
           "positions: learned\nmax_positions: 40\nmembers: 3\n";
  // a window of 4 with members: banded for T > 4
  if (type == "transformer_members_banded")
    return "type: transformer\nd_model: 8\nnum_layers: 1\nnum_heads: 2\ncontext: 4\nmembers: 3\n";
  if (type == "transformer_learned")
    return "type: transformer\nd_model: 16\nnum_layers: 2\nnum_heads: 4\ncontext: 12\n"
           "positions: learned\nmax_positions: 40\n";
  return "";
}

// episode starts inside the window: sequence 0 restarts at t = 20 and 41, sequence 2 at t = 0
at::Tensor starts(int64_t T, int64_t B) {
  at::Tensor s = torch::zeros({T, B}, torch::kBool);
  s[20][0] = true;
  s[41][0] = true;
  s[0][2] = true;
  return s;
}

TEST_P(SequenceBackboneTest, ParallelFormEqualsTheRecurrentForm) {
  auto net = make(small_yaml(GetParam()));
  torch::NoGradGuard no_grad;
  const int64_t T = 64, B = 3;
  const at::Tensor x = torch::randn({T, B, kIn});
  const at::Tensor first = starts(T, B);

  // a non-zero state carried in from an earlier chunk
  const at::Tensor warm = torch::randn({7, B, kIn});
  const BackboneState s0 =
      net->forward(warm, at::Tensor(), net->initial_state(B, torch::kCPU)).second;

  auto [y_par, s_par] = net->forward(x, first, s0);
  EXPECT_SHAPE(y_par, {T, B, net->output_size()});
  BackboneState s = s0;
  std::vector<at::Tensor> ys;
  for (int64_t t = 0; t < T; ++t) {
    auto [y, next] = net->step(s, x[t], first[t]);
    ys.push_back(y);
    s = next;
  }
  const at::Tensor y_rec = torch::stack(ys);
  const double rel = (y_par - y_rec).norm().item<double>() / y_rec.norm().item<double>();
  EXPECT_LT(rel, 1e-4) << GetParam();
  ASSERT_EQ(s.tensors.size(), s_par.tensors.size());
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    EXPECT_TENSOR_CLOSE(s_par.tensors[i], s.tensors[i], 1e-4, 1e-4) << GetParam() << " state " << i;
  }
  // splitting the window in two chunks gives the same outputs
  auto [y_a, s_a] = net->forward(x.narrow(0, 0, 30), first.narrow(0, 0, 30), s0);
  auto [y_b, s_b] = net->forward(x.narrow(0, 30, T - 30), first.narrow(0, 30, T - 30), s_a);
  EXPECT_TENSOR_CLOSE(torch::cat({y_a, y_b}), y_par, 1e-4, 1e-4) << GetParam();
}

// every step's state, as a backbone computes it from the chunk (an override or the default),
// is the state the recurrent form reaches there (the default: SequenceBackbone::states_along)
TEST_P(SequenceBackboneTest, StatesAlongAChunkAreTheRecurrentFormsStates) {
  auto net = make(small_yaml(GetParam()));
  const int64_t T = 24, B = 3;
  const at::Tensor x = torch::randn({T, B, kIn});
  const at::Tensor first = starts(T + 20, B).narrow(0, 17, T);  // sequence 0 restarts at t = 3
  BackboneState s0;
  {
    torch::NoGradGuard no_grad;
    s0 = net->forward(torch::randn({7, B, kIn}), at::Tensor(), net->initial_state(B, torch::kCPU))
             .second;
  }
  const at::Tensor y = net->forward(x, first, s0).first;
  const BackboneState every = net->states_along(x, first, s0, y);
  const BackboneState stepped = net->SequenceBackbone::states_along(x, first, s0, y);
  ASSERT_EQ(every.tensors.size(), stepped.tensors.size());
  for (size_t i = 0; i < every.tensors.size(); ++i) {
    EXPECT_FALSE(every.tensors[i].requires_grad()) << i;
    EXPECT_TENSOR_CLOSE(every.tensors[i], stepped.tensors[i], 1e-4, 1e-5)
        << GetParam() << " state " << i;
  }
}

TEST_P(SequenceBackboneTest, IsCausalAndForgetsAcrossEpisodeStarts) {
  auto net = make(small_yaml(GetParam()));
  torch::NoGradGuard no_grad;
  const int64_t T = 32, B = 2;
  const at::Tensor x = torch::randn({T, B, kIn});
  at::Tensor first = torch::zeros({T, B}, torch::kBool);
  first[16][1] = true;
  const auto s0 = net->initial_state(B, torch::kCPU);
  const at::Tensor y = net->forward(x, first, s0).first;

  // changing inputs after t = 10 leaves outputs up to 10 unchanged
  at::Tensor x2 = x.clone();
  x2.narrow(0, 11, T - 11).add_(1.0);
  const at::Tensor y2 = net->forward(x2, first, s0).first;
  // (to rounding: the FFT of the S4D convolution mixes every step's rounding)
  EXPECT_TENSOR_CLOSE(y2.narrow(0, 0, 11), y.narrow(0, 0, 11), 1e-5, 1e-5) << GetParam();
  EXPECT_FALSE(torch::allclose(y2.narrow(0, 11, T - 11), y.narrow(0, 11, T - 11)));

  // sequence 1 starts again at 16: its earlier inputs do not reach its later outputs
  at::Tensor x3 = x.clone();
  x3.narrow(0, 0, 16).select(1, 1).add_(1.0);
  const at::Tensor y3 = net->forward(x3, first, s0).first;
  EXPECT_TENSOR_CLOSE(y3.narrow(0, 16, T - 16).select(1, 1), y.narrow(0, 16, T - 16).select(1, 1),
                      1e-5, 1e-5)
      << GetParam();
}

TEST_P(SequenceBackboneTest, GradientsMatchFiniteDifferences) {
  auto net = make(small_yaml(GetParam()));
  net->to(torch::kFloat64);
  const int64_t T = 6, B = 2;
  const at::Tensor x = torch::randn({T, B, kIn}, torch::kFloat64).requires_grad_(true);
  at::Tensor first = torch::zeros({T, B}, torch::kBool);
  first[3][0] = true;
  BackboneState s0 = net->initial_state(B, torch::kCPU);
  for (auto& t : s0.tensors) t = t.to(torch::kFloat64);
  const at::Tensor w = torch::randn({T, B, net->output_size()}, torch::kFloat64);
  auto loss = [&](const at::Tensor& input) {
    return (net->forward(input, first, s0).first * w).sum();
  };
  const at::Tensor grad = torch::autograd::grad({loss(x)}, {x})[0];
  {
    torch::NoGradGuard no_grad;
    const double eps = 1e-6;
    for (int64_t k = 0; k < 8; ++k) {
      const int64_t t = k % T, b = k % B, i = (3 * k) % kIn;
      at::Tensor xp = x.detach().clone(), xm = x.detach().clone();
      xp[t][b][i] += eps;
      xm[t][b][i] -= eps;
      const double fd = (loss(xp).item<double>() - loss(xm).item<double>()) / (2 * eps);
      EXPECT_NEAR(grad[t][b][i].item<double>(), fd, 1e-5 * std::max(1.0, std::abs(fd)))
          << GetParam() << " at " << t << "," << b << "," << i;
    }
  }
  // every parameter gets a gradient
  net->zero_grad();
  loss(x.detach()).backward();
  for (const auto& p : net->named_parameters()) {
    EXPECT_TRUE(p.value().grad().defined()) << GetParam() << " " << p.key();
  }
}

TEST_P(SequenceBackboneTest, SaveLoadRoundTrip) {
  auto a = make(small_yaml(GetParam()));
  torch::serialize::OutputArchive out;
  a->save(out);
  std::stringstream buffer;
  out.save_to(buffer);
  torch::manual_seed(99);  // another initialisation
  auto b = backbone_registry().create(load_config_string(small_yaml(GetParam()), "b.yaml"),
                                      BuildContext{}, kIn);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  b->load(in);
  torch::NoGradGuard no_grad;
  const at::Tensor x = torch::randn({9, 2, kIn});
  const auto s = a->initial_state(2, torch::kCPU);
  EXPECT_TENSOR_CLOSE(a->forward(x, at::Tensor(), s).first, b->forward(x, at::Tensor(), s).first, 0,
                      0);
}

INSTANTIATE_TEST_SUITE_P(Backbones, SequenceBackboneTest,
                         ::testing::Values("gru", "gru_plain", "gru_members", "mamba",
                                           "mamba_members", "s4d", "s4d_inv_bilinear",
                                           "s4d_members", "transformer", "transformer_banded",
                                           "transformer_learned", "transformer_members",
                                           "transformer_members_banded"));

// An ensemble of whole backbones: member m's columns of the output are what a backbone of one
// member holding member m's weights computes, in both forms (so no member reads another's
// weights or memory).
class BackboneMembersTest : public test::MbrlTest,
                            public ::testing::WithParamInterface<std::string> {};

TEST_P(BackboneMembersTest, EachMemberIsABackboneOfItsOwn) {
  auto net = make(small_yaml(GetParam()));
  const int64_t M = net->members();
  ASSERT_EQ(M, 3);
  const int64_t D = net->output_size() / M;
  torch::NoGradGuard no_grad;
  const int64_t T = 64, B = 3;
  const at::Tensor x = torch::randn({T, B, kIn});
  const at::Tensor first = starts(T, B);
  const at::Tensor y = net->forward(x, first, net->initial_state(B, torch::kCPU)).first;
  BackboneState s = net->initial_state(B, torch::kCPU);
  const at::Tensor y0 = net->step(s, x[0], first[0]).first;
  for (int64_t m = 0; m < M; ++m) {
    const auto one = net->member(m);
    EXPECT_EQ(one->members(), 1);
    ASSERT_EQ(one->output_size(), D);
    const at::Tensor own = one->forward(x, first, one->initial_state(B, torch::kCPU)).first;
    EXPECT_TENSOR_CLOSE(y.narrow(-1, m * D, D), own, 1e-6, 1e-6) << "member " << m;
    const at::Tensor own0 = one->step(one->initial_state(B, torch::kCPU), x[0], first[0]).first;
    EXPECT_TENSOR_CLOSE(y0.narrow(-1, m * D, D), own0, 1e-6, 1e-6) << "member " << m;
  }
  // the members differ (each drew its own weights)
  EXPECT_GT((y.narrow(-1, 0, D) - y.narrow(-1, D, D)).abs().max().item<double>(), 1e-3);
  EXPECT_THROW_WITH(net->member(M), InvalidArgument, "members");
}

INSTANTIATE_TEST_SUITE_P(Backbones, BackboneMembersTest,
                         ::testing::Values("gru_members", "mamba_members", "s4d_members",
                                           "transformer_members", "transformer_members_banded"));

TEST(SequenceBackboneOptionsTest, BadOptionsAreConfigErrorsNamingTheKey) {
  register_builtins();
  auto build = [](const std::string& yaml) {
    backbone_registry().create(load_config_string(yaml, "b.yaml"), BuildContext{}, kIn);
  };
  EXPECT_THROW_WITH(build("type: gru\nhidden_size: 10\nblocks: 4\n"), ConfigError, "blocks");
  EXPECT_THROW_WITH(build("type: gru\nvariant: lstm\n"), ConfigError, "variant");
  EXPECT_THROW_WITH(build("type: gru\nmembers: 0\n"), ConfigError, "members");
  EXPECT_THROW_WITH(build("type: gru\nvariant: plain\nmembers: 2\n"), ConfigError, "members");
  EXPECT_THROW_WITH(build("type: mamba\nd_state: 0\n"), ConfigError, "d_state");
  EXPECT_THROW_WITH(build("type: mamba\nmembers: 0\n"), ConfigError, "members");
  EXPECT_THROW_WITH(build("type: mamba\ndt_min: 0.5\ndt_max: 0.1\n"), ConfigError, "dt_min");
  EXPECT_THROW_WITH(build("type: s4d\nd_state: 7\n"), ConfigError, "d_state");
  EXPECT_THROW_WITH(build("type: s4d\nmembers: 0\n"), ConfigError, "members");
  EXPECT_THROW_WITH(build("type: s4d\ndiscretization: euler\n"), ConfigError, "discretization");
  EXPECT_THROW_WITH(build("type: transformer\nd_model: 10\nnum_heads: 4\n"), ConfigError,
                    "num_heads");
  EXPECT_THROW_WITH(build("type: transformer\ncontext: 0\n"), ConfigError, "context");
  EXPECT_THROW_WITH(build("type: transformer\nmembers: 0\n"), ConfigError, "members");
  EXPECT_THROW_WITH(build("type: transformer\npositions: rotary\n"), ConfigError, "positions");
  EXPECT_THROW_WITH(build("type: lstm\n"), ConfigError, "unknown backbones type 'lstm'");
}

TEST(LinearScanTest, ChunkedScanEqualsTheSequentialScan) {
  torch::manual_seed(0);
  const at::Tensor a = torch::rand({100, 3, 4}, torch::kFloat64);
  const at::Tensor b = torch::randn({100, 3, 4}, torch::kFloat64);
  const at::Tensor h0 = torch::randn({3, 4}, torch::kFloat64);
  const at::Tensor ref = detail::sequential_linear_scan(a, b, h0);
  for (int64_t chunk : {1, 7, 32, 100, 1000}) {
    EXPECT_TENSOR_CLOSE(detail::chunked_linear_scan(a, b, h0, chunk), ref, 1e-10, 1e-10) << chunk;
  }
}

TEST(LinearScanTest, GradientIsTheReverseScan) {
  torch::manual_seed(1);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true);
  const at::Tensor a = torch::rand({37, 2, 3}, f64), b = torch::randn({37, 2, 3}, f64);
  const at::Tensor h0 = torch::randn({2, 3}, f64), w = torch::randn({37, 2, 3}, torch::kFloat64);
  const auto grads = [&](const at::Tensor& h) {
    return torch::autograd::grad({(h * w).sum()}, {a, b, h0});
  };
  const auto fast = grads(detail::linear_scan(a, b, h0, 8));
  const auto ref = grads(detail::sequential_linear_scan(a, b, h0));
  for (size_t i = 0; i < 3; ++i) EXPECT_TENSOR_CLOSE(fast[i], ref[i], 1e-10, 1e-10) << i;
}

TEST(S4dKernelTest, VandermondeKernelEqualsTheExplicitSum) {
  for (const char* disc : {"zoh", "bilinear"}) {
    torch::manual_seed(1);
    S4dBackbone net(
        S4dBackboneOptions(kIn).d_model(3).num_layers(1).d_state(8).discretization(disc));
    torch::NoGradGuard no_grad;
    const auto d = net->discretize(0);
    const int64_t L = 40;
    const at::Tensor k = net->kernel(0, L);
    // K_l = 2 Re(sum_n C_n B-bar_n A-bar_n^l), powers by repeated complex multiplication
    at::Tensor p_re = torch::ones_like(d.a_re), p_im = torch::zeros_like(d.a_im);
    const at::Tensor cb_re = d.c_re * d.b_re - d.c_im * d.b_im;
    const at::Tensor cb_im = d.c_re * d.b_im + d.c_im * d.b_re;
    for (int64_t l = 0; l < L; ++l) {
      const at::Tensor kl = 2 * (cb_re * p_re - cb_im * p_im).sum(-1);
      EXPECT_TENSOR_CLOSE(k.select(1, l), kl, 1e-4, 1e-5) << disc << " l " << l;
      const at::Tensor re = p_re * d.a_re - p_im * d.a_im;
      p_im = p_re * d.a_im + p_im * d.a_re;
      p_re = re;
    }
  }
}

}  // namespace
}  // namespace mbrl
