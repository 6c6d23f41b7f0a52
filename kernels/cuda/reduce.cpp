// Sum, Mean, Max and Min over constant axes (reduce.cu), keep_dims or not: the output has the
// same elements in the same order either way. Axes that are not constant fall back.
#include <set>

#include "factories.hpp"

namespace kiln::cuda_kernels {

namespace {

class ReduceKernel final : public DeviceKernel {
 public:
  ReduceKernel(const std::string& op, Reduce f, const ReduceIndex& index, i64 outputs)
      : DeviceKernel("reduce " + op), f_(f), index_(index), outputs_(outputs) {}

  void run(const KernelArgs& args) const override {
    reduce(f_, input(args, 0), output(args), outputs_, index_, stream(args));
    check_launch("reduce kernel");
  }

 private:
  Reduce f_;
  ReduceIndex index_;
  i64 outputs_;
};

KernelPtr make_reduce(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request, 1); !why.empty()) return request.decline(why);
  if (aliases_other_than(request, -1)) return request.decline("in place");
  const Tensor* axes_value = request.constant(1);
  if (!axes_value) return request.decline("axes are not constant");
  const Shape& x = request.inputs[0].shape;
  if (x.num_elements() == 0) return request.decline("empty input");
  const int rank = x.rank();
  std::set<int> axes;
  for (std::int64_t a : axes_value->to_int64_vector()) {
    if (a < -rank || a >= rank) return request.decline("axis out of range");
    axes.insert(static_cast<int>(a < 0 ? a + rank : a));
  }
  ReduceIndex index;
  i64 stride = 1;
  std::vector<i64> strides(static_cast<std::size_t>(rank));
  for (int d = rank - 1; d >= 0; --d) {
    strides[static_cast<std::size_t>(d)] = stride;
    stride *= x.dim(d);
  }
  for (int d = 0; d < rank; ++d) {
    const bool reduced = axes.count(d) > 0;
    i64* dims = reduced ? index.reduced_dims : index.kept_dims;
    i64* at = reduced ? index.reduced_strides : index.kept_strides;
    int& n = reduced ? index.reduced_rank : index.kept_rank;
    dims[n] = x.dim(d);
    at[n] = strides[static_cast<std::size_t>(d)];
    ++n;
    if (reduced) index.reduced_count *= x.dim(d);
  }
  static const std::map<std::string_view, Reduce> ops = {
      {"Sum", Reduce::sum}, {"Mean", Reduce::mean}, {"Max", Reduce::max}, {"Min", Reduce::min}};
  const std::string& op = request.node.op;
  return std::make_unique<ReduceKernel>(op, ops.at(op), index,
                                        request.outputs[0].shape.num_elements());
}

}  // namespace

void add_reduce_kernels(KernelFactoryTable& table) {
  for (const char* op : {"Sum", "Mean", "Max", "Min"}) table[op] = make_reduce;
}

}  // namespace kiln::cuda_kernels
