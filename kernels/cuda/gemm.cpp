// cuBLASLt calls for kernels/cuda/gemm.hpp.
#include "gemm.hpp"

#include <cstdint>

namespace kiln::cuda_kernels {

namespace {

// The descriptors of one product for one instance, and the algorithm chosen for its buffers.
struct GemmState final : KernelState {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t first = nullptr, second = nullptr, out = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool ready = false;

  ~GemmState() override {
    if (out) cublasLtMatrixLayoutDestroy(out);
    if (second) cublasLtMatrixLayoutDestroy(second);
    if (first) cublasLtMatrixLayoutDestroy(first);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

// A column-major layout of `rows` x `cols` with leading dimension `ld`, batched.
cublasLtMatrixLayout_t layout(i64 rows, i64 cols, i64 ld, i64 batch, i64 stride) {
  cublasLtMatrixLayout_t l = nullptr;
  check(cublasLtMatrixLayoutCreate(&l, CUDA_R_32F, static_cast<std::uint64_t>(rows),
                                   static_cast<std::uint64_t>(cols), ld),
        "cublasLtMatrixLayoutCreate");
  if (batch > 1) {
    const auto count = static_cast<std::int32_t>(batch);
    check(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                           sizeof count),
          "batch count");
    check(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
                                           sizeof stride),
          "batch stride");
  }
  return l;
}

// The largest power of two (up to 256) that divides the address: cuBLASLt's heuristic only
// offers algorithms the buffers are aligned enough for.
std::uint32_t alignment(const void* p) {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  std::uint32_t a = 256;
  while (a > 4 && address % a != 0) a /= 2;
  return a;
}

}  // namespace

Gemm::Gemm(GemmShape shape, bool bias, bool residual, ProductActivation activation)
    : shape_(shape), bias_(bias), residual_(residual), activation_(activation) {}

std::unique_ptr<KernelState> Gemm::make_state() const { return std::make_unique<GemmState>(); }

namespace {

template <typename T>
void set(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t key, const T& value,
         const char* what) {
  check(cublasLtMatmulDescSetAttribute(desc, key, &value, sizeof value), what);
}

template <typename T>
void set(cublasLtMatmulPreference_t preference, cublasLtMatmulPreferenceAttributes_t key,
         const T& value) {
  check(cublasLtMatmulPreferenceSetAttribute(preference, key, &value, sizeof value),
        "cublasLtMatmulPreferenceSetAttribute");
}

cublasLtEpilogue_t epilogue_of(bool bias, ProductActivation activation) {
  switch (activation) {
    case ProductActivation::relu: return bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
    case ProductActivation::gelu_tanh:
      return bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
    case ProductActivation::none: break;
  }
  return bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
}

}  // namespace

void Gemm::describe(KernelState& state, const Queue& queue, const float* a, const float* b,
                    const float* bias, const float* residual, float* out) const {
  auto& s = static_cast<GemmState&>(state);
  const GemmShape& g = shape_;
  // cuBLASLt's first operand is b^T ([n, k] column-major), its second a^T ([k, m]).
  check(cublasLtMatmulDescCreate(&s.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F),
        "cublasLtMatmulDescCreate");
  set(s.desc, CUBLASLT_MATMUL_DESC_TRANSA, g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, "transa");
  set(s.desc, CUBLASLT_MATMUL_DESC_TRANSB, g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, "transb");
  set(s.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue_of(bias_, activation_), "epilogue");
  if (bias_) set(s.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias, "bias pointer");
  s.first = g.trans_b ? layout(g.k, g.n, g.k, g.batch, g.stride_b)
                      : layout(g.n, g.k, g.n, g.batch, g.stride_b);
  s.second = g.trans_a ? layout(g.m, g.k, g.m, g.batch, g.stride_a)
                       : layout(g.k, g.m, g.k, g.batch, g.stride_a);
  s.out = layout(g.n, g.m, g.n, g.batch, g.m * g.n);

  // The heuristic's best algorithm for this workspace and these buffers' alignment.
  cublasLtMatmulPreference_t preference = nullptr;
  check(cublasLtMatmulPreferenceCreate(&preference), "cublasLtMatmulPreferenceCreate");
  std::unique_ptr<cublasLtMatmulPreferenceOpaque_t, decltype(&cublasLtMatmulPreferenceDestroy)>
      owned(preference, cublasLtMatmulPreferenceDestroy);
  set(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, std::uint64_t{Queue::kWorkspaceBytes});
  set(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, alignment(b));
  set(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, alignment(a));
  set(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
      alignment(residual_ ? residual : out));
  set(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, alignment(out));
  cublasLtMatmulHeuristicResult_t found{};
  int count = 0;
  check(cublasLtMatmulAlgoGetHeuristic(queue.blas, s.desc, s.first, s.second, s.out, s.out,
                                       preference, 1, &found, &count),
        "cublasLtMatmulAlgoGetHeuristic");
  if (count == 0) check(CUBLAS_STATUS_NOT_SUPPORTED, "cublasLtMatmulAlgoGetHeuristic (none)");
  s.algo = found.algo;
  s.ready = true;
}

void Gemm::run(KernelState& state, const Queue& queue, const float* a, const float* b,
               const float* bias, const float* residual, float* out) const {
  auto& s = static_cast<GemmState&>(state);
  // An instance's buffers never move, so what was chosen for them on its first run holds.
  if (!s.ready) describe(state, queue, a, b, bias, residual, out);
  const float one = 1.f, beta = residual_ ? 1.f : 0.f;
  const float* c = residual_ ? residual : out;
  check(cublasLtMatmul(queue.blas, s.desc, &one, b, s.first, a, s.second, &beta, c, s.out, out,
                       s.out, &s.algo, queue.workspace, Queue::kWorkspaceBytes, queue.stream),
        "cublasLtMatmul");
}

}  // namespace kiln::cuda_kernels
