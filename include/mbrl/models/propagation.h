// Propagation: how model rollouts assign particles (rows) to ensemble members at each step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace mbrl {

/// How a rollout picks the member that predicts each particle (Chua et al. 2018, section 4.2).
/// YAML names in parentheses.
enum class Propagation {
  kTs1,          ///< (ts1) particles are dealt to members anew every step
  kTsInf,        ///< (ts_inf) each particle keeps one member for the whole rollout
  kExpectation,  ///< (expectation) every member predicts; means and logvars are averaged
  kRandomModel,  ///< (random_model) every step each row draws a member uniformly, independently
};

/// Maps a YAML name to a Propagation; throws InvalidArgument("propagation", ...) listing the
/// allowed names otherwise.
Propagation parse_propagation(const std::string& name);
std::string propagation_name(Propagation p);

/// The member group of each of n rows for one step, [n] int64 in [0, groups), on the
/// generator's device. Row r is particle r % particles of its candidate (rows are laid out
/// candidate-major, particles innermost):
///   - ts_inf: group (r % particles) % groups, the same every step (no random draw), so each
///     candidate's particles are spread evenly over the groups, as in PETS;
///   - ts1: group perm_c[r % particles] % groups with perm_c a fresh random permutation of the
///     particles drawn for each candidate c = r / particles, as PETS's TS1 (Chua et al.'s
///     MPC._predict_next_obs sorts uniform keys of shape [population, particles] every step),
///     so each candidate's spread stays even and candidates are dealt independently;
///   - random_model: a uniform independent draw per row.
/// With particles = n (rows without candidate structure, as in Dyna rollouts) ts_inf keeps row
/// r on group r % groups and ts1 deals rows evenly at random. Not defined for expectation.
at::Tensor draw_groups(Propagation method, int64_t n, int64_t particles, int64_t groups,
                       at::Generator& gen);

/// Rows grouped by member for one batched forward pass: group g holds rows
/// order[offsets[g], offsets[g+1]).
struct MemberAssignment {
  at::Tensor order;              // [n] int64, a permutation of the rows (stable within a group)
  std::vector<int64_t> offsets;  // groups + 1 values from 0 to n
};

/// group: [n] int64 in [0, groups) -> the rows sorted by group.
MemberAssignment group_rows(const at::Tensor& group, int64_t groups);

}  // namespace mbrl
