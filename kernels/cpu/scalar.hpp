// Integer and boolean scalar arithmetic: the counters and conditions of loops (i + 1, i < n,
// a && b), which run once per trip. On the reference kernels each such step would wrap its
// buffers in Tensors and allocate; here it is a switch and one store.
#pragma once

#include <cstdint>
#include <string>

#include <kiln/kernels/prepared_kernel.hpp>

namespace kiln::cpu_kernels {

class ScalarKernel final : public PreparedKernel {
 public:
  enum class Fn { add, sub, mul, less, less_equal, greater, greater_equal, equal, not_equal, logical_and, logical_or };

  ScalarKernel(Fn fn, DType in) : fn_(fn), in_(in) { implementation_ = "kiln scalar"; }

  void run(const KernelArgs& args) const override {
    const std::int64_t a = read(args.inputs[0]), b = read(args.inputs[1]);
    std::int64_t r = 0;
    bool truth = false;
    switch (fn_) {
      case Fn::add: r = a + b; break;
      case Fn::sub: r = a - b; break;
      case Fn::mul: r = a * b; break;
      case Fn::less: truth = a < b; break;
      case Fn::less_equal: truth = a <= b; break;
      case Fn::greater: truth = a > b; break;
      case Fn::greater_equal: truth = a >= b; break;
      case Fn::equal: truth = a == b; break;
      case Fn::not_equal: truth = a != b; break;
      case Fn::logical_and: truth = a != 0 && b != 0; break;
      case Fn::logical_or: truth = a != 0 || b != 0; break;
    }
    if (fn_ == Fn::add || fn_ == Fn::sub || fn_ == Fn::mul) {
      write(args.outputs[0], r);
    } else {
      *static_cast<bool*>(args.outputs[0]) = truth;
    }
  }

 private:
  std::int64_t read(const void* p) const {
    if (in_ == DType::int32) return *static_cast<const std::int32_t*>(p);
    if (in_ == DType::int64) return *static_cast<const std::int64_t*>(p);
    return *static_cast<const bool*>(p) ? 1 : 0;
  }
  // Wraps as the reference kernels do: int32 arithmetic in two's complement.
  void write(void* p, std::int64_t v) const {
    if (in_ == DType::int32) {
      *static_cast<std::int32_t*>(p) = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    } else {
      *static_cast<std::int64_t*>(p) = v;
    }
  }

  Fn fn_;
  DType in_;
};

inline KernelPtr make_scalar_kernel(const KernelRequest& request) {
  using Fn = ScalarKernel::Fn;
  const std::string& op = request.node.op;
  const DType in = request.inputs[0].dtype;
  if (request.inputs.size() != 2 || request.inputs[1].dtype != in ||
      request.inputs[0].shape.rank() != 0 || request.inputs[1].shape.rank() != 0) {
    return request.decline("scalars of one dtype only");
  }
  const bool logical = op == "LogicalAnd" || op == "LogicalOr";
  if (logical ? in != DType::boolean : in != DType::int32 && in != DType::int64) {
    return request.decline(logical ? "bool only" : "int32 or int64 only");
  }
  Fn fn = Fn::add;
  if (op == "AddV2" || op == "Add") fn = Fn::add;
  else if (op == "Sub") fn = Fn::sub;
  else if (op == "Mul") fn = Fn::mul;
  else if (op == "Less") fn = Fn::less;
  else if (op == "LessEqual") fn = Fn::less_equal;
  else if (op == "Greater") fn = Fn::greater;
  else if (op == "GreaterEqual") fn = Fn::greater_equal;
  else if (op == "Equal") fn = Fn::equal;
  else if (op == "NotEqual") fn = Fn::not_equal;
  else if (op == "LogicalAnd") fn = Fn::logical_and;
  else if (op == "LogicalOr") fn = Fn::logical_or;
  else return request.decline("no scalar kernel for this op");
  return std::make_unique<ScalarKernel>(fn, in);
}

}  // namespace kiln::cpu_kernels
