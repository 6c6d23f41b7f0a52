// Elementwise ops on the device: the activations and math functions of one tensor, and the
// broadcasting arithmetic of two (BiasAdd is an Add whose bias broadcasts along the last axis).
// An elementwise kernel reads element i before it writes element i, so it may compute in place.
#include <map>

#include "common.hpp"
#include "factories.hpp"

namespace kiln::cuda_kernels {

namespace {

class UnaryKernel final : public DeviceKernel {
 public:
  UnaryKernel(const std::string& op, Unary f, float alpha, i64 n)
      : DeviceKernel("elementwise " + op), f_(f), alpha_(alpha), n_(n) {}

  void run(const KernelArgs& args) const override {
    unary(f_, alpha_, input(args, 0), output(args), n_, stream(args));
    check_launch("elementwise kernel");
  }

 private:
  Unary f_;
  float alpha_;
  i64 n_;
};

class BinaryKernel final : public DeviceKernel {
 public:
  BinaryKernel(const std::string& op, Binary f, Broadcast index, i64 n)
      : DeviceKernel("broadcast " + op), f_(f), index_(index), n_(n) {}

  void run(const KernelArgs& args) const override {
    binary(f_, input(args, 0), input(args, 1), output(args), n_, index_, stream(args));
    check_launch("broadcast kernel");
  }

 private:
  Binary f_;
  Broadcast index_;
  i64 n_;
};

KernelPtr make_unary(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request); !why.empty()) return request.decline(why);
  const Node& node = request.node;
  const std::optional<Unary> f = unary_of(node.op);
  if (!f) return request.decline("no cuda kernel");
  const float alpha = node.has_attr("alpha") ? node.attr<float>("alpha") : 0.f;
  return std::make_unique<UnaryKernel>(node.op, *f, alpha, request.outputs[0].shape.num_elements());
}

KernelPtr make_binary(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request); !why.empty()) return request.decline(why);
  const Node& node = request.node;
  static const std::map<std::string_view, Binary> ops = {
      {"Add", Binary::add},     {"AddV2", Binary::add},
      {"BiasAdd", Binary::add}, {"Sub", Binary::sub},
      {"Mul", Binary::mul},     {"RealDiv", Binary::div},
      {"Div", Binary::div},     {"SquaredDifference", Binary::squared_difference}};
  if (node.op == "BiasAdd" && node.has_attr("data_format") &&
      node.attr<std::string>("data_format") != "NHWC") {
    return request.decline("NHWC only");  // the bias then runs along the last axis
  }
  const Shape& out = request.outputs[0].shape;
  const Broadcast index = broadcast_index(request.inputs[0].shape, request.inputs[1].shape, out);
  return std::make_unique<BinaryKernel>(node.op, ops.at(node.op), index, out.num_elements());
}

}  // namespace

void add_elementwise_kernels(KernelFactoryTable& table) {
  for (const char* op :
       {"Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Exp", "Log",
        "Sqrt", "Rsqrt", "Square", "Abs", "Neg", "Reciprocal", "Inv", "Erf", "Log1p"}) {
    table[op] = make_unary;
  }
  for (const char* op :
       {"Add", "AddV2", "BiasAdd", "Sub", "Mul", "RealDiv", "Div", "SquaredDifference"}) {
    table[op] = make_binary;
  }
}

}  // namespace kiln::cuda_kernels
