// FusedBatchNorm (V1/V2/V3) in inference mode as oneDNN batch normalization with the given
// statistics. fold-affine folds these into convolutions at O2; this kernel is what unfused
// graphs (O0, O1 and the eager interpreter) run.
//
// _FusedLayerNorm (fuse-layer-norm's form of Keras' LayerNormalization) as oneDNN layer
// normalization over the last axis: statistics computed per row, then scale and shift. It also
// computes in place, one row after another, which the memory plan may ask for.
#pragma once

#include <kiln/core/ops/nn/normalization.hpp>

#include "onednn.hpp"

namespace kiln::cpu_kernels {

class BatchNormKernel final : public PrimitiveKernel {
 public:
  BatchNormKernel(const KernelRequest& request, float epsilon) {
    const auto& d = request.inputs[0].shape.dims();
    const memory::desc data({d[0], d[3], d[1], d[2]}, memory::data_type::f32, tag::nhwc);
    const memory::desc vector = plain_md({d[3]}, memory::data_type::f32);
    const auto flags = dnnl::normalization_flags::use_global_stats |
                       dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    const dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, data,
                                                       epsilon, flags);
    const dnnl::batch_normalization_forward::primitive_desc pd(desc, user_scratchpad_attr(),
                                                               engine());
    set_primitive<dnnl::batch_normalization_forward>(pd);
    add_input(DNNL_ARG_SRC, 0, data);
    add_input(DNNL_ARG_SCALE, 1, vector);
    add_input(DNNL_ARG_SHIFT, 2, vector);
    add_input(DNNL_ARG_MEAN, 3, vector);
    add_input(DNNL_ARG_VARIANCE, 4, vector);
    add_output(DNNL_ARG_DST, 0, data);
    channel_bytes_ = static_cast<std::size_t>(d[3]) * sizeof(float);
    side_outputs_ = std::min<std::size_t>(request.outputs.size(), 5);
  }

  void run(const KernelArgs& args) const override {
    execute(args);
    // Outputs 1-4 in inference: the statistics y was normalized with (mean, variance twice).
    for (std::size_t i = 1; i < side_outputs_; ++i) {
      std::memcpy(args.outputs[i], args.inputs[i % 2 == 1 ? 3 : 4], channel_bytes_);
    }
  }

 private:
  std::size_t channel_bytes_ = 0;
  std::size_t side_outputs_ = 0;
};

inline KernelPtr make_batch_norm_kernel(const KernelRequest& request) {
  for (std::size_t i = 0; i < 5 && i < request.inputs.size(); ++i) {
    if (request.inputs[i].dtype != DType::float32) return request.decline("float32 only");
  }
  const Node& node = request.node;
  if (node.attr<bool>("is_training")) return request.decline("training mode");
  if (node.attr<std::string>("data_format") != "NHWC" || request.inputs[0].shape.rank() != 4) {
    return request.decline("NHWC 4-D input only");
  }
  if (request.inputs[0].shape.num_elements() == 0) return request.decline("empty input");
  for (std::size_t i = 1; i < request.outputs.size(); ++i) {
    if (request.aliased_input(i) >= 0) return request.decline("statistics computed in place");
  }
  const float epsilon = node.attr<float>("epsilon");
  return try_onednn(request, [&] { return std::make_unique<BatchNormKernel>(request, epsilon); });
}

class LayerNormKernel final : public PrimitiveKernel {
 public:
  LayerNormKernel(const KernelRequest& request, float epsilon) {
    const Shape& x = request.inputs[0].shape;
    const std::int64_t channels = x.dim(-1);
    // Rows of channels: the layout oneDNN normalizes along the last dimension of.
    const memory::desc data = plain_md({x.num_elements() / channels, channels},
                                       memory::data_type::f32);
    const memory::desc vector = plain_md({channels}, memory::data_type::f32);
    const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    const dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, data,
                                                       epsilon, flags);
    const dnnl::layer_normalization_forward::primitive_desc pd(desc, user_scratchpad_attr(),
                                                               engine());
    set_primitive<dnnl::layer_normalization_forward>(pd);
    add_input(DNNL_ARG_SRC, 0, data);
    add_input(DNNL_ARG_SCALE, 1, vector);
    add_input(DNNL_ARG_SHIFT, 2, vector);
    add_output(DNNL_ARG_DST, 0, data);
  }
};

inline KernelPtr make_layer_norm_kernel(const KernelRequest& request) {
  for (const TensorType& t : request.inputs) {
    if (t.dtype != DType::float32) return request.decline("float32 only");
  }
  const Shape& x = request.inputs[0].shape;
  if (x.rank() == 0 || x.num_elements() == 0) return request.decline("empty or scalar input");
  const float epsilon = request.node.attr<float>("epsilon");
  return try_onednn(request, [&] { return std::make_unique<LayerNormKernel>(request, epsilon); });
}

}  // namespace kiln::cpu_kernels
