// Conv2D, DepthwiseConv2dNative and their fused forms as oneDNN convolutions.
//
// Activations keep TensorFlow's layout (nhwc, or nchw for data_format NCHW). TensorFlow's filter
// [kh, kw, in / groups, out] is oneDNN's `hwio` (or `hwigo` with groups: output channel
// group * (out / groups) + o). A depthwise filter [kh, kw, C, multiplier] is a grouped
// convolution with C groups of one input channel each, i.e. `hwigo` with i = 1. A constant
// filter is handed to oneDNN as format_tag::any and reordered once into the layout the chosen
// implementation wants (blocked, for the AVX-512 kernels); a computed filter is read as it is.
//
// In bf16 (KernelRequest::precision), a convolution with a constant filter computes in
// bfloat16: the filter is converted with that reorder, the input is converted into scratch
// before each run (into the layout the implementation reads best), and the sums, bias,
// epilogue and output stay float32. Where oneDNN has no bf16 kernel for it, it computes in f32,
// and so do two kinds that bf16 makes slower (MobileNetV2, 2 threads, AMX): depthwise
// convolutions (their time goes into moving activations, and the conversion adds a pass: 0.56 ms
// per run in f32, 1.09 in bf16) and convolutions with few input channels per group (an image's
// first convolution, 3 channels, a fraction of an AMX tile's 32: 0.10 ms in f32, 0.16 in bf16).
#pragma once

#include <kiln/core/ops/nn/conv.hpp>

#include "epilogue.hpp"

namespace kiln::cpu_kernels {

class ConvKernel final : public PrimitiveKernel {
 public:
  ConvKernel(const KernelRequest& request, const ops::nn::ConvGeometry& g, bool depthwise,
             bool bf16) {
    using dt = memory::data_type;
    const bool nchw = g.attrs.layout.c == 1;
    const tag activations = nchw ? tag::nchw : tag::nhwc;
    const memory::dims src_dims{g.batch, g.in_c, g.in_h, g.in_w};
    const memory::desc src(src_dims, dt::f32, activations);
    const memory::desc src_asked = bf16 ? memory::desc(src_dims, dt::bf16, tag::any) : src;
    const memory::desc dst({g.batch, g.out_c, g.h.out, g.w.out}, dt::f32, activations);

    const std::int64_t groups = depthwise ? g.in_c : g.groups;
    const std::int64_t group_in = depthwise ? 1 : g.filter_in_c;
    const memory::dims weight_dims =
        groups == 1 ? memory::dims{g.out_c, group_in, g.k_h, g.k_w}
                    : memory::dims{groups, g.out_c / groups, group_in, g.k_h, g.k_w};
    const tag filter_layout = groups == 1 ? tag::hwio : tag::hwigo;
    const memory::desc given(weight_dims, dt::f32, filter_layout);
    const bool constant_filter = request.constant(1) != nullptr;
    const memory::desc asked(weight_dims, bf16 ? dt::bf16 : dt::f32,
                             constant_filter ? tag::any : filter_layout);

    // dims {N, C, H, W}: the channels are dimension 1
    const Epilogue epilogue = epilogue_of(request, dst, 1, /*float_output=*/true);
    const memory::desc bias =
        epilogue.bias_input >= 0 ? memory::desc({g.out_c}, dt::f32, tag::x) : memory::desc();
    dnnl::primitive_attr attr = user_scratchpad_attr();
    attr.set_post_ops(epilogue.post_ops);

    const memory::dims strides{g.attrs.stride_h, g.attrs.stride_w};
    const memory::dims dilations{g.attrs.dilation_h - 1, g.attrs.dilation_w - 1};  // 0: none
    const memory::dims pad_before{g.h.pad_before, g.w.pad_before};
    const memory::dims pad_after{g.h.pad_after, g.w.pad_after};
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_asked, asked,
        bias, dst, strides, dilations, pad_before, pad_after);
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine());
    set_primitive<dnnl::convolution_forward>(pd);

    if (bf16) {
      add_converted_input(DNNL_ARG_SRC, 0, src, pd.src_desc());
      implementation_ += " bf16";
    } else {
      add_input(DNNL_ARG_SRC, 0, src);
    }
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

// Fewer input channels per group than this compute in f32 even in bf16 (see above).
constexpr std::int64_t kMinBf16Channels = 16;

inline KernelPtr make_conv_kernel(const KernelRequest& request) {
  for (const TensorType& t : request.inputs) {
    if (t.dtype != DType::float32) return request.decline("float32 only");
  }
  if (request.outputs[0].shape.num_elements() == 0) return request.decline("empty output");
  const InferContext ctx(request.node, request.inputs, request.constants);
  const bool depthwise = request.node.op.find("Depthwise") != std::string::npos;
  const ops::nn::ConvGeometry g =
      depthwise ? ops::nn::depthwise_geometry(ctx) : ops::nn::conv2d_geometry(ctx);
  return try_onednn(request, [&]() -> KernelPtr {
    if (request.precision == Precision::bf16 && request.constant(1) != nullptr && !depthwise &&
        g.filter_in_c >= kMinBf16Channels) {
      try {
        return std::make_unique<ConvKernel>(request, g, depthwise, /*bf16=*/true);
      } catch (const dnnl::error&) {
        // No bf16 kernel for this convolution (its epilogue, say): it computes in f32.
      }
    }
    return std::make_unique<ConvKernel>(request, g, depthwise, /*bf16=*/false);
  });
}

}  // namespace kiln::cpu_kernels
