// fold-constants: compute at compile time whatever does not depend on the graph's inputs.
//
//   * a node whose inputs are all constants is evaluated with the reference kernels and becomes
//     a Const that keeps its name (a node with several outputs keeps its name for output 0;
//     output i becomes "<name>/output_i");
//   * Shape, Size and Rank of a tensor whose type already says the answer become constants;
//   * integer vectors built from shapes (Shape -> StridedSlice / GatherV2 / Prod -> Pack /
//     ConcatV2) become constants when every element they pick is known, and a Reshape whose
//     target is such a vector with exactly one element unknown until run time gets a constant
//     target with -1 there. That is the chain Keras' Flatten leaves in frozen graphs (and
//     Tensordot, for Dense layers on 3-D inputs):
//       Reshape(x, Pack(StridedSlice(Shape(x), 0), -1))  with x: [?,7,7,512]
//       becomes Reshape(x, [-1, 25088]).
//
// Never folded: Placeholder and PlaceholderWithDefault (a fed value replaces the default),
// NoOp, ops with side effects or random outputs. A constant larger than
// PassOptions::fold_byte_budget is never materialized: the node is declined and a note names
// it. Inputs that folding leaves unused are removed; other dead code is simplify's business.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "const_eval.hpp"
#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace fold_detail {

// One element of an integer vector computed from shapes: a known number, or the size of
// dimension `dim` of `tensor`, known only when the graph runs.
struct SymbolicDim {
  std::int64_t value = 0;
  Value tensor{-1, 0};  // node -1: known; node -2: unknown, and not a single dimension
  int dim = -1;
  bool known() const { return tensor.node == -1; }
  static SymbolicDim opaque() { return {0, {-2, 0}, -1}; }
};

struct SymbolicVector {
  std::vector<SymbolicDim> elements;
  bool scalar = false;  // a rank-0 value (one element)
  bool all_known() const {
    for (const SymbolicDim& e : elements) {
      if (!e.known()) return false;
    }
    return true;
  }
};

constexpr std::size_t kMaxSymbolicLength = 64;  // shapes, not data

// A small integer constant (scalar or vector) as int64s.
inline std::optional<std::vector<std::int64_t>> small_int_constant(const Graph& g, Value v) {
  const Tensor* t = constant_value(g, v);
  if (!t || (t->dtype() != DType::int32 && t->dtype() != DType::int64) || t->rank() > 1 ||
      static_cast<std::size_t>(t->num_elements()) > kMaxSymbolicLength) {
    return std::nullopt;
  }
  return t->to_int64_vector();
}

// Python-style 1-D strided slice of `n` elements, as TensorFlow's StridedSlice defines it for
// one dimension. Returns the picked indices, or nullopt for what this does not handle.
inline std::optional<std::vector<std::int64_t>> slice_indices(std::int64_t n, std::int64_t begin,
                                                              std::int64_t end, std::int64_t stride,
                                                              bool begin_masked, bool end_masked,
                                                              bool shrink) {
  if (shrink) {
    const std::int64_t i = begin < 0 ? begin + n : begin;
    if (i < 0 || i >= n) return std::nullopt;
    return std::vector<std::int64_t>{i};
  }
  if (stride == 0) return std::nullopt;
  auto clamp = [](std::int64_t v, std::int64_t lo, std::int64_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
  };
  std::int64_t b, e;
  if (stride > 0) {
    b = begin_masked ? 0 : clamp(begin < 0 ? begin + n : begin, 0, n);
    e = end_masked ? n : clamp(end < 0 ? end + n : end, 0, n);
  } else {
    b = begin_masked ? n - 1 : clamp(begin < 0 ? begin + n : begin, -1, n - 1);
    e = end_masked ? -1 : clamp(end < 0 ? end + n : end, -1, n - 1);
  }
  std::vector<std::int64_t> picked;
  for (std::int64_t i = b; stride > 0 ? i < e : i > e; i += stride) picked.push_back(i);
  return picked;
}

