// The built-in MJCF model "hopper" (written for mbrl; see the comment inside for its origin).
#include "builtin_models.h"

namespace mbrl::detail {

std::string_view hopper_xml() {
  static constexpr std::string_view kXml = R"xml(
<!-- One-legged hopper with the structure and physical parameters of Gymnasium's Hopper-v4:
     torso, thigh, leg and foot capsules in the x-z plane, three torque motors.
     qpos = [rootx, rootz, rooty, thigh, leg, foot]; rootz is the torso height (ref 1.25). -->
<mujoco model="hopper">
  <compiler angle="radian" inertiafromgeom="true"/>
  <option integrator="RK4" timestep="0.002"/>
  <size nstack="100000"/>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom type="capsule" contype="1" conaffinity="1" condim="1" margin="0.001"
          friction="0.9 0.005 0.0001" solref="0.02 1" solimp="0.8 0.8 0.01"/>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="20 20 0.125" condim="3" friction="1 0.005 0.0001"/>
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
          <body name="foot" pos="0.13 0 -0.35">
            <joint name="foot_joint" axis="0 -1 0" pos="-0.13 0 0.1" range="-0.785398 0.785398"/>
            <geom name="foot_geom" fromto="-0.26 0 0.1 0.13 0 0.1" size="0.06" friction="2 0.005 0.0001"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="thigh" joint="thigh_joint" gear="200"/>
    <motor name="leg" joint="leg_joint" gear="200"/>
    <motor name="foot" joint="foot_joint" gear="200"/>
  </actuator>
</mujoco>
)xml";
  return kXml;
}

}  // namespace mbrl::detail
