// Conv2D, DepthwiseConv2dNative and their fused forms as oneDNN convolutions.
//
// Activations keep TensorFlow's layout (nhwc, or nchw for data_format NCHW). TensorFlow's filter
// [kh, kw, in / groups, out] is oneDNN's `hwio` (or `hwigo` with groups: output channel
// group * (out / groups) + o). A depthwise filter [kh, kw, C, multiplier] is a grouped
// convolution with C groups of one input channel each, i.e. `hwigo` with i = 1. A constant
// filter is handed to oneDNN as format_tag::any and reordered once into the layout the chosen
// implementation wants (blocked, for the AVX-512 kernels); a computed filter is read as it is.
//
// A convolution whose T is bfloat16 (made so by the bf16-products pass for Options::precision
// bf16) reads bfloat16 input, filter, bias and residual, and writes bfloat16, or float32 where
// the pass asks for it (`_float32_output`); oneDNN sums in float32 and runs the epilogue there
// before it writes the output.
#pragma once

#include <kiln/core/ops/nn/conv.hpp>

#include "epilogue.hpp"

namespace kiln::cpu_kernels {

class ConvKernel final : public PrimitiveKernel {
 public:
  ConvKernel(const KernelRequest& request, const ops::nn::ConvGeometry& g, bool depthwise) {
    const memory::data_type type = onednn_type(request.inputs[0].dtype);  // f32 or bf16
    const bool nchw = g.attrs.layout.c == 1;
    const tag activations = nchw ? tag::nchw : tag::nhwc;
    const memory::desc src({g.batch, g.in_c, g.in_h, g.in_w}, type, activations);
    const memory::desc dst({g.batch, g.out_c, g.h.out, g.w.out},
                           onednn_type(request.outputs[0].dtype), activations);

    const std::int64_t groups = depthwise ? g.in_c : g.groups;
    const std::int64_t group_in = depthwise ? 1 : g.filter_in_c;
    const memory::dims weight_dims =
        groups == 1 ? memory::dims{g.out_c, group_in, g.k_h, g.k_w}
                    : memory::dims{groups, g.out_c / groups, group_in, g.k_h, g.k_w};
    const tag filter_layout = groups == 1 ? tag::hwio : tag::hwigo;
    const memory::desc given(weight_dims, type, filter_layout);
    const bool constant_filter = request.constant(1) != nullptr;
    const memory::desc asked(weight_dims, type, constant_filter ? tag::any : filter_layout);

    // dims {N, C, H, W}: the channels are dimension 1
    const bool float_output = request.outputs[0].dtype == DType::float32;
    const Epilogue epilogue = epilogue_of(request, dst, 1, float_output);
    const memory::desc bias =
        epilogue.bias_input >= 0 ? memory::desc({g.out_c}, type, tag::x) : memory::desc();
    dnnl::primitive_attr attr = user_scratchpad_attr();
    attr.set_post_ops(epilogue.post_ops);

    const memory::dims strides{g.attrs.stride_h, g.attrs.stride_w};
    const memory::dims dilations{g.attrs.dilation_h - 1, g.attrs.dilation_w - 1};  // 0: none
    const memory::dims pad_before{g.h.pad_before, g.w.pad_before};
    const memory::dims pad_after{g.h.pad_after, g.w.pad_after};
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, asked, bias,
        dst, strides, dilations, pad_before, pad_after);
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine());
    set_primitive<dnnl::convolution_forward>(pd);

    add_input(DNNL_ARG_SRC, 0, src);
    add_weights(DNNL_ARG_WEIGHTS, 1, request, given, pd.weights_desc());
    if (epilogue.bias_input >= 0) {
      add_input(DNNL_ARG_BIAS, static_cast<std::size_t>(epilogue.bias_input), bias);
    }
    for (const Epilogue::BinaryArg& b : epilogue.binaries) {
      add_input(DNNL_ARG_ATTR_MULTIPLE_POST_OP(b.post_op) | DNNL_ARG_SRC_1, b.input, b.md);
    }
    add_output(DNNL_ARG_DST, 0, dst);
    if (epilogue.after) set_output_pass(epilogue.after, dst);
    if (!epilogue.post_ops_text.empty()) implementation_ += " [" + epilogue.post_ops_text + "]";
  }
};

inline KernelPtr make_conv_kernel(const KernelRequest& request) {
  for (const TensorType& t : request.inputs) {
    if (t.dtype != request.inputs[0].dtype) return request.decline("mixed dtypes");
  }
  const DType type = request.inputs[0].dtype;
  if (type != DType::float32 && type != DType::bfloat16) {
    return request.decline("float32 and bfloat16 only");
  }
  if (request.outputs[0].shape.num_elements() == 0) return request.decline("empty output");
  const InferContext ctx(request.node, request.inputs, request.constants);
  const bool depthwise = request.node.op.find("Depthwise") != std::string::npos;
  const ops::nn::ConvGeometry g =
      depthwise ? ops::nn::depthwise_geometry(ctx) : ops::nn::conv2d_geometry(ctx);
  return try_onednn(request, [&] { return std::make_unique<ConvKernel>(request, g, depthwise); });
}

}  // namespace kiln::cpu_kernels
