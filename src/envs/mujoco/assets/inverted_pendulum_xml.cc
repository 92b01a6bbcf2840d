// The built-in MJCF model "inverted_pendulum" (written for mbrl; see the comment inside for its
// origin).
#include "builtin_models.h"

namespace mbrl::detail {

std::string_view inverted_pendulum_xml() {
  static constexpr std::string_view kXml = R"xml(
<!-- Cart-pole with the structure and physical parameters of Gymnasium's InvertedPendulum-v4: a cart
     on a slider in [-1, 1] m pushed by a motor (gear 100, control in [-3, 3]) and a 0.6 m pole on a
     hinge. qpos = [cart x, pole angle]; no contacts. -->
<mujoco model="inverted_pendulum">
  <compiler angle="radian" inertiafromgeom="true"/>
  <option gravity="0 0 -9.81" integrator="RK4" timestep="0.02"/>
  <size nstack="3000"/>
  <default>
    <joint limited="true" armature="0" damping="1"/>
    <geom type="capsule" contype="0" friction="1 0.1 0.1"/>
    <motor ctrllimited="true" ctrlrange="-3 3"/>
  </default>
  <worldbody>
    <geom name="rail" quat="0.707 0 0.707 0" size="0.02 1"/>
    <body name="cart">
      <joint name="slider" type="slide" axis="1 0 0" range="-1 1"/>
      <geom name="cart" quat="0.707 0 0.707 0" size="0.1 0.1"/>
      <body name="pole">
        <joint name="hinge" type="hinge" axis="0 1 0" range="-1.570796 1.570796"/>
        <geom name="cpole" fromto="0 0 0 0.001 0 0.6" size="0.049"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="slide" joint="slider" gear="100"/>
  </actuator>
</mujoco>
)xml";
  return kXml;
}

}  // namespace mbrl::detail
