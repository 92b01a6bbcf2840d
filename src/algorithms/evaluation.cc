// Evaluations: deterministic episodes, the `eval` group and checkpoint entries.
#include "mbrl/algorithms/evaluation.h"

#include <cstdio>

#include <torch/torch.h>

#include "mbrl/algorithms/episode.h"
#include "mbrl/core/check.h"
#include "mbrl/log/metrics.h"

namespace mbrl {

std::string evaluation_status(const std::vector<Evaluation>& history) {
  if (history.empty()) return "";
  char buf[96];
  std::snprintf(buf, sizeof(buf), "eval %.1f at %lld", history.back().mean_return,
                static_cast<long long>(history.back().env_steps));
  return buf;
}

void declare_evaluation_metrics(MetricsWriter& metrics) {
  metrics.add_group("eval", "eval.csv",
                    {{"env_steps", MetricFormat::kInt},
                     {"eval_return", MetricFormat::kFloat},
                     {"eval_return_std", MetricFormat::kFloat},
                     {"elapsed_s", MetricFormat::kSeconds}});
}

Evaluation evaluate_agent(Env& env, Agent& agent, int64_t episodes, uint64_t seed,
                          int64_t env_steps) {
  std::vector<double> returns;
  for (int64_t i = 0; i < episodes; ++i) {
    returns.push_back(
        run_episode(env, agent, ActMode::kEval, nullptr, seed + static_cast<uint64_t>(i))
            .episode_return);
  }
  auto [mean, std] = mean_std(returns);
  return {env_steps, mean, std};
}

void evaluate_and_log(Env& env, Agent& agent, int64_t episodes, uint64_t seed, int64_t env_steps,
                      MetricsWriter& metrics, double elapsed_s, std::vector<Evaluation>& history) {
  history.push_back(evaluate_agent(env, agent, episodes, seed, env_steps));
  log_evaluation(metrics, history.back(), elapsed_s);
}

void log_evaluation(MetricsWriter& metrics, const Evaluation& e, double elapsed_s) {
  metrics.log("eval", "env_steps", static_cast<double>(e.env_steps));
  metrics.log("eval", "eval_return", e.mean_return);
  metrics.log("eval", "eval_return_std", e.std_return);
  metrics.log("eval", "elapsed_s", elapsed_s);
  metrics.dump("eval");
}

void write_evaluations(torch::serialize::OutputArchive& archive, const std::string& key,
                       const std::vector<Evaluation>& evaluations) {
  at::Tensor t = torch::zeros({static_cast<int64_t>(evaluations.size()), 3}, torch::kFloat64);
  auto* v = t.data_ptr<double>();
  for (const auto& e : evaluations) {
    *v++ = static_cast<double>(e.env_steps);
    *v++ = e.mean_return;
    *v++ = e.std_return;
  }
  archive.write(key, t);
}

std::vector<Evaluation> read_evaluations(torch::serialize::InputArchive& archive,
                                         const std::string& key) {
  at::Tensor t;
  if (!archive.try_read(key, t) || t.dim() != 2 || t.size(1) != 3)
    throw DataError("checkpoint entry '" + key + "' is missing or malformed");
  t = t.to(torch::kFloat64).contiguous();
  const double* v = t.data_ptr<double>();
  std::vector<Evaluation> out;
  for (int64_t i = 0; i < t.size(0); ++i, v += 3)
    out.push_back({static_cast<int64_t>(v[0]), v[1], v[2]});
  return out;
}

}  // namespace mbrl