// What is known about the integer value `v` if it is built from shapes and small constants
// through Shape, StridedSlice, Pack, ConcatV2, Cast and pass-throughs; else nullopt.
inline std::optional<SymbolicVector> symbolic_value(const Graph& g, Value v, int depth = 0) {
  if (depth > 16) return std::nullopt;
  const Node& n = g.node(v.node);
  const TensorType& type = g.type_of(v);
  if (type.dtype != DType::int32 && type.dtype != DType::int64) return std::nullopt;
  SymbolicVector out;
  if (n.op == "Const") {
    auto values = small_int_constant(g, v);
    if (!values) return std::nullopt;
    out.scalar = n.attr<Tensor>("value").rank() == 0;
    for (std::int64_t x : *values) out.elements.push_back({x, {-1, 0}, -1});
    return out;
  }
  if (n.op == "Identity" || n.op == "Snapshot" || n.op == "StopGradient" || n.op == "Cast") {
    if (n.inputs.empty()) return std::nullopt;
    auto inner = symbolic_value(g, n.inputs[static_cast<std::size_t>(n.op == "Cast" ? 0 : v.index)],
                                depth + 1);
    if (inner && type.dtype == DType::int32) {
      for (const SymbolicDim& e : inner->elements) {
        if (e.known() && (e.value > INT32_MAX || e.value < INT32_MIN)) return std::nullopt;
      }
    }
    return inner;
  }
  if (n.op == "Shape") {
    const Shape& s = g.type_of(n.inputs.at(0)).shape;
    if (!s.has_rank() || static_cast<std::size_t>(s.rank()) > kMaxSymbolicLength)
      return std::nullopt;
    for (int d = 0; d < s.rank(); ++d) {
      if (s.dim(d) >= 0)
        out.elements.push_back({s.dim(d), {-1, 0}, -1});
      else
        out.elements.push_back({0, n.inputs[0], d});
    }
    return out;
  }
  if (n.op == "StridedSlice") {
    auto input = symbolic_value(g, n.inputs.at(0), depth + 1);
    auto begin = small_int_constant(g, n.inputs.at(1));
    auto end = small_int_constant(g, n.inputs.at(2));
    auto strides = small_int_constant(g, n.inputs.at(3));
    if (!input || input->scalar || !begin || !end || !strides || begin->size() != 1 ||
        end->size() != 1 || strides->size() != 1) {
      return std::nullopt;
    }
    // Only the one dimension a 1-D input has: any other mask bit is beyond this rule.
    const std::int64_t begin_mask = n.attr_or<std::int64_t>("begin_mask", 0);
    const std::int64_t end_mask = n.attr_or<std::int64_t>("end_mask", 0);
    const std::int64_t shrink_mask = n.attr_or<std::int64_t>("shrink_axis_mask", 0);
    if (n.attr_or<std::int64_t>("ellipsis_mask", 0) != 0 ||
        n.attr_or<std::int64_t>("new_axis_mask", 0) != 0 ||
        (begin_mask | end_mask | shrink_mask) > 1) {
      return std::nullopt;
    }
    auto picked =
        slice_indices(static_cast<std::int64_t>(input->elements.size()), (*begin)[0], (*end)[0],
                      (*strides)[0], begin_mask & 1, end_mask & 1, shrink_mask & 1);
    if (!picked) return std::nullopt;
    out.scalar = (shrink_mask & 1) != 0;
    for (std::int64_t i : *picked)
      out.elements.push_back(input->elements[static_cast<std::size_t>(i)]);
    return out;
  }
  if (n.op == "Pack") {
    const std::int64_t axis = n.attr_or<std::int64_t>("axis", 0);
    if (axis != 0 && axis != -1) return std::nullopt;
    for (Value in : n.inputs) {
      auto part = symbolic_value(g, in, depth + 1);
      if (!part || !part->scalar) return std::nullopt;
      out.elements.push_back(part->elements.at(0));
    }
    return out;
  }
  if (n.op == "GatherV2" && n.inputs.size() == 3) {  // picking dimensions: shape[indices]
    auto params = symbolic_value(g, n.inputs[0], depth + 1);
    auto indices = small_int_constant(g, n.inputs[1]);
    auto axis = small_int_constant(g, n.inputs[2]);
    if (!params || params->scalar || !indices || !axis || axis->size() != 1 || (*axis)[0] != 0 ||
        n.attr_or<std::int64_t>("batch_dims", 0) != 0) {
      return std::nullopt;
    }
    const auto size = static_cast<std::int64_t>(params->elements.size());
    for (std::int64_t i : *indices) {
      if (i < 0 || i >= size) return std::nullopt;
      out.elements.push_back(params->elements[static_cast<std::size_t>(i)]);
    }
    out.scalar = constant_value(g, n.inputs[1])->rank() == 0;
    return out;
  }
  if (n.op == "Prod" && n.inputs.size() == 2) {  // an element count: known, or not a dimension
    auto input = symbolic_value(g, n.inputs[0], depth + 1);
    auto axes = small_int_constant(g, n.inputs[1]);
    if (!input || input->scalar || !axes || axes->size() != 1 ||
        ((*axes)[0] != 0 && (*axes)[0] != -1)) {
      return std::nullopt;
    }
    SymbolicDim product{1, {-1, 0}, -1};
    for (const SymbolicDim& e : input->elements) {
      if (!e.known() || e.value < 0) {
        product = SymbolicDim::opaque();
        break;
      }
      product.value = checked_mul(product.value, e.value);
    }
    out.elements.push_back(product);
    out.scalar = !n.attr_or<bool>("keep_dims", false);
    return out;
  }
  if (n.op == "ConcatV2" && n.inputs.size() >= 2) {
    auto axis = small_int_constant(g, n.inputs.back());
    if (!axis || axis->size() != 1 || ((*axis)[0] != 0 && (*axis)[0] != -1)) return std::nullopt;
    for (std::size_t i = 0; i + 1 < n.inputs.size(); ++i) {
      auto part = symbolic_value(g, n.inputs[i], depth + 1);
      if (!part || part->scalar) return std::nullopt;
      out.elements.insert(out.elements.end(), part->elements.begin(), part->elements.end());
    }
    return out;
  }
  return std::nullopt;
}

