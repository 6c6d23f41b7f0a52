// The fused ops the optimizer's fusion passes create: a convolution or matrix product followed by
// a list of epilogue steps applied to each output element, as TensorFlow's Grappler remapper
// spells them (_FusedConv2D, _FusedMatMul) and as oneDNN runs them (post-ops).
//
//   _FusedConv2D(x, filter, args...)                 Conv2D's attributes, plus the epilogue
//   _FusedDepthwiseConv2dNative(x, filter, args...)  DepthwiseConv2dNative's, plus the epilogue
//   _FusedMatMul(a, b, args...)                      MatMul's, plus the epilogue
//   _FusedBatchMatMulV2(a, b, args...)               BatchMatMulV2's, plus the epilogue
//
// The epilogue's channels are the output's last axis for the matrix products and the C of
// NHWC / NCHW for the convolutions.
// The epilogue is the attribute `fused_ops`, applied in order to each output element:
//   "BiasAdd"  + bias[channel]: consumes one argument, a vector with one entry per channel;
//              only as the first step (a folded BatchNorm ends up here too)
//   "Add"      + residual[i]: consumes one argument of exactly the output's shape (no
//              broadcasting), so an implementation may accumulate into that buffer
//   an activation: the epilogue name of an op that has one (Relu, Relu6, Elu, LeakyRelu with
//              alpha in `leakyrelu_alpha`, Sigmoid, Tanh: see math.hpp), or one of the steps
//              that no single op stands for, registered below (Swish, GeluExact,
//              GeluApproximate); op_catalogue().epilogue_activations() lists them all
//   "ScaleShift" * scale[channel] + shift[channel]: consumes two arguments, each a vector with
//              one entry per channel (an inference BatchNorm after the activation)
// with each step at most once. `num_args` counts the arguments, which follow the two main
// inputs in the order the steps consume them.
//
// One fused op is no product: _FusedLayerNorm(x, scale, offset) {epsilon} is Keras'
// LayerNormalization over the last axis, as fuse-layer-norm finds it spelled out in Mean,
// SquaredDifference, Rsqrt, Mul and Add nodes:
//   y = (x - mean) / sqrt(variance + epsilon) * scale + offset
// with mean and (biased) variance over the last axis of each row; scale and offset are [C].
//
// Nor is _FusedLSTMGates(z, c) -> (h', c'): the gate arithmetic of one LSTM step, as Keras
// writes it after the products (z = x W + h R + b, [batch, 4 units], gates in the order
// input, forget, candidate, output) and fuse-lstm-gates finds it:
//   i, f, g, o = split(z, 4, axis 1)
//   c' = sigmoid(f) * c + sigmoid(i) * tanh(g)        c: [batch, units]
//   h' = sigmoid(o) * tanh(c')
//
// And _FusedLSTMSequence(p, r, h0, c0) -> (sequence, h, c) is a whole Keras LSTM loop, as
// fuse-lstm-loop finds it once hoist-loop-products has taken the input product out:
//   p  [T, batch, 4 units]  x_t W + b for every step t (the hoisted projection)
//   r  [units, 4 units]     the recurrent kernel
//   for t in 0..T-1:  z = p[t] + h r;  h, c = the gates above (h = h0, c = c0 at t = 0)
//                     sequence[t] = h                   sequence: [T, batch, units]
// with h and c the states after the last step. ONNX's LSTM computes the same (Y, Y_h, Y_c).
#pragma once

#include "../shape_functions.hpp"
#include "nn/conv.hpp"
#include "nn/matmul.hpp"

namespace kiln {
inline const OpCatalogue& op_catalogue();  // ../ops.hpp, which includes this header
}  // namespace kiln

