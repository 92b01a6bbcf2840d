// Tests for envs/mujoco/mujoco_env.cc, mujoco_model.cc and the MuJoCo env registrations.
#include "mbrl/envs/mujoco/mujoco_env.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

#include "mbrl/config/loader.h"
#include "mbrl/core/error.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/envs/mujoco/half_cheetah.h"
#include "mbrl/envs/mujoco/hopper.h"
#include "mbrl/envs/mujoco/inverted_pendulum.h"
#include "mbrl/envs/mujoco/mujoco_model.h"
#include "mbrl/envs/wrappers/env_wrapper.h"
#include "tests/support/expect_throw.h"
#include "tests/support/tensor_matchers.h"
#include "tests/support/testdata.h"

namespace mbrl {
namespace {

std::shared_ptr<Env> build(const std::string& yaml) {
  return make_env(load_config_string(yaml, "test"), BuildContext{});
}

std::string write_file(const std::string& name, const std::string& text) {
  const auto path = test::scratch_dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

// a copy of a built-in model with one substring replaced
std::string modified_model(const std::string& name, const std::string& from,
                           const std::string& to) {
  std::string xml(builtin_model_xml(name));
  const auto at = xml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return xml.replace(at, from.size(), to);
}

struct Dims {
  const char* type;
  int64_t obs_dim, act_dim, max_steps;
  double dt, act_bound;
};

TEST(MujocoEnvTest, ObservationAndActionDimensions) {
  const Dims table[] = {
      {"half_cheetah", 17, 6, 1000, 0.05, 1.0},     {"hopper", 11, 3, 1000, 0.008, 1.0},
      {"walker2d", 17, 6, 1000, 0.008, 1.0},        {"ant", 27, 8, 1000, 0.05, 1.0},
      {"inverted_pendulum", 4, 1, 1000, 0.04, 3.0}, {"reacher", 11, 2, 50, 0.02, 1.0},
      {"pets_half_cheetah", 18, 6, 1000, 0.05, 1.0}};
  for (const Dims& d : table) {
    SCOPED_TRACE(d.type);
    auto env = build(std::string("type: ") + d.type);
    const EnvSpec& spec = env->spec();
    EXPECT_EQ(spec.name, d.type);
    EXPECT_EQ(spec.obs_dim(), d.obs_dim);
    EXPECT_EQ(spec.act_dim(), d.act_dim);
    EXPECT_EQ(spec.max_episode_steps, d.max_steps);
    EXPECT_TENSOR_CLOSE(spec.action_space.high, torch::full({d.act_dim}, d.act_bound));
    EXPECT_TENSOR_CLOSE(spec.action_space.low, torch::full({d.act_dim}, -d.act_bound));
    EXPECT_SHAPE(env->reset(0), {d.obs_dim});
    StepResult r = env->step(torch::zeros({d.act_dim}));
    EXPECT_SHAPE(r.obs, {d.obs_dim});
    EXPECT_EQ(r.obs.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(std::isfinite(r.reward));
  }
}

TEST(MujocoEnvTest, TimestepAndFrameSkipGiveGymnasiumDt) {
  EXPECT_DOUBLE_EQ(make_half_cheetah_task()->dt(), 0.05);
  EXPECT_DOUBLE_EQ(make_hopper_task()->dt(), 0.008);
  EXPECT_EQ(make_hopper_task()->frame_skip(), 4);
  EXPECT_EQ(make_hopper_task()->model()->opt.integrator, mjINT_RK4);
  EXPECT_DOUBLE_EQ(make_inverted_pendulum_task()->dt(), 0.04);
}

TEST(MujocoEnvTest, BuiltInModelsAreSharedAcrossEnvs) {
  EXPECT_EQ(make_hopper_task()->model().get(), make_hopper_task()->model().get());
  EXPECT_EQ(make_hopper_task()->model().source(), "<built-in hopper.xml>");
  EXPECT_EQ(builtin_model_names().size(), 6u);
}

TEST(MujocoEnvTest, SameSeedSameTrajectory) {
  for (const char* type : {"hopper", "ant", "reacher"}) {
    SCOPED_TRACE(type);
    auto a = build(std::string("type: ") + type);
    auto b = build(std::string("type: ") + type);
    auto c = build(std::string("type: ") + type);
    EXPECT_TRUE(torch::equal(a->reset(7), b->reset(7)));
    EXPECT_FALSE(torch::equal(a->reset(7), c->reset(8)));
    b->reset(7);
    auto gen = make_generator(1, torch::kCPU);
    for (int t = 0; t < 30; ++t) {
      auto act = torch::rand({a->spec().act_dim()}, gen) * 2 - 1;
      StepResult ra = a->step(act), rb = b->step(act);
      ASSERT_TRUE(torch::equal(ra.obs, rb.obs)) << "step " << t;
      ASSERT_EQ(ra.reward, rb.reward);
      ASSERT_EQ(ra.terminated, rb.terminated);
      if (ra.terminated) break;
    }
  }
}

TEST(MujocoEnvTest, ResetWithoutSeedContinuesTheStream) {
  MujocoEnv env(make_hopper_task(), 3);
  auto first = env.reset(5);
  auto second = env.reset();
  EXPECT_FALSE(torch::equal(first, second));
  EXPECT_TRUE(torch::equal(env.reset(5), first));
}

TEST(MujocoEnvTest, ResetNoiseHasGymnasiumScale) {
  MujocoEnv env(make_hopper_task(), 0);
  double max_dev = 0;
  for (int i = 0; i < 20; ++i) {
    env.reset();
    const mjData* d = env.data();
    const mjModel* m = env.model();
    for (int j = 0; j < m->nq; ++j) max_dev = std::max(max_dev, std::abs(d->qpos[j] - m->qpos0[j]));
    for (int j = 0; j < m->nv; ++j) max_dev = std::max(max_dev, std::abs(d->qvel[j]));
  }
  EXPECT_LE(max_dev, 5e-3);
  EXPECT_GT(max_dev, 4e-3);  // U(-0.005, 0.005) over 240 draws reaches near its bound
  EXPECT_NEAR(env.data()->qpos[1], 1.25, 5e-3);  // rootz starts at its reference height
}

// reset_data replaces mj_resetData (which clears the whole arena, ~250 us in MuJoCo 2.2.2): the
// simulation from either must be the same
TEST(MujocoEnvTest, ResetDataMatchesMjResetData) {
  for (auto task : {make_hopper_task(), make_half_cheetah_task()}) {
    SCOPED_TRACE(task->name());
    const mjModel* m = task->model().get();
    auto a = task->model().make_data(), b = task->model().make_data();
    auto gen = make_generator(0, torch::kCPU);
    const at::Tensor ctrl = torch::rand({80, m->nu}, gen, torch::kFloat64) * 2 - 1;
    for (mjData* d : {a.get(), b.get()}) {
      for (int t = 0; t < 40; ++t) {
        for (int i = 0; i < m->nu; ++i) d->ctrl[i] = ctrl[t][i].item<double>();
        mj_step(m, d);
      }
    }
    mj_resetData(m, a.get());
    task->model().reset_data(b.get());
    for (mjData* d : {a.get(), b.get()}) {
      mj_forward(m, d);
      for (int t = 40; t < 80; ++t) {
        for (int i = 0; i < m->nu; ++i) d->ctrl[i] = ctrl[t][i].item<double>();
        mj_step(m, d);
      }
    }
    for (int i = 0; i < m->nq; ++i) EXPECT_EQ(a->qpos[i], b->qpos[i]) << i;
    for (int i = 0; i < m->nv; ++i) EXPECT_EQ(a->qvel[i], b->qvel[i]) << i;
    EXPECT_EQ(a->time, b->time);
  }
}

TEST(MujocoEnvTest, ActionsAreClippedToTheControlRange) {
  MujocoEnv a(make_hopper_task(), 0), b(make_hopper_task(), 0);
  a.reset(1);
  b.reset(1);
  StepResult ra = a.step(torch::tensor({5.0, -7.0, 0.5}));
  StepResult rb = b.step(torch::tensor({1.0, -1.0, 0.5}));
  EXPECT_TRUE(torch::equal(ra.obs, rb.obs));
  EXPECT_EQ(ra.reward, rb.reward);  // the control cost uses the clipped action
  EXPECT_EQ(a.data()->ctrl[0], 1.0);
}

TEST(MujocoEnvTest, StepBeforeResetThrows) {
  MujocoEnv env(make_hopper_task(), 0);
  EXPECT_THROW_WITH(env.step(torch::zeros({3})), Error, "before reset");
}

TEST(MujocoEnvTest, WrongActionShapeThrows) {
  MujocoEnv env(make_hopper_task(), 0);
  env.reset(0);
  EXPECT_THROW_WITH(env.step(torch::zeros({2})), ShapeError, "hopper");
}

TEST(MujocoEnvTest, MalformedXmlNamesTheFileAndLine) {
  const std::string path = write_file("bad.xml",
                                      "<mujoco>\n"
                                      "  <worldbody>\n"
                                      "    <body>\n"
                                      "      <geom size='0.1' bogus='1'/>\n"
                                      "    </body>\n"
                                      "  </worldbody>\n"
                                      "</mujoco>\n");
  EXPECT_THROW_WITH(make_hopper_task(HopperOptions().model_xml(path)), MujocoError, path);
  EXPECT_THROW_WITH(make_hopper_task(HopperOptions().model_xml(path)), MujocoError, "line 4");
  EXPECT_THROW_WITH(make_hopper_task(HopperOptions().model_xml(path)), MujocoError, "bogus");
}

TEST(MujocoEnvTest, UnparsableXmlNamesTheLine) {
  const std::string path = write_file("unclosed.xml", "<mujoco>\n<worldbody>\n<body>\n</mujoco>\n");
  EXPECT_THROW_WITH(MujocoModel::from_file(path), MujocoError, "Line number=3");
}

TEST(MujocoEnvTest, MissingModelFileIsAnIoError) {
  EXPECT_THROW_WITH(make_hopper_task(HopperOptions().model_xml("/no/such/hopper.xml")), IoError,
                    "/no/such/hopper.xml");
}

TEST(MujocoEnvTest, ModelOfAnotherLayoutIsRejected) {
  const std::string path =
      write_file("cheetah.xml", std::string(builtin_model_xml("half_cheetah")));
  EXPECT_THROW_WITH(make_hopper_task(HopperOptions().model_xml(path)), MujocoError,
                    "expects nq 6, nv 6, nu 3");
}

TEST(MujocoEnvTest, ModelXmlReplacesTheBuiltInModel) {
  const std::string path = write_file(
      "slow_hopper.xml", modified_model("hopper", "timestep=\"0.002\"", "timestep=\"0.004\""));
  auto env = build("type: hopper\nmodel_xml: " + path);
  auto raw = std::dynamic_pointer_cast<EnvWrapper>(env)->inner();
  auto mujoco = std::dynamic_pointer_cast<MujocoEnv>(raw);
  ASSERT_NE(mujoco, nullptr);
  EXPECT_DOUBLE_EQ(mujoco->task().dt(), 0.016);
  EXPECT_EQ(mujoco->task().model().source(), path);
}

TEST(MujocoEnvTest, BadOptionsNameTheirKey) {
  EXPECT_THROW_WITH(build("type: hopper\nframe_skip: 0"), ConfigError, "frame_skip");
  EXPECT_THROW_WITH(build("type: hopper\nhealthy_z_range: [1.0]"), ConfigError, "healthy_z_range");
  EXPECT_THROW_WITH(build("type: walker2d\nhealthy_angle_range: [1, -1]"), ConfigError,
                    "healthy_angle_range");
  EXPECT_THROW_WITH(build("type: ant\nreset_noise_scale: -1"), ConfigError, "reset_noise_scale");
}

TEST(MujocoEnvTest, OptionsReachTheTask) {
  auto env = build("type: half_cheetah\nexclude_current_positions_from_observation: false");
  EXPECT_EQ(env->spec().obs_dim(), 18);
  auto ant = build("type: ant\nexclude_current_positions_from_observation: false");
  EXPECT_EQ(ant->spec().obs_dim(), 29);
  auto hopper = build("type: hopper\nhealthy_z_range: [0.7, 1.0e+10]\nframe_skip: 2");
  auto raw =
      std::dynamic_pointer_cast<MujocoEnv>(std::dynamic_pointer_cast<EnvWrapper>(hopper)->inner());
  EXPECT_DOUBLE_EQ(raw->task().dt(), 0.004);
}

TEST(MujocoEnvTest, NonFiniteStateEndsTheEpisode) {
  MujocoEnv env(make_hopper_task(), 0);
  const at::Tensor before = env.reset(0);
  std::vector<double> qpos(env.data()->qpos, env.data()->qpos + 6);
  std::vector<double> qvel(6, 0.0);
  qvel[3] = 1e300;  // MuJoCo flags this and resets its data on its own
  env.set_state(qpos, qvel);
  const at::Tensor last = env.observation();
  StepResult r = env.step(torch::zeros({3}));
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_TRUE(torch::equal(r.obs, last));
  EXPECT_THROW_WITH(env.step(torch::zeros({3})), Error, "after a terminated step");
  EXPECT_TRUE(torch::equal(env.reset(0), before));
}

TEST(MujocoEnvTest, DivergingModelEndsTheEpisode) {
  // a motor a trillion times too strong makes the cart's acceleration blow up
  const std::string path = write_file(
      "strong.xml", modified_model("inverted_pendulum", "gear=\"100\"", "gear=\"1e30\""));
  MujocoEnv env(make_inverted_pendulum_task(InvertedPendulumOptions().model_xml(path)), 0);
  env.reset(0);
  bool ended = false;
  for (int t = 0; t < 10 && !ended; ++t) {
    StepResult r = env.step(torch::full({1}, 3.0));
    ASSERT_TRUE(torch::isfinite(r.obs).all().item<bool>());
    ended = r.terminated;
  }
  EXPECT_TRUE(ended);
}

TEST(MujocoEnvTest, EveryTaskIsRegistered) {
  for (const char* type : {"half_cheetah", "hopper", "walker2d", "ant", "inverted_pendulum",
                           "reacher", "pets_half_cheetah"}) {
    EXPECT_TRUE(env_registry().contains(type)) << type;
  }
}

}  // namespace
}  // namespace mbrl
