// A Graphviz DOT writer: `dot -Tsvg graph.dot > graph.svg` turns a graph into a picture.
//
// Ops are boxes labelled with the node name and op, constants small grey boxes, graph inputs
// and outputs ellipses. Data edges carry the value's type; control edges are dashed. A node
// that a rewrite produced is filled and lists the original nodes it replaced. A control-flow
// node is drawn in bold, and each of its regions as a cluster of its own beside it.
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

namespace dot_detail {

// Writes the nodes and edges of `g`, its ids prefixed by `prefix` so that regions nested in it
// (a While's cond and body, an If's branches) can be drawn beside it as clusters: boxes with
// rounded corners labelled with the owning node and the region's role, joined to their owner
// by a dotted edge.
inline void append_graph(std::string& dot, const Graph& g, const std::string& prefix,
                         const std::string& indent) {
  auto id = [&](std::size_t i) { return prefix + "n" + std::to_string(i); };
  for (std::size_t i = 0; i < g.size(); ++i) {
    const Node& n = g.nodes()[i];
    std::string style = "shape=box";
    if (n.op == "Const") style = "shape=box, style=filled, fillcolor=\"#eeeeee\", fontsize=8";
    else if (n.op == "Placeholder") style = "shape=ellipse, style=filled, fillcolor=\"#d7ecff\"";
    else if (!n.replaced.empty()) style = "shape=box, style=filled, fillcolor=\"#ffe2b8\"";
    else if (!n.regions.empty()) style = "shape=box, style=\"filled,bold\", fillcolor=\"#f3e6ff\"";
    dot += indent + id(i) + " [label=\"" + node_label(n) + "\", " + style + "];\n";
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
      dot += indent + id(static_cast<std::size_t>(in.node)) + " -> " + id(i) + " [label=\"" +
             escaped(label) + "\"];\n";
    }
    for (NodeId c : n.control_inputs) {
      dot += indent + id(static_cast<std::size_t>(c)) + " -> " + id(i) + " [style=dashed];\n";
    }
  }
  for (std::size_t i = 0; i < g.outputs().size(); ++i) {
    const Graph::Port& p = g.outputs()[i];
    const std::string out = prefix + "out" + std::to_string(i);
    dot += indent + out + " [label=\"" + escaped(p.name) +
           "\", shape=ellipse, style=filled, fillcolor=\"#d9f2d9\"];\n";
    dot += indent + id(static_cast<std::size_t>(p.value.node)) + " -> " + out + ";\n";
  }
  for (std::size_t i = 0; i < g.size(); ++i) {
    const Node& n = g.nodes()[i];
    for (std::size_t r = 0; r < n.regions.size(); ++r) {
      if (!n.regions[r]) continue;
      const std::string inner = id(i) + "r" + std::to_string(r) + "_";
      const std::string role = region_role(n, r);
      dot += indent + "subgraph cluster_" + inner + " {\n";
      dot += indent + "  label=\"" + escaped(n.name + " / " + role) +
             "\"; style=\"rounded,dashed\"; color=\"#9a6fc2\"; fontname=\"Helvetica\";\n";
      append_graph(dot, *n.regions[r], inner, indent + "  ");
      dot += indent + "}\n";
      if (n.regions[r]->size() > 0) {
        dot += indent + id(i) + " -> " + inner + "n0 [style=dotted, arrowhead=none, lhead=cluster_" +
               inner + "];\n";
      }
    }
  }
}

}  // namespace dot_detail

inline std::string to_dot(const Graph& g, const std::string& title = "kiln") {
  std::string dot = "digraph \"" + dot_detail::escaped(title) + "\" {\n";
  dot += "  rankdir=TB;\n  compound=true;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  dot += "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  dot_detail::append_graph(dot, g, "", "  ");
  return dot + "}\n";
}

}  // namespace kiln
