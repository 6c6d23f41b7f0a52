// Transpose: each output element reads the input element its coordinates map to.
#include "grid.cuh"
#include "launch.hpp"

namespace kiln::cuda_kernels {

namespace {

__global__ void gather_kernel(const float* x, float* y, i64 n, Gather g) {
  KILN_FOR_EACH(i, n) {
    i64 rest = i, at = 0;
    for (int d = g.rank - 1; d >= 0; --d) {
      at += (rest % g.dims[d]) * g.strides[d];
      rest /= g.dims[d];
    }
    y[i] = x[at];
  }
}

}  // namespace

void transpose(const float* x, float* y, i64 n, const Gather& index, cudaStream_t stream) {
  gather_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, y, n, index);
}

}  // namespace kiln::cuda_kernels
