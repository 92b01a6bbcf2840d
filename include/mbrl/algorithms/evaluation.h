// Evaluation of an agent: deterministic episodes from fixed seeds, the `eval` metrics group,
// and the evaluation history a checkpoint carries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mbrl/agents/agent.h"
#include "mbrl/envs/env.h"
#include "mbrl/io/archive_fwd.h"

namespace mbrl {

class MetricsWriter;

/// One evaluation: mean and (population) std of deterministic returns.
struct Evaluation {
  int64_t env_steps = 0;
  double mean_return = 0;
  double std_return = 0;
};

/// Mean and std of `episodes` deterministic (ActMode::kEval) returns of `agent` on `env`; episode
/// i is reset with seed + i, so every evaluation sees the same start states.
Evaluation evaluate_agent(Env& env, Agent& agent, int64_t episodes, uint64_t seed,
                          int64_t env_steps);
/// evaluate_agent after `env_steps` steps, appended to `history` and logged as one `eval` row.
void evaluate_and_log(Env& env, Agent& agent, int64_t episodes, uint64_t seed, int64_t env_steps,
                      MetricsWriter& metrics, double elapsed_s, std::vector<Evaluation>& history);
/// "eval -145.2 at 20000" for the last evaluation of `history` (a progress status), "" if none.
std::string evaluation_status(const std::vector<Evaluation>& history);
/// Declares the group `eval` (eval.csv: env_steps, eval_return, eval_return_std, elapsed_s).
void declare_evaluation_metrics(MetricsWriter& metrics);
/// Writes one row of the `eval` group.
void log_evaluation(MetricsWriter& metrics, const Evaluation& e, double elapsed_s);
/// Writes / reads a list of evaluations under `key` of a checkpoint (DataError when missing).
void write_evaluations(torch::serialize::OutputArchive& archive, const std::string& key,
                       const std::vector<Evaluation>& evaluations);
std::vector<Evaluation> read_evaluations(torch::serialize::InputArchive& archive,
                                         const std::string& key);

}  // namespace mbrl
