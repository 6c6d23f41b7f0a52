// The shared checks and tables of kernels/cuda/common.hpp.
#include "common.hpp"

#include <map>

namespace kiln::cuda_kernels {

std::string unsupported_tensors(const KernelRequest& request, std::size_t tensors) {
  std::vector<TensorType> checked = request.outputs;
  for (std::size_t i = 0; i < request.inputs.size() && i < tensors; ++i) {
    checked.push_back(request.inputs[i]);
  }
  for (const TensorType& t : checked) {
    if (t.dtype != DType::float32) return "float32 only";
    if (t.shape.rank() > kMaxRank) return "rank above " + std::to_string(kMaxRank);
  }
  for (const TensorType& t : request.outputs) {
    if (t.shape.num_elements() == 0) return "empty output";
  }
  return "";
}

std::optional<Unary> unary_of(std::string_view name) {
  static const std::map<std::string_view, Unary> table = {
      {"Relu", Unary::relu},
      {"Relu6", Unary::relu6},
      {"Elu", Unary::elu},
      {"Selu", Unary::selu},
      {"LeakyRelu", Unary::leaky_relu},
      {"Sigmoid", Unary::sigmoid},
      {"Tanh", Unary::tanh},
      {"Swish", Unary::swish},
      {"GeluExact", Unary::gelu_exact},
      {"GeluApproximate", Unary::gelu_tanh},
      {"Softplus", Unary::softplus},
      {"Exp", Unary::exp},
      {"Log", Unary::log},
      {"Sqrt", Unary::sqrt},
      {"Rsqrt", Unary::rsqrt},
      {"Square", Unary::square},
      {"Abs", Unary::abs},
      {"Neg", Unary::neg},
      {"Reciprocal", Unary::reciprocal},
      {"Inv", Unary::reciprocal},
      {"Erf", Unary::erf},
      {"Log1p", Unary::log1p},
  };
  auto it = table.find(name);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

Broadcast broadcast_index(const Shape& a, const Shape& b, const Shape& out) {
  Broadcast index;
  index.rank = out.rank();
  // Strides of a dense row-major operand, right-aligned to the output's dimensions; a
  // dimension of 1 (or a missing one) repeats, so its stride is 0.
  auto strides = [&](const Shape& s, i64* into) {
    i64 stride = 1;
    for (int d = s.rank() - 1, o = out.rank() - 1; o >= 0; --d, --o) {
      const i64 size = d >= 0 ? s.dim(d) : 1;
      into[o] = size == 1 ? 0 : stride;
      stride *= size;
    }
  };
  for (int d = 0; d < out.rank(); ++d) index.dims[d] = out.dim(d);
  strides(a, index.a);
  strides(b, index.b);
  return index;
}

bool aliases_other_than(const KernelRequest& request, int allowed) {
  for (std::size_t o = 0; o < request.outputs.size(); ++o) {
    const int aliased = request.aliased_input(o);
    if (aliased >= 0 && aliased != allowed) return true;
  }
  return false;
}

}  // namespace kiln::cuda_kernels
