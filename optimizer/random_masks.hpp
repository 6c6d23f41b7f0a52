// Random masks whose answer does not depend on the random numbers: dropout at rate 0.
//
// tf.nn.dropout (what Keras' Dropout layer leaves in a graph that keeps its training branch)
// draws a uniform tensor and keeps what reaches the rate:
//
//   keep = GreaterEqual(RandomUniform(shape), rate)
//   y = SelectV2(keep, x * scale, 0)        or, older:   y = x * scale * Cast(keep)
//
// A uniform value lies in [0, 1), so against a constant rate of 0 (or any constant outside
// [0, 1)) the comparison has one answer everywhere. simplify then bypasses what the answer
// decides: a Select on a decided mask is the branch it picks, a product with a mask that is one
// everywhere (or with a constant one: the scale 1 / (1 - 0)) is the other factor. The random op
// and its comparison are left unread, and dead-code removal takes them (and says so). Both
// rewrites are exact: x * 1 is x for every float, NaN and infinities included.
//
// Only where the result's shape is the kept value's, known exactly, so that no broadcast is
// lost: under compile() every shape is concrete.
#pragma once

#include <cmath>
#include <optional>
#include <string>

#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace random_masks_detail {

// Ops whose every element lies in [0, 1).
inline bool is_unit_uniform(const std::string& op) {
  return op == "RandomUniform" || op == "StatelessRandomUniform" ||
         op == "StatelessRandomUniformV2";
}

// The answer of `u <op> c` for every u in [0, 1), or nothing when u decides it. NaN compares
// false.
inline std::optional<bool> compare_unit_interval(const std::string& op, double c) {
  if (std::isnan(c)) return false;
  // Per op: when every u gives true, and when every u gives false.
  auto decide = [](bool always_true, bool always_false) -> std::optional<bool> {
    if (always_true) return true;
    if (always_false) return false;
    return std::nullopt;
  };
  if (op == "GreaterEqual") return decide(c <= 0, c >= 1);
  if (op == "Greater") return decide(c < 0, c >= 1);
  if (op == "Less") return decide(c >= 1, c <= 0);
  if (op == "LessEqual") return decide(c >= 1, c < 0);
  return std::nullopt;
}

// `c <op> u` is `u <mirror> c`.
inline std::string mirrored(const std::string& op) {
  if (op == "GreaterEqual") return "LessEqual";
  if (op == "Greater") return "Less";
  if (op == "Less") return "Greater";
  if (op == "LessEqual") return "GreaterEqual";
  return "";
}

// The one value every element of constant `v` has, or nothing.
inline std::optional<double> uniform_constant(const Graph& graph, Value v) {
  const Tensor* t = constant_value(graph, v);
  if (!t || t->num_elements() == 0) return std::nullopt;
  const double first = t->element_as_double(0);
  for (std::int64_t i = 1; i < t->num_elements(); ++i) {
    const double e = t->element_as_double(i);
    if (!(e == first || (std::isnan(e) && std::isnan(first)))) return std::nullopt;
  }
  return first;
}

// The truth value every element of boolean `v` has, whatever the random numbers: a comparison
// of a uniform random value with a constant that lies outside [0, 1), or a constant mask.
inline std::optional<bool> decided_mask(const Graph& graph, Value v) {
  const Node& node = graph.node(v.node);
  if (node.op == "Const") {
    const std::optional<double> c = uniform_constant(graph, v);
    if (!c || graph.type_of(v).dtype != DType::boolean) return std::nullopt;
    return *c != 0;
  }
  if (node.inputs.size() != 2 || mirrored(node.op).empty()) return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    const Node& random = graph.node(node.inputs[static_cast<std::size_t>(side)].node);
    const Value other = node.inputs[static_cast<std::size_t>(1 - side)];
    const std::optional<double> c = uniform_constant(graph, other);
    if (!is_unit_uniform(random.op) || !c) continue;
    return compare_unit_interval(side == 0 ? node.op : mirrored(node.op), *c);
  }
  return std::nullopt;
}

// True when every element of `v` is one: a constant of ones, or a decided-true mask cast to a
// number.
inline bool is_all_ones(const Graph& graph, Value v) {
  const Node& node = graph.node(v.node);
  if (node.op == "Const") {
    const std::optional<double> c = uniform_constant(graph, v);
    return c && *c == 1 && graph.type_of(v).dtype != DType::boolean;
  }
  if (node.op == "Cast" && node.inputs.size() == 1) {
    const std::optional<bool> mask = decided_mask(graph, node.inputs[0]);
    return mask && *mask;
  }
  return false;
}

// True when `value` may stand for node `id`'s output 0: the same type, fully known.
inline bool same_known_type(const Graph& graph, Value value, NodeId id) {
  const Node& node = graph.node(id);
  if (node.outputs.size() != 1) return false;
  const TensorType& t = graph.type_of(value);
  return t.shape.is_fully_known() && t == node.outputs[0];
}

}  // namespace random_masks_detail

// Bypasses the Selects and products that a decided mask settles. Returns how many went.
inline std::size_t bypass_random_masks(Graph& graph, PassResult& result) {
  using namespace random_masks_detail;
  std::size_t bypassed = 0;
  for (NodeId id : graph.topological_order()) {
    const Node& node = graph.node(id);
    // A node that waits on a side effect keeps it in order for its readers: left alone.
    if (!node.control_inputs.empty()) continue;
    std::optional<Value> replacement;
    if ((node.op == "Select" || node.op == "SelectV2") && node.inputs.size() == 3) {
      if (const std::optional<bool> mask = decided_mask(graph, node.inputs[0])) {
        replacement = node.inputs[*mask ? 1 : 2];
        if (!same_known_type(graph, *replacement, id)) replacement.reset();
        if (replacement) result.count("selects on decided random masks removed");
      }
    } else if (node.op == "Mul" && node.inputs.size() == 2) {
      for (int side = 0; side < 2 && !replacement; ++side) {
        const Value other = node.inputs[static_cast<std::size_t>(1 - side)];
        if (is_all_ones(graph, node.inputs[static_cast<std::size_t>(side)]) &&
            same_known_type(graph, other, id)) {
          replacement = other;
          result.count("products with one removed");
        }
      }
    }
    if (!replacement) continue;
    graph.replace_uses({id, 0}, *replacement);
    ++bypassed;
  }
  return bypassed;
}

}  // namespace kiln::opt
