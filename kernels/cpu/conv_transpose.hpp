// Conv2DBackpropInput and Conv3DBackpropInputV2 (Keras's Conv2DTranspose and Conv3DTranspose)
// as oneDNN deconvolutions.
//
// oneDNN's deconvolution is the backward-data pass of a convolution, which is what these ops
// are: its src is out_backprop, its dst the forward convolution's input (the op's output), and
// strides, dilations and padding are the forward convolution's, as
// backprop_input_geometry() recovers them. Its weights are [out, in, k...] in deconvolution
// terms, i.e. [in_c, out_c, k...] of the forward convolution, or [groups, in_c / groups,
// out_c / groups, k...]; TensorFlow's [k..., in_c / groups, out_c] holds exactly those, read with
// strides since no plain oneDNN tag names that order. A constant filter is reordered once into
// the layout the chosen implementation wants.
#pragma once

#include <kiln/core/ops/nn/conv_backprop.hpp>

#include "onednn.hpp"

namespace kiln::cpu_kernels {

class ConvTransposeKernel final : public PrimitiveKernel {
 public:
  ConvTransposeKernel(const KernelRequest& request, const ops::nn::VolumeGeometry& g) {
    using dt = memory::data_type;
    const bool volume = g.attrs.layout.rank == 5;
    const bool channels_first = g.attrs.layout.c == 1;
    const tag activations = volume ? (channels_first ? tag::ncdhw : tag::ndhwc)
                                   : (channels_first ? tag::nchw : tag::nhwc);
    const std::size_t first = volume ? 0 : 1;  // a plane has no depth dimension
    auto spatial = [&](memory::dims head, const ops::nn::Triple& sizes) {
      for (std::size_t i = first; i < 3; ++i) head.push_back(sizes[i]);
      return head;
    };
    const memory::desc src(spatial({g.batch, g.out_c}, g.out()), dt::f32, activations);
    const memory::desc dst(spatial({g.batch, g.in_c}, g.in), dt::f32, activations);

    // Element strides of TensorFlow's filter [k..., filter_in_c, out_c], one per window
    // dimension.
    memory::dims taps;
    std::int64_t tap_stride = g.filter_in_c * g.out_c;
    for (std::size_t i = 3; i-- > first;) {
      taps.insert(taps.begin(), tap_stride);
      tap_stride *= g.k[i];
    }
    const std::int64_t group_out = g.out_c / g.groups;
    memory::dims weight_dims, weight_strides;
    if (g.groups == 1) {
      weight_dims = {g.in_c, g.out_c};
      weight_strides = {g.out_c, 1};
    } else {
      weight_dims = {g.groups, g.filter_in_c, group_out};
      weight_strides = {group_out, g.out_c, 1};
    }
    weight_dims = spatial(weight_dims, g.k);
    weight_strides.insert(weight_strides.end(), taps.begin(), taps.end());
    const memory::desc given(weight_dims, dt::f32, weight_strides);
    const bool constant_filter = request.constant(1) != nullptr;
    const memory::desc asked = constant_filter ? memory::desc(weight_dims, dt::f32, tag::any) : given;

    memory::dims strides, dilations, pad_before, pad_after;
    for (std::size_t i = first; i < 3; ++i) {
      strides.push_back(g.attrs.stride[i]);
      dilations.push_back(g.attrs.dilation[i] - 1);  // oneDNN counts the gaps: 0 for none
      pad_before.push_back(g.win[i].pad_before);
      pad_after.push_back(g.win[i].pad_after);
    }
    const dnnl::deconvolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, src, asked, dst,
        strides, dilations, pad_before, pad_after);
    const dnnl::deconvolution_forward::primitive_desc pd(desc, user_scratchpad_attr(), engine());
    set_primitive<dnnl::deconvolution_forward>(pd);

    add_input(DNNL_ARG_SRC, 2, src);
    add_weights(DNNL_ARG_WEIGHTS, 1, request, given, pd.weights_desc());
    add_output(DNNL_ARG_DST, 0, dst);
  }
};

inline KernelPtr make_conv_transpose_kernel(const KernelRequest& request) {
  for (std::size_t i : {1, 2}) {
    if (request.inputs[i].dtype != DType::float32) return request.decline("float32 only");
  }
  const Shape& out = request.outputs[0].shape;
  if (!out.is_fully_known()) return request.decline("output shape not known when preparing");
  if (out.num_elements() == 0 || request.inputs[2].shape.num_elements() == 0) {
    return request.decline("empty tensors");
  }
  // input_sizes is often computed (Keras stacks it from tf.shape), but inference has already
  // turned it into the output's shape: the geometry is rebuilt from that.
  std::vector<const Tensor*> constants = request.constants;
  constants.resize(request.inputs.size(), nullptr);
  Tensor sizes;
  if (constants[0] == nullptr) {
    sizes = Tensor(request.inputs[0].dtype, Shape{static_cast<std::int64_t>(out.rank())});
    for (int i = 0; i < out.rank(); ++i) {
      if (sizes.dtype() == DType::int64) {
        sizes.data<std::int64_t>()[i] = out.dim(i);
      } else {
        sizes.data<std::int32_t>()[i] = static_cast<std::int32_t>(out.dim(i));
      }
    }
    constants[0] = &sizes;
  }
  std::vector<TensorType> inputs = request.inputs;
  inputs[0].shape = constants[0]->shape();
  const InferContext ctx(request.node, inputs, constants);
  const ops::nn::VolumeGeometry g = request.node.op == "Conv2DBackpropInput"
                                        ? ops::nn::conv2d_backprop_input_geometry(ctx)
                                        : ops::nn::conv3d_backprop_input_geometry(ctx);
  return try_onednn(request, [&] { return std::make_unique<ConvTransposeKernel>(request, g); });
}

}  // namespace kiln::cpu_kernels