// The value of a Shape, Size or Rank node, or of an integer vector built from shapes, when it
// is already known from the types; else nullopt.
inline std::optional<Tensor> value_from_types(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  if (n.outputs.size() != 1) return std::nullopt;
  const DType out = n.outputs[0].dtype;
  if (out != DType::int32 && out != DType::int64) return std::nullopt;
  auto fits = [out](std::int64_t v) { return out == DType::int64 || v <= INT32_MAX; };
  if ((n.op == "Size" || n.op == "Rank") && !n.inputs.empty()) {
    return shape_op_value(n, g.type_of(n.inputs[0]), out);
  }
  if (n.op != "Shape" && n.op != "StridedSlice" && n.op != "Pack" && n.op != "ConcatV2" &&
      n.op != "GatherV2" && n.op != "Prod") {
    return std::nullopt;
  }
  auto sym = symbolic_value(g, {id, 0});
  if (!sym || !sym->all_known()) return std::nullopt;
  std::vector<std::int64_t> values;
  for (const SymbolicDim& e : sym->elements) {
    if (!fits(e.value)) return std::nullopt;
    values.push_back(e.value);
  }
  return int_tensor(out, values, sym->scalar);
}

// The constant target a Reshape(x, target) may use instead of its computed one, or nullopt.
// With exactly one element unknown until run time, -1 there computes the same size, given
// that the other elements' product is not zero. If the target also holds a -1, that -1 is
// first worked out, which is possible when the unknown element is x's only unknown dimension.
inline std::optional<std::vector<std::int64_t>> static_reshape_target(const Graph& g,
                                                                      const Node& reshape) {
  if (reshape.inputs.size() != 2 || constant_value(g, reshape.inputs[1])) return std::nullopt;
  auto sym = symbolic_value(g, reshape.inputs[1]);
  if (!sym || sym->scalar) return std::nullopt;
  int unknown = -1, minus_one = -1;
  std::int64_t known_product = 1;
  for (std::size_t i = 0; i < sym->elements.size(); ++i) {
    const SymbolicDim& e = sym->elements[i];
    if (!e.known()) {
      if (unknown >= 0) return std::nullopt;  // two run-time sizes: not decidable here
      unknown = static_cast<int>(i);
    } else if (e.value == -1) {
      if (minus_one >= 0) return std::nullopt;
      minus_one = static_cast<int>(i);
    } else if (e.value < 0 || e.value == 0) {
      return std::nullopt;
    } else {
      known_product = checked_mul(known_product, e.value);
    }
  }
  if (unknown < 0) return std::nullopt;  // all known: ordinary folding handles it
  std::vector<std::int64_t> target;
  for (const SymbolicDim& e : sym->elements) target.push_back(e.known() ? e.value : -1);
  if (minus_one >= 0) {
    // x's element count is unknown_dim * (product of x's known dims); the -1 is that divided by
    // unknown_dim * known_product, provided the unknown element is x's only unknown dimension.
    const SymbolicDim& u = sym->elements[static_cast<std::size_t>(unknown)];
    if (u.tensor != reshape.inputs[0]) return std::nullopt;
    const Shape& x = g.type_of(reshape.inputs[0]).shape;
    if (!x.has_rank()) return std::nullopt;
    std::int64_t x_known = 1;
    for (int d = 0; d < x.rank(); ++d) {
      if (x.dim(d) < 0 && d != u.dim) return std::nullopt;
      if (d != u.dim) x_known = checked_mul(x_known, x.dim(d));
    }
    if (x_known % known_product != 0) return std::nullopt;
    target[static_cast<std::size_t>(minus_one)] = x_known / known_product;
  }
  return target;
}

