// The verifier: checks that a graph is well formed before anything trusts it.
//
// It checks, in this order: every node has a unique non-empty name; every input and control
// edge names a node that exists and an output index that node has; graph inputs and outputs are
// valid values; there is no cycle; every op is known with the right number of inputs and its
// required attributes; and the recorded output types agree with what inference derives from the
// inputs (same dtypes, compatible shapes). The first problem found is thrown as a kiln::Error.
#pragma once

#include <set>
#include <string>

#include "op_traits.hpp"
#include "ops.hpp"

namespace kiln {

namespace verify_detail {

inline void check_value(const Graph& g, Value v, const std::string& user, const std::string& what) {
  if (v.node < 0 || static_cast<std::size_t>(v.node) >= g.size()) {
    throw Error(Errc::invalid_graph, "dangling " + what + ": it names a node that does not exist")
        .node(user)
        .found("node id " + std::to_string(v.node));
  }
  const Node& producer = g.node(v.node);
  if (v.index < 0 || static_cast<std::size_t>(v.index) >= producer.outputs.size()) {
    throw Error(Errc::invalid_graph, what + " uses an output index the producer does not have")
        .node(user)
        .input(producer.name + ":" + std::to_string(v.index))
        .expected("index < " + std::to_string(producer.outputs.size()))
        .found(std::to_string(v.index));
  }
}

}  // namespace verify_detail

inline void verify(const Graph& g);

namespace verify_detail {

// A control-flow node has the regions its op names, each a sound graph whose arguments are
// placeholders. (How many arguments and results each takes is checked by its shape function.)
inline void check_regions(const Node& n) {
  const OpDef& def = op_catalogue().at(n);
  const std::size_t roles = def.regions.size();
  const bool count_ok = def.variadic_regions ? n.regions.size() + 1 >= roles : n.regions.size() == roles;
  if (!count_ok) {
    throw n.error(Errc::invalid_graph, "node has another number of regions than its op")
        .expected((def.variadic_regions ? "at least " : "") + std::to_string(def.variadic_regions ? roles - 1 : roles))
        .found(std::to_string(n.regions.size()));
  }
  for (std::size_t r = 0; r < n.regions.size(); ++r) {
    const std::string role = def.regions[std::min(r, roles - 1)];
    if (!n.regions[r]) throw n.error(Errc::invalid_graph, "region is missing").input(role);
    try {
      verify(*n.regions[r]);
      for (const Graph::Port& p : n.regions[r]->inputs()) {
        if (n.regions[r]->node(p.value.node).op != "Placeholder") {
          throw Error(Errc::invalid_graph, "a region argument must be a Placeholder").input(p.name);
        }
      }
    } catch (Error& e) {
      e.within(n.name, role);
      throw;
    }
  }
}

}  // namespace verify_detail

inline void verify(const Graph& g) {
  using verify_detail::check_value;
  std::set<std::string, std::less<>> names;
  for (const Node& n : g.nodes()) {
    if (n.name.empty()) throw Error(Errc::invalid_graph, "node without a name").op(n.op);
    if (!names.insert(n.name).second) {
      throw Error(Errc::invalid_graph, "two nodes share one name").node(n.name).op(n.op);
    }
  }
  for (const Node& n : g.nodes()) {
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      check_value(g, n.inputs[i], n.name, "input " + std::to_string(i));
    }
    for (NodeId c : n.control_inputs) {
      if (c < 0 || static_cast<std::size_t>(c) >= g.size()) {
        throw n.error(Errc::invalid_graph, "dangling control input").found("node id " + std::to_string(c));
      }
    }
  }
  for (const Graph::Port& p : g.inputs()) {
    check_value(g, p.value, "graph input '" + p.name + "'", "graph input");
  }
  for (const Graph::Port& p : g.outputs()) {
    check_value(g, p.value, "graph output '" + p.name + "'", "graph output");
  }
  const std::vector<NodeId> order = g.topological_order();  // throws on a cycle

  for (NodeId id : order) {
    const Node& n = g.node(id);
    if (!n.regions.empty() || has_regions(n.op)) verify_detail::check_regions(n);
    std::vector<TensorType> types;
    std::vector<const Tensor*> values;
    for (Value in : n.inputs) {
      types.push_back(g.type_of(in));
      values.push_back(constant_value(g, in));
    }
    const std::vector<TensorType> derived = infer_node(n, std::move(types), std::move(values));
    if (derived.size() != n.outputs.size()) {
      throw n.error(Errc::invalid_graph, "recorded output count differs from the op's")
          .expected(std::to_string(derived.size()))
          .found(std::to_string(n.outputs.size()));
    }
    for (std::size_t i = 0; i < derived.size(); ++i) {
      const TensorType& have = n.outputs[i];
      if (have.dtype != derived[i].dtype || !have.shape.compatible_with(derived[i].shape)) {
        throw n.error(Errc::type_mismatch, "recorded output type disagrees with inference")
            .input("output " + std::to_string(i))
            .expected(derived[i].str())
            .found(have.str());
      }
    }
  }
}

}  // namespace kiln
