// The IR printer: a stable, diffable text form of a graph, for tests, docs and pass dumps.
//
//   graph {
//     inputs: x = %x
//     %x = Placeholder() {dtype = float32, shape = [?,4]} : float32[?,4]
//     %w = Const() {dtype = float32, value = float32[4,2] {...}} : float32[4,2]
//     %MatMul = MatMul(%x, %w) {T = float32, transpose_a = false, ...} : float32[?,2]
//     outputs: y = %MatMul
//   }
//
// One node per line, SSA style. Nodes come in topological order, ties broken by name, so the
// text depends only on the graph and not on the order in which it was built. `%n:1` is output 1
// of n, `^%n` a control edge, and `loc(fused[...])` lists the original nodes a rewrite replaced.
// Names outside TensorFlow's usual characters are quoted. A control-flow node is followed by its
// regions, each a nested graph under its role:
//
//     %loop = While(%i, %x) {T = [int32, float32], ...} : (int32[], float32[?,4]) regions {
//       cond: graph {
//         ...
//       }
//       body: graph {
//         ...
//       }
//     }
//
// parse.hpp reads the text back; with PrintOptions::lossless it reads back as an equal graph.
#pragma once

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>

#include "graph.hpp"
#include "ops/control_flow.hpp"

namespace kiln {

struct PrintOptions {
  bool show_types = true;      // ": float32[?,4]" after each node
  bool show_provenance = true; // loc(fused[...]) on rewritten nodes
  // Every tensor in full and every attribute kind unmistakable, so that parse_graph() reads
  // the text back as an equal graph (see parse.hpp). Off, long constants are elided.
  bool lossless = false;
};

namespace print_detail {

// TensorFlow names are [A-Za-z0-9_.\-/>]; anything else gets quotes so the text stays parseable.
inline bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '/' || c == '>';
}
inline std::string name_text(const std::string& name) {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), is_name_char);
  return plain ? name : detail::quoted(name);
}
inline std::string node_ref(const std::string& name) { return "%" + name_text(name); }

inline std::string value_ref(const Graph& g, Value v) {
  const std::string ref = node_ref(g.node(v.node).name);
  return v.index == 0 ? ref : ref + ":" + std::to_string(v.index);
}

// Topological order in which, among ready nodes, the smallest name goes first.
inline std::vector<NodeId> name_ordered_topology(const Graph& g) {
  return g.topological_order([&g](NodeId a, NodeId b) { return g.node(a).name > g.node(b).name; });
}

inline std::string types_text(const Node& node) {
  if (node.outputs.size() == 1) return node.outputs[0].str();
  std::string s = "(";
  for (std::size_t i = 0; i < node.outputs.size(); ++i) s += (i ? ", " : "") + node.outputs[i].str();
  return s + ")";
}

}  // namespace print_detail

// One node as the printer writes it, without indentation or newline.
inline std::string print_node(const Graph& g, NodeId id, const PrintOptions& options = {}) {
  using namespace print_detail;
  const Node& node = g.node(id);
  std::string line = node_ref(node.name) + " = " + node.op + "(";
  bool first = true;
  for (Value in : node.inputs) {
    line += (first ? "" : ", ") + value_ref(g, in);
    first = false;
  }
  for (NodeId c : node.control_inputs) {
    line += (first ? "^" : ", ^") + node_ref(g.node(c).name);
    first = false;
  }
  line += ")";
  if (!node.attrs.empty()) {
    line += " {";
    bool first_attr = true;
    for (const auto& [key, value] : node.attrs) {
      line += (first_attr ? "" : ", ") + name_text(key) + " = " +
              attr_text(value, options.lossless ? TextStyle::lossless : TextStyle::brief);
      first_attr = false;
    }
    line += "}";
  }
  // "()" says "no outputs" where the brief text leaves it to inference.
  if (options.show_types && (options.lossless || !node.outputs.empty())) {
    line += " : " + types_text(node);
  }
  if (options.show_provenance && !node.replaced.empty()) {
    line += " loc(fused[";
    for (std::size_t i = 0; i < node.replaced.size(); ++i) {
      line += (i ? ", " : "") + detail::quoted(node.replaced[i]);
    }
    line += "])";
  }
  return line;
}

namespace print_detail {

// The graph's text with every line but the first indented by `indent` (a region's graph starts
// after its role, on the owner's line).
inline std::string graph_text(const Graph& g, const PrintOptions& options, const std::string& indent) {
  std::string text = "graph {\n";
  auto ports = [&](const char* label, const std::vector<Graph::Port>& list) {
    if (list.empty()) return;
    text += indent + "  " + label + ": ";
    for (std::size_t i = 0; i < list.size(); ++i) {
      text += (i ? ", " : "") + name_text(list[i].name) + " = " + value_ref(g, list[i].value);
    }
    text += "\n";
  };
  ports("inputs", g.inputs());
  for (NodeId id : name_ordered_topology(g)) {
    const Node& node = g.node(id);
    text += indent + "  " + print_node(g, id, options);
    if (!node.regions.empty()) {
      text += " regions {\n";
      for (std::size_t r = 0; r < node.regions.size(); ++r) {
        text += indent + "    " + ops::control_flow::region_role(node, r) + ": " +
                graph_text(*node.regions[r], options, indent + "    ");
      }
      text += indent + "  }";
    }
    text += "\n";
  }
  ports("outputs", g.outputs());
  return text + indent + "}\n";
}

}  // namespace print_detail

inline std::string print_graph(const Graph& g, const PrintOptions& options = {}) {
  return print_detail::graph_text(g, options, "");
}

}  // namespace kiln
