// Transpose by a constant permutation, any dtype (gather.cu): output dimension i walks input
// dimension perm[i]. A permutation computed at run time falls back.
#include "factories.hpp"
#include "movement.hpp"

namespace kiln::cuda_kernels {

namespace {

KernelPtr make_transpose(const KernelRequest& request) {
  if (std::string why = unmovable(request); !why.empty()) return request.decline(why);
  const Tensor* perm_value = request.constant(1);
  if (!perm_value) return request.decline("permutation is not constant");
  const std::vector<std::int64_t> perm = perm_value->to_int64_vector();
  const Shape& x = request.inputs[0].shape;
  const int rank = x.rank();
  if (static_cast<int>(perm.size()) != rank || rank == 0) {
    return request.decline("permutation size");
  }
  const std::vector<i64> strides = dense_strides(x);
  Gather index;
  index.rank = rank;
  for (int i = 0; i < rank; ++i) {
    const std::int64_t p = perm[static_cast<std::size_t>(i)];
    if (p < 0 || p >= rank) return request.decline("permutation out of range");
    index.dims[i] = x.dim(static_cast<int>(p));
    index.strides[i] = strides[static_cast<std::size_t>(p)];
  }
  return std::make_unique<GatherKernel>("transpose", index, request);
}

}  // namespace

void add_transpose_kernels(KernelFactoryTable& table) { table["Transpose"] = make_transpose; }

}  // namespace kiln::cuda_kernels
