// Kiln's int8 ops (core/ops/quantized.hpp) on oneDNN.
//
//   _KilnQuantize, _KilnDequantize   a reorder f32 <-> s8/u8 with one output scale
//   quantized convolutions, MatMul   oneDNN's int8 convolution and matmul: s8/u8 source, s8
//                                    weights reordered once, int32 sums, then
//     output scales   input_scale * weight_scales[c] per output channel: back to real units
//     bias            oneDNN 2.x adds it before the output scales, so it is stored divided by
//                     them (the bias is a constant: the weights were folded before quantizing)
//     post-ops        the epilogue as the float kernels run it (epilogue.hpp), in real units
//     linear          * (1 / output_scale) last when the output is int8 or uint8; the primitive
//                     then rounds and saturates as it writes
// A request the int8 primitives cannot take (a computed bias or filter) falls back to the
// reference kernel, with the reason in the plan summary.
#pragma once

#include <kiln/core/ops/quantized.hpp>

#include "epilogue.hpp"

namespace kiln::cpu_kernels {

namespace quantized_detail {

// Output scales (per channel) and the bias divided by them, from the node's attributes.
struct Requantization {
  std::vector<float> output_scales;
  std::vector<float> scaled_bias;  // empty without a bias
};

inline Requantization requantization(const KernelRequest& request, int bias_input) {
  const Node& node = request.node;
  Requantization r;
  const float input_scale = node.attr<float>("input_scale");
  for (float w : node.attr<Floats>("weight_scales")) r.output_scales.push_back(input_scale * w);
  if (bias_input >= 0) {
    const Tensor* bias = request.constant(static_cast<std::size_t>(bias_input));
    const float* b = bias->data<float>();
    for (std::size_t c = 0; c < r.output_scales.size(); ++c) {
      r.scaled_bias.push_back(b[c] / r.output_scales[c]);
    }
  }
  return r;
}

// The attribute every quantized product shares: scratchpad, output scales on dimension 1 (the
// output channels of a convolution's NCHW dims and of a matmul's [M, N]), the epilogue, and the
// last scaling into int8 units.
inline dnnl::primitive_attr product_attr(const KernelRequest& request, const Requantization& r,
                                         Epilogue& epilogue) {
  dnnl::primitive_attr attr = user_scratchpad_attr();
  attr.set_output_scales(1 << 1, r.output_scales);
  if (request.outputs[0].dtype != DType::float32) {
    const float inverse = 1.0f / request.node.attr<float>("output_scale");
    epilogue.post_ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, inverse, 0.f);
    add_text(epilogue, "requantize");
  }
  attr.set_post_ops(epilogue.post_ops);
  return attr;
}

// What a quantized product needs constant: its weights and, if it has one, its bias.
inline const char* missing_constant(const KernelRequest& request) {
  if (!request.constant(1)) return "the int8 weights are computed, not constant";
  int arg = 2;
  for (const std::string& step : request.node.attr<Strings>("fused_ops")) {
    if (step == "BiasAdd" && !request.constant(static_cast<std::size_t>(arg))) {
      return "the bias is computed, not constant";
    }
    arg += ops::fused::step_arguments(step);
  }
  return nullptr;
}

}  // namespace quantized_detail

// Adds the bias (divided by the output scales) as memory the kernel owns.
class QuantizedProductKernel : public PrimitiveKernel {
 protected:
  void add_scaled_bias(const quantized_detail::Requantization& r, const memory::desc& md) {
    memory bias(md, engine());
    std::copy(r.scaled_bias.begin(), r.scaled_bias.end(), static_cast<float*>(bias.get_data_handle()));
    add_owned(DNNL_ARG_BIAS, bias);
  }
  void add_epilogue_inputs(const Epilogue& epilogue) {
    for (const Epilogue::BinaryArg& b : epilogue.binaries) {
      add_input(DNNL_ARG_ATTR_MULTIPLE_POST_OP(b.post_op) | DNNL_ARG_SRC_1, b.input, b.md);
    }
  }
  void name_epilogue(const Epilogue& epilogue) {
    if (!epilogue.post_ops_text.empty()) implementation_ += " [" + epilogue.post_ops_text + "]";
  }
};

