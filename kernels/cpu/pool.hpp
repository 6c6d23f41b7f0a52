// MaxPool and AvgPool as oneDNN pooling, and the reductions (Mean, Sum, Max, Min) over constant
// axes: over the spatial axes of an NHWC tensor (global pooling, as every ImageNet classifier
// ends) they are pooling too, which oneDNN runs with its vectorized kernels; any other axes go to
// oneDNN's reduction primitive.
//
// TensorFlow's AvgPool divides by the window cells inside the input, oneDNN's
// pooling_avg_exclude_padding; MaxPool ignores padding, as oneDNN's max does.
#pragma once

#include <kiln/core/ops/nn/pool.hpp>
#include <set>

#include "onednn.hpp"

namespace kiln::cpu_kernels {

class PoolKernel final : public PrimitiveKernel {
 public:
  // `src`/`dst` in oneDNN's logical NCHW order, in the layout `layout`.
  PoolKernel(dnnl::algorithm algorithm, const memory::desc& src, const memory::desc& dst,
             const memory::dims& kernel, const memory::dims& strides,
             const memory::dims& pad_before, const memory::dims& pad_after) {
    const dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src, dst,
                                           strides, kernel, pad_before, pad_after);
    const dnnl::pooling_forward::primitive_desc pd(desc, user_scratchpad_attr(), engine());
    set_primitive<dnnl::pooling_forward>(pd);
    add_input(DNNL_ARG_SRC, 0, src);
    add_output(DNNL_ARG_DST, 0, dst);
  }
};

inline KernelPtr make_pool_kernel(const KernelRequest& request) {
  if (request.inputs[0].dtype != DType::float32) return request.decline("float32 only");
  if (request.outputs[0].shape.num_elements() == 0) return request.decline("empty output");
  const bool max = request.node.op == "MaxPool";
  const InferContext ctx(request.node, request.inputs, request.constants);
  const ops::nn::PoolGeometry g = ops::nn::pool_geometry(ctx, /*allow_explicit=*/max);
  const tag layout = g.attrs.layout.c == 1 ? tag::nchw : tag::nhwc;
  const memory::desc src({g.batch, g.channels, g.in_h, g.in_w}, memory::data_type::f32, layout);
  const memory::desc dst({g.batch, g.channels, g.h.out, g.w.out}, memory::data_type::f32, layout);
  const auto algorithm =
      max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  return try_onednn(request, [&] {
    return std::make_unique<PoolKernel>(algorithm, src, dst, memory::dims{g.k_h, g.k_w},
                                        memory::dims{g.attrs.stride_h, g.attrs.stride_w},
                                        memory::dims{g.h.pad_before, g.w.pad_before},
                                        memory::dims{g.h.pad_after, g.w.pad_after});
  });
}

class ReductionKernel final : public PrimitiveKernel {
 public:
  ReductionKernel(dnnl::algorithm algorithm, const memory::desc& src, const memory::desc& dst) {
    const dnnl::reduction::desc desc(algorithm, src, dst, 0.f, 0.f);
    const dnnl::reduction::primitive_desc pd(desc, user_scratchpad_attr(), engine());
    set_primitive<dnnl::reduction>(pd);
    add_input(DNNL_ARG_SRC, 0, src);
    add_output(DNNL_ARG_DST, 0, dst);
  }
};

// Mean, Sum, Max, Min of a float32 tensor over constant axes. The output has the input's rank
// with ones on the reduced axes (keep_dims only drops them, which moves no byte).
inline KernelPtr make_reduce_kernel(const KernelRequest& request) {
  const Node& node = request.node;
  const TensorType& x = request.inputs[0];
  if (x.dtype != DType::float32) return request.decline("float32 only");
  const Tensor* axes_value = request.constant(1);
  if (!axes_value) return request.decline("axes are not constant");
  const int rank = x.shape.rank();
  if (rank == 0 || x.shape.num_elements() == 0) return request.decline("empty or scalar input");
  std::set<int> axes;
  for (std::int64_t a : axes_value->to_int64_vector()) {
    if (a < -rank || a >= rank) return request.decline("axis out of range");
    axes.insert(static_cast<int>(a < 0 ? a + rank : a));
  }
  memory::dims reduced = dims_of(x.shape);
  for (int a : axes) reduced[static_cast<std::size_t>(a)] = 1;

  const bool spatial = rank == 4 && axes == std::set<int>{1, 2};
  if (spatial && (node.op == "Mean" || node.op == "Max")) {
    const auto& d = x.shape.dims();
    const memory::desc src({d[0], d[3], d[1], d[2]}, memory::data_type::f32, tag::nhwc);
    const memory::desc dst({d[0], d[3], 1, 1}, memory::data_type::f32, tag::nhwc);
    const auto algorithm = node.op == "Max" ? dnnl::algorithm::pooling_max
                                            : dnnl::algorithm::pooling_avg_exclude_padding;
    return try_onednn(request, [&] {
      return std::make_unique<PoolKernel>(algorithm, src, dst, memory::dims{d[1], d[2]},
                                          memory::dims{1, 1}, memory::dims{0, 0},
                                          memory::dims{0, 0});
    });
  }
  using A = dnnl::algorithm;
  const A algorithm = node.op == "Mean"  ? A::reduction_mean
                      : node.op == "Sum" ? A::reduction_sum
                      : node.op == "Max" ? A::reduction_max
                                         : A::reduction_min;
  if (axes.empty()) return request.decline("nothing to reduce");
  const memory::desc src = plain_md(dims_of(x.shape), memory::data_type::f32);
  const memory::desc dst = plain_md(reduced, memory::data_type::f32);
  return try_onednn(request,
                    [&] { return std::make_unique<ReductionKernel>(algorithm, src, dst); });
}

}  // namespace kiln::cpu_kernels
