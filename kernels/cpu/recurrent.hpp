// _FusedLSTMGates (fuse-lstm-gates' form of one LSTM step's gate arithmetic): per batch row,
// the four gate blocks of z are read in place and both new states written in one pass. oneDNN
// has no primitive for gates alone (its LSTM primitive owns the whole loop), and the products
// before the gates already run on oneDNN.
//
// Five sigmoids and tanhs per unit and step make this step the loop's second cost after the
// recurrent product, so the functions are written here as plain loops over a vectorizable exp
// (range reduction to [-ln2/2, ln2/2], Cody-Waite split of ln 2, Cephes' degree-6 polynomial:
// about 1 ulp) that the compiler turns into AVX-512, AVX2 or SSE code, picked at load time.
#pragma once

#include <cstdint>
#include <cstring>

#include <kiln/kernels/prepared_kernel.hpp>

namespace kiln::cpu_kernels {

// GCC vectorizes the clamps below only when comparisons may not trap (they cannot here: no
// floating-point exception is ever unmasked in Kiln); clang does by default.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

namespace lstm_math {

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

// One batch row: gate blocks input, forget, candidate, output of `units` each.
inline void row(const float* __restrict z, const float* __restrict c, float* __restrict h,
                float* __restrict next, std::int64_t units) {
  for (std::int64_t u = 0; u < units; ++u) {
    const float value = sigmoid(z[units + u]) * c[u] + sigmoid(z[u]) * tanh(z[2 * units + u]);
    next[u] = value;
    h[u] = sigmoid(z[3 * units + u]) * tanh(value);
  }
}

// One clone per instruction set; the loader picks the best the machine has. (static: each
// translation unit that includes this keeps its own, as target_clones asks.)
__attribute__((target_clones("avx512f", "avx2", "default"))) static void gates(
    const float* z, const float* c, float* h_next, float* c_next, std::int64_t batch,
    std::int64_t units) {
  for (std::int64_t b = 0; b < batch; ++b) {
    row(z + b * 4 * units, c + b * units, h_next + b * units, c_next + b * units, units);
  }
}

}  // namespace lstm_math

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

class LSTMGatesKernel final : public PreparedKernel {
 public:
  LSTMGatesKernel(std::int64_t batch, std::int64_t units) : batch_(batch), units_(units) {
    implementation_ = "kiln lstm gates";
  }

  void run(const KernelArgs& args) const override {
    lstm_math::gates(static_cast<const float*>(args.inputs[0]), static_cast<const float*>(args.inputs[1]),
                     static_cast<float*>(args.outputs[0]), static_cast<float*>(args.outputs[1]), batch_,
                     units_);
  }

 private:
  std::int64_t batch_, units_;
};

inline KernelPtr make_lstm_gates_kernel(const KernelRequest& request) {
  if (request.inputs[0].dtype != DType::float32) return request.decline("float32 only");
  const Shape& z = request.inputs[0].shape;
  if (z.num_elements() == 0) return request.decline("empty input");
  return std::make_unique<LSTMGatesKernel>(z.dim(0), z.dim(1) / 4);
}

}  // namespace kiln::cpu_kernels
