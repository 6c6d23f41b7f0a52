// Pad (zeros) with constant paddings, any dtype (gather.cu). PadV2's constant and MirrorPad fall
// back.
#include "factories.hpp"
#include "movement.hpp"

namespace kiln::cuda_kernels {

namespace {

class PadKernel final : public DeviceKernel {
 public:
  PadKernel(const Padding& padding, const KernelRequest& request)
      : DeviceKernel("pad"),
        padding_(padding),
        n_(request.outputs[0].shape.num_elements()),
        element_bytes_(static_cast<int>(dtype_size(request.outputs[0].dtype))) {}

  void run(const KernelArgs& args) const override {
    pad(args.inputs[0], args.outputs[0], n_, padding_, element_bytes_, stream(args));
    check_launch("pad kernel");
  }

 private:
  Padding padding_;
  i64 n_;
  int element_bytes_;
};

KernelPtr make_pad(const KernelRequest& request) {
  if (std::string why = unmovable(request); !why.empty()) return request.decline(why);
  const Tensor* paddings_value = request.constant(1);
  if (!paddings_value) return request.decline("paddings are not constant");
  const std::vector<std::int64_t> paddings = paddings_value->to_int64_vector();
  const Shape& x = request.inputs[0].shape;
  const Shape& out = request.outputs[0].shape;
  if (paddings.size() != 2 * static_cast<std::size_t>(x.rank()) || out.rank() != x.rank()) {
    return request.decline("paddings shape");
  }
  const std::vector<i64> strides = dense_strides(x);
  Padding p;
  p.rank = x.rank();
  for (int d = 0; d < x.rank(); ++d) {
    const std::int64_t before = paddings[2 * static_cast<std::size_t>(d)];
    if (before < 0) return request.decline("negative padding");
    p.dims[d] = out.dim(d);
    p.before[d] = before;
    p.in_dims[d] = x.dim(d);
    p.in_strides[d] = strides[static_cast<std::size_t>(d)];
  }
  return std::make_unique<PadKernel>(p, request);
}

}  // namespace

void add_pad_kernels(KernelFactoryTable& table) { table["Pad"] = make_pad; }

}  // namespace kiln::cuda_kernels