// Union-find over folded nodes, to count connected folded subgraphs.
struct Components {
  std::map<NodeId, NodeId> parent;
  NodeId find(NodeId n) {
    while (parent.at(n) != n) n = parent[n] = parent.at(parent.at(n));
    return n;
  }
  void add(NodeId n) { parent.emplace(n, n); }
  void join(NodeId a, NodeId b) { parent[find(a)] = find(b); }
  std::size_t count() {
    std::set<NodeId> roots;
    for (const auto& [n, p] : parent) roots.insert(find(n));
    return roots.size();
  }
};

// Removes, transitively, the nodes in `candidates` that nothing needs any more.
inline std::size_t remove_orphans(Graph& graph, std::set<NodeId> candidates) {
  std::vector<int> uses(graph.size(), 0);
  for (const Node& n : graph.nodes()) {
    for (Value in : n.inputs) ++uses[static_cast<std::size_t>(in.node)];
    for (NodeId c : n.control_inputs) ++uses[static_cast<std::size_t>(c)];
  }
  for (const Graph::Port& p : graph.outputs()) ++uses[static_cast<std::size_t>(p.value.node)];
  for (const Graph::Port& p : graph.inputs()) ++uses[static_cast<std::size_t>(p.value.node)];
  std::set<NodeId> doomed;
  std::vector<NodeId> work(candidates.begin(), candidates.end());
  while (!work.empty()) {
    const NodeId id = work.back();
    work.pop_back();
    const Node& n = graph.node(id);
    if (doomed.count(id) || uses[static_cast<std::size_t>(id)] > 0 || has_side_effects(n.op))
      continue;
    doomed.insert(id);
    for (Value in : n.inputs) {
      --uses[static_cast<std::size_t>(in.node)];
      work.push_back(in.node);
    }
    for (NodeId c : n.control_inputs) {
      --uses[static_cast<std::size_t>(c)];
      work.push_back(c);
    }
  }
  return remove_nodes(graph, doomed);
}

}  // namespace fold_detail

namespace fold_detail {

// What one run of fold-constants keeps between its sweeps.
struct Folding {
  Graph& graph;
  std::int64_t budget;
  std::set<NodeId> ports;
  PassResult result;
  Components components;               // folded nodes, to count connected subgraphs
  std::set<NodeId> orphan_candidates;  // inputs of folded nodes: removed if nothing reads them
  std::set<NodeId> declined;           // noted once, not tried again in later sweeps

  void decline_over_budget(NodeId id, std::int64_t bytes) {
    const Node& node = graph.node(id);
    declined.insert(id);
    result.count("declined over budget");
    result.note("declined '" + node.name + "' (" + node.op + "): " + format_bytes(bytes) +
                " is over the " + format_bytes(budget) + " folding budget");
  }

  // Records node `id` as folded: it joins the folded subgraph of any folded producer.
  void mark_folded(NodeId id, const std::vector<Value>& old_inputs) {
    components.add(id);
    for (Value in : old_inputs) {
      orphan_candidates.insert(in.node);
      if (components.parent.count(in.node)) components.join(in.node, id);
    }
    result.count("folded nodes");
    result.changed = true;
  }

  // One pass over the graph in schedule order.
  void sweep() {
    for (NodeId id : graph.topological_order()) {
      const Node& node = graph.node(id);
      if (ports.count(id) || declined.count(id) || !may_fold(node) || node.outputs.empty()) {
        continue;
      }
      bool all_constant = !node.inputs.empty();
      for (Value in : node.inputs) all_constant = all_constant && constant_value(graph, in);
      if (all_constant) {
        evaluate(id);
      } else {
        resolve_shapes(id);
      }
    }
  }

