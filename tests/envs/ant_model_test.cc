// The built-in Ant model compiles to Gymnasium Ant-v4's physics: the values below are those of
// Ant-v4's ant.xml (angles in degrees, density 5, capsules of radius 0.08, gear 150), worked out
// by hand; the compiled model must hold exactly them.
#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <cmath>
#include <string>

#include "mbrl/envs/mujoco/ant.h"

namespace mbrl {
namespace {

double degrees(double d) { return d * (mjPI / 180.0); }  // as MuJoCo's compiler converts them

int id(const mjModel* m, mjtObj type, const std::string& name) {
  const int i = mj_name2id(m, type, name.c_str());
  EXPECT_GE(i, 0) << name;
  return i;
}

TEST(AntModelTest, JointsAreThoseOfAntV4) {
  auto task = make_ant_task();
  const mjModel* m = task->model().get();
  ASSERT_EQ(m->njnt, 9);
  EXPECT_EQ(m->jnt_type[id(m, mjOBJ_JOINT, "root")], mjJNT_FREE);
  // hips +-30 degrees; ankles 30..70 (legs 1, 4) or -70..-30 (legs 2, 3)
  const double ankle_low[4] = {30, -70, -70, 30}, ankle_high[4] = {70, -30, -30, 70};
  for (int leg = 1; leg <= 4; ++leg) {
    const int hip = id(m, mjOBJ_JOINT, "hip_" + std::to_string(leg));
    const int ankle = id(m, mjOBJ_JOINT, "ankle_" + std::to_string(leg));
    EXPECT_EQ(m->jnt_range[2 * hip], degrees(-30)) << leg;
    EXPECT_EQ(m->jnt_range[2 * hip + 1], degrees(30)) << leg;
    EXPECT_EQ(m->jnt_range[2 * ankle], degrees(ankle_low[leg - 1])) << leg;
    EXPECT_EQ(m->jnt_range[2 * ankle + 1], degrees(ankle_high[leg - 1])) << leg;
    for (int j : {hip, ankle}) {
      EXPECT_EQ(m->jnt_limited[j], 1);
      EXPECT_EQ(m->dof_armature[m->jnt_dofadr[j]], 1.0);
      EXPECT_EQ(m->dof_damping[m->jnt_dofadr[j]], 1.0);
    }
  }
  const int root_dof = m->jnt_dofadr[id(m, mjOBJ_JOINT, "root")];
  for (int d = root_dof; d < root_dof + 6; ++d) {
    EXPECT_EQ(m->dof_armature[d], 0.0);
    EXPECT_EQ(m->dof_damping[d], 0.0);
  }
  EXPECT_EQ(m->opt.timestep, 0.01);
  EXPECT_EQ(m->opt.integrator, mjINT_RK4);
}

TEST(AntModelTest, GeomsMassesAndMotorsAreThoseOfAntV4) {
  auto task = make_ant_task();
  const mjModel* m = task->model().get();
  ASSERT_EQ(m->ngeom, 14);  // floor, torso, 4 x (aux, leg, ankle)
  const double density = 5.0, r = 0.08;
  auto capsule_mass = [&](double length) {
    return density * (mjPI * r * r * length + 4.0 / 3.0 * mjPI * r * r * r);
  };
  for (int g = 0; g < m->ngeom; ++g) {
    EXPECT_EQ(m->geom_friction[3 * g], 1.0) << g;
    EXPECT_EQ(m->geom_friction[3 * g + 1], 0.5) << g;
    EXPECT_EQ(m->geom_friction[3 * g + 2], 0.5) << g;
    EXPECT_EQ(m->geom_margin[g], 0.01) << g;
    EXPECT_EQ(m->geom_condim[g], 3) << g;
    if (m->geom_type[g] == mjGEOM_CAPSULE) EXPECT_EQ(m->geom_size[3 * g], r) << g;
  }
  const int torso_geom = id(m, mjOBJ_GEOM, "torso_geom");
  EXPECT_EQ(m->geom_type[torso_geom], mjGEOM_SPHERE);
  EXPECT_EQ(m->geom_size[3 * torso_geom], 0.25);
  const int torso = id(m, mjOBJ_BODY, "torso");
  EXPECT_NEAR(m->body_mass[torso], density * 4.0 / 3.0 * mjPI * std::pow(0.25, 3), 1e-12);
  // each leg: two links of length 0.2 sqrt(2) (aux, leg) and an ankle of 0.4 sqrt(2)
  for (const char* geom : {"aux_1_geom", "left_leg_geom", "left_ankle_geom"}) {
    const int g = id(m, mjOBJ_GEOM, geom);
    const double length =
        std::string(geom) == "left_ankle_geom" ? 0.4 * std::sqrt(2.0) : 0.2 * std::sqrt(2.0);
    EXPECT_NEAR(m->geom_size[3 * g + 1], length / 2, 1e-12) << geom;
    EXPECT_NEAR(m->body_mass[m->geom_bodyid[g]], capsule_mass(length), 1e-12) << geom;
  }
  EXPECT_EQ(m->geom_conaffinity[id(m, mjOBJ_GEOM, "floor")], 1);
  EXPECT_EQ(m->geom_conaffinity[torso_geom], 0);

  // motors in Ant-v4's order, gear 150, controls in [-1, 1]
  ASSERT_EQ(m->nu, 8);
  const char* order[8] = {"hip_4", "ankle_4", "hip_1", "ankle_1",
                          "hip_2", "ankle_2", "hip_3", "ankle_3"};
  for (int u = 0; u < 8; ++u) {
    EXPECT_EQ(m->actuator_trnid[2 * u], id(m, mjOBJ_JOINT, order[u])) << u;
    EXPECT_EQ(m->actuator_gear[6 * u], 150.0) << u;
    EXPECT_EQ(m->actuator_ctrlrange[2 * u], -1.0) << u;
    EXPECT_EQ(m->actuator_ctrlrange[2 * u + 1], 1.0) << u;
  }
}

}  // namespace
}  // namespace mbrl
