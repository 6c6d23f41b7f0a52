// Kiln's reference kernels: plain loops that define what every op means. They follow
// TensorFlow's semantics exactly, and constant folding and the tests trust them for that.
#pragma once

#include <kiln/core/ops.hpp>

#include "array.hpp"
#include "checks.hpp"
#include "dataflow.hpp"
#include "dynamic.hpp"
#include "fused.hpp"
#include "math.hpp"
#include "nn.hpp"
#include "random.hpp"

namespace kiln::reference {

inline const KernelTable& kernel_table() {
  static const KernelTable table = [] {
    KernelTable t;
    register_dataflow_kernels(t);
    register_array_kernels(t);
    register_math_kernels(t);
    register_nn_kernels(t);
    register_fused_kernels(t);
    register_random_kernels(t);
    register_check_kernels(t);
    register_dynamic_kernels(t);
    return t;
  }();
  return table;
}

// Runs one node on known inputs and returns its outputs. Inference runs first with every input
// value known, so it validates the node and sizes the outputs; then the kernel fills them.
inline std::vector<Tensor> evaluate(const Node& node, const std::vector<Tensor>& inputs) {
  if (node.op == "Const") return {node.attr<Tensor>("value")};  // already a value
  if (node.op == "Placeholder") throw node.error(Errc::invalid_argument, "placeholder was not fed");
  std::vector<TensorType> types;
  std::vector<const Tensor*> values;
  for (const Tensor& t : inputs) {
    types.push_back({t.dtype(), t.shape()});
    values.push_back(&t);
  }
  const std::vector<TensorType> out_types = infer_node(node, std::move(types), std::move(values));
  std::vector<Tensor> outputs;
  outputs.reserve(out_types.size());
  if (op_catalogue().at(node).forwards_inputs) {
    // Same bytes, possibly a new shape: nothing to compute.
    for (std::size_t i = 0; i < out_types.size(); ++i) {
      outputs.push_back(inputs[i].reshaped(out_types[i].shape.is_fully_known() ? out_types[i].shape
                                                                                : inputs[i].shape()));
    }
    return outputs;
  }
  for (const TensorType& t : out_types) {
    if (!t.shape.is_fully_known()) {
      throw node.error(Errc::internal, "output shape unknown although every input is known")
          .found(t.shape.str());
    }
    outputs.emplace_back(t.dtype, t.shape);
  }
  auto it = kernel_table().find(node.op);
  if (it == kernel_table().end()) {
    throw node.error(Errc::unsupported, "no kernel for this op on backend 'reference'");
  }
  it->second(node, inputs, outputs);
  return outputs;
}

}  // namespace kiln::reference
