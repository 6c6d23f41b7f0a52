// Slice and StridedSlice with constant begin, end, size and strides, any dtype: the catalogue's
// slice plan (core/ops/array/slicing.hpp) gives a start, step and count per input axis, which is
// a Gather (gather.cu). New and shrunk axes only reshape: the elements come in the same order.
#include <kiln/core/ops/array/slicing.hpp>

#include "factories.hpp"
#include "movement.hpp"

namespace kiln::cuda_kernels {

namespace {

KernelPtr make_slice(const KernelRequest& request) {
  if (std::string why = unmovable(request); !why.empty()) return request.decline(why);
  for (std::size_t i = 1; i < request.inputs.size(); ++i) {
    if (!request.constant(i)) return request.decline("bounds are not constant");
  }
  const InferContext ctx(request.node, request.inputs, request.constants);
  const ops::array::SlicePlan plan = request.node.op == "Slice"
                                         ? ops::array::plan_slice(ctx)
                                         : ops::array::plan_strided_slice(ctx);
  const Shape& x = request.inputs[0].shape;
  if (static_cast<int>(plan.ranges.size()) != x.rank()) return request.decline("slice plan");
  const std::vector<i64> strides = dense_strides(x);
  Gather index;
  index.rank = x.rank();
  for (int d = 0; d < x.rank(); ++d) {
    const ops::array::AxisRange& r = plan.ranges[static_cast<std::size_t>(d)];
    if (r.count <= 0) return request.decline("empty slice");
    index.dims[d] = r.count;
    index.strides[d] = r.step * strides[static_cast<std::size_t>(d)];
    index.offset += r.start * strides[static_cast<std::size_t>(d)];
  }
  return std::make_unique<GatherKernel>(request.node.op == "Slice" ? "slice" : "strided slice",
                                        index, request);
}

}  // namespace

void add_slice_kernels(KernelFactoryTable& table) {
  table["Slice"] = make_slice;
  table["StridedSlice"] = make_slice;
}

}  // namespace kiln::cuda_kernels