  // Shape arithmetic that the types already answer, and static reshape targets.
  void resolve_shapes(NodeId id) {
    const Node& node = graph.node(id);
    if (std::optional<Tensor> value = value_from_types(graph, id)) {
      const std::vector<Value> old_inputs = node.inputs;
      become_constant(graph, id, *value);
      mark_folded(id, old_inputs);
      result.count("shapes resolved");
      return;
    }
    if (node.op != "Reshape") return;
    const std::optional<std::vector<std::int64_t>> target = static_reshape_target(graph, node);
    if (!target) return;
    // The node computing the target becomes the constant, keeping its name, unless something
    // else reads it too.
    const Value old_target = node.inputs[1];
    const Tensor shape = int_tensor(graph.type_of(old_target).dtype, *target, false);
    const UseMap uses(graph);
    if (old_target.index == 0 && uses.only_used_by(old_target, id) &&
        graph.node(old_target.node).outputs.size() == 1 && !ports.count(old_target.node)) {
      const std::vector<Value> old_inputs = graph.node(old_target.node).inputs;
      become_constant(graph, old_target.node, shape);
      mark_folded(old_target.node, old_inputs);
    } else {
      const std::string base = graph.node(old_target.node).name + "/static";
      const NodeId shape_node = graph.add(constant_node(unique_name(graph, base), shape));
      graph.node(id).inputs[1] = {shape_node, 0};
      mark_folded(shape_node, {old_target});
    }
    result.count("reshape targets made static");
  }

  // A node whose inputs are all constants becomes the constant(s) it computes.
  void evaluate(NodeId id) {
    const Node& node = graph.node(id);
    for (const TensorType& t : node.outputs) {
      if (known_bytes(t) > budget) return decline_over_budget(id, known_bytes(t));
    }
    std::vector<Tensor> args;
    for (Value in : node.inputs) args.push_back(*constant_value(graph, in));
    std::vector<Tensor> values;
    try {
      values = reference::evaluate(node, args);
    } catch (const Error& e) {
      declined.insert(id);
      result.count("not evaluable");
      result.note("could not evaluate '" + node.name + "' (" + node.op + "): " + e.message());
      return;
    }
    if (values.size() != node.outputs.size()) return;
    for (const Tensor& v : values) {
      const auto bytes = static_cast<std::int64_t>(v.byte_size());
      if (bytes > budget) return decline_over_budget(id, bytes);
    }
    const std::vector<Value> old_inputs = node.inputs;
    const std::string name = node.name;
    // Outputs past the first become constants of their own, if anything reads them.
    std::vector<NodeId> extras;
    const std::optional<UseMap> uses =
        values.size() > 1 ? std::optional<UseMap>(UseMap(graph)) : std::nullopt;
    for (std::size_t i = 1; i < values.size(); ++i) {
      const Value old{id, static_cast<int>(i)};
      if (uses->count(old) == 0) continue;
      extras.push_back(graph.add(
          constant_node(unique_name(graph, name + "/output_" + std::to_string(i)), values[i])));
      graph.replace_uses(old, {extras.back(), 0});
    }
    become_constant(graph, id, values[0]);
    mark_folded(id, old_inputs);
    for (NodeId extra : extras) {
      components.add(extra);
      components.join(extra, id);
    }
  }
};

}  // namespace fold_detail

inline PassResult fold_constants(Graph& graph, PassContext& context) {
  using namespace fold_detail;
  Folding state{graph, context.options.fold_byte_budget, input_port_nodes(graph), {}, {}, {}, {}};
  // Sweeps in schedule order, inferring the types again after each, until a sweep folds
  // nothing: a reshape made static sharpens the types after it, which makes the next shape
  // computation answerable (a stack of Keras Dense layers on 3-D inputs takes one sweep per
  // layer). Each sweep that goes on turns a node into a constant or a reshape target into a
  // constant for good, so the loop ends; the bound only guards against a bug.
  const std::size_t max_rounds = 2 * graph.size() + 2;
  for (std::size_t round = 0; round < max_rounds; ++round) {
    const std::int64_t folded_before = state.result.stat("folded nodes");
    state.sweep();
    if (state.result.stat("folded nodes") == folded_before) break;
    if (!refresh_types(graph)) {
      state.result.note("type inference failed after folding; recorded types were kept");
      break;
    }
  }
  PassResult& result = state.result;
  result.count("folded subgraphs", static_cast<std::int64_t>(state.components.count()));
  const std::size_t removed = remove_orphans(graph, state.orphan_candidates);
  result.count("inputs removed", static_cast<std::int64_t>(removed));
  if (removed > 0 && !refresh_types(graph)) {
    result.note("type inference failed after folding; recorded types were kept");
  }
  return result;
}

inline Pass fold_constants_pass() {
  return {"fold-constants", "evaluate whatever does not depend on the graph inputs",
          fold_constants};
}

}  // namespace kiln::opt
