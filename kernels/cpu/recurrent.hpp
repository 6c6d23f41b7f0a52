// _FusedLSTMGates (fuse-lstm-gates' form of one LSTM step's gate arithmetic) on Eigen's
// vectorized sigmoid and tanh: per batch row, the four gate blocks of z are read in place and
// both new states are written in one pass. oneDNN has no primitive for gates alone (its LSTM
// primitive owns the whole loop), and the products before the gates already run on oneDNN.
#pragma once

#include <Eigen/Core>

#include <kiln/kernels/prepared_kernel.hpp>

namespace kiln::cpu_kernels {

class LSTMGatesKernel final : public PreparedKernel {
 public:
  LSTMGatesKernel(std::int64_t batch, std::int64_t units) : batch_(batch), units_(units) {
    implementation_ = "eigen";
  }

  void run(const KernelArgs& args) const override {
    using Row = Eigen::Array<float, Eigen::Dynamic, 1>;
    using In = Eigen::Map<const Row>;
    using Out = Eigen::Map<Row>;
    const auto n = static_cast<Eigen::Index>(units_);
    for (std::int64_t b = 0; b < batch_; ++b) {
      const float* z = static_cast<const float*>(args.inputs[0]) + b * 4 * units_;
      const In c(static_cast<const float*>(args.inputs[1]) + b * units_, n);
      Out h_next(static_cast<float*>(args.outputs[0]) + b * units_, n);
      Out c_next(static_cast<float*>(args.outputs[1]) + b * units_, n);
      c_next = In(z + units_, n).logistic() * c + In(z, n).logistic() * In(z + 2 * units_, n).tanh();
      h_next = In(z + 3 * units_, n).logistic() * c_next.tanh();
    }
  }

 private:
  std::int64_t batch_, units_;
};

inline KernelPtr make_lstm_gates_kernel(const KernelRequest& request) {
  if (request.inputs[0].dtype != DType::float32) return request.decline("float32 only");
  const Shape& z = request.inputs[0].shape;
  if (z.num_elements() == 0) return request.decline("empty input");
  return std::make_unique<LSTMGatesKernel>(z.dim(0), z.dim(1) / 4);
}

}  // namespace kiln::cpu_kernels
