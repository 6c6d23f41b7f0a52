// Row-wise device kernels over the last axis: softmax, log-softmax and layer normalization.
// One block per row: its threads stride over the columns and meet in shared-memory reductions.
#include <cfloat>

#include "grid.cuh"
#include "launch.hpp"

namespace kiln::cuda_kernels {

namespace {

// The block-wide sum (or max) of each thread's `v`; every thread gets the result.
template <bool kMax>
__device__ float block_reduce(float v) {
  __shared__ float partial[kThreads];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      const float other = partial[threadIdx.x + half];
      partial[threadIdx.x] =
          kMax ? fmaxf(partial[threadIdx.x], other) : partial[threadIdx.x] + other;
    }
    __syncthreads();
  }
  const float result = partial[0];
  __syncthreads();  // the buffer is reused by the next reduction
  return result;
}

// Subtracting the row's maximum keeps exp() finite, as the reference kernel does.
__global__ void softmax_kernel(const float* x, float* y, i64 cols, bool log) {
  const float* row = x + blockIdx.x * cols;
  float* out = y + blockIdx.x * cols;
  float high = -FLT_MAX;
  for (i64 c = threadIdx.x; c < cols; c += blockDim.x) high = fmaxf(high, row[c]);
  high = block_reduce<true>(high);
  float sum = 0.f;
  for (i64 c = threadIdx.x; c < cols; c += blockDim.x) sum += expf(row[c] - high);
  sum = block_reduce<false>(sum);
  const float log_sum = logf(sum);
  for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
    out[c] = log ? row[c] - high - log_sum : expf(row[c] - high) / sum;
  }
}

// Mean first, then the variance of the deviations (two passes: no cancellation).
__global__ void layer_norm_kernel(const float* x, const float* scale, const float* offset, float* y,
                                  i64 cols, float epsilon) {
  const float* row = x + blockIdx.x * cols;
  float* out = y + blockIdx.x * cols;
  float sum = 0.f;
  for (i64 c = threadIdx.x; c < cols; c += blockDim.x) sum += row[c];
  const float mean = block_reduce<false>(sum) / static_cast<float>(cols);
  float squares = 0.f;
  for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
    const float d = row[c] - mean;
    squares += d * d;
  }
  const float inv = rsqrtf(block_reduce<false>(squares) / static_cast<float>(cols) + epsilon);
  for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
    out[c] = (row[c] - mean) * inv * scale[c] + offset[c];
  }
}

}  // namespace

void softmax(const float* x, float* y, i64 rows, i64 cols, bool log, cudaStream_t stream) {
  softmax_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(x, y, cols, log);
}

void layer_norm(const float* x, const float* scale, const float* offset, float* y, i64 rows,
                i64 cols, float epsilon, cudaStream_t stream) {
  layer_norm_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(x, scale, offset, y, cols,
                                                                          epsilon);
}

}  // namespace kiln::cuda_kernels
