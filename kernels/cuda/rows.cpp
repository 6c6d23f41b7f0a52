// Softmax, LogSoftmax and _FusedLayerNorm over the last axis, one block per row (rows.cu).
// Each thread writes only the columns it read, so both may compute in place.
#include "factories.hpp"

namespace kiln::cuda_kernels {

namespace {

class SoftmaxKernel final : public DeviceKernel {
 public:
  SoftmaxKernel(bool log, i64 rows, i64 cols)
      : DeviceKernel(log ? "log-softmax" : "softmax"), log_(log), rows_(rows), cols_(cols) {}

  void run(const KernelArgs& args) const override {
    softmax(input(args, 0), output(args), rows_, cols_, log_, stream(args));
    check_launch("softmax kernel");
  }

 private:
  bool log_;
  i64 rows_, cols_;
};

class LayerNormKernel final : public DeviceKernel {
 public:
  LayerNormKernel(i64 rows, i64 cols, float epsilon)
      : DeviceKernel("layer norm"), rows_(rows), cols_(cols), epsilon_(epsilon) {}

  void run(const KernelArgs& args) const override {
    layer_norm(input(args, 0), input(args, 1), input(args, 2), output(args), rows_, cols_, epsilon_,
               stream(args));
    check_launch("layer norm kernel");
  }

 private:
  i64 rows_, cols_;
  float epsilon_;
};

// [rows, cols] with cols the last axis, or false for a scalar.
bool rows_and_cols(const Shape& s, i64& rows, i64& cols) {
  if (s.rank() == 0) return false;
  cols = s.dim(-1);
  rows = s.num_elements() / cols;
  return rows <= 0x7fffffff;  // one block per row
}

KernelPtr make_softmax(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request); !why.empty()) return request.decline(why);
  i64 rows = 0, cols = 0;
  if (!rows_and_cols(request.inputs[0].shape, rows, cols)) return request.decline("scalar");
  return std::make_unique<SoftmaxKernel>(request.node.op == "LogSoftmax", rows, cols);
}

KernelPtr make_layer_norm(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request); !why.empty()) return request.decline(why);
  i64 rows = 0, cols = 0;
  if (!rows_and_cols(request.inputs[0].shape, rows, cols)) return request.decline("scalar");
  return std::make_unique<LayerNormKernel>(rows, cols, request.node.attr<float>("epsilon"));
}

}  // namespace

void add_row_kernels(KernelFactoryTable& table) {
  table["Softmax"] = make_softmax;
  table["LogSoftmax"] = make_softmax;
  table["_FusedLayerNorm"] = make_layer_norm;
}

}  // namespace kiln::cuda_kernels
