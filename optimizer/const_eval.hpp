// Evaluating what is already known: a value computed only from constants, through the
// reference kernels. fold-constants uses it node by node; the fusion passes use it to read
// BatchNorm parameters that still sit behind an unfolded Rsqrt/Mul chain; the memory plan
// analysis uses it to make run-time shape arithmetic concrete once the input shapes are.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kiln/kernels/reference/reference.hpp>

#include "rewrite.hpp"

namespace kiln::opt {

// Ops that must never become constants, whatever their inputs: graph inputs can be fed (a
// PlaceholderWithDefault's default is only a default), NoOp computes nothing, and ops with side
// effects or random outputs are not functions of their inputs.
inline bool may_fold_op(const std::string& op) {
  return op != "Const" && op != "Placeholder" && op != "PlaceholderWithDefault" && op != "NoOp" &&
         !has_side_effects(op) && !is_nondeterministic(op);
}

// A node that may become a constant when its inputs are: a foldable op, not control flow (a
// loop may run for as long as it likes), and with no tensor list among its outputs (a list is
// made fresh on every run and has no constant form).
inline bool may_fold(const Node& node) {
  if (!may_fold_op(node.op) || !node.regions.empty() || has_regions(node.op)) return false;
  for (const TensorType& t : node.outputs) {
    if (t.dtype == DType::variant) return false;
  }
  return true;
}

// Bytes of a type whose shape is fully known, or -1.
inline std::int64_t known_bytes(const TensorType& type) {
  if (!type.shape.is_fully_known()) return -1;
  return checked_mul(type.shape.num_elements(), static_cast<std::int64_t>(dtype_size(type.dtype)));
}

// The value of `v` when it and everything it depends on are computable from constants, through
// at most `max_nodes` evaluations and never producing a tensor over `byte_budget` bytes; else
// nullopt. Never throws for a node that cannot be evaluated: it just is not known.
inline std::optional<Tensor> evaluate_constant(const Graph& graph, Value v,
                                               std::int64_t byte_budget, int max_nodes = 64) {
  std::map<NodeId, std::vector<Tensor>> known;
  int evaluations = 0;
  // Depth-first with an explicit result per node; recursion depth is bounded by max_nodes.
  std::function<bool(NodeId)> compute = [&](NodeId id) -> bool {
    if (known.count(id)) return true;
    const Node& node = graph.node(id);
    if (node.op == "Const") {
      known[id] = {node.attr<Tensor>("value")};
      return true;
    }
    if (!may_fold(node) || ++evaluations > max_nodes) return false;
    for (const TensorType& t : node.outputs) {
      const std::int64_t bytes = known_bytes(t);
      if (bytes < 0 || bytes > byte_budget) return false;
    }
    std::vector<Tensor> args;
    for (Value in : node.inputs) {
      if (!compute(in.node)) return false;
      args.push_back(known[in.node].at(static_cast<std::size_t>(in.index)));
    }
    try {
      known[id] = reference::evaluate(node, args);
    } catch (const Error&) {
      return false;
    }
    return true;
  };
  if (!compute(v.node)) return std::nullopt;
  const std::vector<Tensor>& outs = known[v.node];
  if (static_cast<std::size_t>(v.index) >= outs.size()) return std::nullopt;
  return outs[static_cast<std::size_t>(v.index)];
}

// An int32 or int64 tensor holding `values`: [n], or [] for a scalar.
inline Tensor int_tensor(DType dtype, const std::vector<std::int64_t>& values, bool scalar) {
  Shape shape = scalar ? Shape{} : Shape{static_cast<std::int64_t>(values.size())};
  Tensor t(dtype, shape);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::int32)
      t.data<std::int32_t>()[i] = static_cast<std::int32_t>(values[i]);
    else
      t.data<std::int64_t>()[i] = values[i];
  }
  return t;
}

// What Shape, Size or Rank (node `n`, output type `out`) of a value of type `input` is, when
// the type alone says it; else nullopt.
inline std::optional<Tensor> shape_op_value(const Node& n, const TensorType& input, DType out) {
  if (out != DType::int32 && out != DType::int64) return std::nullopt;
  const Shape& s = input.shape;
  auto fits = [out](std::int64_t v) { return out == DType::int64 || v <= INT32_MAX; };
  if (n.op == "Rank" && s.has_rank()) return int_tensor(out, {s.rank()}, true);
  if (!s.is_fully_known()) return std::nullopt;
  if (n.op == "Size" && fits(s.num_elements())) return int_tensor(out, {s.num_elements()}, true);
  if (n.op != "Shape") return std::nullopt;
  for (std::int64_t d : s.dims()) {
    if (!fits(d)) return std::nullopt;
  }
  return int_tensor(out, s.dims(), false);
}

// Type inference over the whole graph that also carries the values it can work out: constants,
// Shape/Size/Rank of tensors whose type says the answer, and every node whose inputs are all
// known and whose outputs are at most `max_value_bytes` (shape arithmetic, not data). Shape
// functions see those values, so a Reshape whose target is computed at run time from concrete
// shapes gets a concrete type. The graph's structure is not changed; only node types are.
inline void infer_types_with_values(Graph& graph, std::int64_t max_value_bytes = 4096) {
  std::set<NodeId> ports;
  for (const Graph::Port& p : graph.inputs()) ports.insert(p.value.node);
  std::map<Value, Tensor> known;
  for (NodeId id : graph.topological_order()) {
    Node& node = graph.node(id);
    std::vector<TensorType> types;
    std::vector<const Tensor*> values;
    std::vector<Tensor> args;
    bool all_known = true;
    for (Value in : node.inputs) {
      types.push_back(graph.type_of(in));
      auto it = known.find(in);
      values.push_back(it == known.end() ? nullptr : &it->second);
      all_known = all_known && it != known.end();
      if (it != known.end()) args.push_back(it->second);
    }
    infer_into(node, types, values);
    if (node.op == "Const") {
      known[{id, 0}] = node.attr<Tensor>("value");
      continue;
    }
    if (ports.count(id) || !may_fold(node) || node.outputs.empty()) continue;
    if ((node.op == "Shape" || node.op == "Size" || node.op == "Rank") && types.size() == 1) {
      if (auto v = shape_op_value(node, types[0], node.outputs[0].dtype)) known[{id, 0}] = *v;
      continue;
    }
    if (!all_known || node.inputs.empty()) continue;
    bool small = true;
    for (const TensorType& t : node.outputs) {
      const std::int64_t bytes = known_bytes(t);
      small = small && bytes >= 0 && bytes <= max_value_bytes;
    }
    if (!small) continue;
    try {
      const std::vector<Tensor> outs = reference::evaluate(node, args);
      for (std::size_t k = 0; k < outs.size(); ++k) known[{id, static_cast<int>(k)}] = outs[k];
    } catch (const Error&) {
      // Not known, then: inference above already accepted the node.
    }
  }
}

}  // namespace kiln::opt
