// RunSchedule: evaluation and checkpoint cadence.
#include "mbrl/algorithms/run_schedule.h"

#include "mbrl/algorithms/algorithm.h"
#include "mbrl/core/check.h"
#include "mbrl/log/log.h"

namespace mbrl {

RunSchedule::RunSchedule(Options options, int64_t steps_done) : options_(options) {
  MBRL_ASSERT(options_.num_steps >= 1 && options_.eval_every >= 1 && options_.checkpoint_every >= 0,
              "RunSchedule(", options_.num_steps, ", ", options_.eval_every, ", ",
              options_.checkpoint_every, ")");
  const int64_t every = options_.checkpoint_every;
  next_checkpoint_ = every > 0 ? (steps_done / every + 1) * every : 0;
}

RunEvents RunSchedule::after_step(int64_t t, bool at_boundary) {
  RunEvents e;
  e.evaluate = t % options_.eval_every == 0 || t == options_.num_steps;
  e.checkpoint = next_checkpoint_ > 0 && at_boundary && t >= next_checkpoint_;
  return e;
}

void RunSchedule::checkpoint_taken(int64_t t) {
  const int64_t every = options_.checkpoint_every;
  next_checkpoint_ = every > 0 ? (t / every + 1) * every : 0;
  last_checkpoint_ = t;
}

void take_checkpoint(RunContext& run, RunSchedule& schedule, int64_t t, const std::string& loop,
                     const std::string& unit) {
  if (!run.checkpoint) return;
  run.checkpoint();
  schedule.checkpoint_taken(t);
  log::logger(loop)->info("checkpoint at {} {}", unit, t);
}

}  // namespace mbrl
