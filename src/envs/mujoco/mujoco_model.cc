// MujocoModel: compiling MJCF from files or built-in texts, MuJoCo's error and warning handlers.
#include "mbrl/envs/mujoco/mujoco_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include <torch/torch.h>

#include "assets/builtin_models.h"
#include "mbrl/core/check.h"
#include "mbrl/log/log.h"

namespace mbrl {
namespace {

thread_local bool quiet_warnings = false;

void log_warning(const char* message) {
  if (quiet_warnings) return;
  log::logger("mujoco")->warn("{}", message);
}

[[noreturn]] void log_error_and_abort(const char* message) {
  auto logger = log::logger("mujoco");
  logger->critical("MuJoCo error (cannot be recovered from): {}", message);
  logger->flush();
  std::abort();
}

// MuJoCo's compiler swaps the global error handler while it runs, so compile one model at a time
std::mutex& compile_mutex() {
  static std::mutex m;
  return m;
}

// MuJoCo's multi-line messages as one line
std::string one_line(const char* message) {
  std::string out;
  bool space = false;
  for (const char* p = message; *p; ++p) {
    if (*p == '\n' || *p == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += "; ";
    space = false;
    out += *p;
  }
  return out;
}

mjModel* compile(const char* filename, const mjVFS* vfs, const std::string& source) {
  detail::install_mujoco_handlers();
  char error[1024] = "";
  mjModel* model = nullptr;
  {
    std::lock_guard<std::mutex> lock(compile_mutex());
    model = mj_loadXML(filename, vfs, error, sizeof(error));
  }
  if (!model) {
    throw MujocoError(source + ": MuJoCo could not compile the model: " + one_line(error));
  }
  return model;
}

}  // namespace

namespace detail {

void install_mujoco_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::lock_guard<std::mutex> lock(compile_mutex());
    mju_user_warning = log_warning;
    mju_user_error = log_error_and_abort;
  });
}

QuietMujocoWarnings::QuietMujocoWarnings() : previous_(quiet_warnings) { quiet_warnings = true; }
QuietMujocoWarnings::~QuietMujocoWarnings() { quiet_warnings = previous_; }

}  // namespace detail

std::shared_ptr<const MujocoModel> MujocoModel::from_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw IoError(path, "no such MJCF file");
  }
  mjModel* model = compile(path.c_str(), nullptr, path);
  return std::shared_ptr<const MujocoModel>(new MujocoModel(model, path));
}

std::shared_ptr<const MujocoModel> MujocoModel::from_string(const std::string& name,
                                                            std::string_view xml) {
  MBRL_CHECK_ARG(!name.empty() && name.size() < mjMAXVFSNAME, "name",
                 "expected a file name of 1 to ", mjMAXVFSNAME - 1, " characters, got '", name,
                 "'");
  const std::string source = "<built-in " + name + ">";

  // the VFS holds 2000 file names of 1000 bytes: too large for the stack
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  const int rc = mj_makeEmptyFileVFS(vfs.get(), name.c_str(), static_cast<int>(xml.size()));
  const int index = mj_findFileVFS(vfs.get(), name.c_str());
  MBRL_ASSERT(rc == 0 && index >= 0, "mj_makeEmptyFileVFS failed with ", rc);
  std::memcpy(vfs->filedata[index], xml.data(), xml.size());
  mjModel* model = nullptr;
  try {
    model = compile(name.c_str(), vfs.get(), source);
  } catch (...) {
    mj_deleteVFS(vfs.get());
    throw;
  }
  mj_deleteVFS(vfs.get());
  return std::shared_ptr<const MujocoModel>(new MujocoModel(model, source));
}

MujocoModel::MujocoModel(mjModel* model, std::string source)
    : model_(model),
      source_(std::move(source)),
      ctrl_low_(model->nu, -INFINITY),
      ctrl_high_(model->nu, INFINITY) {
  for (int i = 0; i < model_->nu; ++i) {
    if (model_->actuator_ctrllimited[i]) {
      ctrl_low_[i] = model_->actuator_ctrlrange[2 * i];
      ctrl_high_[i] = model_->actuator_ctrlrange[2 * i + 1];
    }
  }
}

