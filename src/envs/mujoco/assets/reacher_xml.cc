// The built-in MJCF model "reacher" (written for mbrl; see the comment inside for its origin).
#include "builtin_models.h"

namespace mbrl::detail {

std::string_view reacher_xml() {
  static constexpr std::string_view kXml = R"xml(
<!-- Two-link planar arm with the structure and physical parameters of Gymnasium's Reacher-v4: links
     of 0.1 m on hinges about z (the second limited to +-3 rad), a fingertip body, and a target body on
     two slide joints. qpos = [joint0, joint1, target_x, target_y]; no contacts. -->
<mujoco model="reacher">
  <compiler angle="radian" inertiafromgeom="true"/>
  <option gravity="0 0 -9.81" integrator="RK4" timestep="0.01"/>
  <size nstack="100000"/>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom contype="0" friction="1 0.1 0.1"/>
    <motor ctrllimited="true" ctrlrange="-1 1" gear="200"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="1 1 10" conaffinity="0"/>
    <geom name="root" type="cylinder" fromto="0 0 0 0 0 0.02" size="0.011" conaffinity="0"/>
    <body name="body0" pos="0 0 0.01">
      <joint name="joint0" type="hinge" axis="0 0 1" limited="false"/>
      <geom name="link0" type="capsule" fromto="0 0 0 0.1 0 0" size="0.01"/>
      <body name="body1" pos="0.1 0 0">
        <joint name="joint1" type="hinge" axis="0 0 1" range="-3 3"/>
        <geom name="link1" type="capsule" fromto="0 0 0 0.1 0 0" size="0.01"/>
        <body name="fingertip" pos="0.11 0 0">
          <geom name="fingertip" type="sphere" size="0.01"/>
        </body>
      </body>
    </body>
    <body name="target" pos="0.1 -0.1 0.01">
      <joint name="target_x" type="slide" axis="1 0 0" ref="0.1" range="-0.27 0.27" armature="0" damping="0"/>
      <joint name="target_y" type="slide" axis="0 1 0" ref="-0.1" range="-0.27 0.27" armature="0" damping="0"/>
      <geom name="target" type="sphere" size="0.009" conaffinity="0"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="joint0" joint="joint0"/>
    <motor name="joint1" joint="joint1"/>
  </actuator>
</mujoco>
)xml";
  return kXml;
}

}  // namespace mbrl::detail
