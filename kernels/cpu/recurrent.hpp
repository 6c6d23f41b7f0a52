// _FusedLSTMGates (fuse-lstm-gates' form of one LSTM step's gate arithmetic): per batch row,
// the four gate blocks of z are read in place and both new states written in one pass. oneDNN
// has no primitive for gates alone (its LSTM primitive owns the whole loop), and the products
// before the gates already run on oneDNN.
//
// Five sigmoids and tanhs per unit and step make this step the loop's second cost after the
// recurrent product, so it is a plain loop over vector_math's functions, which the compiler
// turns into AVX-512, AVX2 or SSE code, picked at load time.
#pragma once

#include <cstdint>

#include <kiln/kernels/prepared_kernel.hpp>

#include "vector_math.hpp"

namespace kiln::cpu_kernels {

KILN_VECTOR_MATH_BEGIN
namespace lstm_math {

using vector_math::sigmoid;
using vector_math::tanh;

// One batch row: gate blocks input, forget, candidate, output of `units` each.
inline void row(const float* __restrict z, const float* __restrict c, float* __restrict h,
                float* __restrict next, std::int64_t units) {
  for (std::int64_t u = 0; u < units; ++u) {
    const float value = sigmoid(z[units + u]) * c[u] + sigmoid(z[u]) * tanh(z[2 * units + u]);
    next[u] = value;
    h[u] = sigmoid(z[3 * units + u]) * tanh(value);
  }
}

KILN_VECTOR_CLONES void gates(
    const float* z, const float* c, float* h_next, float* c_next, std::int64_t batch,
    std::int64_t units) {
  for (std::int64_t b = 0; b < batch; ++b) {
    row(z + b * 4 * units, c + b * units, h_next + b * units, c_next + b * units, units);
  }
}

}  // namespace lstm_math
KILN_VECTOR_MATH_END

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
