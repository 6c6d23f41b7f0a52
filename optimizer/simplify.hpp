// simplify: remove what an inference graph does not need, without changing what it computes.
//
//   1. pass-throughs go: Identity, IdentityN, StopGradient, Snapshot and PreventGradient hand
//      their input on, so their readers read the input directly; so do a Transpose by the
//      identity permutation and a Reshape to the shape its input has. A PlaceholderWithDefault
//      that is not a graph input can never be fed, so it is its default (how the Keras learning
//      phase, and with it the training branch, becomes decidable). A pass-through that is a
//      graph output and waits on a side effect stays: it is how an Assert guards a result.
//   2. control edges go, except those from ops with side effects: every op Kiln runs is a pure
//      function of its inputs, so "run after" changes nothing. NoOp nodes, which exist only to
//      gather control edges, then go too.
//   3. duplicates merge (common-subexpression elimination): two nodes with the same op, inputs
//      and attributes compute the same thing; two constants with equal bytes hold the same
//      thing. The first in topological order survives.
//   4. random masks that the random numbers cannot change are decided (dropout at rate 0:
//      random_masks.hpp), and what they settle reads the kept value directly.
//   5. dead code goes: whatever the graph outputs do not need (training branches, summaries,
//      the other outputs of a FusedBatchNorm's statistics, a random op nothing reads any more),
//      except the graph inputs, which stay even when unused so that the signature does not
//      change. Random ops and side effects that go are counted and named in a note: their
//      leaving changes what a run does beyond its outputs.
//
// The steps repeat until nothing changes (removing an Identity may expose duplicates). Graph
// inputs and outputs keep their names; an output may end up reading an input directly.
#pragma once

#include <cstring>
#include <unordered_map>

#include "pass.hpp"
#include "random_masks.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace simplify_detail {

inline bool is_pass_through(const std::string& op) {
  return op == "Identity" || op == "IdentityN" || op == "StopGradient" || op == "Snapshot" ||
         op == "PreventGradient";
}

// A Transpose by the identity permutation, or a Reshape to the shape its input already has
// (same rank, same dimensions, at most one of them unknown: the element count then fixes it),
// hands its input on unchanged. Keras' Tensordot leaves both behind.
inline bool is_identity_op(const Graph& graph, const Node& node) {
  if (node.inputs.size() != 2 || node.outputs.size() != 1) return false;
  if (node.op == "Transpose") {
    const Tensor* perm = constant_value(graph, node.inputs[1]);
    if (!perm || perm->dtype() == DType::boolean || perm->rank() != 1) return false;
    const std::vector<std::int64_t> p = perm->to_int64_vector();
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] != static_cast<std::int64_t>(i)) return false;
    }
    return true;
  }
  if (node.op != "Reshape") return false;
  const TensorType& in = graph.type_of(node.inputs[0]);
  const TensorType& out = node.outputs[0];
  if (!in.shape.has_rank() || !(in == out)) return false;
  int unknown = 0;
  for (std::int64_t d : in.shape.dims()) unknown += d < 0;
  return unknown <= 1;
}

// The control inputs that matter: those from ops with side effects.
inline std::vector<NodeId> side_effect_controls(const Graph& graph, const Node& node) {
  std::vector<NodeId> kept;
  for (NodeId c : node.control_inputs) {
    if (has_side_effects(graph.node(c).op)) kept.push_back(c);
  }
  return kept;
}

// True when some output of node `id` is a graph output.
inline bool feeds_graph_output(const Graph& graph, NodeId id) {
  for (const Graph::Port& p : graph.outputs()) {
    if (p.value.node == id) return true;
  }
  return false;
}

