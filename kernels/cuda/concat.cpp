// ConcatV2 along a constant axis, any dtype: the output is `outer` rows (the dimensions before
// the axis), each the inputs' chunks side by side, so each input is one strided 2-D copy on the
// device (cudaMemcpy2DAsync), no kernel of its own.
#include "factories.hpp"

namespace kiln::cuda_kernels {

namespace {

class ConcatKernel final : public DeviceKernel {
 public:
  // `chunk_bytes[i]`: input i's bytes per row; `row_bytes`: the output's.
  ConcatKernel(std::vector<std::size_t> chunk_bytes, std::size_t row_bytes, std::size_t rows)
      : DeviceKernel("concat (2-D copies)"),
        chunk_bytes_(std::move(chunk_bytes)),
        row_bytes_(row_bytes),
        rows_(rows) {}

  void run(const KernelArgs& args) const override {
    auto* out = static_cast<std::byte*>(args.outputs[0]);
    std::size_t at = 0;
    for (std::size_t i = 0; i < chunk_bytes_.size(); ++i) {
      check(cudaMemcpy2DAsync(out + at, row_bytes_, args.inputs[i], chunk_bytes_[i],
                              chunk_bytes_[i], rows_, cudaMemcpyDeviceToDevice, stream(args)),
            "cudaMemcpy2DAsync (concat)");
      at += chunk_bytes_[i];
    }
  }

 private:
  std::vector<std::size_t> chunk_bytes_;
  std::size_t row_bytes_, rows_;
};

KernelPtr make_concat(const KernelRequest& request) {
  const std::size_t count = request.inputs.size() - 1;  // the last input is the axis
  const TensorType& out = request.outputs[0];
  if (out.dtype == DType::variant) return request.decline("tensor lists");  // not bytes
  if (aliases_other_than(request, -1)) return request.decline("in place");
  const Tensor* axis_value = request.constant(count);
  if (!axis_value) return request.decline("axis is not constant");
  const int rank = out.shape.rank();
  std::int64_t axis = axis_value->to_int64_vector().at(0);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return request.decline("axis out of range");
  if (out.shape.num_elements() == 0) return request.decline("empty output");
  std::size_t rows = 1, inner = dtype_size(out.dtype);
  for (int d = 0; d < axis; ++d) rows *= static_cast<std::size_t>(out.shape.dim(d));
  for (int d = static_cast<int>(axis) + 1; d < rank; ++d) {
    inner *= static_cast<std::size_t>(out.shape.dim(d));
  }
  std::vector<std::size_t> chunks;
  for (std::size_t i = 0; i < count; ++i) {
    chunks.push_back(static_cast<std::size_t>(request.inputs[i].shape.dim(static_cast<int>(axis))) *
                     inner);
  }
  const std::size_t row = static_cast<std::size_t>(out.shape.dim(static_cast<int>(axis))) * inner;
  return std::make_unique<ConcatKernel>(std::move(chunks), row, rows);
}

}  // namespace

void add_concat_kernels(KernelFactoryTable& table) { table["ConcatV2"] = make_concat; }

}  // namespace kiln::cuda_kernels
