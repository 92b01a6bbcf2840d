// Element-wise CPU kernels: AVX-512 / AVX2 intrinsics chosen at run time on x86-64 (SiLU, Adam),
// compiler clones per instruction set (GCC), and plain loops for the tails and other CPUs.
#include "vector_kernels.h"

#include <cmath>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MBRL_HAVE_X86_KERNELS 1
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own undefined-vector idiom
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define MBRL_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MBRL_VECTOR_CLONES
#endif

namespace mbrl::detail {
namespace {

// exp(-v), written so the compiler vectorizes it: 2^t with t = -v log2(e) split into an integer
// k (rounded with the 1.5 * 2^23 trick) and a fraction f in [-0.5, 0.5], 2^f by its degree-6
// Taylor polynomial (relative error < 2e-7), 2^k by building the float's exponent bits
inline float exp_neg(float v) {
  float t = -v * 1.44269504f;
  t = t < -126.0f ? -126.0f : t;
  t = t > 126.0f ? 126.0f : t;
  const float rounded = t + 12582912.0f;
  const float f = t - (rounded - 12582912.0f);
  const float p =
      1.0f +
      f * (0.69314718f +
           f * (0.24022650f +
                f * (0.05550411f + f * (0.00961813f + f * (0.00133336f + f * 0.00015404f)))));
  int32_t bits;
  std::memcpy(&bits, &rounded, sizeof bits);
  bits = (bits - 0x4B400000 + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

#ifdef MBRL_HAVE_X86_KERNELS
// sigmoid(v) = 1 / (1 + exp(-v)) on 16 lanes: exp_neg as above, the reciprocal from rcp14 refined
// by one Newton step (relative error ~1e-7 instead of a slow division)
__attribute__((target("avx512f"))) inline __m512 sigmoid16(__m512 v) {
  const __m512 one = _mm512_set1_ps(1.0f), magic = _mm512_set1_ps(12582912.0f);
  __m512 t = _mm512_mul_ps(v, _mm512_set1_ps(-1.44269504f));
  t = _mm512_min_ps(_mm512_max_ps(t, _mm512_set1_ps(-126.0f)), _mm512_set1_ps(126.0f));
  const __m512 rounded = _mm512_add_ps(t, magic);
  const __m512 f = _mm512_sub_ps(t, _mm512_sub_ps(rounded, magic));
  __m512 p = _mm512_fmadd_ps(f, _mm512_set1_ps(0.00015404f), _mm512_set1_ps(0.00133336f));
  p = _mm512_fmadd_ps(f, p, _mm512_set1_ps(0.00961813f));
  p = _mm512_fmadd_ps(f, p, _mm512_set1_ps(0.05550411f));
  p = _mm512_fmadd_ps(f, p, _mm512_set1_ps(0.24022650f));
  p = _mm512_fmadd_ps(f, p, _mm512_set1_ps(0.69314718f));
  p = _mm512_fmadd_ps(f, p, one);
  const __m512i bits = _mm512_slli_epi32(
      _mm512_sub_epi32(_mm512_castps_si512(rounded), _mm512_set1_epi32(0x4B400000 - 127)), 23);
  const __m512 d = _mm512_fmadd_ps(p, _mm512_castsi512_ps(bits), one);
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

// the same on 8 lanes with AVX2 and FMA (rcp has 12 bits; one Newton step gives ~23)
__attribute__((target("avx2,fma"))) inline __m256 sigmoid8(__m256 v) {
  const __m256 one = _mm256_set1_ps(1.0f), magic = _mm256_set1_ps(12582912.0f);
  __m256 t = _mm256_mul_ps(v, _mm256_set1_ps(-1.44269504f));
  t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(-126.0f)), _mm256_set1_ps(126.0f));
  const __m256 rounded = _mm256_add_ps(t, magic);
  const __m256 f = _mm256_sub_ps(t, _mm256_sub_ps(rounded, magic));
  __m256 p = _mm256_fmadd_ps(f, _mm256_set1_ps(0.00015404f), _mm256_set1_ps(0.00133336f));
  p = _mm256_fmadd_ps(f, p, _mm256_set1_ps(0.00961813f));
  p = _mm256_fmadd_ps(f, p, _mm256_set1_ps(0.05550411f));
  p = _mm256_fmadd_ps(f, p, _mm256_set1_ps(0.24022650f));
  p = _mm256_fmadd_ps(f, p, _mm256_set1_ps(0.69314718f));
  p = _mm256_fmadd_ps(f, p, one);
  const __m256i bits = _mm256_slli_epi32(
      _mm256_sub_epi32(_mm256_castps_si256(rounded), _mm256_set1_epi32(0x4B400000 - 127)), 23);
  const __m256 d = _mm256_fmadd_ps(p, _mm256_castsi256_ps(bits), one);
  const __m256 r = _mm256_rcp_ps(d);
  return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
}

// each returns how many leading elements it handled
__attribute__((target("avx512f"))) int64_t silu_avx512(float* z, float* s, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(z + i), sig = sigmoid16(v);
    if (s != nullptr) _mm512_storeu_ps(s + i, sig);
    _mm512_storeu_ps(z + i, _mm512_mul_ps(v, sig));
  }
  return i;
}

__attribute__((target("avx2,fma"))) int64_t silu_avx2(float* z, float* s, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(z + i), sig = sigmoid8(v);
    if (s != nullptr) _mm256_storeu_ps(s + i, sig);
    _mm256_storeu_ps(z + i, _mm256_mul_ps(v, sig));
  }
  return i;
}

enum class Isa { kBaseline, kAvx2, kAvx512 };

Isa best_isa() {
  static const Isa isa = __builtin_cpu_supports("avx512f") ? Isa::kAvx512
                         : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                             ? Isa::kAvx2
                             : Isa::kBaseline;
  return isa;
}
#endif

// z <- silu(z), and s <- sigmoid(z) when s is not null
void silu(float* z, float* s, int64_t n) {
  int64_t i = 0;
#ifdef MBRL_HAVE_X86_KERNELS
  if (best_isa() == Isa::kAvx512) i = silu_avx512(z, s, n);
  if (best_isa() == Isa::kAvx2) i = silu_avx2(z, s, n);
#endif
  for (; i < n; ++i) {
    const float sig = 1.0f / (1.0f + exp_neg(z[i]));
    if (s != nullptr) s[i] = sig;
    z[i] *= sig;
  }
}

}  // namespace