// Step 1. Returns the number of nodes bypassed (and removed).
inline std::size_t bypass_pass_throughs(Graph& graph, PassResult& result) {
  const std::set<NodeId> ports = input_port_nodes(graph);
  std::set<NodeId> bypassed;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const NodeId id = static_cast<NodeId>(i);
    const Node& node = graph.node(id);
    const bool unfeedable_default = node.op == "PlaceholderWithDefault" && !ports.count(id);
    const bool identity = is_identity_op(graph, node);
    if (!is_pass_through(node.op) && !unfeedable_default && !identity) continue;
    if (node.inputs.size() < node.outputs.size()) continue;  // malformed: leave it to the verifier
    if (ports.count(id)) continue;
    // Edges from side effects that ran before this node must now run before its readers. A
    // graph output has no reader to pass them to (an Identity waiting on an Assert, as
    // TensorFlow guards a returned value): that pass-through stays, or the check would be lost.
    const std::vector<NodeId> inherited = side_effect_controls(graph, node);
    if (!inherited.empty() && feeds_graph_output(graph, id)) continue;
    const std::vector<Value> inputs = node.inputs;
    const std::size_t outputs = node.outputs.size();
    for (std::size_t r = 0; r < graph.size() && !inherited.empty(); ++r) {
      Node& reader = graph.node(static_cast<NodeId>(r));
      bool reads = false;
      for (Value in : reader.inputs) reads = reads || in.node == id;
      if (reads) {
        reader.control_inputs.insert(reader.control_inputs.end(), inherited.begin(),
                                     inherited.end());
      }
    }
    for (std::size_t k = 0; k < outputs; ++k) {
      graph.replace_uses({id, static_cast<int>(k)}, inputs[k]);
    }
    bypassed.insert(id);
    result.count(unfeedable_default ? "unfeedable defaults resolved"
                 : identity         ? "identity ops removed"
                                    : "pass-throughs removed");
  }
  // A bypassed node may still be the target of control edges; remove_if drops those edges.
  return remove_nodes(graph, bypassed);
}

// Step 2. Returns the number of control edges dropped plus NoOps removed.
inline std::size_t drop_control_edges(Graph& graph, PassResult& result) {
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const Node& node = graph.node(static_cast<NodeId>(i));
    std::vector<NodeId> kept = side_effect_controls(graph, node);
    dropped += node.control_inputs.size() - kept.size();
    graph.node(static_cast<NodeId>(i)).control_inputs = std::move(kept);
  }
  result.count("control edges dropped", static_cast<std::int64_t>(dropped));
  std::set<NodeId> no_ops;
  const std::vector<bool> live = live_nodes(graph);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const Node& node = graph.node(static_cast<NodeId>(i));
    // A NoOp still gathering side effects for a live node stays.
    bool gathers = false;
    for (NodeId c : node.control_inputs) gathers = gathers || has_side_effects(graph.node(c).op);
    if (node.op == "NoOp" && !(gathers && live[i])) no_ops.insert(static_cast<NodeId>(i));
  }
  // Whoever waited on a removed NoOp no longer does: its edges were to pure ops anyway.
  const std::size_t removed = remove_nodes(graph, no_ops);
  result.count("NoOps removed", static_cast<std::int64_t>(removed));
  return dropped + removed;
}

// A hash of what CSE compares; equal nodes have equal hashes. Constants contribute their
// dtype, shape and the first and last 64 bytes, so big weights are not hashed whole.
inline std::size_t node_hash(const Node& node, const std::vector<Value>& inputs) {
  std::size_t h = std::hash<std::string>{}(node.op);
  auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  for (Value v : inputs) {
    mix(static_cast<std::size_t>(v.node));
    mix(static_cast<std::size_t>(v.index));
  }
  for (const auto& [key, value] : node.attrs) {
    mix(std::hash<std::string>{}(key));
    if (const Tensor* t = std::get_if<Tensor>(&value)) {
      if (!t->valid()) continue;
      mix(static_cast<std::size_t>(t->dtype()));
      for (std::int64_t d : t->shape().dims()) mix(static_cast<std::size_t>(d));
      const std::size_t n = t->byte_size();
      const auto* bytes = static_cast<const unsigned char*>(t->raw());
      const std::size_t edge = std::min<std::size_t>(n, 64);
      for (std::size_t i = 0; i < edge; ++i) mix(bytes[i]);
      for (std::size_t i = n - edge; i < n; ++i) mix(bytes[i]);
    } else {
      mix(std::hash<std::string>{}(attr_text(value)));
    }
  }
  return h;
}

