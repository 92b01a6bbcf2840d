// The built-in MJCF model "ant" (written for mbrl; see the comment inside for its origin).
#include "builtin_models.h"

namespace mbrl::detail {

std::string_view ant_xml() {
  static constexpr std::string_view kXml = R"xml(
<!-- Quadruped with the structure and physical parameters of Gymnasium's Ant-v4: a spherical torso on
     a free joint and four legs of two hinged links (hip about z, ankle in the leg's plane).
     qpos = [x, y, z, qw, qx, qy, qz, 8 hinges] (nq 15), nv 14, nu 8. Joint ranges in degrees, as
     Ant-v4 writes them, so they compile to the same radians (rounded radians diverged from Ant-v4
     within ~20 steps). -->
<mujoco model="ant">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option integrator="RK4" timestep="0.01"/>
  <size nstack="100000"/>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom type="capsule" contype="1" conaffinity="0" condim="3" density="5" friction="1 0.5 0.5"
          margin="0.01" size="0.08"/>
    <motor ctrllimited="true" ctrlrange="-1 1" gear="150"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" conaffinity="1"/>
    <body name="torso" pos="0 0 0.75">
      <joint name="root" type="free" limited="false" armature="0" damping="0" margin="0.01"/>
      <geom name="torso_geom" type="sphere" size="0.25"/>
      <body name="front_left_leg">
        <geom name="aux_1_geom" fromto="0 0 0 0.2 0.2 0"/>
        <body name="aux_1" pos="0.2 0.2 0">
          <joint name="hip_1" axis="0 0 1" range="-30 30"/>
          <geom name="left_leg_geom" fromto="0 0 0 0.2 0.2 0"/>
          <body name="front_left_foot" pos="0.2 0.2 0">
            <joint name="ankle_1" axis="-1 1 0" range="30 70"/>
            <geom name="left_ankle_geom" fromto="0 0 0 0.4 0.4 0"/>
          </body>
        </body>
      </body>
      <body name="front_right_leg">
        <geom name="aux_2_geom" fromto="0 0 0 -0.2 0.2 0"/>
        <body name="aux_2" pos="-0.2 0.2 0">
          <joint name="hip_2" axis="0 0 1" range="-30 30"/>
          <geom name="right_leg_geom" fromto="0 0 0 -0.2 0.2 0"/>
          <body name="front_right_foot" pos="-0.2 0.2 0">
            <joint name="ankle_2" axis="1 1 0" range="-70 -30"/>
            <geom name="right_ankle_geom" fromto="0 0 0 -0.4 0.4 0"/>
          </body>
        </body>
      </body>
      <body name="back_leg">
        <geom name="aux_3_geom" fromto="0 0 0 -0.2 -0.2 0"/>
        <body name="aux_3" pos="-0.2 -0.2 0">
          <joint name="hip_3" axis="0 0 1" range="-30 30"/>
          <geom name="back_leg_geom" fromto="0 0 0 -0.2 -0.2 0"/>
          <body name="back_left_foot" pos="-0.2 -0.2 0">
            <joint name="ankle_3" axis="-1 1 0" range="-70 -30"/>
            <geom name="third_ankle_geom" fromto="0 0 0 -0.4 -0.4 0"/>
          </body>
        </body>
      </body>
      <body name="right_back_leg">
        <geom name="aux_4_geom" fromto="0 0 0 0.2 -0.2 0"/>
        <body name="aux_4" pos="0.2 -0.2 0">
          <joint name="hip_4" axis="0 0 1" range="-30 30"/>
          <geom name="rightback_leg_geom" fromto="0 0 0 0.2 -0.2 0"/>
          <body name="back_right_foot" pos="0.2 -0.2 0">
            <joint name="ankle_4" axis="1 1 0" range="30 70"/>
            <geom name="fourth_ankle_geom" fromto="0 0 0 0.4 -0.4 0"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="hip_4" joint="hip_4"/>
    <motor name="ankle_4" joint="ankle_4"/>
    <motor name="hip_1" joint="hip_1"/>
    <motor name="ankle_1" joint="ankle_1"/>
    <motor name="hip_2" joint="hip_2"/>
    <motor name="ankle_2" joint="ankle_2"/>
    <motor name="hip_3" joint="hip_3"/>
    <motor name="ankle_3" joint="ankle_3"/>
  </actuator>
</mujoco>
)xml";
  return kXml;
}

}  // namespace mbrl::detail