void silu_inplace(float* x, int64_t n) { silu(x, nullptr, n); }

void silu_with_sigmoid(float* z, float* s, int64_t n) { silu(z, s, n); }

MBRL_VECTOR_CLONES void silu_backward_inplace(float* __restrict grad, const float* __restrict h,
                                              const float* __restrict s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad[i] *= s[i] + h[i] * (1.0f - s[i]);
}

MBRL_VECTOR_CLONES void column_sums(const float* __restrict x, int64_t rows, int64_t width,
                                    float* __restrict out) {
  for (int64_t j = 0; j < width; ++j) out[j] = 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * width;
    for (int64_t j = 0; j < width; ++j) out[j] += row[j];
  }
}

namespace {

// one element of Adam; the vector version below computes exactly the same operations
inline void adam_element(float& p, float& m, float& v, float g, float b1, float b2, float step_size,
                         float bc2_sqrt, float eps) {
  m = b1 * m + (1.0f - b1) * g;
  v = b2 * v + (1.0f - b2) * (g * g);
  p -= step_size * m / (std::sqrt(v) / bc2_sqrt + eps);
}

#ifdef MBRL_HAVE_X86_KERNELS
// eight elements at a time (GCC keeps sqrt scalar in plain loops because of errno)
__attribute__((target("avx2"))) int64_t adam_avx2(float* p, float* m, float* v, const float* g0,
                                                  const float* g1, int64_t n, float wd, float b1,
                                                  float b2, float step_size, float bc2_sqrt,
                                                  float eps) {
  const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2);
  const __m256 vc1 = _mm256_set1_ps(1.0f - b1), vc2 = _mm256_set1_ps(1.0f - b2);
  const __m256 vwd = _mm256_set1_ps(wd), vstep = _mm256_set1_ps(step_size);
  const __m256 vbc2 = _mm256_set1_ps(bc2_sqrt), veps = _mm256_set1_ps(eps);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 pp = _mm256_loadu_ps(p + i);
    __m256 g = _mm256_loadu_ps(g0 + i);
    if (g1 != nullptr) g = _mm256_add_ps(g, _mm256_loadu_ps(g1 + i));
    g = _mm256_add_ps(g, _mm256_mul_ps(vwd, pp));
    __m256 mm = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(vc1, g));
    __m256 vv = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)),
                              _mm256_mul_ps(vc2, _mm256_mul_ps(g, g)));
    __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vv), vbc2), veps);
    pp = _mm256_sub_ps(pp, _mm256_div_ps(_mm256_mul_ps(vstep, mm), denom));
    _mm256_storeu_ps(m + i, mm);
    _mm256_storeu_ps(v + i, vv);
    _mm256_storeu_ps(p + i, pp);
  }
  return i;
}
#endif

}  // namespace

void adam_update(float* p, float* m, float* v, const float* g0, const float* g1, int64_t n,
                 float wd, float b1, float b2, float step_size, float bc2_sqrt, float eps) {
  int64_t i = 0;
#ifdef MBRL_HAVE_X86_KERNELS
  if (best_isa() != Isa::kBaseline)
    i = adam_avx2(p, m, v, g0, g1, n, wd, b1, b2, step_size, bc2_sqrt, eps);
#endif
  for (; i < n; ++i) {
    const float g = (g1 != nullptr ? g0[i] + g1[i] : g0[i]) + wd * p[i];
    adam_element(p[i], m[i], v[i], g, b1, b2, step_size, bc2_sqrt, eps);
  }
}

}  // namespace mbrl::detail
