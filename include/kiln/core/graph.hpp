// The dataflow IR: nodes that keep their TensorFlow names, values that are (node, output index)
// pairs, typed attributes and control dependencies.
//
// Control flow is structured: a While or If node owns its bodies as regions, each a Graph of
// its own whose input ports are the region's arguments and whose output ports are its results.
// A region sees only its arguments (TensorFlow passes captured values in explicitly), so the
// outer graph stays a DAG and every pass that works on a graph works on a region too.
//
// A Graph owns its nodes in a vector; a NodeId is an index into it. Rewrites redirect uses with
// replace_uses() and then drop what is dead with remove_if(), which renumbers the survivors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "attr.hpp"

namespace kiln {

using NodeId = std::int32_t;

// One output of one node: what TensorFlow writes as "name:index".
struct Value {
  NodeId node = -1;
  int index = 0;
  friend bool operator==(Value a, Value b) { return a.node == b.node && a.index == b.index; }
  friend bool operator!=(Value a, Value b) { return !(a == b); }
  friend bool operator<(Value a, Value b) {
    return a.node != b.node ? a.node < b.node : a.index < b.index;
  }
};

// What is known about a value before it is computed: its dtype and a possibly partial shape.
struct TensorType {
  DType dtype = DType::float32;
  Shape shape = Shape::unknown_rank();
  std::string str() const { return std::string(dtype_name(dtype)) + shape.str(); }
  friend bool operator==(const TensorType& a, const TensorType& b) {
    return a.dtype == b.dtype && a.shape == b.shape;
  }
};

class Graph;

struct Node {
  std::string name;                   // the TensorFlow name, kept for provenance
  std::string op;                     // the op type, e.g. "Conv2D"
  std::vector<Value> inputs;          // data inputs, in the op's order
  std::vector<NodeId> control_inputs; // run-after edges that carry no data
  Attrs attrs;
  std::vector<TensorType> outputs;    // one per output; filled by type inference
  std::vector<std::string> replaced;  // names of the original nodes a rewritten node stands for
  // Sub-graphs the node runs (a While's cond and body, an If's branches), in the order its op's
  // catalogue entry names them. Shared and never changed in place: a pass that rewrites a
  // region makes a new Graph and points the node at it.
  std::vector<std::shared_ptr<const Graph>> regions;

  // An Error already pointing at this node.
  Error error(Errc code, std::string message) const {
    Error e(code, std::move(message));
    e.node(name).op(op);
    return e;
  }

  bool has_attr(std::string_view key) const { return attrs.find(key) != attrs.end(); }

  template <class T> const T& attr(std::string_view key) const {
    auto it = attrs.find(key);
    if (it == attrs.end()) {
      throw error(Errc::invalid_attr, "missing attribute").attr(std::string(key));
    }
    if (const T* v = std::get_if<T>(&it->second)) return *v;
    throw error(Errc::invalid_attr, "attribute has the wrong kind")
        .attr(std::string(key))
        .expected(attr_kind_name_of<T>())
        .found(attr_kind_name(it->second));
  }

  template <class T> T attr_or(std::string_view key, T fallback) const {
    return has_attr(key) ? attr<T>(key) : fallback;
  }
};

class Graph {
 public:
  // A named entry or exit of the graph (a signature's input or output).
  struct Port {
    std::string name;
    Value value;
  };

  NodeId add(Node node) {
    if (node.name.empty()) throw Error(Errc::invalid_graph, "node without a name").op(node.op);
    if (by_name_.count(node.name)) {
      throw Error(Errc::invalid_graph, "two nodes share one name").node(node.name).op(node.op);
    }
    const auto id = static_cast<NodeId>(nodes_.size());
    by_name_.emplace(node.name, id);
    nodes_.push_back(std::move(node));
    return id;
  }

  std::size_t size() const { return nodes_.size(); }
  const std::vector<Node>& nodes() const { return nodes_; }

  // Names may change only through rename(), which keeps the name index right.
  Node& node(NodeId id) { return nodes_.at(checked(id)); }
  const Node& node(NodeId id) const { return nodes_.at(checked(id)); }

  std::optional<NodeId> find(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
  }
  NodeId at(std::string_view name) const {
    if (auto id = find(name)) return *id;
    throw Error(Errc::not_found, "no node with this name").node(std::string(name));
  }

  void rename(NodeId id, std::string name) {
    if (by_name_.count(name)) throw Error(Errc::invalid_graph, "two nodes share one name").node(name);
    by_name_.erase(node(id).name);
    by_name_.emplace(name, id);
    node(id).name = std::move(name);
  }

  std::vector<Port>& inputs() { return inputs_; }
  const std::vector<Port>& inputs() const { return inputs_; }
  std::vector<Port>& outputs() { return outputs_; }
  const std::vector<Port>& outputs() const { return outputs_; }

  const TensorType& type_of(Value v) const {
    const Node& producer = node(v.node);
    if (v.index < 0 || static_cast<std::size_t>(v.index) >= producer.outputs.size()) {
      throw producer.error(Errc::invalid_graph, "output index out of range")
          .expected("< " + std::to_string(producer.outputs.size()))
          .found(std::to_string(v.index));
    }
    return producer.outputs[static_cast<std::size_t>(v.index)];
  }

