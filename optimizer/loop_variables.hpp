// Tools for rewriting While loops, and the loop-invariants pass.
//
// A While node's inputs, its outputs, the arguments of its cond and body regions and the
// results of its body are one list seen four times: loop variable k is input k, output k,
// argument k of both regions and result k of the body. Adding or removing a variable edits all
// four together (add_loop_variable, remove_loop_variable), so the loop stays well formed.
//
// loop-invariants: a variable the body hands back unchanged (result k is argument k) never
// changes, so
//   * what reads output k after the loop reads input k instead;
//   * when input k is a constant (after fold-constants: the weights Keras passes into its RNN
//     loops), the regions get a copy of that constant in place of the argument, so the passes
//     inside the body see constant weights (a oneDNN product prepacks them once);
//   * a variable that neither region reads any more is dropped: the loop stops carrying it.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <kiln/core/builder.hpp>
#include <kiln/core/ops.hpp>

#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace loops {

// `v` seen through Identity nodes.
inline Value through_identities(const Graph& graph, Value v) {
  for (;;) {
    const Node& n = graph.node(v.node);
    if (n.op != "Identity" || n.inputs.empty()) return v;
    v = n.inputs[0];
  }
}

inline const Graph& cond_of(const Node& loop) { return *loop.regions.at(0); }
inline const Graph& body_of(const Node& loop) { return *loop.regions.at(1); }

// A well-formed While with both regions, whose lists agree in length.
inline bool is_loop(const Node& node) {
  if (node.op != "While" || node.regions.size() != 2 || !node.regions[0] || !node.regions[1]) {
    return false;
  }
  const std::size_t n = node.inputs.size();
  return node.outputs.size() == n && cond_of(node).inputs().size() == n &&
         body_of(node).inputs().size() == n && body_of(node).outputs().size() == n;
}

// Argument k of a region, as a value.
inline Value argument(const Graph& region, std::size_t k) { return region.inputs().at(k).value; }

// Variable k comes out of the body as it went in.
inline bool is_invariant(const Node& loop, std::size_t k) {
  const Graph& body = body_of(loop);
  return through_identities(body, body.outputs().at(k).value) == argument(body, k);
}

// How many nodes of the region read argument k, through Identity nodes. The body's own result
// k is no reader.
inline std::size_t readers_of_argument(const Graph& region, std::size_t k) {
  std::set<Value> seen = {argument(region, k)};
  std::size_t readers = 0;
  bool grew = true;
  while (grew) {  // Identity chains: everything they forward counts as the argument
    grew = false;
    for (std::size_t i = 0; i < region.size(); ++i) {
      const Node& n = region.nodes()[i];
      if (n.op == "Identity" && !n.inputs.empty() && seen.count(n.inputs[0]) &&
          seen.insert({static_cast<NodeId>(i), 0}).second) {
        grew = true;
      }
    }
  }
  for (const Node& n : region.nodes()) {
    if (n.op == "Identity") continue;
    for (Value in : n.inputs) {
      if (seen.count(in)) {
        ++readers;
        break;
      }
    }
  }
  return readers;
}

// Edits one region of the loop: a copy goes through `edit`, then replaces the original.
template <class Edit> void edit_region(Node& loop, std::size_t r, Edit edit) {
  Graph region = *loop.regions.at(r);
  edit(region);
  loop.regions[r] = std::make_shared<const Graph>(std::move(region));
}

