// The built-in MJCF model "walker2d" (written for mbrl; see the comment inside for its origin).
#include "builtin_models.h"

namespace mbrl::detail {

std::string_view walker2d_xml() {
  static constexpr std::string_view kXml = R"xml(
<!-- Planar biped with the structure and physical parameters of Gymnasium's Walker2d-v4: a torso and
     two legs (thigh, leg, foot), six torque motors; the left foot has friction 1.9, the right 0.9.
     qpos = [rootx, rootz, rooty, right thigh, leg, foot, left thigh, leg, foot]. -->
<mujoco model="walker2d">
  <compiler angle="radian" inertiafromgeom="true"/>
  <option integrator="RK4" timestep="0.002"/>
  <size nstack="100000"/>
  <default>
    <joint limited="true" armature="0.01" damping="0.1"/>
    <geom type="capsule" contype="1" conaffinity="0" condim="3" density="1000" friction="0.9 0.1 0.1"/>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" conaffinity="1" friction="0.7 0.1 0.1"/>
    <body name="torso" pos="0 0 1.25">
      <joint name="rootx" type="slide" axis="1 0 0" pos="0 0 -1.25" limited="false" armature="0" damping="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" pos="0 0 -1.25" ref="1.25" limited="false" armature="0" damping="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" limited="false" armature="0" damping="0"/>
      <geom name="torso_geom" fromto="0 0 0.2 0 0 -0.2" size="0.05"/>
      <body name="thigh" pos="0 0 -0.2">
        <joint name="thigh_joint" axis="0 -1 0" range="-2.617994 0"/>
        <geom name="thigh_geom" fromto="0 0 0 0 0 -0.45" size="0.05"/>
        <body name="leg" pos="0 0 -0.7">
          <joint name="leg_joint" axis="0 -1 0" pos="0 0 0.25" range="-2.617994 0"/>
          <geom name="leg_geom" fromto="0 0 0.25 0 0 -0.25" size="0.04"/>
          <body name="foot" pos="0.2 0 -0.35">
            <joint name="foot_joint" axis="0 -1 0" pos="-0.2 0 0.1" range="-0.785398 0.785398"/>
            <geom name="foot_geom" fromto="-0.2 0 0.1 0 0 0.1" size="0.06"/>
          </body>
        </body>
      </body>
      <body name="thigh_left" pos="0 0 -0.2">
        <joint name="thigh_left_joint" axis="0 -1 0" range="-2.617994 0"/>
        <geom name="thigh_left_geom" fromto="0 0 0 0 0 -0.45" size="0.05"/>
        <body name="leg_left" pos="0 0 -0.7">
          <joint name="leg_left_joint" axis="0 -1 0" pos="0 0 0.25" range="-2.617994 0"/>
          <geom name="leg_left_geom" fromto="0 0 0.25 0 0 -0.25" size="0.04"/>
          <body name="foot_left" pos="0.2 0 -0.35">
            <joint name="foot_left_joint" axis="0 -1 0" pos="-0.2 0 0.1" range="-0.785398 0.785398"/>
            <geom name="foot_left_geom" fromto="-0.2 0 0.1 0 0 0.1" size="0.06" friction="1.9 0.1 0.1"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="thigh" joint="thigh_joint" gear="100"/>
    <motor name="leg" joint="leg_joint" gear="100"/>
    <motor name="foot" joint="foot_joint" gear="100"/>
    <motor name="thigh_left" joint="thigh_left_joint" gear="100"/>
    <motor name="leg_left" joint="leg_left_joint" gear="100"/>
    <motor name="foot_left" joint="foot_left_joint" gear="100"/>
  </actuator>
</mujoco>
)xml";
  return kXml;
}

}  // namespace mbrl::detail
