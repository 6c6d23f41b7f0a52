// Small tools every pass uses: who reads a value, making constants, fresh names, dead-code
// removal, and re-running type inference without risking a half-updated graph.
#pragma once

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <kiln/core/op_traits.hpp>

namespace kiln::opt {

// One data use of a value: input `slot` of node `user`.
struct Use {
  NodeId user = -1;
  int slot = 0;
};

// The uses of one value, in node order: a view into a UseMap.
class UseList {
 public:
  UseList(const Use* first, const Use* last) : first_(first), last_(last) {}
  const Use* begin() const { return first_; }
  const Use* end() const { return last_; }
  std::size_t size() const { return static_cast<std::size_t>(last_ - first_); }
  bool empty() const { return first_ == last_; }
  const Use& front() const { return *first_; }
  const Use& operator[](std::size_t i) const { return first_[i]; }

 private:
  const Use* first_;
  const Use* last_;
};

// The readers of every value, computed once; valid until the graph changes. Passes that rewrite
// one pattern at a time rebuild it after each rewrite, so it is built like a compressed sparse
// row matrix, in three flat arrays: a value's slot is its node's first slot plus its output
// index, and its uses are one run of `uses_`.
class UseMap {
 public:
  explicit UseMap(const Graph& graph) {
    const std::vector<Node>& nodes = graph.nodes();
    const std::size_t n = nodes.size();
    // A node's slots: its outputs, or as many as its readers name (before types are known).
    std::vector<std::size_t> slots(n);
    for (std::size_t i = 0; i < n; ++i) slots[i] = nodes[i].outputs.size();
    auto note = [&](Value v) {
      if (known(v, n)) slots[v.node] = std::max(slots[v.node], static_cast<std::size_t>(v.index) + 1);
    };
    for (const Node& node : nodes) {
      for (Value v : node.inputs) note(v);
    }
    for (const Graph::Port& p : graph.outputs()) note(p.value);
    first_slot_.assign(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) first_slot_[i + 1] = first_slot_[i] + slots[i];

    const std::size_t values = first_slot_[n];
    use_start_.assign(values + 1, 0);
    output_refs_.assign(values, 0);
    for (const Node& node : nodes) {
      for (Value v : node.inputs) {
        if (known(v, n)) ++use_start_[slot(v) + 1];
      }
    }
    for (std::size_t v = 0; v < values; ++v) use_start_[v + 1] += use_start_[v];
    uses_.resize(use_start_[values]);
    std::vector<std::size_t> next(use_start_.begin(), use_start_.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<Value>& inputs = nodes[i].inputs;
      for (std::size_t s = 0; s < inputs.size(); ++s) {
        if (known(inputs[s], n)) {
          uses_[next[slot(inputs[s])]++] = {static_cast<NodeId>(i), static_cast<int>(s)};
        }
      }
    }
    for (const Graph::Port& p : graph.outputs()) {
      if (known(p.value, n)) ++output_refs_[slot(p.value)];
    }
  }

  UseList users(Value v) const {
    const std::size_t k = slot_or_none(v);
    if (k == kNone) return {nullptr, nullptr};
    return {uses_.data() + use_start_[k], uses_.data() + use_start_[k + 1]};
  }
  bool is_graph_output(Value v) const { return output_count(v) > 0; }
  // Data uses plus graph outputs: how many places need the value.
  std::size_t count(Value v) const { return users(v).size() + output_count(v); }
  // True when the only thing that needs `v` is node `user` (however many of its inputs read it).
  bool only_used_by(Value v, NodeId user) const {
    if (is_graph_output(v)) return false;
    const UseList u = users(v);
    if (u.empty()) return false;
    for (const Use& use : u) {
      if (use.user != user) return false;
    }
    return true;
  }

 private:
  // False for values of nodes added after the map was built, or of no node at all.
  static bool known(Value v, std::size_t nodes) {
    return v.node >= 0 && static_cast<std::size_t>(v.node) < nodes && v.index >= 0;
  }
  std::size_t slot(Value v) const {
    return first_slot_[static_cast<std::size_t>(v.node)] + static_cast<std::size_t>(v.index);
  }
  // The slot of a value the map knows, or kNone (a new node's, or an output no one named).
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t slot_or_none(Value v) const {
    if (!known(v, first_slot_.size() - 1)) return kNone;
    const std::size_t k = slot(v);
    return k < first_slot_[static_cast<std::size_t>(v.node) + 1] ? k : kNone;
  }
  std::size_t output_count(Value v) const {
    const std::size_t k = slot_or_none(v);
    return k == kNone ? 0 : static_cast<std::size_t>(output_refs_[k]);
  }

