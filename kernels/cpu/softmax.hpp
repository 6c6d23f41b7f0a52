// Softmax and LogSoftmax over the last axis, as oneDNN's softmax and logsoftmax.
#pragma once

#include "onednn.hpp"

namespace kiln::cpu_kernels {

template <class Primitive>
class SoftmaxKernel final : public PrimitiveKernel {
 public:
  explicit SoftmaxKernel(const TensorType& x) {
    const memory::desc md = plain_md(x);
    const int axis = std::max(x.shape.rank(), 1) - 1;
    const typename Primitive::desc desc(dnnl::prop_kind::forward_inference, md, axis);
    const typename Primitive::primitive_desc pd(desc, user_scratchpad_attr(), engine());
    set_primitive<Primitive>(pd);
    add_input(DNNL_ARG_SRC, 0, md);
    add_output(DNNL_ARG_DST, 0, md);
  }
};

inline KernelPtr make_softmax_kernel(const KernelRequest& request) {
  const TensorType& x = request.inputs[0];
  if (x.dtype != DType::float32) return request.decline("float32 only");
  if (x.shape.num_elements() == 0) return request.decline("empty input");
  return try_onednn(request, [&]() -> KernelPtr {
    if (request.node.op == "LogSoftmax") {
      return std::make_unique<SoftmaxKernel<dnnl::logsoftmax_forward>>(x);
    }
    return std::make_unique<SoftmaxKernel<dnnl::softmax_forward>>(x);
  });
}

}  // namespace kiln::cpu_kernels
