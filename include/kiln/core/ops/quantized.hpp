// Kiln's int8 ops, which kiln::quantize (include/kiln/quantize.hpp) puts in place of float32
// convolutions and matrix products. No TensorFlow op computes the same, so they carry Kiln's
// prefix; a quantized model saved as a SavedModel holds them under these names.
//
// Every quantized value is symmetric, with no zero point: real = q * scale. A value the
// calibration never saw below zero is uint8, any other int8; kiln::quantize maps the calibrated
// magnitude to code 127 in both (quantize/rewrite.hpp says why uint8 keeps to 7 bits), and
// weights to -127..127. The ops themselves saturate to the type's range:
//
//   _KilnQuantize(x: float32) {scale, out_type: int8|uint8}
//       q = saturate(round_half_even(x * (1 / scale)))       1 / scale rounded to float once
//   _KilnDequantize(q: int8|uint8) {scale}
//       x = q * scale                                         float32
//
// The quantized products take a quantized input, constant int8 weights with one scale per
// output channel, and the fused ops' epilogue arguments (ops/fused.hpp) in float32:
//
//   _KilnQuantizedConv2D(x_q, w_q, args...)                 Conv2D's attributes, NHWC, HWIO weights
//   _KilnQuantizedDepthwiseConv2dNative(x_q, w_q, args...)  the depthwise op's, [kh, kw, C, mult]
//   _KilnQuantizedMatMul(a_q, b_q, args...)                 a [M, K], b [K, N]
//
//   acc[c]  = sum of x_q * w_q                                int32, exact
//   real[c] = acc[c] * (input_scale * weight_scales[c])       float32: back to real units
//   real    = the epilogue (fused_ops) on real                as _FusedConv2D computes it
//   out     = real                                            when out_type is float32
//           = saturate(round_half_even(real * (1 / output_scale)))   when int8 or uint8
//
// So the epilogue, whatever it holds, runs in real units; the final scaling is what oneDNN's
// output scales and a last `linear` post-op do, and two quantized ops in a row hand each other
// int8 without a float32 tensor in between.
#pragma once

#include <cmath>

#include "../shape_functions.hpp"
#include "fused.hpp"

