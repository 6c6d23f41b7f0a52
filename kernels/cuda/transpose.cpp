// Transpose by a constant permutation (transpose.cu): output dimension i walks input dimension
// perm[i]. A permutation computed at run time falls back.
#include "factories.hpp"

namespace kiln::cuda_kernels {

namespace {

class TransposeKernel final : public DeviceKernel {
 public:
  TransposeKernel(const Gather& index, i64 n) : DeviceKernel("transpose"), index_(index), n_(n) {}

  void run(const KernelArgs& args) const override {
    transpose(input(args, 0), output(args), n_, index_, stream(args));
    check_launch("transpose kernel");
  }

 private:
  Gather index_;
  i64 n_;
};

KernelPtr make_transpose(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request, 1); !why.empty()) return request.decline(why);
  if (aliases_other_than(request, -1)) return request.decline("in place");
  const Tensor* perm_value = request.constant(1);
  if (!perm_value) return request.decline("permutation is not constant");
  const std::vector<std::int64_t> perm = perm_value->to_int64_vector();
  const Shape& x = request.inputs[0].shape;
  const int rank = x.rank();
  if (static_cast<int>(perm.size()) != rank || rank == 0)
    return request.decline("permutation size");
  std::vector<i64> strides(static_cast<std::size_t>(rank));
  i64 stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    strides[static_cast<std::size_t>(d)] = stride;
    stride *= x.dim(d);
  }
  Gather index;
  index.rank = rank;
  for (int i = 0; i < rank; ++i) {
    const std::int64_t p = perm[static_cast<std::size_t>(i)];
    if (p < 0 || p >= rank) return request.decline("permutation out of range");
    index.dims[i] = x.dim(static_cast<int>(p));
    index.strides[i] = strides[static_cast<std::size_t>(p)];
  }
  return std::make_unique<TransposeKernel>(index, x.num_elements());
}

}  // namespace

void add_transpose_kernels(KernelFactoryTable& table) { table["Transpose"] = make_transpose; }

}  // namespace kiln::cuda_kernels
