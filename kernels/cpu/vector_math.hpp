// Float math for Kiln's own cpu loops, written so that the compiler vectorizes it: exp, sigmoid
// and tanh as plain functions over a vectorizable exp (range reduction to [-ln2/2, ln2/2],
// Cody-Waite split of ln 2, Cephes' degree-6 polynomial: about 1 ulp), and the loops built on
// them. A loop marked KILN_VECTOR_CLONES is compiled once per instruction set (AVX-512, AVX2 with
// FMA, baseline) and the loader picks the best the machine has: Kiln is built for baseline x86-64.
#pragma once

#include <cstdint>
#include <cstring>

// (static: each translation unit that includes a cloned function keeps its own, as
// target_clones asks.) "arch=x86-64-v3" rather than "avx2": AVX2 alone leaves out FMA.
#if defined(__x86_64__)
#define KILN_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) static
#else
#define KILN_VECTOR_CLONES static
#endif

// GCC vectorizes the clamps below only when comparisons may not trap (they cannot here: no
// floating-point exception is ever unmasked in Kiln); clang does by default. The loops that use
// these functions sit between the same two marks, so that GCC inlines them.
#if defined(__GNUC__) && !defined(__clang__)
#define KILN_VECTOR_MATH_BEGIN \
  _Pragma("GCC push_options") _Pragma("GCC optimize(\"no-trapping-math\")")
#define KILN_VECTOR_MATH_END _Pragma("GCC pop_options")
#else
#define KILN_VECTOR_MATH_BEGIN
#define KILN_VECTOR_MATH_END
#endif

KILN_VECTOR_MATH_BEGIN

namespace kiln::cpu_kernels::vector_math {

inline float exp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // n = round(x / ln 2), by truncating a positive number: x / ln 2 + 128.5 lies in [3, 256].
  const std::int32_t n = static_cast<std::int32_t>(x * 1.44269504088896341f + 128.5f) - 128;
  const float r = (x - static_cast<float>(n) * 0.693359375f) - static_cast<float>(n) * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const std::int32_t bits = (n + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

// 2 sigmoid(2x) - 1: absolute error about 1e-7 near 0, where tanh(x) ~ x.
inline float tanh(float x) { return 2.0f / (1.0f + exp(-2.0f * x)) - 1.0f; }

// GELU's tanh form, x/2 (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3), written as
// x sigmoid(2u): the same function, without the cancellation of 1 + tanh(u) where u is very
// negative. `y` may be `x`. oneDNN 2.6's gelu_tanh (post-op or eltwise) took 1.7 ms on a
// [128, 3072] feed-forward output on AVX2; this loop 0.7-1.0 ms.
KILN_VECTOR_CLONES void gelu_tanh(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = v * sigmoid(1.5957691216f * (v + 0.044715f * v * v * v));
  }
}

}  // namespace kiln::cpu_kernels::vector_math

KILN_VECTOR_MATH_END
