// The device kernels' launchers: what the .cu files define and the prepared kernels (*.cpp) call.
// Plain types only (no Kiln header), so nvcc compiles small files and the C++ side never needs
// nvcc. Every launcher queues its work on `stream` and returns; all tensors are float32, dense,
// row-major, in device memory.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace kiln::cuda_kernels {

using i64 = std::int64_t;

// ---- elementwise.cu ---------------------------------------------------------------------------
// Functions of one element. `alpha`: LeakyRelu's slope (unused by the others).
enum class Unary : int {
  relu,
  relu6,
  elu,
  selu,
  leaky_relu,
  sigmoid,
  tanh,
  swish,
  gelu_exact,
  gelu_tanh,
  softplus,
  exp,
  log,
  sqrt,
  rsqrt,
  square,
  abs,
  neg,
  reciprocal,
  erf,
  log1p
};
void unary(Unary op, float alpha, const float* x, float* y, i64 n, cudaStream_t stream);

// Functions of two elements, NumPy-broadcast: the output's dimensions and, per dimension, each
// operand's stride in elements (0 where it is broadcast).
enum class Binary : int { add, sub, mul, div, squared_difference };
constexpr int kMaxRank = 6;
struct Broadcast {
  int rank = 0;
  i64 dims[kMaxRank] = {};
  i64 a[kMaxRank] = {};
  i64 b[kMaxRank] = {};
};
void binary(Binary op, const float* a, const float* b, float* y, i64 n, const Broadcast& index,
            cudaStream_t stream);

// y[i] = y[i] * scale[i % channels] + shift[i % channels], either vector may be null: a bias,
// or a per-channel scale and shift, on the last axis.
void channel_affine(float* y, const float* scale, const float* shift, i64 n, i64 channels,
                    cudaStream_t stream);

// ---- rows.cu: softmax and layer normalization over the last axis ------------------------------
void softmax(const float* x, float* y, i64 rows, i64 cols, bool log, cudaStream_t stream);
void layer_norm(const float* x, const float* scale, const float* offset, float* y, i64 rows,
                i64 cols, float epsilon, cudaStream_t stream);

// ---- reduce.cu --------------------------------------------------------------------------------
// Each output element reduces the input elements that share its kept coordinates. `kept` and
// `reduced` list the input's dimensions of each kind, with their strides in elements.
enum class Reduce : int { sum, mean, max, min };
struct ReduceIndex {
  int kept_rank = 0, reduced_rank = 0;
  i64 kept_dims[kMaxRank] = {}, kept_strides[kMaxRank] = {};
  i64 reduced_dims[kMaxRank] = {}, reduced_strides[kMaxRank] = {};
  i64 reduced_count = 1;
};
void reduce(Reduce op, const float* x, float* y, i64 outputs, const ReduceIndex& index,
            cudaStream_t stream);

// ---- gather.cu: data movement, any dtype (only the element size matters: 1, 2, 4 or 8) ------
// y has dimensions `dims`; its element at coordinates c reads x at offset + sum(c[d] * strides[d])
// (strides may be negative: a reversed StridedSlice).
struct Gather {
  int rank = 0;
  i64 dims[kMaxRank] = {};
  i64 strides[kMaxRank] = {};
  i64 offset = 0;
};
void gather(const void* x, void* y, i64 n, const Gather& index, int element_bytes,
            cudaStream_t stream);

// y has dimensions `dims`; element c reads x at c - before where that lies inside `in_dims`, and
// is zero elsewhere.
struct Padding {
  int rank = 0;
  i64 dims[kMaxRank] = {};
  i64 before[kMaxRank] = {};
  i64 in_dims[kMaxRank] = {};
  i64 in_strides[kMaxRank] = {};
};
void pad(const void* x, void* y, i64 n, const Padding& padding, int element_bytes,
         cudaStream_t stream);

// ---- window.cu: NHWC convolutions' patches, depthwise convolution, pooling --------------------
struct Window {
  i64 batch = 0, height = 0, width = 0, channels = 0;  // the input
  i64 out_height = 0, out_width = 0;
  i64 kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  i64 pad_top = 0, pad_left = 0;
};
// The patch matrix of a convolution: row (n, oy, ox) holds the window's (ky, kx, c) values, zero
// outside the image, so that patches x filter[kh*kw*c, out_channels] is the convolution.
void im2col(const float* x, float* columns, const Window& w, cudaStream_t stream);
// filter [kh, kw, channels, multiplier] -> y [.., channels * multiplier]
void depthwise_conv(const float* x, const float* filter, float* y, const Window& w, i64 multiplier,
                    cudaStream_t stream);
// Average pooling divides by the number of window elements inside the image, as TensorFlow does.
void max_pool(const float* x, float* y, const Window& w, cudaStream_t stream);
void avg_pool(const float* x, float* y, const Window& w, cudaStream_t stream);

}  // namespace kiln::cuda_kernels