// Step 3. Returns the number of nodes merged away.
inline std::size_t merge_duplicates(Graph& graph, PassResult& result) {
  const std::set<NodeId> ports = input_port_nodes(graph);
  std::map<Value, Value> canonical;  // a merged-away value -> the survivor's
  auto canon = [&canonical](Value v) {
    auto it = canonical.find(v);
    return it == canonical.end() ? v : it->second;
  };
  std::unordered_map<std::size_t, std::vector<NodeId>> seen;
  std::set<NodeId> merged;
  for (NodeId id : graph.topological_order()) {
    const Node& node = graph.node(id);
    if (ports.count(id) || node.op == "Placeholder" || node.outputs.empty() ||
        has_side_effects(node.op) || is_nondeterministic(node.op)) {
      continue;
    }
    std::vector<Value> inputs;
    for (Value v : node.inputs) inputs.push_back(canon(v));
    std::vector<NodeId>& bucket = seen[node_hash(node, inputs)];
    NodeId twin = -1;
    for (NodeId other_id : bucket) {
      const Node& other = graph.node(other_id);
      if (other.op != node.op || other.outputs.size() != node.outputs.size()) continue;
      std::vector<Value> other_inputs;
      for (Value v : other.inputs) other_inputs.push_back(canon(v));
      if (other_inputs != inputs || other.control_inputs != node.control_inputs) continue;
      if (other.regions != node.regions) continue;  // control flow: same inputs, other bodies
      if (!attrs_equal(other.attrs, node.attrs)) continue;
      twin = other_id;
      break;
    }
    if (twin < 0) {
      bucket.push_back(id);
      continue;
    }
    for (std::size_t k = 0; k < node.outputs.size(); ++k) {
      canonical[{id, static_cast<int>(k)}] = {twin, static_cast<int>(k)};
    }
    merged.insert(id);
  }
  if (merged.empty()) return 0;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    for (Value& in : graph.node(static_cast<NodeId>(i)).inputs) in = canon(in);
  }
  for (Graph::Port& p : graph.outputs()) p.value = canon(p.value);
  result.count("duplicates merged", static_cast<std::int64_t>(merged.size()));
  return remove_nodes(graph, merged);
}

// Step 5's report: the random ops and side effects among the nodes dead-code removal is about
// to take, counted and named.
inline void report_dead_effects(const Graph& graph, PassResult& result) {
  const std::vector<bool> live = live_nodes(graph);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const Node& node = graph.nodes()[i];
    if (live[i]) continue;
    if (has_side_effects(node.op)) {
      result.count("unreachable side effects removed");
      result.note("removed '" + node.name + "' (" + node.op +
                  "): no graph output needs it or waits on it");
    } else if (is_nondeterministic(node.op)) {
      result.count("random ops removed");
      result.note("removed random op '" + node.name + "' (" + node.op +
                  "): it cannot reach a graph output");
    }
  }
}

}  // namespace simplify_detail

inline PassResult simplify(Graph& graph, PassContext&) {
  using namespace simplify_detail;
  PassResult result;
  for (int round = 0; round < 16; ++round) {
    std::size_t changes = 0;
    changes += bypass_pass_throughs(graph, result);
    changes += drop_control_edges(graph, result);
    changes += merge_duplicates(graph, result);
    changes += bypass_random_masks(graph, result);
    report_dead_effects(graph, result);
    const std::size_t dead = remove_dead_nodes(graph);
    result.count("dead nodes removed", static_cast<std::int64_t>(dead));
    changes += dead;
    if (changes == 0) break;
    result.changed = true;
  }
  // A pass-through's reader may now see a more precise type (a default's concrete shape).
  if (result.changed && !refresh_types(graph)) {
    result.note("type inference failed after simplification; recorded types were kept");
  }
  return result;
}

inline Pass simplify_pass() {
  return {"simplify", "remove pass-throughs, control edges, duplicates and dead code", simplify};
}

}  // namespace kiln::opt
