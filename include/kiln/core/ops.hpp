// The op catalogue: every op Kiln knows, with its attributes, TensorFlow's defaults and type
// inference; and the two things done with it on any node: fill in defaults, infer output types.
#pragma once

#include "op_def.hpp"
#include "ops/array.hpp"
#include "ops/checks.hpp"
#include "ops/clip.hpp"
#include "ops/control_flow.hpp"
#include "ops/cumulative.hpp"
#include "ops/dataflow.hpp"
#include "ops/dynamic.hpp"
#include "ops/fused.hpp"
#include "ops/math.hpp"
#include "ops/nn.hpp"
#include "ops/quantized.hpp"
#include "ops/random.hpp"
#include "ops/tensor_list.hpp"

namespace kiln {

// Every op's definition, built once on first use. The building is a function template so that
// a build can compile it once and tell every other file to skip it: these few hundred definitions
// are about a fifth of what a program that includes kiln.hpp takes to compile
// (kernels/reference/precompiled_tables.cpp says how).
template <typename = void>
OpCatalogue make_op_catalogue() {
  OpCatalogue c;
  ops::register_dataflow_ops(c);
  ops::register_array_ops(c);
  ops::register_math_ops(c);
  ops::register_clip_ops(c);
  ops::register_cumulative_ops(c);
  ops::register_nn_ops(c);
  ops::register_fused_ops(c);
  ops::register_quantized_ops(c);
  ops::register_random_ops(c);
  ops::register_check_ops(c);
  ops::register_dynamic_ops(c);
  ops::register_control_flow_ops(c);
  ops::register_tensor_list_ops(c);
  return c;
}
#ifdef KILN_PRECOMPILED_TABLES
extern template OpCatalogue make_op_catalogue<>();
#endif

inline const OpCatalogue& op_catalogue() {
  static const OpCatalogue catalogue = make_op_catalogue();
  return catalogue;
}

// Adds every attribute the node lacks that has a default: TensorFlow 2 exports strip them.
inline void fill_default_attrs(Node& node, const OpDef& def) {
  for (const AttrDef& a : def.attrs) {
    if (a.default_value && !node.has_attr(a.name)) node.attrs.emplace(a.name, *a.default_value);
  }
}
inline void fill_default_attrs(Node& node) { fill_default_attrs(node, op_catalogue().at(node)); }

// Checks arity, required attributes and the input dtypes the op's type attributes demand, then
// runs the op's shape function. `values[i]` may be null when input i is not known yet.
inline std::vector<TensorType> infer_node(const Node& node, std::vector<TensorType> inputs,
                                          std::vector<const Tensor*> values) {
  const OpDef& def = op_catalogue().at(node);
  const int n = static_cast<int>(inputs.size());
  if (n < def.min_inputs || (def.max_inputs != kVariadic && n > def.max_inputs)) {
    const std::string want = def.max_inputs == kVariadic
                                 ? "at least " + std::to_string(def.min_inputs)
                             : def.min_inputs == def.max_inputs
                                 ? std::to_string(def.min_inputs)
                                 : std::to_string(def.min_inputs) + " to " + std::to_string(def.max_inputs);
    throw node.error(Errc::invalid_graph, "wrong number of inputs")
        .expected(want)
        .found(std::to_string(n));
  }
  for (const AttrDef& a : def.attrs) {
    if (!a.default_value && !node.has_attr(a.name)) {
      throw node.error(Errc::invalid_attr, "missing required attribute").attr(a.name);
    }
  }
  for (int i = 0; i < n && !def.input_types.empty(); ++i) {
    const std::size_t slot = std::min<std::size_t>(static_cast<std::size_t>(i), def.input_types.size() - 1);
    const std::string& key = def.input_types[slot];
    if (key.empty() || !node.has_attr(key)) continue;
    const AttrValue& attr = node.attrs.find(key)->second;
    const DType* want = std::get_if<DType>(&attr);
    if (want && *want != inputs[static_cast<std::size_t>(i)].dtype) {
      throw node.error(Errc::type_mismatch, "input dtype differs from the op's type attribute")
          .input(std::to_string(i))
          .attr(key)
          .expected(dtype_name(*want))
          .found(dtype_name(inputs[static_cast<std::size_t>(i)].dtype));
    }
  }
  InferContext ctx(node, std::move(inputs), std::move(values));
  return def.infer(ctx);
}

inline void infer_types(Graph& graph);

// Infers the node's output types into node.outputs and, for a control-flow node, gives its
// regions' arguments the types they take here (the loop's invariant types, the branches'
// argument types) and infers the regions through: after this a region's text shows the shapes
// it runs with, and a plan can be made for it.
inline void infer_into(Node& node, std::vector<TensorType> inputs, std::vector<const Tensor*> values) {
  node.outputs = infer_node(node, inputs, std::move(values));
  if (node.regions.empty()) return;
  // Regions on an op without any (text IR can write them anywhere) would be read below as a
  // control-flow node's, with arguments that do not exist.
  if (op_catalogue().at(node).regions.empty()) {
    throw node.error(Errc::invalid_graph, "node has regions, but its op takes none")
        .expected("0 regions")
        .found(std::to_string(node.regions.size()));
  }
  const bool loop = node.op == "While";
  std::vector<TensorType> args = loop ? node.outputs : std::vector<TensorType>(inputs.begin() + 1, inputs.end());
  for (std::shared_ptr<const Graph>& region : node.regions) {
    Graph specialized = *region;
    bool changed = false;
    for (std::size_t i = 0; i < args.size() && i < specialized.inputs().size(); ++i) {
      Node& arg = specialized.node(specialized.inputs()[i].value.node);
      if (arg.attr_or<Shape>("shape", Shape::unknown_rank()) == args[i].shape) continue;
      arg.attrs["shape"] = args[i].shape;
      changed = true;
    }
    if (!changed) continue;
    infer_types(specialized);
    region = std::make_shared<const Graph>(std::move(specialized));
  }
}

// The value of a Const node, or null: what shape functions may use before anything runs.
inline const Tensor* constant_value(const Graph& graph, Value v) {
  const Node& producer = graph.node(v.node);
  if (producer.op != "Const" || v.index != 0) return nullptr;
  return &producer.attr<Tensor>("value");
}

// Fills every node's `outputs` in topological order, from its inputs' types and constant values.
inline void infer_types(Graph& graph) {
  for (NodeId id : graph.topological_order()) {
    const Node& node = graph.node(id);
    std::vector<TensorType> types;
    std::vector<const Tensor*> values;
    for (Value in : node.inputs) {
      const Node& producer = graph.node(in.node);
      if (in.index < 0 || static_cast<std::size_t>(in.index) >= producer.outputs.size()) {
        throw node.error(Errc::invalid_graph, "input uses an output index the producer does not have")
            .input(producer.name + ":" + std::to_string(in.index))
            .expected("index < " + std::to_string(producer.outputs.size()));
      }
      types.push_back(graph.type_of(in));
      values.push_back(constant_value(graph, in));
    }
    infer_into(graph.node(id), std::move(types), std::move(values));
  }
}

}  // namespace kiln