namespace kiln::ops {

namespace fused {

// How many arguments an epilogue step consumes.
inline int step_arguments(const std::string& step) {
  if (step == "BiasAdd" || step == "Add") return 1;
  if (step == "ScaleShift") return 2;
  return 0;
}

// Validates the epilogue of a fused node whose main op produces `out` with channels on
// `channel_axis`, and returns the output shape with what the arguments add to it. The quantized
// products (quantized.hpp) share the epilogue but take integer main inputs: they pass
// `floating_input` false and check their inputs themselves.
inline Shape check_epilogue(const InferContext& ctx, Shape out, int channel_axis,
                            bool floating_input = true) {
  if (floating_input) nn::expect_floating(ctx, 0);
  const Strings& steps = ctx.attr<Strings>("fused_ops");
  const std::int64_t num_args = ctx.attr<std::int64_t>("num_args");
  if (num_args != ctx.num_inputs() - 2) {
    throw ctx.error(Errc::invalid_graph, "num_args differs from the number of extra inputs")
        .attr("num_args")
        .expected(std::to_string(ctx.num_inputs() - 2))
        .found(std::to_string(num_args));
  }
  int arg = 2;
  bool seen_add = false, seen_activation = false, seen_scale_shift = false;
  auto missing_argument = [&](const std::string& step) {
    return ctx.error(Errc::invalid_graph, "an epilogue step has no argument left to consume")
        .attr("fused_ops")
        .found(step);
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string& step = steps[i];
    if (step == "BiasAdd" && i == 0) {
      if (arg >= ctx.num_inputs()) throw missing_argument(step);
      ctx.expect_rank(arg, 1);
      if (out.has_rank() && ctx.shape(arg).has_rank()) {
        out.set_dim(channel_axis, merge_dim(ctx, out.dim(channel_axis), ctx.shape(arg).dim(0),
                                                "output channels and bias size"));
      }
      ++arg;
    } else if (step == "Add" && !seen_add) {
      if (arg >= ctx.num_inputs()) throw missing_argument(step);
      const Shape& residual = ctx.shape(arg);
      if (out.has_rank() && residual.has_rank()) {
        if (residual.rank() != out.rank()) {
          throw ctx.error(Errc::shape_mismatch, "the residual must have the output's shape")
              .input(std::to_string(arg))
              .expected(out.str())
              .found(residual.str());
        }
        std::vector<std::int64_t> dims = out.dims();
        for (int d = 0; d < out.rank(); ++d) {
          dims[static_cast<std::size_t>(d)] =
              merge_dim(ctx, out.dim(d), residual.dim(d), "output and residual sizes");
        }
        out = Shape(dims);
      }
      seen_add = true;
      ++arg;
    } else if (op_catalogue().is_epilogue_activation(step) && !seen_activation) {
      seen_activation = true;
    } else if (step == "ScaleShift" && !seen_scale_shift) {
      for (int k = 0; k < 2; ++k, ++arg) {
        if (arg >= ctx.num_inputs()) throw missing_argument(step);
        ctx.expect_rank(arg, 1);
        if (out.has_rank() && ctx.shape(arg).has_rank()) {
          out.set_dim(channel_axis,
                      merge_dim(ctx, out.dim(channel_axis), ctx.shape(arg).dim(0),
                                k == 0 ? "output channels and scale size"
                                       : "output channels and shift size"));
        }
      }
      seen_scale_shift = true;
    } else {
      throw ctx.error(Errc::invalid_attr, "unknown, repeated or misplaced epilogue step")
          .attr("fused_ops")
          .expected("BiasAdd first, then at most one Add, one activation and one ScaleShift")
          .found(step);
    }
  }
  if (arg != ctx.num_inputs()) {
    throw ctx.error(Errc::invalid_graph, "the epilogue consumes a different number of arguments")
        .expected(std::to_string(arg - 2))
        .found(std::to_string(ctx.num_inputs() - 2));
  }
  return out;
}

// A fused product's output dtype: T, or float32 for a bfloat16 product that the bf16-products
// pass (optimizer/bf16_products.hpp) lets write float32 straight away, for readers that are not
// bfloat16 products: Kiln's attribute `_float32_output`.
inline DType fused_output_dtype(const InferContext& ctx) {
  return ctx.node().attr_or<bool>("_float32_output", false) ? DType::float32 : ctx.dtype(0);
}

inline std::vector<TensorType> infer_fused_conv2d(const InferContext& ctx) {
  const nn::ConvGeometry g = nn::conv2d_geometry(ctx);
  return {{fused_output_dtype(ctx), check_epilogue(ctx, g.output_shape(), g.attrs.layout.c)}};
}

inline std::vector<TensorType> infer_fused_depthwise_conv2d(const InferContext& ctx) {
  const nn::ConvGeometry g = nn::depthwise_geometry(ctx);
  return {{fused_output_dtype(ctx), check_epilogue(ctx, g.output_shape(), g.attrs.layout.c)}};
}

inline std::vector<TensorType> infer_fused_matmul(const InferContext& ctx) {
  const Shape out = nn::matmul_output_shape(ctx, ctx.attr<bool>("transpose_a"),
                                            ctx.attr<bool>("transpose_b"), nn::BatchRule::none);
  return {{fused_output_dtype(ctx), check_epilogue(ctx, out, 1)}};
}

inline std::vector<TensorType> infer_fused_batch_matmul(const InferContext& ctx) {
  const Shape out = nn::matmul_output_shape(ctx, ctx.attr<bool>("adj_x"), ctx.attr<bool>("adj_y"),
                                            nn::BatchRule::broadcast);
  return {{fused_output_dtype(ctx), check_epilogue(ctx, out, out.has_rank() ? out.rank() - 1 : 0)}};
}

inline std::vector<TensorType> infer_fused_layer_norm(const InferContext& ctx) {
  nn::expect_floating(ctx, 0);
  Shape x = ctx.shape(0);
  if (x.has_rank() && x.rank() == 0) {
    throw ctx.error(Errc::shape_mismatch, "layer normalization needs a tensor of rank >= 1")
        .input("0")
        .found(x.str());
  }
  for (int i = 1; i <= 2; ++i) {
    ctx.expect_rank(i, 1);
    if (x.has_rank() && ctx.shape(i).has_rank()) {
      x.set_dim(-1, merge_dim(ctx, x.dim(-1), ctx.shape(i).dim(0),
                              i == 1 ? "channels and scale size" : "channels and offset size"));
    }
  }
  return {{ctx.dtype(0), x}};
}

inline std::vector<TensorType> infer_fused_lstm_gates(const InferContext& ctx) {
  nn::expect_floating(ctx, 0);
  ctx.expect_rank(0, 2);
  ctx.expect_rank(1, 2);
  Shape z = ctx.shape(0);
  Shape c = ctx.shape(1);
  if (z.has_rank() && z.dim(1) >= 0 && z.dim(1) % 4 != 0) {
    throw ctx.error(Errc::shape_mismatch, "LSTM gates need 4 * units columns").input("0").found(z.str());
  }
  if (z.has_rank() && c.has_rank()) {
    c.set_dim(0, merge_dim(ctx, z.dim(0), c.dim(0), "batch of gates and cell state"));
    if (z.dim(1) >= 0) c.set_dim(1, merge_dim(ctx, z.dim(1) / 4, c.dim(1), "units of gates and cell state"));
  }
  if (!c.has_rank()) c = Shape{z.has_rank() ? z.dim(0) : kUnknownDim,
                               z.has_rank() && z.dim(1) >= 0 ? z.dim(1) / 4 : kUnknownDim};
  return {{ctx.dtype(0), c}, {ctx.dtype(0), c}};
}

inline std::vector<TensorType> infer_fused_lstm_sequence(const InferContext& ctx) {
  nn::expect_floating(ctx, 0);
  for (int i = 1; i < 4; ++i) ctx.expect_same_dtype(0, i);
  ctx.expect_rank(0, 3);
  ctx.expect_rank(1, 2);
  ctx.expect_rank(2, 2);
  ctx.expect_rank(3, 2);
  const Shape& p = ctx.shape(0);
  const Shape& r = ctx.shape(1);
  std::int64_t steps = p.has_rank() ? p.dim(0) : kUnknownDim;
  std::int64_t batch = p.has_rank() ? p.dim(1) : kUnknownDim;
  std::int64_t units = r.has_rank() ? r.dim(0) : kUnknownDim;
  if (r.has_rank() && units >= 0 && r.dim(1) >= 0 && r.dim(1) != 4 * units) {
    throw ctx.error(Errc::shape_mismatch, "an LSTM's recurrent kernel is [units, 4 units]")
        .input("1").found(r.str());
  }
  if (p.has_rank() && units >= 0) merge_dim(ctx, p.dim(2), 4 * units, "gates of projection and kernel");
  for (int i = 2; i < 4; ++i) {
    const Shape& state = ctx.shape(i);
    if (!state.has_rank()) continue;
    batch = merge_dim(ctx, batch, state.dim(0), "batch of projection and state");
    units = merge_dim(ctx, units, state.dim(1), "units of kernel and state");
  }
  const Shape state{batch, units};
  return {{ctx.dtype(0), Shape{steps, batch, units}}, {ctx.dtype(0), state}, {ctx.dtype(0), state}};
}

}  // namespace fused

inline void register_fused_ops(OpCatalogue& c) {
  // Activations the fuse pass recognizes as a pattern of several ops.
  c.add_epilogue({"Swish", "x * sigmoid(x)"});
  c.add_epilogue({"GeluExact", "x/2 * (1 + erf(x / sqrt 2))"});
  c.add_epilogue({"GeluApproximate", "x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))"});

  // A product with an epilogue: its main inputs, then the arguments its steps consume. The
  // residual argument may be overwritten in place (see core/op_traits.hpp's
  // in_place_inputs, which finds it from `fused_ops`).
  auto fused_product = [](const char* name, std::vector<AttrDef> attrs, InferFn infer) {
    return op(name)
        .variadic_inputs(2)
        .attrs(std::move(attrs))
        .attrs({{"fused_ops", Strings{}},
                {"num_args", std::int64_t{0}},
                {"epsilon", 0.0001f},
                {"leakyrelu_alpha", 0.2f}})
        .input_types({"T", "T", "T"})
        .infer(infer)
        .fused_epilogue();
  };
  c.add(fused_product("_FusedConv2D",
                      {{"T", {}},
                       {"strides", {}},
                       {"padding", {}},
                       {"explicit_paddings", Ints{}},
                       {"data_format", std::string("NHWC")},
                       {"dilations", Ints{1, 1, 1, 1}},
                       {"use_cudnn_on_gpu", true}},
                      fused::infer_fused_conv2d));
  c.add(fused_product("_FusedDepthwiseConv2dNative",
                      {{"T", {}},
                       {"strides", {}},
                       {"padding", {}},
                       {"explicit_paddings", Ints{}},
                       {"data_format", std::string("NHWC")},
                       {"dilations", Ints{1, 1, 1, 1}}},
                      fused::infer_fused_depthwise_conv2d));
  c.add(fused_product("_FusedMatMul", {{"T", {}}, {"transpose_a", false}, {"transpose_b", false}},
                      fused::infer_fused_matmul));
  c.add(fused_product("_FusedBatchMatMulV2", {{"T", {}}, {"adj_x", false}, {"adj_y", false}},
                      fused::infer_fused_batch_matmul));
  // Row by row: each row's statistics are taken before any of it is written, so y may take x's
  // place.
  c.add(op("_FusedLayerNorm")
            .inputs(3)
            .attrs({{"T", {}}, {"epsilon", {}}})
            .input_types({"T", "T", "T"})
            .infer(fused::infer_fused_layer_norm)
            .in_place({0}));
  c.add(op("_FusedLSTMGates")
            .inputs(2)
            .attrs({{"T", {}}})
            .input_types({"T", "T"})
            .infer(fused::infer_fused_lstm_gates));
  c.add(op("_FusedLSTMSequence")
            .inputs(4)
            .attrs({{"T", {}}})
            .input_types({"T", "T", "T", "T"})
            .infer(fused::infer_fused_lstm_sequence));
}

}  // namespace kiln::ops
