// Element-wise CPU kernels of the model layer's hot loops (SiLU, Adam), vectorized for the CPU
// found at run time, so the library needs no -march flags.
#pragma once

#include <cstdint>

namespace mbrl::detail {

/// x[i] <- x[i] * sigmoid(x[i]) for n floats. exp is a degree-5 polynomial on the fraction of a
/// power of two and the reciprocal a hardware estimate refined by a Newton step (relative error
/// below 1e-6 against at::silu); NaN stays NaN.
void silu_inplace(float* x, int64_t n);

/// s[i] <- sigmoid(z[i]); z[i] <- z[i] * s[i] (the forward of SiLU keeping what its derivative
/// needs), for n floats.
void silu_with_sigmoid(float* z, float* s, int64_t n);

/// grad[i] *= s[i] + h[i] (1 - s[i]): the SiLU derivative from h = silu(z) and s = sigmoid(z).
void silu_backward_inplace(float* grad, const float* h, const float* s, int64_t n);

/// out[j] = sum over rows r of x[r * width + j]: the bias gradient of a layer from its output
/// gradient x ([rows, width], row-major).
void column_sums(const float* x, int64_t rows, int64_t width, float* out);

/// Adam with L2 decay over n floats, as torch::optim::Adam: g = g0 + g1 (g1 may be null) + wd p;
/// m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; p <- p - step_size m / (sqrt(v) / bc2_sqrt
/// + eps).
void adam_update(float* p, float* m, float* v, const float* g0, const float* g1, int64_t n,
                 float wd, float b1, float b2, float step_size, float bc2_sqrt, float eps);

}  // namespace mbrl::detail