  // "conv1" for output 0, "split:2" otherwise: TensorFlow's spelling of a value.
  std::string value_name(Value v) const {
    const std::string& n = node(v.node).name;
    return v.index == 0 ? n : n + ":" + std::to_string(v.index);
  }

  // Points every use of `from` (node inputs and graph outputs) at `to`.
  void replace_uses(Value from, Value to) {
    for (Node& n : nodes_) {
      for (Value& in : n.inputs) {
        if (in == from) in = to;
      }
    }
    for (Port& p : outputs_) {
      if (p.value == from) p.value = to;
    }
  }

  // Removes the nodes for which `doomed` is true and renumbers the rest. Control edges to a
  // removed node disappear; a data use of one is a bug in the caller and throws.
  std::size_t remove_if(const std::function<bool(const Node&)>& doomed) {
    std::vector<NodeId> new_id(nodes_.size(), -1);
    std::vector<Node> kept;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (doomed(nodes_[i])) continue;
      new_id[i] = static_cast<NodeId>(kept.size());
      kept.push_back(std::move(nodes_[i]));
    }
    const std::size_t removed = nodes_.size() - kept.size();
    auto remap = [&](Value& v, const std::string& user) {
      const NodeId to = new_id.at(checked(v.node));
      if (to < 0) {
        throw Error(Errc::internal, "removed a node that is still used")
            .node(nodes_[static_cast<std::size_t>(v.node)].name)
            .input(user);
      }
      v.node = to;
    };
    for (Node& n : kept) {
      for (Value& in : n.inputs) remap(in, n.name);
      std::vector<NodeId> controls;
      for (NodeId c : n.control_inputs) {
        if (new_id.at(checked(c)) >= 0) controls.push_back(new_id[static_cast<std::size_t>(c)]);
      }
      n.control_inputs = std::move(controls);
    }
    for (Port& p : inputs_) remap(p.value, "graph input " + p.name);
    for (Port& p : outputs_) remap(p.value, "graph output " + p.name);
    nodes_ = std::move(kept);
    by_name_.clear();
    for (std::size_t i = 0; i < nodes_.size(); ++i) by_name_.emplace(nodes_[i].name, static_cast<NodeId>(i));
    return removed;
  }

  // Kahn's algorithm over data and control edges. Among nodes that are ready at the same time
  // the lowest id goes first, so the order is deterministic. A cycle throws, naming a node on it.
  std::vector<NodeId> topological_order() const { return topological_order(std::greater<NodeId>{}); }

  // The same with another tie-break: `later(a, b)` is true when ready node a goes after ready
  // node b. The printer orders by name, so that its text does not depend on node ids.
  template <class Later> std::vector<NodeId> topological_order(Later later) const {
    const std::size_t n = nodes_.size();
    std::vector<int> pending(n, 0);
    std::vector<std::vector<NodeId>> users(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto edge = [&](NodeId from) {
        users[checked(from)].push_back(static_cast<NodeId>(i));
        ++pending[i];
      };
      for (Value in : nodes_[i].inputs) edge(in.node);
      for (NodeId c : nodes_[i].control_inputs) edge(c);
    }
    std::priority_queue<NodeId, std::vector<NodeId>, Later> ready(later);
    for (std::size_t i = 0; i < n; ++i) {
      if (pending[i] == 0) ready.push(static_cast<NodeId>(i));
    }
    std::vector<NodeId> order;
    order.reserve(n);
    while (!ready.empty()) {
      const NodeId id = ready.top();
      ready.pop();
      order.push_back(id);
      for (NodeId u : users[static_cast<std::size_t>(id)]) {
        if (--pending[static_cast<std::size_t>(u)] == 0) ready.push(u);
      }
    }
    if (order.size() != n) {
      for (std::size_t i = 0; i < n; ++i) {
        if (pending[i] > 0) {
          throw Error(Errc::invalid_graph, "the graph has a cycle").node(nodes_[i].name).op(nodes_[i].op);
        }
      }
    }
    return order;
  }

 private:
  std::size_t checked(NodeId id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= nodes_.size()) {
      throw Error(Errc::invalid_graph, "node id out of range")
          .expected("< " + std::to_string(nodes_.size()))
          .found(std::to_string(id));
    }
    return static_cast<std::size_t>(id);
  }

  std::vector<Node> nodes_;
  std::unordered_map<std::string, NodeId> by_name_;
  std::vector<Port> inputs_;
  std::vector<Port> outputs_;
};

// What region `index` of a control-flow node is for: "cond", "body", "then_branch",
// "branch 2".
inline std::string region_role(const Node& node, std::size_t index) {
  if (node.op == "While") return index == 0 ? "cond" : "body";
  if (node.op == "If") return index == 0 ? "then_branch" : "else_branch";
  return "branch " + std::to_string(index);
}

}  // namespace kiln