  std::vector<std::size_t> first_slot_;  // per node, and one past the last
  std::vector<std::size_t> use_start_;   // per value slot, and one past the last
  std::vector<Use> uses_;
  std::vector<int> output_refs_;  // per value slot: how many graph outputs name it
};

// `base` if no node has that name, else base_1, base_2, ...
inline std::string unique_name(const Graph& graph, const std::string& base) {
  std::string name = base;
  for (int n = 1; graph.find(name); ++n) name = base + "_" + std::to_string(n);
  return name;
}

// A Const node holding `value`, with its type already set.
inline Node constant_node(std::string name, Tensor value) {
  Node node;
  node.name = std::move(name);
  node.op = "Const";
  node.outputs = {{value.dtype(), value.shape()}};
  node.attrs.emplace("dtype", value.dtype());
  node.attrs.emplace("value", std::move(value));
  return node;
}

// Turns node `id` into a Const holding `value`, keeping its name and its control inputs.
inline void become_constant(Graph& graph, NodeId id, Tensor value) {
  Node& node = graph.node(id);
  Node replacement = constant_node(node.name, std::move(value));
  replacement.control_inputs = std::move(node.control_inputs);
  node = std::move(replacement);
}

// The nodes of graph input ports: they stay even when nothing reads them.
inline std::set<NodeId> input_port_nodes(const Graph& graph) {
  std::set<NodeId> ids;
  for (const Graph::Port& p : graph.inputs()) ids.insert(p.value.node);
  return ids;
}

// Nodes the graph outputs need through data or control edges, plus the input ports.
inline std::vector<bool> live_nodes(const Graph& graph) {
  std::vector<bool> live(graph.size(), false);
  std::vector<NodeId> stack;
  for (const Graph::Port& p : graph.outputs()) stack.push_back(p.value.node);
  for (const Graph::Port& p : graph.inputs()) stack.push_back(p.value.node);
  while (!stack.empty()) {
    const NodeId id = stack.back();
    stack.pop_back();
    if (live[static_cast<std::size_t>(id)]) continue;
    live[static_cast<std::size_t>(id)] = true;
    for (Value in : graph.node(id).inputs) stack.push_back(in.node);
    for (NodeId c : graph.node(id).control_inputs) stack.push_back(c);
  }
  return live;
}

// Removes every node the outputs do not need; returns how many went.
inline std::size_t remove_dead_nodes(Graph& graph) {
  const std::vector<bool> live = live_nodes(graph);
  std::vector<const Node*> doomed_nodes;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    if (!live[i]) doomed_nodes.push_back(&graph.nodes()[i]);
  }
  if (doomed_nodes.empty()) return 0;
  std::set<const Node*> doomed(doomed_nodes.begin(), doomed_nodes.end());
  return graph.remove_if([&](const Node& n) { return doomed.count(&n) > 0; });
}

// After fusion: control edges that waited on a node folded into another (`fused_into`: removed
// node -> the node that absorbed it) now wait on that node; a node never waits on itself, and
// no edge is listed twice.
inline void redirect_control_edges(Graph& graph, const std::map<NodeId, NodeId>& fused_into) {
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const NodeId self = static_cast<NodeId>(i);
    std::vector<NodeId> controls;
    for (NodeId c : graph.node(self).control_inputs) {
      auto it = fused_into.find(c);
      const NodeId target = it == fused_into.end() ? c : it->second;
      if (target != self && std::find(controls.begin(), controls.end(), target) == controls.end()) {
        controls.push_back(target);
      }
    }
    graph.node(self).control_inputs = std::move(controls);
  }
}

