// λ-returns of an imagined trajectory (Sutton & Barto 12.1; DreamerV1-V3).
#pragma once

#include <ATen/core/Tensor.h>

namespace mbrl {

/// For a trajectory of states s_0 .. s_H:
///   R_t = r_{t+1} + gamma c_{t+1} ((1 - lambda) v_{t+1} + lambda R_{t+1}),   R_H = v_H,
/// as DreamerV3's agent.py `lambda_return` (2023 release): rewards and continue flags are those
/// predicted at s_1 .. s_H, values those of s_0 .. s_H.
/// reward, cont: [H, B] (r_1..r_H, c_1..c_H); value: [H + 1, B] (v_0..v_H) -> [H, B]
/// (R_0..R_{H-1}). Differentiable in every input.
at::Tensor lambda_returns(const at::Tensor& reward, const at::Tensor& cont, const at::Tensor& value,
                          double gamma, double lambda);

}  // namespace mbrl
