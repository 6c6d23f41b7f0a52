// A Graphviz DOT writer: `dot -Tsvg graph.dot > graph.svg` turns a graph into a picture.
//
// Ops are boxes labelled with the node name and op, constants small grey boxes, graph inputs
// and outputs ellipses. Data edges carry the value's type; control edges are dashed. A node
// that a rewrite produced is filled and lists the original nodes it replaced.
#pragma once

#include <string>

#include "graph.hpp"

namespace kiln {

namespace dot_detail {

inline std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

inline std::string node_label(const Node& n) {
  std::string label = n.name + "\n" + n.op;
  if (!n.replaced.empty()) {
    label += "\nreplaces:";
    for (const std::string& r : n.replaced) label += "\n" + r;
  }
  return escaped(label);
}

}  // namespace dot_detail

inline std::string to_dot(const Graph& g, const std::string& title = "kiln") {
  using dot_detail::escaped;
  std::string dot = "digraph \"" + escaped(title) + "\" {\n";
  dot += "  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  dot += "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  for (std::size_t i = 0; i < g.size(); ++i) {
    const Node& n = g.nodes()[i];
    std::string style = "shape=box";
    if (n.op == "Const") style = "shape=box, style=filled, fillcolor=\"#eeeeee\", fontsize=8";
    else if (n.op == "Placeholder") style = "shape=ellipse, style=filled, fillcolor=\"#d7ecff\"";
    else if (!n.replaced.empty()) style = "shape=box, style=filled, fillcolor=\"#ffe2b8\"";
    dot += "  n" + std::to_string(i) + " [label=\"" + dot_detail::node_label(n) + "\", " + style + "];\n";
  }
  for (std::size_t i = 0; i < g.size(); ++i) {
    const Node& n = g.nodes()[i];
    for (Value in : n.inputs) {
      const Node& producer = g.node(in.node);
      std::string label;
      if (static_cast<std::size_t>(in.index) < producer.outputs.size()) {
        label = producer.outputs[static_cast<std::size_t>(in.index)].str();
      }
      if (in.index != 0) label = ":" + std::to_string(in.index) + " " + label;
      dot += "  n" + std::to_string(in.node) + " -> n" + std::to_string(i) + " [label=\"" +
             escaped(label) + "\"];\n";
    }
    for (NodeId c : n.control_inputs) {
      dot += "  n" + std::to_string(c) + " -> n" + std::to_string(i) + " [style=dashed];\n";
    }
  }
  for (std::size_t i = 0; i < g.outputs().size(); ++i) {
    const Graph::Port& p = g.outputs()[i];
    dot += "  out" + std::to_string(i) + " [label=\"" + escaped(p.name) +
           "\", shape=ellipse, style=filled, fillcolor=\"#d9f2d9\"];\n";
    dot += "  n" + std::to_string(p.value.node) + " -> out" + std::to_string(i) + ";\n";
  }
  return dot + "}\n";
}

}  // namespace kiln
