// One (batched) matrix product on cuBLASLt, with the epilogue cuBLASLt fuses: bias, residual
// (C with beta = 1) and ReLU or tanh-GELU. Used by MatMul and BatchMatMul (matmul.cpp) and by
// the convolutions, as products of patches and filters (conv.cpp).
//
// Kiln's tensors are row-major and cuBLASLt's matrices column-major. A row-major [m, n] matrix
// is the column-major [n, m] matrix of the same bytes, so out = a x b is computed as
// out^T = b^T x a^T: cuBLASLt's first operand is Kiln's b, its second is a, and nothing moves.
//
// Preparing needs no device: the descriptors, and the algorithm cuBLASLt's heuristic picks for
// the instance's buffers, are made on an instance's first run and kept in its state.
#pragma once

#include <memory>
#include <string>

#include "common.hpp"
#include "epilogue.hpp"

namespace kiln::cuda_kernels {

// out[batch][m][n] = op(a)[m][k] x op(b)[k][n], all row-major; a stored [k, m] when trans_a.
struct GemmShape {
  i64 m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  i64 batch = 1;
  i64 stride_a = 0, stride_b = 0;  // elements between the batch's matrices; 0: one for all
};

class Gemm {
 public:
  Gemm(GemmShape shape, bool bias, bool residual, ProductActivation activation);

  std::unique_ptr<KernelState> make_state() const;
  // bias: [n], or null; residual: like out (may be out itself), or null.
  void run(KernelState& state, const Queue& queue, const float* a, const float* b,
           const float* bias, const float* residual, float* out) const;

 private:
  // The descriptors and the algorithm, made on an instance's first run.
  void describe(KernelState& state, const Queue& queue, const float* a, const float* b,
                const float* bias, const float* residual, float* out) const;

  GemmShape shape_;
  bool bias_, residual_;
  ProductActivation activation_;
};

}  // namespace kiln::cuda_kernels
