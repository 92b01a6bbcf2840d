// LatentUpMpc: COPlanner's UP-MPC in a world model's imagination (Wang et al., ICLR 2024, on
// DreamerV3): candidates rolled through the latent dynamics, scored by the reward head plus a
// weighted disagreement of the latent transitions.
#pragma once

#include <cstdint>
#include <functional>

#include <ATen/core/Tensor.h>

#include "mbrl/agents/up_mpc.h"
#include "mbrl/models/world/latent_disagreement.h"
#include "mbrl/models/world/world_model.h"

namespace mbrl {

/// The actor sampling at latent features: [M, F] -> actions [M, A] in the world model's [-1, 1]
/// action space.
using LatentPolicy = std::function<at::Tensor(const at::Tensor& features)>;

/// What the plan chose for N states, and every candidate's score terms.
struct LatentPlan {
  at::Tensor rows;                   // [N] int64: the chosen candidate's row k N + n
  at::Tensor candidate_return;       // [K, N] discounted reward-head sum R
  at::Tensor candidate_uncertainty;  // [K, N] discounted disagreement sum U
  at::Tensor planned_return;         // [N] R of the chosen candidate
  at::Tensor planned_uncertainty;    // [N] U of the chosen candidate
};

/// UP-MPC as si0wang/COPlanner Dreamerv3-COPlanner does it (behaviors.py Greedy.policy for the
/// real env, agent.py WorldModel.imagine for imagination): each of N states is repeated K times
/// (candidate-major rows k N + n); candidate k starts with first_actions' row and follows the
/// policy for H_p imagined steps (WorldModel::imagine_step, the prior's samples); over the
/// H_p + 1 states s_0 .. s_H (s_0 the start) with the actions a_i taken there it sums
///   R = sum_i gamma_r^i reward(s_i),  U = sum_i gamma_u^i disagreement(s_i, a_i)
/// (the reference: gamma = 1, its configs.yaml has no discount), and picks the candidate with the
/// highest R + w U (the first on a tie; a non-finite score never wins). The start state's reward
/// is the same for every candidate, as in the reference. Runs without gradients: a caller that
/// wants gradients through the chosen first action selects `rows` of its own first_actions.
/// The whole K x N batch is one pass (UpMpcOptions::max_rows is not used here).
class LatentUpMpc {
 public:
  /// Throws InvalidArgument naming the option on a bad value.
  explicit LatentUpMpc(UpMpcOptions options);

  /// start: N states; first_actions [K N, A]. Every random draw comes from the policy and the
  /// world model's latent generator.
  LatentPlan plan(WorldModel& world_model, LatentDisagreement& disagreement,
                  const LatentState& start, const at::Tensor& first_actions,
                  const LatentPolicy& policy, double uncertainty_weight) const;

  const UpMpcOptions& options() const { return options_; }

 private:
  UpMpcOptions options_;
};

}  // namespace mbrl
