// Reductions (Sum, Mean, Max, Min) over any set of axes: one thread per output element walks the
// reduced elements through their strides. Simple rather than fast; the models Kiln meets reduce
// small tensors (global pooling, layer statistics) or few axes.
#include "grid.cuh"
#include "launch.hpp"

namespace kiln::cuda_kernels {

namespace {

__device__ i64 offset_of(i64 index, int rank, const i64* dims, const i64* strides) {
  i64 at = 0;
  for (int d = rank - 1; d >= 0; --d) {
    at += (index % dims[d]) * strides[d];
    index /= dims[d];
  }
  return at;
}

__global__ void reduce_kernel(Reduce op, const float* x, float* y, i64 outputs, ReduceIndex r) {
  KILN_FOR_EACH(o, outputs) {
    const float* base = x + offset_of(o, r.kept_rank, r.kept_dims, r.kept_strides);
    float acc = op == Reduce::max ? -INFINITY : op == Reduce::min ? INFINITY : 0.f;
    for (i64 k = 0; k < r.reduced_count; ++k) {
      const float v = base[offset_of(k, r.reduced_rank, r.reduced_dims, r.reduced_strides)];
      if (op == Reduce::max)
        acc = fmaxf(acc, v);
      else if (op == Reduce::min)
        acc = fminf(acc, v);
      else
        acc += v;
    }
    y[o] = op == Reduce::mean ? acc / static_cast<float>(r.reduced_count) : acc;
  }
}

}  // namespace

void reduce(Reduce op, const float* x, float* y, i64 outputs, const ReduceIndex& index,
            cudaStream_t stream) {
  reduce_kernel<<<blocks_for(outputs), kThreads, 0, stream>>>(op, x, y, outputs, index);
}

}  // namespace kiln::cuda_kernels
