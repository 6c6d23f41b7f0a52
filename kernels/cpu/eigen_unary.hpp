// Unary functions oneDNN has no eltwise for, on Eigen's vectorized array expressions: the ones
// transformer graphs are made of (exact GELU's Erf / Erfc, LayerNorm's Rsqrt). Eigen is also what
// TensorFlow's own CPU kernels compute these with.
#pragma once

#include <Eigen/Core>
#include <string>
#include <unsupported/Eigen/SpecialFunctions>

#include <kiln/kernels/prepared_kernel.hpp>

namespace kiln::cpu_kernels {

class EigenUnaryKernel final : public PreparedKernel {
 public:
  using Function = void (*)(const float* x, float* y, std::int64_t n);

  EigenUnaryKernel(Function f, std::int64_t elements) : f_(f), elements_(elements) {
    implementation_ = "eigen";
  }

  void run(const KernelArgs& args) const override {
    f_(static_cast<const float*>(args.inputs[0]), static_cast<float*>(args.outputs[0]), elements_);
  }

 private:
  Function f_;
  std::int64_t elements_;
};

namespace eigen_detail {

using Array = Eigen::Array<float, Eigen::Dynamic, 1>;
inline Eigen::Map<const Array> in(const float* x, std::int64_t n) {
  return Eigen::Map<const Array>(x, static_cast<Eigen::Index>(n));
}
inline Eigen::Map<Array> out(float* y, std::int64_t n) {
  return Eigen::Map<Array>(y, static_cast<Eigen::Index>(n));
}

// Each works in place too (y == x): Eigen reads element i before it writes it.
inline void erf(const float* x, float* y, std::int64_t n) { out(y, n) = in(x, n).erf(); }
inline void erfc(const float* x, float* y, std::int64_t n) { out(y, n) = in(x, n).erfc(); }
inline void rsqrt(const float* x, float* y, std::int64_t n) { out(y, n) = in(x, n).rsqrt(); }
inline void reciprocal(const float* x, float* y, std::int64_t n) { out(y, n) = in(x, n).inverse(); }
inline void log1p(const float* x, float* y, std::int64_t n) { out(y, n) = in(x, n).log1p(); }

}  // namespace eigen_detail

inline KernelPtr make_eigen_unary_kernel(const KernelRequest& request) {
  if (request.inputs[0].dtype != DType::float32) return request.decline("float32 only");
  const std::int64_t n = request.outputs[0].shape.num_elements();
  const std::string& op = request.node.op;
  EigenUnaryKernel::Function f = nullptr;
  if (op == "Erf") f = eigen_detail::erf;
  if (op == "Erfc") f = eigen_detail::erfc;
  if (op == "Rsqrt") f = eigen_detail::rsqrt;
  if (op == "Reciprocal" || op == "Inv") f = eigen_detail::reciprocal;
  if (op == "Log1p") f = eigen_detail::log1p;
  if (!f) return request.decline("no Eigen kernel for this op");
  return std::make_unique<EigenUnaryKernel>(f, n);
}

}  // namespace kiln::cpu_kernels
