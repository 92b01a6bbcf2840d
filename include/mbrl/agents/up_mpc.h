// UP-MPC: COPlanner's uncertainty-aware policy-guided model predictive control (Wang et al.,
// ICLR 2024, "COPlanner: Plan to Roll Out Conservatively but to Explore Optimistically for
// Model-Based RL"), the planner behind its conservative model rollouts and optimistic
// exploration.
#pragma once

#include <cstdint>
#include <functional>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

namespace mbrl {

class ConfigNode;
class ModelEnv;

/// A stochastic policy the plan follows: obs [N, obs_dim] -> actions [N, act_dim] in the env's
/// action space, on obs's device (e.g. SacAgent::act_batch with sampling).
using PolicySampler = std::function<at::Tensor(const at::Tensor& obs)>;

/// Options of UpMpc; each field is a YAML key of the `coplanner:` section. Defaults are the
/// paper's proprioceptive settings (K = 5, H_p = 5) and si0wang/COPlanner main_mbpo.py's
/// discounts (reward_gamma = uncertainty_gamma = 0.97).
struct UpMpcOptions {
  /// Candidate action sequences K per state, >= 1 (main_mbpo.py: ntraj).
  TORCH_ARG(int64_t, candidates) = 5;
  /// Planning horizon H_p in model steps, >= 1 (main_mbpo.py: planning_horizon).
  TORCH_ARG(int64_t, horizon) = 5;
  /// Discount gamma_r of the planned rewards, in [0, 1] (reward_gamma).
  TORCH_ARG(double, reward_discount) = 0.97;
  /// Discount gamma_u of the planned disagreement, in [0, 1] (uncertainty_gamma).
  TORCH_ARG(double, uncertainty_discount) = 0.97;
  /// Most model rows (candidates x states) in one batched pass, >= candidates: larger state
  /// batches are planned in slices of max_rows / candidates states (memory, not math: the
  /// reference plans 25,000 start states x 5 candidates at once).
  TORCH_ARG(int64_t, max_rows) = 125000;
};

/// Throws InvalidArgument naming the option when `options` is not valid.
void check_up_mpc_options(const UpMpcOptions& options);

/// The row k N + n of each state's best candidate: score [K N] candidate-major -> [N] int64. The
/// first maximum wins a tie and a non-finite score never wins (a diverged candidate).
at::Tensor best_candidate_rows(const at::Tensor& score, int64_t candidates);

/// What UP-MPC chose for N states.
struct UpMpcPlan {
  at::Tensor action;               // [N, act_dim] the best candidate's first action
  at::Tensor planned_return;       // [N] its discounted model return R
  at::Tensor planned_uncertainty;  // [N] its discounted disagreement U
};

/// UP-MPC as si0wang/COPlanner implements it (MuJoCo-MBPO-COPlanner/sac/sac.py
/// `MPC_select_action`, predict_env.py `step`): for each of N states, K candidate sequences
/// start from K draws of the policy; each is rolled H_p steps through the model, the policy
/// drawing every later action at the imagined state (closed loop), and scored by
///   R + w U,  R = sum_i gamma_r^i r_i,  U = sum_i gamma_u^i u_i,
/// where u_i is Uncertainty::sample_std of step i: one next-state (and reward) draw per member of
/// the whole ensemble, the population std over members, averaged over the target dims. The
/// state that follows each step is the ModelEnv's own draw (for MBPO's random_model propagation,
/// a random elite's sample). The first action of the best-scoring candidate is returned (the
/// first one on a tie). w < 0 penalises disagreement (conservative rollouts), w > 0 rewards it
/// (optimistic exploration).
///
/// As the reference, the score has no terminal value and ignores predicted termination (a
/// candidate keeps accumulating after a terminal step). All K x N rows go through ModelEnv::step
/// at once (in slices of max_rows), laid out candidate-major (row k N + n), as the reference's
/// `repeat`. Runs without gradients; random numbers come from the policy's and the ModelEnv's
/// generators.
class UpMpc {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  explicit UpMpc(UpMpcOptions options);

  /// obs [N, obs_dim] -> the plan for every row with uncertainty weight w. `model_env` must
  /// report uncertainty (an UncertaintyAware model).
  UpMpcPlan plan(ModelEnv& model_env, const PolicySampler& policy, const at::Tensor& obs,
                 double uncertainty_weight) const;

  const UpMpcOptions& options() const { return options_; }

 private:
  // one slice of at most max_rows / K states
  UpMpcPlan plan_slice(ModelEnv& model_env, const PolicySampler& policy, const at::Tensor& obs,
                       double uncertainty_weight) const;

  UpMpcOptions options_;
};

/// COPlanner on a Dyna learner (Wang et al. 2024, Algorithm 1): UP-MPC with weight
/// -conservative_weight picks the actions of model rollouts, and with +optimistic_weight the
/// actions taken in the real environment. Each field is a YAML key of the `coplanner:` section.
struct CoplannerOptions {
  TORCH_ARG(UpMpcOptions, planner) = UpMpcOptions();
  /// alpha_c >= 0 (the paper's proprioceptive tasks: 2; main_mbpo.py: conservative_rate).
  TORCH_ARG(double, conservative_weight) = 2.0;
  /// alpha_o >= 0 (the paper's proprioceptive tasks: 1; main_mbpo.py: optimistic_rate).
  TORCH_ARG(double, optimistic_weight) = 1.0;
  /// Plan the actions of model rollouts (false: the policy samples them, as the base learner).
  TORCH_ARG(bool, conservative_rollouts) = true;
  /// Plan the actions taken in the real env (false: the policy samples them).
  TORCH_ARG(bool, optimistic_exploration) = true;
};

/// Reads CoplannerOptions (UpMpcOptions' keys flat beside the others) from the `coplanner:`
/// section; every key optional. Throws InvalidArgument naming the key on a bad value.
CoplannerOptions coplanner_options_from_config(const ConfigNode& node);

}  // namespace mbrl