namespace kiln::ops {

namespace quantized {

inline bool is_quantized_type(DType t) { return t == DType::int8 || t == DType::uint8; }

inline void expect_quantized(const InferContext& ctx, int i, bool weights) {
  const DType t = ctx.dtype(i);
  if (weights ? t != DType::int8 : !is_quantized_type(t)) {
    throw ctx.error(Errc::type_mismatch, weights ? "quantized weights must be int8"
                                                 : "a quantized input must be int8 or uint8")
        .input(std::to_string(i))
        .expected(weights ? "int8" : "int8 or uint8")
        .found(dtype_name(t));
  }
}

inline void expect_positive_scale(const InferContext& ctx, const char* key, float scale) {
  if (!(scale > 0.f) || !std::isfinite(scale)) {
    throw ctx.error(Errc::invalid_attr, "a quantization scale must be positive and finite")
        .attr(key)
        .found(std::to_string(scale));
  }
}

inline DType output_type(const InferContext& ctx) {
  const DType t = ctx.attr<DType>("out_type");
  if (t != DType::float32 && !is_quantized_type(t)) {
    throw ctx.error(Errc::invalid_attr, "a quantized product writes float32, int8 or uint8")
        .attr("out_type")
        .found(dtype_name(t));
  }
  if (t != DType::float32) expect_positive_scale(ctx, "output_scale", ctx.attr<float>("output_scale"));
  return t;
}

// The checks the three products share: input types, scales (one per output channel, of `out`'s
// channel axis), the epilogue's arguments in float32.
inline Shape check_product(const InferContext& ctx, Shape out, int channel_axis) {
  expect_quantized(ctx, 0, false);
  expect_quantized(ctx, 1, true);
  for (int i = 2; i < ctx.num_inputs(); ++i) {
    if (ctx.dtype(i) != DType::float32) {
      throw ctx.error(Errc::type_mismatch, "epilogue arguments of a quantized product are float32")
          .input(std::to_string(i))
          .found(dtype_name(ctx.dtype(i)));
    }
  }
  expect_positive_scale(ctx, "input_scale", ctx.attr<float>("input_scale"));
  const Floats& scales = ctx.attr<Floats>("weight_scales");
  for (float s : scales) expect_positive_scale(ctx, "weight_scales", s);
  const std::int64_t channels = out.has_rank() ? out.dim(channel_axis) : kUnknownDim;
  if (channels >= 0 && static_cast<std::int64_t>(scales.size()) != channels) {
    throw ctx.error(Errc::invalid_attr, "one weight scale per output channel")
        .attr("weight_scales")
        .expected(std::to_string(channels))
        .found(std::to_string(scales.size()));
  }
  return fused::check_epilogue(ctx, std::move(out), channel_axis, /*floating_input=*/false);
}

inline void expect_nhwc(const InferContext& ctx) {
  if (ctx.attr<std::string>("data_format") != "NHWC") {
    throw ctx.error(Errc::unsupported, "quantized convolutions are NHWC only")
        .attr("data_format")
        .found(ctx.attr<std::string>("data_format"));
  }
}

inline std::vector<TensorType> infer_quantize(const InferContext& ctx) {
  if (ctx.dtype(0) != DType::float32) {
    throw ctx.error(Errc::type_mismatch, "_KilnQuantize takes float32")
        .input("0")
        .found(dtype_name(ctx.dtype(0)));
  }
  expect_positive_scale(ctx, "scale", ctx.attr<float>("scale"));
  const DType t = ctx.attr<DType>("out_type");
  if (!is_quantized_type(t)) {
    throw ctx.error(Errc::invalid_attr, "_KilnQuantize writes int8 or uint8")
        .attr("out_type")
        .found(dtype_name(t));
  }
  return {{t, ctx.shape(0)}};
}

inline std::vector<TensorType> infer_dequantize(const InferContext& ctx) {
  expect_quantized(ctx, 0, false);
  expect_positive_scale(ctx, "scale", ctx.attr<float>("scale"));
  return {{DType::float32, ctx.shape(0)}};
}

inline std::vector<TensorType> infer_conv2d(const InferContext& ctx) {
  expect_nhwc(ctx);
  const nn::ConvGeometry g = nn::conv2d_geometry(ctx);
  if (g.groups != kUnknownDim && g.groups != 1) {
    throw ctx.error(Errc::unsupported, "quantized Conv2D has no groups")
        .found(std::to_string(g.groups) + " groups");
  }
  const DType out = output_type(ctx);
  return {{out, check_product(ctx, g.output_shape(), 3)}};
}

inline std::vector<TensorType> infer_depthwise_conv2d(const InferContext& ctx) {
  expect_nhwc(ctx);
  const nn::ConvGeometry g = nn::depthwise_geometry(ctx);
  const DType out = output_type(ctx);
  return {{out, check_product(ctx, g.output_shape(), 3)}};
}

inline std::vector<TensorType> infer_matmul(const InferContext& ctx) {
  ctx.expect_rank(0, 2);
  ctx.expect_rank(1, 2);
  const Shape out = nn::matmul_output_shape(ctx, false, false, nn::BatchRule::none);
  const DType type = output_type(ctx);
  return {{type, check_product(ctx, out, 1)}};
}

}  // namespace quantized

inline void register_quantized_ops(OpCatalogue& c) {
  c.add(op("_KilnQuantize")
            .inputs(1)
            .attrs({{"scale", {}}, {"out_type", {}}})
            .infer(quantized::infer_quantize));
  c.add(op("_KilnDequantize").inputs(1).attrs({{"scale", {}}}).infer(quantized::infer_dequantize));

  // The scales and the epilogue every quantized product takes; `output_scale` matters only when
  // out_type is int8 or uint8.
  const std::vector<AttrDef> quantization = {{"input_scale", {}},
                                             {"weight_scales", {}},
                                             {"out_type", DType::float32},
                                             {"output_scale", 1.0f},
                                             {"fused_ops", Strings{}},
                                             {"num_args", std::int64_t{0}},
                                             {"epsilon", 0.0001f},
                                             {"leakyrelu_alpha", 0.2f}};
  const std::vector<AttrDef> window = {{"strides", {}},
                                       {"padding", {}},
                                       {"explicit_paddings", Ints{}},
                                       {"data_format", std::string("NHWC")},
                                       {"dilations", Ints{1, 1, 1, 1}}};
  c.add(op("_KilnQuantizedConv2D")
            .variadic_inputs(2)
            .attrs(window)
            .attrs(quantization)
            .infer(quantized::infer_conv2d));
  c.add(op("_KilnQuantizedDepthwiseConv2dNative")
            .variadic_inputs(2)
            .attrs(window)
            .attrs(quantization)
            .infer(quantized::infer_depthwise_conv2d));
  c.add(op("_KilnQuantizedMatMul")
            .variadic_inputs(2)
            .attrs(quantization)
            .infer(quantized::infer_matmul));
}

}  // namespace kiln::ops
