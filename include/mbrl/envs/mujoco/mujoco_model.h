// MujocoModel: an mjModel compiled from a user's MJCF file or from a model text built into the
// library, with MuJoCo's errors turned into exceptions and its warnings sent to the log.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <mujoco/mujoco.h>

#include "mbrl/core/types.h"

namespace mbrl {

/// An immutable, compiled MuJoCo model. Shared (read-only) by every mjData made from it: an env,
/// the per-thread data of a simulator scorer, the envs of a VectorEnv.
class MujocoModel {
 public:
  /// Compiles the MJCF file at `path`. Throws IoError when the file cannot be read, MujocoError
  /// naming the path and MuJoCo's message (with its line) when it does not compile.
  static std::shared_ptr<const MujocoModel> from_file(const std::string& path);

  /// Compiles `xml` through MuJoCo's virtual file system, so no file is needed; `name` (e.g.
  /// "hopper.xml") is the file name inside the VFS and in messages. Throws MujocoError.
  static std::shared_ptr<const MujocoModel> from_string(const std::string& name,
                                                        std::string_view xml);

  ~MujocoModel();
  MujocoModel(const MujocoModel&) = delete;
  MujocoModel& operator=(const MujocoModel&) = delete;

  const mjModel* get() const { return model_; }
  const mjModel* operator->() const { return model_; }
  /// Where the model came from: the file path, or "<built-in hopper.xml>".
  const std::string& source() const { return source_; }

  /// Index of the named body/joint; throws MujocoError naming source() when it is missing.
  int body_id(const char* name) const;

  /// Throws MujocoError naming source() unless the model has these sizes (the layout a task
  /// reads its observation from). `task` names the task in the message.
  void require_sizes(const char* task, int nq, int nv, int nu) const;

  /// The actuators' control ranges as a Box, [nu] (+-inf where an actuator is not ctrllimited).
  Box action_space() const;

  /// Writes `action` ([nu]) clipped to the control ranges into `ctrl` ([nu]), as the env does
  /// before every step (NaN stays NaN; callers reject it).
  void clip_controls(const double* action, double* ctrl) const;

  /// Puts `d` in mj_resetData's initial state as far as the dynamics are concerned: time 0,
  /// qpos0, zero velocities, activations, controls, applied forces and solver warm start, mocap
  /// bodies at their model poses, zero user data, no warnings. Unlike mj_resetData it does not
  /// clear the whole arena, which costs ~250 us in MuJoCo 2.2.2 (more than 10 physics steps of
  /// these models). The caller runs mj_forward afterwards.
  void reset_data(mjData* d) const;

  /// A new mjData for this model, deleted with mj_deleteData.
  std::unique_ptr<mjData, void (*)(mjData*)> make_data() const;

 private:
  MujocoModel(mjModel* model, std::string source);

  mjModel* model_;
  std::string source_;
  std::vector<double> ctrl_low_, ctrl_high_;  // +-inf where not ctrllimited
};

/// The MJCF text built into the library for `name` ("half_cheetah", "hopper", "walker2d", "ant",
/// "inverted_pendulum", "reacher"): a starting point for a user's `model_xml`. Throws
/// InvalidArgument listing the names for an unknown one.
std::string_view builtin_model_xml(const std::string& name);

/// Names accepted by builtin_model_xml, sorted.
std::vector<std::string> builtin_model_names();

/// The built-in model `name`, or the user's file `model_xml` when it is not empty. Compiled models
/// of the built-in texts are cached (they are immutable), so N envs share one mjModel.
std::shared_ptr<const MujocoModel> load_mujoco_model(const std::string& name,
                                                     const std::string& model_xml);

namespace detail {

/// Installs, once per process, MuJoCo handlers that route warnings to the `mbrl.mujoco` logger and
/// log errors at critical level before aborting (a MuJoCo error cannot be unwound through its C
/// frames; inputs are validated before calling MuJoCo so that it is never reached).
void install_mujoco_handlers();

/// While alive, MuJoCo warnings raised on this thread are dropped instead of logged (planning
/// rollouts that diverge would otherwise flood the log; the scorer reports them in one line).
class QuietMujocoWarnings {
 public:
  QuietMujocoWarnings();
  ~QuietMujocoWarnings();
  QuietMujocoWarnings(const QuietMujocoWarnings&) = delete;
  QuietMujocoWarnings& operator=(const QuietMujocoWarnings&) = delete;

 private:
  bool previous_;
};

}  // namespace detail

}  // namespace mbrl
