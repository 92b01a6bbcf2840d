// RunSchedule: when a run evaluates and checkpoints, counted in the run's own steps (env steps
// for the online loops, gradient steps for an offline loop). It returns what is due; the loop
// does it.
#pragma once

#include <cstdint>
#include <string>

namespace mbrl {

struct RunContext;

/// What is due after a step.
struct RunEvents {
  bool evaluate = false;    // every eval_every steps, and after the last step
  bool checkpoint = false;  // see RunSchedule
};

/// The evaluation and checkpoint cadence of a run of `num_steps` steps. A checkpoint is due at
/// the first step at or after every multiple of `checkpoint_every` at which the loop can take
/// an exact one (`at_boundary`: an online loop's episode boundary; always true for an offline
/// loop), and once more at the end unless one was just taken there. Pure bookkeeping: resumable
/// from the step count alone.
class RunSchedule {
 public:
  struct Options {
    int64_t num_steps = 0;         // >= 1
    int64_t eval_every = 0;        // >= 1
    int64_t checkpoint_every = 0;  // 0: only at the end
  };
  /// steps_done: steps already taken (a resumed run's counter).
  RunSchedule(Options options, int64_t steps_done);

  /// After step t (1-based).
  RunEvents after_step(int64_t t, bool at_boundary);
  /// After the last step t: true unless a checkpoint was taken at t.
  bool final_checkpoint_due(int64_t t) const { return last_checkpoint_ != t; }
  /// Records a checkpoint taken after step t.
  void checkpoint_taken(int64_t t);

  const Options& options() const { return options_; }

 private:
  Options options_;
  int64_t next_checkpoint_ = 0;  // 0: none scheduled
  int64_t last_checkpoint_ = -1;
};

/// Takes a checkpoint through `run.checkpoint` (when the run has one), records it in `schedule`
/// and logs "checkpoint at <unit> <t>" to logger `loop`. The loop sets what its save writes
/// (e.g. the elapsed time) before calling this.
void take_checkpoint(RunContext& run, RunSchedule& schedule, int64_t t, const std::string& loop,
                     const std::string& unit = "env step");

}  // namespace mbrl
