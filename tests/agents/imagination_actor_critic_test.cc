// Tests for agents/dreamer/imagination_actor_critic.cc on a small world model.
#include "mbrl/agents/dreamer/imagination_actor_critic.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/rng.h"
#include "mbrl/register_builtins.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

constexpr int64_t kObs = 3, kAct = 2;

std::unique_ptr<WorldModel> small_world_model() {
  register_builtins();
  torch::manual_seed(0);
  auto backbone = backbone_registry().create(
      load_config_string("type: gru\nhidden_size: 16\nblocks: 4\n", "b.yaml"), BuildContext{},
      4 * 4 + kAct);
  return std::make_unique<WorldModel>(
      WorldModelOptions(kObs, kAct).latents(4).classes(4).units(32).layers(1).reward_bins(41),
      backbone, make_generator(1, torch::kCPU));
}

StepBatch steps(int64_t T, int64_t B) {
  StepBatch s;
  auto t = torch::arange(T, torch::kFloat32).unsqueeze(1) + torch::arange(B).unsqueeze(0) * 0.7;
  s.obs = torch::stack({torch::sin(0.4 * t), torch::cos(0.4 * t), 0.1 * t}, -1);
  s.prev_act = torch::zeros({T, B, kAct});
  s.reward = s.obs.select(-1, 0).clone();
  s.is_first = torch::zeros({T, B}, torch::kBool);
  s.is_first[0].fill_(true);
  s.is_terminal = torch::zeros({T, B}, torch::kBool);
  return s;
}

std::vector<at::Tensor> snapshot(torch::nn::Module& m) {
  std::vector<at::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

class ImaginationActorCriticTest : public test::MbrlTest {};

TEST_F(ImaginationActorCriticTest, OneUpdateStepsActorAndCriticButNotTheWorldModel) {
  auto wm = small_world_model();
  Observation o = wm->observe(steps(6, 4), /*keep_states=*/true);
  ImaginationActorCritic ac(ImaginationActorCriticOptions(wm->feature_size(), kAct)
                                .units(32)
                                .layers(1)
                                .horizon(5)
                                .critic_bins(41),
                            make_generator(2, torch::kCPU));
  const auto wm_before = snapshot(*wm);
  auto named = ac.named_parameters();
  std::vector<std::string> actor, critic, slow;
  for (const auto& p : named) {
    const std::string& k = p.key();
    (k.rfind("actor.", 0) == 0 ? actor : k.rfind("critic.", 0) == 0 ? critic : slow).push_back(k);
  }
  auto before = [&] {
    std::map<std::string, at::Tensor> m;
    for (const auto& p : named) m[p.key()] = p.value().detach().clone();
    return m;
  }();

  ImaginationMetrics m = ac.train(*wm, o.every, torch::ones({6 * 4}));
  for (double v : {m.actor_loss, m.critic_loss, m.imagined_return, m.value, m.entropy}) {
    EXPECT_TRUE(std::isfinite(v));
  }
  EXPECT_GE(m.return_scale, 1.0);
  auto changed = [&](const std::vector<std::string>& keys) {
    bool any = false;
    for (const auto& k : keys) any |= !torch::equal(named[k], before[k]);
    return any;
  };
  EXPECT_TRUE(changed(actor));
  EXPECT_TRUE(changed(critic));
  // the slow critic moved 2 % of the way to the updated critic
  for (const auto& k : slow) {
    const std::string fast = k.substr(std::string("slow_").size());
    EXPECT_TENSOR_CLOSE(named[k], before[k] + 0.02 * (named[fast] - before[k]), 1e-5, 1e-7) << k;
  }
  // the actor's loss reached the actions through the frozen world model: no weight gradients
  for (const auto& p : wm->named_parameters()) {
    EXPECT_FALSE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(p.value().requires_grad()) << p.key() << " left frozen";
  }
  const auto wm_after = snapshot(*wm);
  for (size_t i = 0; i < wm_before.size(); ++i)
    EXPECT_TRUE(torch::equal(wm_before[i], wm_after[i]));
}

TEST_F(ImaginationActorCriticTest, TheCriticLearnsTheImaginedReturns) {
  auto wm = small_world_model();
  Observation o;
  {
    torch::NoGradGuard no_grad;  // the start states need no gradient
    o = wm->observe(steps(6, 4), /*keep_states=*/true);
  }
  ImaginationActorCritic ac(ImaginationActorCriticOptions(wm->feature_size(), kAct)
                                .units(32)
                                .layers(1)
                                .horizon(5)
                                .critic_bins(41)
                                .critic_lr(3e-3),
                            make_generator(2, torch::kCPU));
  double first = 0, last = 0;
  for (int i = 0; i < 60; ++i) {
    ImaginationMetrics m = ac.train(*wm, o.every, torch::ones({6 * 4}));
    if (i == 0) first = m.critic_loss;
    last = m.critic_loss;
  }
  EXPECT_LT(last, 0.7 * first) << "critic loss " << first << " -> " << last;
}

}  // namespace
}  // namespace mbrl