MujocoModel::~MujocoModel() { mj_deleteModel(model_); }

int MujocoModel::body_id(const char* name) const {
  const int id = mj_name2id(model_, mjOBJ_BODY, name);
  if (id < 0) throw MujocoError(source_ + ": expected a body named '" + name + "'");
  return id;
}

void MujocoModel::require_sizes(const char* task, int nq, int nv, int nu) const {
  if (model_->nq != nq || model_->nv != nv || model_->nu != nu) {
    throw MujocoError(detail::str(source_, ": the ", task, " task expects nq ", nq, ", nv ", nv,
                                  ", nu ", nu, " (the built-in model's layout), got nq ",
                                  model_->nq, ", nv ", model_->nv, ", nu ", model_->nu));
  }
}

Box MujocoModel::action_space() const {
  return Box(torch::tensor(ctrl_low_), torch::tensor(ctrl_high_));
}

void MujocoModel::clip_controls(const double* action, double* ctrl) const {
  for (int i = 0; i < model_->nu; ++i) {
    // min/max rather than std::clamp, which is undefined for NaN
    ctrl[i] = std::max(ctrl_low_[i], std::min(action[i], ctrl_high_[i]));
  }
}

void MujocoModel::reset_data(mjData* d) const {
  const mjModel* m = model_;
  d->time = 0;
  std::copy(m->qpos0, m->qpos0 + m->nq, d->qpos);
  std::fill(d->qvel, d->qvel + m->nv, 0.0);
  std::fill(d->act, d->act + m->na, 0.0);
  std::fill(d->ctrl, d->ctrl + m->nu, 0.0);
  std::fill(d->qacc_warmstart, d->qacc_warmstart + m->nv, 0.0);
  std::fill(d->qfrc_applied, d->qfrc_applied + m->nv, 0.0);
  std::fill(d->xfrc_applied, d->xfrc_applied + 6 * m->nbody, 0.0);
  std::fill(d->userdata, d->userdata + m->nuserdata, 0.0);
  for (int b = 0; b < m->nbody; ++b) {
    const int id = m->body_mocapid[b];
    if (id < 0) continue;
    std::copy(m->body_pos + 3 * b, m->body_pos + 3 * b + 3, d->mocap_pos + 3 * id);
    std::copy(m->body_quat + 4 * b, m->body_quat + 4 * b + 4, d->mocap_quat + 4 * id);
  }
  for (int w = 0; w < mjNWARNING; ++w) d->warning[w].number = d->warning[w].lastinfo = 0;
}

std::unique_ptr<mjData, void (*)(mjData*)> MujocoModel::make_data() const {
  mjData* data = mj_makeData(model_);
  MBRL_CHECK(data != nullptr, source_, ": MuJoCo could not allocate mjData");
  return {data, mj_deleteData};
}

std::string_view builtin_model_xml(const std::string& name) {
  for (const auto& entry : detail::builtin_models()) {
    if (name == entry.name) return entry.xml;
  }
  std::string known;
  for (const auto& n : builtin_model_names()) known += (known.empty() ? "" : ", ") + n;
  throw InvalidArgument("model", "expected one of " + known + ", got '" + name + "'");
}

std::vector<std::string> builtin_model_names() {
  std::vector<std::string> out;
  for (const auto& entry : detail::builtin_models()) out.emplace_back(entry.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::shared_ptr<const MujocoModel> load_mujoco_model(const std::string& name,
                                                     const std::string& model_xml) {
  if (!model_xml.empty()) return MujocoModel::from_file(model_xml);
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const MujocoModel>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[name];
  if (!slot) slot = MujocoModel::from_string(name + ".xml", builtin_model_xml(name));
  return slot;
}

}  // namespace mbrl