// Type attributes that list one entry per loop variable.
inline void erase_variable_attrs(Node& loop, std::size_t k) {
  if (auto it = loop.attrs.find("T"); it != loop.attrs.end()) {
    if (auto* types = std::get_if<DTypes>(&it->second); types && k < types->size()) {
      types->erase(types->begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
  if (auto it = loop.attrs.find("output_shapes"); it != loop.attrs.end()) {
    if (auto* shapes = std::get_if<Shapes>(&it->second); shapes && k < shapes->size()) {
      shapes->erase(shapes->begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
}

// Drops invariant variable k, which neither region reads: readers of output k read input k,
// later outputs move down by one.
inline void remove_loop_variable(Graph& graph, NodeId loop_id, std::size_t k) {
  const Value initial = graph.node(loop_id).inputs.at(k);
  const int removed = static_cast<int>(k);
  auto renumber = [&](Value& v) {
    if (v.node != loop_id) return;
    if (v.index == removed)
      v = initial;
    else if (v.index > removed)
      --v.index;
  };
  for (std::size_t i = 0; i < graph.size(); ++i) {
    for (Value& in : graph.node(static_cast<NodeId>(i)).inputs) renumber(in);
  }
  for (Graph::Port& p : graph.outputs()) renumber(p.value);

  Node& loop = graph.node(loop_id);
  const auto at = static_cast<std::ptrdiff_t>(k);
  loop.inputs.erase(loop.inputs.begin() + at);
  loop.outputs.erase(loop.outputs.begin() + at);
  erase_variable_attrs(loop, k);
  for (std::size_t r = 0; r < 2; ++r) {
    edit_region(loop, r, [&](Graph& region) {
      region.inputs().erase(region.inputs().begin() + at);
      if (r == 1) region.outputs().erase(region.outputs().begin() + at);
      remove_dead_nodes(region);  // the argument's placeholder, now read by nothing
    });
  }
}

// Appends an invariant loop variable that starts as `initial` (a value of `graph`): both
// regions get an argument `name`, the body hands it back unchanged. Returns its index.
inline std::size_t add_loop_variable(Graph& graph, NodeId loop_id, Value initial,
                                     const std::string& name) {
  const TensorType type = graph.type_of(initial);
  Node& loop = graph.node(loop_id);
  const std::size_t k = loop.inputs.size();
  loop.inputs.push_back(initial);
  loop.outputs.push_back(type);
  if (auto it = loop.attrs.find("T"); it != loop.attrs.end()) {
    if (auto* types = std::get_if<DTypes>(&it->second)) types->push_back(type.dtype);
  }
  if (auto it = loop.attrs.find("output_shapes"); it != loop.attrs.end()) {
    if (auto* shapes = std::get_if<Shapes>(&it->second); shapes && shapes->size() == k) {
      shapes->push_back(type.shape);
    }
  }
  for (std::size_t r = 0; r < 2; ++r) {
    edit_region(loop, r, [&](Graph& region) {
      Node arg;
      arg.name = unique_name(region, name);
      arg.op = "Placeholder";
      arg.attrs = {{"dtype", type.dtype}, {"shape", type.shape}};
      const Value v{add_inferred(region, std::move(arg)), 0};
      region.inputs().push_back({region.node(v.node).name, v});
      if (r == 1) region.outputs().push_back({region.node(v.node).name, v});
    });
  }
  return k;
}

// Gives argument k of a region a new type (its placeholder's dtype and shape).
inline void retype_argument(Graph& region, std::size_t k, const TensorType& type) {
  Node& arg = region.node(argument(region, k).node);
  arg.attrs["dtype"] = type.dtype;
  arg.attrs["shape"] = type.shape;
  arg.outputs = {type};
}

// Sets loop variable k's type everywhere it is listed (after its initial value changed).
inline void retype_loop_variable(Node& loop, std::size_t k, const TensorType& type) {
  loop.outputs.at(k) = type;
  if (auto it = loop.attrs.find("T"); it != loop.attrs.end()) {
    if (auto* types = std::get_if<DTypes>(&it->second); types && k < types->size()) (*types)[k] = type.dtype;
  }
  if (auto it = loop.attrs.find("output_shapes"); it != loop.attrs.end()) {
    if (auto* shapes = std::get_if<Shapes>(&it->second); shapes && k < shapes->size()) (*shapes)[k] = type.shape;
  }
  for (std::size_t r = 0; r < 2; ++r) {
    edit_region(loop, r, [&](Graph& region) { retype_argument(region, k, type); });
  }
}

// Replaces argument k's readers in a region by a copy of `value`. The body's result k stays the
// argument, so the variable is still invariant (and now unread, ready to be removed).
inline void sink_constant(Node& loop, std::size_t k, const Tensor& value) {
  for (std::size_t r = 0; r < 2; ++r) {
    edit_region(loop, r, [&](Graph& region) {
      const Value arg = argument(region, k);
      if (readers_of_argument(region, k) == 0) return;
      const std::string name = unique_name(region, region.node(arg.node).name + "/value");
      const Value c{region.add(constant_node(name, value)), 0};
      region.replace_uses(arg, c);
      if (r == 1) region.outputs().at(k).value = arg;
    });
  }
}

inline Value int_constant(Graph& graph, const std::string& name, std::vector<std::int32_t> values) {
  Tensor t(DType::int32, Shape{static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.data<std::int32_t>());
  return {graph.add(constant_node(unique_name(graph, name), std::move(t))), 0};
}

inline Value scalar_int_constant(Graph& graph, const std::string& name, std::int32_t value) {
  Tensor t(DType::int32, Shape{});
  t.data<std::int32_t>()[0] = value;
  return {graph.add(constant_node(unique_name(graph, name), std::move(t))), 0};
}

// Node `id` of `region` becomes `op` on `inputs`, keeping its name, so its readers and the
// region's results still find it.
inline void replace_node(Graph& region, NodeId id, const std::string& op, std::vector<Value> inputs,
                         Attrs attrs) {
  Node node;
  node.name = region.node(id).name;
  node.op = op;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  complete_node(region, node);
  region.node(id) = std::move(node);
}

// The nodes of `region` reading argument k directly.
inline std::vector<NodeId> readers(const Graph& region, std::size_t k) {
  std::vector<NodeId> ids;
  const Value arg = loops::argument(region, k);
  for (std::size_t i = 0; i < region.size(); ++i) {
    for (Value in : region.nodes()[i].inputs) {
      if (in == arg) {
        ids.push_back(static_cast<NodeId>(i));
        break;
      }
    }
  }
  return ids;
}

}  // namespace loops

inline PassResult loop_invariants(Graph& graph, PassContext&) {
  PassResult result;
  for (std::size_t id = 0; id < graph.size(); ++id) {
    const auto loop_id = static_cast<NodeId>(id);
    if (!loops::is_loop(graph.node(loop_id))) continue;
    for (std::size_t k = graph.node(loop_id).inputs.size(); k-- > 0;) {
      const Node& loop = graph.node(loop_id);
      if (!loops::is_invariant(loop, k)) continue;
      if (const Tensor* value = constant_value(graph, loop.inputs[k])) {
        const Tensor copy = *value;
        loops::sink_constant(graph.node(loop_id), k, copy);
        result.count("constants moved into loops");
      }
      const Node& now = graph.node(loop_id);
      if (loops::readers_of_argument(loops::cond_of(now), k) == 0 &&
          loops::readers_of_argument(loops::body_of(now), k) == 0) {
        loops::remove_loop_variable(graph, loop_id, k);
        result.count("loop variables removed");
      } else {
        // Still carried (the body reads it), but what follows the loop reads the input.
        const Value out{loop_id, static_cast<int>(k)};
        const Value initial = now.inputs[k];
        UseMap uses(graph);
        if (uses.count(out) == 0) continue;
        graph.replace_uses(out, initial);
        result.count("invariant loop outputs forwarded");
      }
    }
  }
  result.changed = !result.stats.empty();
  if (result.changed) infer_types(graph);
  return result;
}

inline Pass loop_invariants_pass() {
  return {"loop-invariants",
          "move constants a loop hands back unchanged into its body; drop variables nothing reads",
          loop_invariants};
}

}  // namespace kiln::opt
