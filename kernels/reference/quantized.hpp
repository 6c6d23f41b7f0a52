// Reference kernels for Kiln's int8 ops (core/ops/quantized.hpp): integer products summed
// exactly in int32, then the float32 steps the op defines, one rounding each. The cpu backend's
// oneDNN kernels are tested against these, and these against integers worked out by hand.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <kiln/core/ops/quantized.hpp>

#include "fused.hpp"
#include "kernel.hpp"

namespace kiln::reference {

namespace quantization {

// q = saturate(round_half_even(x * inverse_scale)) in the range of Q (int8 or uint8). The
// default floating-point rounding mode is to nearest, ties to even: what oneDNN's conversions
// do too. NaN becomes 0.
template <class Q> Q quantize_one(float x, float inverse_scale) {
  const float v = std::nearbyint(x * inverse_scale);
  if (std::isnan(v)) return Q(0);
  const float lo = static_cast<float>(std::numeric_limits<Q>::min());
  const float hi = static_cast<float>(std::numeric_limits<Q>::max());
  return static_cast<Q>(std::min(std::max(v, lo), hi));
}

// The inverse of a scale, rounded to float once: every quantizing step multiplies by it.
inline float inverse(float scale) { return 1.0f / scale; }

// Writes `real` (float32) into `out` (int8 or uint8) at `scale`.
inline void quantize_into(const float* real, std::int64_t n, float scale, Tensor& out) {
  const float inv = inverse(scale);
  if (out.dtype() == DType::int8) {
    auto* q = out.data<std::int8_t>();
    for (std::int64_t i = 0; i < n; ++i) q[i] = quantize_one<std::int8_t>(real[i], inv);
  } else {
    auto* q = out.data<std::uint8_t>();
    for (std::int64_t i = 0; i < n; ++i) q[i] = quantize_one<std::uint8_t>(real[i], inv);
  }
}

// Element i of an int8 or uint8 tensor, widened.
inline std::int32_t element(const Tensor& t, std::int64_t i) {
  return t.dtype() == DType::int8 ? t.data<std::int8_t>()[i] : t.data<std::uint8_t>()[i];
}

}  // namespace quantization

inline void quantize_kernel(const Node& node, const std::vector<Tensor>& inputs,
                            std::vector<Tensor>& outputs) {
  quantization::quantize_into(inputs[0].data<float>(), inputs[0].num_elements(),
                              node.attr<float>("scale"), outputs[0]);
}

inline void dequantize_kernel(const Node& node, const std::vector<Tensor>& inputs,
                              std::vector<Tensor>& outputs) {
  const float scale = node.attr<float>("scale");
  float* x = outputs[0].data<float>();
  for (std::int64_t i = 0; i < inputs[0].num_elements(); ++i) {
    x[i] = static_cast<float>(quantization::element(inputs[0], i)) * scale;
  }
}

namespace quantization {

// The product's int32 sums become real values, the epilogue runs on them, and the result is
// written as out_type asks. `acc` holds the sums in the output's layout, channels last.
inline void finish_product(const Node& node, const std::vector<Tensor>& inputs,
                           const std::vector<std::int32_t>& acc, Tensor& out) {
  const float input_scale = node.attr<float>("input_scale");
  const Floats& weight_scales = node.attr<Floats>("weight_scales");
  const auto channels = static_cast<std::int64_t>(weight_scales.size());
  Tensor real(DType::float32, out.shape());
  float* r = real.data<float>();
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const float multiplier = input_scale * weight_scales[i % static_cast<std::size_t>(channels)];
    r[i] = static_cast<float>(acc[i]) * multiplier;
  }
  fused_detail::apply_epilogue(node, inputs, real, out.rank() - 1);
  if (out.dtype() == DType::float32) {
    std::copy(r, r + real.num_elements(), out.data<float>());
  } else {
    quantize_into(r, real.num_elements(), node.attr<float>("output_scale"), out);
  }
}

}  // namespace quantization

// NHWC. Conv2D: filter [kh, kw, C, O]; depthwise: [kh, kw, C, M], output channel c * M + m.
inline void quantized_conv_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                  std::vector<Tensor>& outputs) {
  const bool depthwise = node.op == "_KilnQuantizedDepthwiseConv2dNative";
  const InferContext ctx = known_context(node, inputs);
  const ops::nn::ConvGeometry g =
      depthwise ? ops::nn::depthwise_geometry(ctx) : ops::nn::conv2d_geometry(ctx);
  const Tensor& x = inputs[0];
  const std::int8_t* w = inputs[1].data<std::int8_t>();
  const std::int64_t out_c = g.out_c, in_c = g.in_c;
  std::vector<std::int32_t> acc(static_cast<std::size_t>(outputs[0].num_elements()), 0);
  std::size_t at = 0;
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t oh = 0; oh < g.h.out; ++oh) {
      for (std::int64_t ow = 0; ow < g.w.out; ++ow, at += static_cast<std::size_t>(out_c)) {
        for (std::int64_t kh = 0; kh < g.k_h; ++kh) {
          const std::int64_t ih = oh * g.attrs.stride_h - g.h.pad_before + kh * g.attrs.dilation_h;
          if (ih < 0 || ih >= g.in_h) continue;
          for (std::int64_t kw = 0; kw < g.k_w; ++kw) {
            const std::int64_t iw = ow * g.attrs.stride_w - g.w.pad_before + kw * g.attrs.dilation_w;
            if (iw < 0 || iw >= g.in_w) continue;
            const std::int64_t pixel = ((n * g.in_h + ih) * g.in_w + iw) * in_c;
            const std::int8_t* tap = w + (kh * g.k_w + kw) * in_c * (depthwise ? g.filter_out : out_c);
            for (std::int64_t o = 0; o < out_c; ++o) {
              std::int32_t sum = 0;
              if (depthwise) {
                sum = quantization::element(x, pixel + o / g.filter_out) * tap[o];
              } else {
                for (std::int64_t c = 0; c < in_c; ++c) {
                  sum += quantization::element(x, pixel + c) * tap[c * out_c + o];
                }
              }
              acc[at + static_cast<std::size_t>(o)] += sum;
            }
          }
        }
      }
    }
  }
  quantization::finish_product(node, inputs, acc, outputs[0]);
}

// a [M, K] (int8 or uint8) times b [K, N] (int8).
inline void quantized_matmul_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                    std::vector<Tensor>& outputs) {
  const Tensor& a = inputs[0];
  const std::int8_t* b = inputs[1].data<std::int8_t>();
  const std::int64_t m = a.dim(0), k = a.dim(1), n = inputs[1].dim(1);
  std::vector<std::int32_t> acc(static_cast<std::size_t>(m * n), 0);
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      std::int32_t sum = 0;
      for (std::int64_t p = 0; p < k; ++p) sum += quantization::element(a, i * k + p) * b[p * n + j];
      acc[static_cast<std::size_t>(i * n + j)] = sum;
    }
  }
  quantization::finish_product(node, inputs, acc, outputs[0]);
}

inline void register_quantized_kernels(KernelTable& table) {
  table["_KilnQuantize"] = quantize_kernel;
  table["_KilnDequantize"] = dequantize_kernel;
  table["_KilnQuantizedConv2D"] = quantized_conv_kernel;
  table["_KilnQuantizedDepthwiseConv2dNative"] = quantized_conv_kernel;
  table["_KilnQuantizedMatMul"] = quantized_matmul_kernel;
}

}  // namespace kiln::reference
