// MaxPool and AvgPool (NHWC, float32) on window.cu's kernels; NCHW falls back.
#include <kiln/core/ops/nn/pool.hpp>

#include "factories.hpp"

namespace kiln::cuda_kernels {

namespace {

class PoolKernel final : public DeviceKernel {
 public:
  PoolKernel(const Window& w, bool max)
      : DeviceKernel(max ? "max pool" : "avg pool"), window_(w), max_(max) {}

  void run(const KernelArgs& args) const override {
    if (max_) {
      max_pool(input(args, 0), output(args), window_, stream(args));
    } else {
      avg_pool(input(args, 0), output(args), window_, stream(args));
    }
    check_launch("pool kernel");
  }

 private:
  Window window_;
  bool max_;
};

KernelPtr make_pool(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request); !why.empty()) return request.decline(why);
  if (aliases_other_than(request, -1)) return request.decline("in place");
  const bool max = request.node.op == "MaxPool";
  const InferContext ctx(request.node, request.inputs, request.constants);
  const ops::nn::PoolGeometry g = ops::nn::pool_geometry(ctx, /*allow_explicit=*/max);
  if (g.attrs.layout.c != 3) return request.decline("NHWC only");
  const Window w = window_of(g, g.channels);
  return std::make_unique<PoolKernel>(w, max);
}

}  // namespace

void add_pool_kernels(KernelFactoryTable& table) {
  table["MaxPool"] = make_pool;
  table["AvgPool"] = make_pool;
}

}  // namespace kiln::cuda_kernels