// Provenance of a fusion: `fused` stands for `members` (in the order they ran), so it lists
// the names they replaced (a member that was itself fused contributes the names it absorbed)
// and waits on every control input they waited on, except those among the members.
inline void merge_provenance(const Graph& graph, const std::vector<NodeId>& members, Node& fused) {
  const std::set<NodeId> inside(members.begin(), members.end());
  fused.replaced.clear();
  fused.control_inputs.clear();
  for (NodeId id : members) {
    const Node& n = graph.node(id);
    if (n.replaced.empty())
      fused.replaced.push_back(n.name);
    else
      fused.replaced.insert(fused.replaced.end(), n.replaced.begin(), n.replaced.end());
    for (NodeId ctl : n.control_inputs) {
      const bool listed = std::find(fused.control_inputs.begin(), fused.control_inputs.end(),
                                    ctl) != fused.control_inputs.end();
      if (!inside.count(ctl) && !listed) fused.control_inputs.push_back(ctl);
    }
  }
}

// Puts `fused` in place of node `root` after merge_provenance(graph, members, fused): the other
// members lose their edges and are recorded in `fused_into` (for redirect_control_edges and
// remove_nodes). `root` must be one of `members`.
inline void install_fused(Graph& graph, const std::vector<NodeId>& members, NodeId root,
                          Node fused, std::map<NodeId, NodeId>& fused_into) {
  for (NodeId id : members) {
    if (id == root) continue;
    graph.node(id).inputs.clear();
    graph.node(id).control_inputs.clear();
    fused_into[id] = root;
  }
  graph.node(root) = std::move(fused);
}


// Removes the nodes whose ids are in `ids` (which nothing may still read through data edges).
inline std::size_t remove_nodes(Graph& graph, const std::set<NodeId>& ids) {
  if (ids.empty()) return 0;
  std::set<const Node*> doomed;
  for (NodeId id : ids) doomed.insert(&graph.node(id));
  return graph.remove_if([&](const Node& n) { return doomed.count(&n) > 0; });
}

// Re-runs type inference on a copy and keeps the result only if it succeeds, so a failure
// leaves the graph exactly as it was. Returns false on failure.
inline bool refresh_types(Graph& graph) {
  Graph copy = graph;
  try {
    infer_types(copy);
  } catch (const Error&) {
    return false;
  }
  graph = std::move(copy);
  return true;
}

// The end of a fusion: control edges that waited on an absorbed node (`fused_into`: absorbed
// node -> the node that took it in) wait on the fused node, the absorbed nodes go, and the
// recorded types are inferred again. Returns false if that inference failed (the recorded types
// are then kept).
inline bool remove_absorbed(Graph& graph, const std::map<NodeId, NodeId>& fused_into) {
  std::set<NodeId> absorbed;
  for (const auto& entry : fused_into) absorbed.insert(entry.first);
  redirect_control_edges(graph, fused_into);
  remove_nodes(graph, absorbed);
  return refresh_types(graph);
}

// Deep equality of attribute values: tensors by dtype, shape and bytes, floats by their bits
// (so two NaN attributes are the same attribute and 0.0 differs from -0.0).
inline bool attr_values_equal(const AttrValue& a, const AttrValue& b) {
  if (a.index() != b.index()) return false;
  if (const Tensor* ta = std::get_if<Tensor>(&a)) {
    const Tensor& tb = std::get<Tensor>(b);
    if (ta->valid() != tb.valid()) return false;
    if (!ta->valid()) return true;
    if (ta->dtype() != tb.dtype() || ta->shape() != tb.shape()) return false;
    return ta->raw() == tb.raw() || std::memcmp(ta->raw(), tb.raw(), ta->byte_size()) == 0;
  }
  if (const float* fa = std::get_if<float>(&a)) {
    return std::memcmp(fa, &std::get<float>(b), sizeof(float)) == 0;
  }
  if (const Floats* fa = std::get_if<Floats>(&a)) {
    const Floats& fb = std::get<Floats>(b);
    return fa->size() == fb.size() &&
           (fa->empty() || std::memcmp(fa->data(), fb.data(), fa->size() * sizeof(float)) == 0);
  }
  return std::visit(
      [&](const auto& va) -> bool {
        using T = std::decay_t<decltype(va)>;
        if constexpr (std::is_same_v<T, Tensor> || std::is_same_v<T, float> ||
                      std::is_same_v<T, Floats>) {
          return false;  // handled above
        } else {
          return va == std::get<T>(b);
        }
      },
      a);
}

inline bool attrs_equal(const Attrs& a, const Attrs& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || !attr_values_equal(ia->second, ib->second)) return false;
  }
  return true;
}

}  // namespace kiln::opt
