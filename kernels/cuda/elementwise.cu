// Elementwise device kernels: functions of one element (activations, math), NumPy-broadcast
// functions of two, and the per-channel affine step of epilogues.
#include "grid.cuh"
#include "launch.hpp"

namespace kiln::cuda_kernels {

namespace {

__device__ float apply(Unary op, float alpha, float x) {
  switch (op) {
    case Unary::relu:
      return fmaxf(x, 0.f);
    case Unary::relu6:
      return fminf(fmaxf(x, 0.f), 6.f);
    case Unary::elu:
      return x > 0.f ? x : expm1f(x);
    case Unary::selu: {
      const float scale = 1.0507009873554805f, a = 1.6732632423543772f;
      return x > 0.f ? scale * x : scale * a * expm1f(x);
    }
    case Unary::leaky_relu:
      return x > 0.f ? x : alpha * x;
    case Unary::sigmoid:
      return 1.f / (1.f + expf(-x));
    case Unary::tanh:
      return tanhf(x);
    case Unary::swish:
      return x / (1.f + expf(-x));
    case Unary::gelu_exact:
      return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case Unary::gelu_tanh: {
      const float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);  // sqrt(2/pi)
      return 0.5f * x * (1.f + tanhf(inner));
    }
    case Unary::softplus:
      return x > 20.f ? x : log1pf(expf(x));  // no overflow for large x
    case Unary::exp:
      return expf(x);
    case Unary::log:
      return logf(x);
    case Unary::sqrt:
      return sqrtf(x);
    case Unary::rsqrt:
      return rsqrtf(x);
    case Unary::square:
      return x * x;
    case Unary::abs:
      return fabsf(x);
    case Unary::neg:
      return -x;
    case Unary::reciprocal:
      return 1.f / x;
    case Unary::erf:
      return erff(x);
    case Unary::log1p:
      return log1pf(x);
  }
  return x;
}

__device__ float apply(Binary op, float a, float b) {
  switch (op) {
    case Binary::add:
      return a + b;
    case Binary::sub:
      return a - b;
    case Binary::mul:
      return a * b;
    case Binary::div:
      return a / b;
    case Binary::squared_difference:
      return (a - b) * (a - b);
  }
  return a;
}

__global__ void unary_kernel(Unary op, float alpha, const float* x, float* y, i64 n) {
  KILN_FOR_EACH(i, n) y[i] = apply(op, alpha, x[i]);
}

// The operands' element offsets for output element i, from its coordinates (last axis fastest).
__global__ void binary_kernel(Binary op, const float* a, const float* b, float* y, i64 n,
                              Broadcast index) {
  KILN_FOR_EACH(i, n) {
    i64 rest = i, at_a = 0, at_b = 0;
    for (int d = index.rank - 1; d >= 0; --d) {
      const i64 c = rest % index.dims[d];
      rest /= index.dims[d];
      at_a += c * index.a[d];
      at_b += c * index.b[d];
    }
    y[i] = apply(op, a[at_a], b[at_b]);
  }
}

__global__ void channel_affine_kernel(float* y, const float* scale, const float* shift, i64 n,
                                      i64 channels) {
  KILN_FOR_EACH(i, n) {
    const i64 c = i % channels;
    float v = y[i];
    if (scale) v *= scale[c];
    if (shift) v += shift[c];
    y[i] = v;
  }
}

}  // namespace

void unary(Unary op, float alpha, const float* x, float* y, i64 n, cudaStream_t stream) {
  unary_kernel<<<blocks_for(n), kThreads, 0, stream>>>(op, alpha, x, y, n);
}

void binary(Binary op, const float* a, const float* b, float* y, i64 n, const Broadcast& index,
            cudaStream_t stream) {
  binary_kernel<<<blocks_for(n), kThreads, 0, stream>>>(op, a, b, y, n, index);
}

void channel_affine(float* y, const float* scale, const float* shift, i64 n, i64 channels,
                    cudaStream_t stream) {
  channel_affine_kernel<<<blocks_for(n), kThreads, 0, stream>>>(y, scale, shift, n, channels);
}

}  // namespace kiln::cuda_kernels
