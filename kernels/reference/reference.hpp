// Kiln's reference kernels: plain loops that define what every op means. They follow
// TensorFlow's semantics exactly, and constant folding and the tests trust them for that.
#pragma once

#include <kiln/core/ops.hpp>

#include "array.hpp"
#include "checks.hpp"
#include "control_flow.hpp"
#include "dataflow.hpp"
#include "dynamic.hpp"
#include "fused.hpp"
#include "math.hpp"
#include "nn.hpp"
#include "quantized.hpp"
#include "random.hpp"
#include "tensor_list.hpp"

namespace kiln::reference {

// Every op's reference kernel, by op name, built once on first use. A function template for the
// reason make_op_catalogue() is one: the table instantiates every kernel for every type it takes,
// over half of what a program that includes kiln.hpp takes to compile (precompiled_tables.cpp).
template <typename = void>
KernelTable make_kernel_table() {
  KernelTable t;
  register_dataflow_kernels(t);
  register_array_kernels(t);
  register_math_kernels(t);
  register_nn_kernels(t);
  register_fused_kernels(t);
  register_quantized_kernels(t);
  register_random_kernels(t);
  register_check_kernels(t);
  register_dynamic_kernels(t);
  tensor_list::register_tensor_list_kernels(t);
  return t;
}
#ifdef KILN_PRECOMPILED_TABLES
extern template KernelTable make_kernel_table<>();
#endif

inline const KernelTable& kernel_table() {
  static const KernelTable table = make_kernel_table();
  return table;
}

// Runs one node on known inputs and returns its outputs. Inference runs first with every input
// value known, so it validates the node and sizes the outputs; then the kernel fills them.
inline std::vector<Tensor> evaluate_graph(const Graph& graph, const std::vector<Tensor>& inputs);

inline std::vector<Tensor> evaluate(const Node& node, const std::vector<Tensor>& inputs) {
  if (node.op == "Const") return {node.attr<Tensor>("value")};  // already a value
  if (!node.regions.empty()) {
    return run_control_flow(node, inputs, [&node](std::size_t region, const std::vector<Tensor>& args) {
      return evaluate_graph(*node.regions.at(region), args);
    });
  }
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

// Runs a whole graph (a region) node by node on the reference kernels: inputs in the order of
// graph.inputs(), outputs in the order of graph.outputs().
inline std::vector<Tensor> evaluate_graph(const Graph& graph, const std::vector<Tensor>& inputs) {
  if (inputs.size() != graph.inputs().size()) {
    throw Error(Errc::invalid_argument, "wrong number of region arguments")
        .expected(std::to_string(graph.inputs().size()))
        .found(std::to_string(inputs.size()));
  }
  std::vector<std::vector<Tensor>> values(graph.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    values[static_cast<std::size_t>(graph.inputs()[i].value.node)] = {inputs[i]};
  }
  for (NodeId id : graph.topological_order()) {
    auto& produced = values[static_cast<std::size_t>(id)];
    if (!produced.empty()) continue;  // an argument
    const Node& node = graph.node(id);
    std::vector<Tensor> args;
    for (Value in : node.inputs) args.push_back(values[static_cast<std::size_t>(in.node)].at(static_cast<std::size_t>(in.index)));
    produced = evaluate(node, args);
  }
  std::vector<Tensor> results;
  for (const Graph::Port& port : graph.outputs()) {
    results.push_back(values[static_cast<std::size_t>(port.value.node)].at(static_cast<std::size_t>(port.value.index)));
  }
  return results;
}

}  // namespace kiln::reference
