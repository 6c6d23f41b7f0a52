// MatMul, the BatchMatMul family, _FusedMatMul and _FusedBatchMatMulV2 on cuBLASLt (gemm.hpp).
// Batch dimensions broadcast when one operand's are all 1 (a stride of 0); mixed broadcasting
// ([2, 1, ..] x [1, 3, ..]) falls back. A right-hand side shared by the whole batch (a Dense
// layer on [batch, T, K]) folds the batch into the rows: one product of [batch*T, K] x [K, N].
#include "factories.hpp"
#include "gemm.hpp"

namespace kiln::cuda_kernels {

namespace {

class MatMulKernel final : public DeviceKernel {
 public:
  MatMulKernel(const GemmShape& shape, const FusedEpilogue& epilogue)
      : DeviceKernel("cuBLASLt matmul"),
        gemm_(shape, epilogue.bias_input >= 0, epilogue.residual_input >= 0, epilogue.activation),
        epilogue_(epilogue),
        n_(shape.n),
        elements_(shape.batch * shape.m * shape.n) {
    if (!epilogue.text.empty()) implementation_ += " [" + epilogue.text + "]";
  }

  std::unique_ptr<KernelState> make_state() const override { return gemm_.make_state(); }

  void run(const KernelArgs& args) const override {
    auto arg = [&](int i) { return i >= 0 ? input(args, static_cast<std::size_t>(i)) : nullptr; };
    gemm_.run(*args.state, queue_of(args), input(args, 0), input(args, 1),
              arg(epilogue_.bias_input), arg(epilogue_.residual_input), output(args));
    run_post_steps(epilogue_.after, args, output(args), elements_, n_, stream(args));
  }

 private:
  Gemm gemm_;
  FusedEpilogue epilogue_;
  i64 n_, elements_;
};

// The product of the batch dimensions before the last two.
i64 batch_of(const Shape& s) {
  i64 batch = 1;
  for (int d = 0; d + 2 < s.rank(); ++d) batch *= s.dim(d);
  return batch;
}

KernelPtr make_matmul(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request); !why.empty()) return request.decline(why);
  const Node& node = request.node;
  const bool batched = node.op.find("BatchMatMul") != std::string::npos;
  const Shape& a = request.inputs[0].shape;
  const Shape& b = request.inputs[1].shape;
  const Shape& out = request.outputs[0].shape;
  if (a.rank() < 2 || b.rank() < 2) return request.decline("operands of rank 2 or more only");
  GemmShape g;
  g.trans_a = node.attr<bool>(batched ? "adj_x" : "transpose_a");
  g.trans_b = node.attr<bool>(batched ? "adj_y" : "transpose_b");
  g.m = out.dim(-2);
  g.n = out.dim(-1);
  g.k = g.trans_a ? a.dim(-2) : a.dim(-1);
  if (g.k == 0) return request.decline("an empty inner dimension");
  g.batch = batch_of(out);
  const i64 batch_a = batch_of(a), batch_b = batch_of(b);
  if ((batch_a != 1 && batch_a != g.batch) || (batch_b != 1 && batch_b != g.batch)) {
    return request.decline("mixed batch broadcasting");
  }
  g.stride_a = batch_a == 1 ? 0 : g.m * g.k;
  g.stride_b = batch_b == 1 ? 0 : g.k * g.n;
  if (batch_b == 1 && batch_a == g.batch && !g.trans_a) {  // one [batch*m, k] x [k, n]
    g.m *= g.batch;
    g.batch = 1;
    g.stride_a = 0;
  }
  FusedEpilogue epilogue;
  std::string why;
  if (!fused_epilogue(request, /*into_product=*/true, epilogue, why)) return request.decline(why);
  return std::make_unique<MatMulKernel>(g, epilogue);
}

}  // namespace

void add_matmul_kernels(KernelFactoryTable& table) {
  for (const char* op : {"MatMul", "_FusedMatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
                         "_FusedBatchMatMulV2"}) {
    table[op] = make_matmul;
  }
}

}  // namespace kiln::cuda_kernels
