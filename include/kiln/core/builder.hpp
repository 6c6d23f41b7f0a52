// GraphBuilder: write a graph by hand in C++.
//
//   GraphBuilder b;
//   Value x = b.input("x", DType::float32, {-1, 4});
//   Value w = b.constant("w", Tensor::from<float>({4, 2}, {...}));
//   b.output("y", b.op("Relu", {b.op("MatMul", {x, w})}));
//   Graph g = b.finish();
//
// Each op() call fills TensorFlow's default attributes, derives type attributes such as T from
// the inputs when they are not given, and infers output types at once, so a mistake is reported
// at the line that made it, naming the node.
#pragma once

#include <string>
#include <vector>

#include "ops.hpp"
#include "verify.hpp"

namespace kiln {

// Completes a node made by hand (op, inputs and the attributes that matter) the way a
// GraphBuilder does: TensorFlow's defaults, type attributes such as T derived from the inputs
// when not given, output types inferred from `graph` (an error names the node). Passes that
// make new nodes use it too.
inline void complete_node(const Graph& graph, Node& node) {
  const OpDef& def = op_catalogue().at(node);
  fill_default_attrs(node, def);
  std::vector<TensorType> types;
  std::vector<const Tensor*> values;
  for (Value in : node.inputs) {
    types.push_back(graph.type_of(in));
    values.push_back(constant_value(graph, in));
  }
  for (std::size_t i = 0; i < def.input_types.size() && i < types.size(); ++i) {
    const std::string& key = def.input_types[i];
    if (!key.empty() && !node.has_attr(key)) node.attrs.emplace(key, types[i].dtype);
  }
  infer_into(node, std::move(types), std::move(values));
}

inline NodeId add_inferred(Graph& graph, Node node) {
  complete_node(graph, node);
  return graph.add(std::move(node));
}

class GraphBuilder {
 public:
  // A graph input: a Placeholder node, registered as a named input port.
  Value input(const std::string& name, DType dtype, Shape shape = Shape::unknown_rank()) {
    Value v = op("Placeholder", {}, {{"dtype", dtype}, {"shape", std::move(shape)}}, name);
    graph_.inputs().push_back({name, v});
    return v;
  }

  // A graph input that may be left unfed: a PlaceholderWithDefault over a Const "<name>/input",
  // the pattern TensorFlow exports for inputs with defaults.
  Value input_with_default(const std::string& name, Tensor default_value) {
    const DType dtype = default_value.dtype();
    Shape shape = default_value.shape();
    Value fallback = constant(name + "/input", std::move(default_value));
    Value v = op("PlaceholderWithDefault", {fallback}, {{"dtype", dtype}, {"shape", std::move(shape)}},
                 name);
    graph_.inputs().push_back({name, v});
    return v;
  }

  Value constant(const std::string& name, Tensor value) {
    const DType dtype = value.dtype();
    return op("Const", {}, {{"dtype", dtype}, {"value", std::move(value)}}, name);
  }

  // Adds a node and returns its first output. An empty name becomes the op's name, made unique
  // with a suffix the way TensorFlow does it: MatMul, MatMul_1, MatMul_2, ...
  Value op(const std::string& op_type, std::vector<Value> inputs, Attrs attrs = {},
           std::string name = "") {
    return {add(op_type, std::move(inputs), std::move(attrs), std::move(name)), 0};
  }

  // Adds a node and returns all its outputs (for Unpack, Split, FusedBatchNorm, ...).
  std::vector<Value> op_outputs(const std::string& op_type, std::vector<Value> inputs,
                                Attrs attrs = {}, std::string name = "") {
    return outputs_of(add(op_type, std::move(inputs), std::move(attrs), std::move(name)));
  }

  // Adds a control-flow node that owns `regions` (a While's cond and body, an If's branches;
  // each built with a GraphBuilder of its own) and returns all its outputs.
  std::vector<Value> control_flow(const std::string& op_type, std::vector<Value> inputs,
                                  std::vector<Graph> regions, Attrs attrs = {}, std::string name = "") {
    std::vector<std::shared_ptr<const Graph>> owned;
    for (Graph& g : regions) owned.push_back(std::make_shared<const Graph>(std::move(g)));
    return outputs_of(add(op_type, std::move(inputs), std::move(attrs), std::move(name), std::move(owned)));
  }

  // `node` runs after `dependency` even though no data flows between them.
  void control(Value node, Value dependency) {
    graph_.node(node.node).control_inputs.push_back(dependency.node);
  }

  void output(const std::string& name, Value v) {
    graph_.type_of(v);  // validates the value
    graph_.outputs().push_back({name, v});
  }

  const Graph& graph() const { return graph_; }

  // Verifies the whole graph and hands it over.
  Graph finish() {
    verify(graph_);
    return std::move(graph_);
  }

 private:
  NodeId add(const std::string& op_type, std::vector<Value> inputs, Attrs attrs, std::string name,
             std::vector<std::shared_ptr<const Graph>> regions = {}) {
    Node node;
    node.regions = std::move(regions);
    node.name = name.empty() ? unique_name(op_type) : std::move(name);
    node.op = op_type;
    node.inputs = std::move(inputs);
    node.attrs = std::move(attrs);
    return add_inferred(graph_, std::move(node));
  }

  std::vector<Value> outputs_of(NodeId id) const {
    std::vector<Value> outs;
    for (std::size_t i = 0; i < graph_.node(id).outputs.size(); ++i) outs.push_back({id, static_cast<int>(i)});
    return outs;
  }

  std::string unique_name(const std::string& base) {
    std::string name = base;
    for (int n = 1; graph_.find(name); ++n) name = base + "_" + std::to_string(n);
    return name;
  }

  Graph graph_;
};

}  // namespace kiln
