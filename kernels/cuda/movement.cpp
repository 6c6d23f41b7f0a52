// The shared part of the data-movement kernels (movement.hpp).
#include "movement.hpp"

namespace kiln::cuda_kernels {

std::string unmovable(const KernelRequest& request) {
  const TensorType& in = request.inputs[0];
  const TensorType& out = request.outputs[0];
  const std::size_t bytes = dtype_size(out.dtype);
  if (out.dtype == DType::variant || (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)) {
    return "dtype";
  }
  if (in.shape.rank() > kMaxRank || out.shape.rank() > kMaxRank) {
    return "rank above " + std::to_string(kMaxRank);
  }
  if (out.shape.num_elements() == 0) return "empty output";
  if (aliases_other_than(request, -1)) return "in place";
  return "";
}

std::vector<i64> dense_strides(const Shape& s) {
  std::vector<i64> strides(static_cast<std::size_t>(s.rank()));
  i64 stride = 1;
  for (int d = s.rank() - 1; d >= 0; --d) {
    strides[static_cast<std::size_t>(d)] = stride;
    stride *= s.dim(d);
  }
  return strides;
}

GatherKernel::GatherKernel(const std::string& what, const Gather& index,
                           const KernelRequest& request)
    : DeviceKernel(what),
      index_(index),
      n_(request.outputs[0].shape.num_elements()),
      element_bytes_(static_cast<int>(dtype_size(request.outputs[0].dtype))) {}

void GatherKernel::run(const KernelArgs& args) const {
  gather(args.inputs[0], args.outputs[0], n_, index_, element_bytes_, stream(args));
  check_launch("gather kernel");
}

}  // namespace kiln::cuda_kernels