class QuantizedConvKernel final : public QuantizedProductKernel {
 public:
  QuantizedConvKernel(const KernelRequest& request, const ops::nn::ConvGeometry& g, bool depthwise) {
    using dt = memory::data_type;
    const memory::desc src({g.batch, g.in_c, g.in_h, g.in_w}, onednn_type(request.inputs[0].dtype),
                           tag::nhwc);
    const memory::dims dst_dims{g.batch, g.out_c, g.h.out, g.w.out};
    const memory::desc dst(dst_dims, onednn_type(request.outputs[0].dtype), tag::nhwc);
    // The epilogue's residual is float32 in the output's layout, whatever the output's type.
    const memory::desc real(dst_dims, dt::f32, tag::nhwc);

    const memory::dims weight_dims = depthwise
                                         ? memory::dims{g.in_c, g.filter_out, 1, g.k_h, g.k_w}
                                         : memory::dims{g.out_c, g.in_c, g.k_h, g.k_w};
    const memory::desc given(weight_dims, dt::s8, depthwise ? tag::hwigo : tag::hwio);
    const memory::desc asked(weight_dims, dt::s8, tag::any);

    Epilogue epilogue = epilogue_of(request, real, 1);
    const quantized_detail::Requantization r = quantized_detail::requantization(request, epilogue.bias_input);
    const memory::desc bias = epilogue.bias_input >= 0 ? memory::desc({g.out_c}, dt::f32, tag::x)
                                                       : memory::desc();
    const dnnl::primitive_attr attr = quantized_detail::product_attr(request, r, epilogue);

    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, asked, bias,
        dst, {g.attrs.stride_h, g.attrs.stride_w},
        {g.attrs.dilation_h - 1, g.attrs.dilation_w - 1}, {g.h.pad_before, g.w.pad_before},
        {g.h.pad_after, g.w.pad_after});
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine());
    set_primitive<dnnl::convolution_forward>(pd);

    add_input(DNNL_ARG_SRC, 0, src);
    add_weights(DNNL_ARG_WEIGHTS, 1, request, given, pd.weights_desc());
    if (epilogue.bias_input >= 0) add_scaled_bias(r, bias);
    add_epilogue_inputs(epilogue);
    add_output(DNNL_ARG_DST, 0, dst);
    name_epilogue(epilogue);
  }
};

class QuantizedMatMulKernel final : public QuantizedProductKernel {
 public:
  QuantizedMatMulKernel(const KernelRequest& request, bool blocked_weights) {
    using dt = memory::data_type;
    const memory::dims a_dims = dims_of(request.inputs[0].shape);
    const memory::dims b_dims = dims_of(request.inputs[1].shape);
    const memory::dims out_dims = dims_of(request.outputs[0].shape);
    const memory::desc a = plain_md(a_dims, onednn_type(request.inputs[0].dtype));
    const memory::desc b = plain_md(b_dims, dt::s8);
    const memory::desc asked = blocked_weights ? memory::desc(b_dims, dt::s8, tag::any) : b;
    const memory::desc dst = plain_md(out_dims, onednn_type(request.outputs[0].dtype));
    const memory::desc real = plain_md(out_dims, dt::f32);

    Epilogue epilogue = epilogue_of(request, real, 1);
    const quantized_detail::Requantization r = quantized_detail::requantization(request, epilogue.bias_input);
    const memory::desc bias =
        epilogue.bias_input >= 0 ? plain_md({1, out_dims[1]}, dt::f32) : memory::desc();
    const dnnl::primitive_attr attr = quantized_detail::product_attr(request, r, epilogue);

    const dnnl::matmul::desc desc(a, asked, bias, dst);
    const dnnl::matmul::primitive_desc pd(desc, attr, engine());
    set_primitive<dnnl::matmul>(pd);

    add_input(DNNL_ARG_SRC, 0, a);
    add_weights(DNNL_ARG_WEIGHTS, 1, request, b, pd.weights_desc());
    if (epilogue.bias_input >= 0) add_scaled_bias(r, bias);
    add_epilogue_inputs(epilogue);
    add_output(DNNL_ARG_DST, 0, dst);
    name_epilogue(epilogue);
  }
};

// _KilnQuantize and _KilnDequantize: one reorder that scales as it converts.
class QuantizeReorderKernel final : public PrimitiveKernel {
 public:
  explicit QuantizeReorderKernel(const KernelRequest& request) {
    const memory::desc from = plain_md(request.inputs[0]);
    const memory::desc to = plain_md(request.outputs[0]);
    const float scale = request.node.attr<float>("scale");
    const bool quantizing = request.node.op == "_KilnQuantize";
    dnnl::primitive_attr attr = user_scratchpad_attr();
    attr.set_output_scales(0, {quantizing ? 1.0f / scale : scale});
    const dnnl::reorder::primitive_desc pd(engine(), from, engine(), to, attr);
    set_primitive<dnnl::reorder>(pd);
    add_input(DNNL_ARG_FROM, 0, from);
    add_output(DNNL_ARG_TO, 0, to);
  }
};

inline KernelPtr make_quantized_product_kernel(const KernelRequest& request) {
  if (request.outputs[0].shape.num_elements() == 0) return request.decline("empty output");
  if (const char* missing = quantized_detail::missing_constant(request)) return request.decline(missing);
  const Node& node = request.node;
  if (node.op == "_KilnQuantizedMatMul") {
    return try_onednn(request, [&]() -> KernelPtr {
      try {
        return std::make_unique<QuantizedMatMulKernel>(request, true);
      } catch (const dnnl::error&) {
        // Some shapes have no implementation with blocked weights: read them as they are.
      }
      return std::make_unique<QuantizedMatMulKernel>(request, false);
    });
  }
  const InferContext ctx(node, request.inputs, request.constants);
  const bool depthwise = node.op == "_KilnQuantizedDepthwiseConv2dNative";
  const ops::nn::ConvGeometry g =
      depthwise ? ops::nn::depthwise_geometry(ctx) : ops::nn::conv2d_geometry(ctx);
  return try_onednn(request, [&] { return std::make_unique<QuantizedConvKernel>(request, g, depthwise); });
}

inline KernelPtr make_quantize_reorder_kernel(const KernelRequest& request) {
  if (request.outputs[0].shape.num_elements() == 0) return request.decline("empty output");
  return try_onednn(request, [&] { return std::make_unique<QuantizeReorderKernel>(request); });
}

}  // namespace kiln::cpu_kernels
