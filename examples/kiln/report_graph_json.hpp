// One graph of `kiln report` as the page draws it: every node with what its details panel shows
// (op, types, attributes, inputs, original names) and where the layered layout put it, every
// edge with its route, and the graph's output ports as nodes of their own.
//
//   {"nodes": [{"name", "op", "kind" (op|const|input|output), "label": [lines], "types",
//               "attrs": [[key, text]], "inputs", "controls", "replaced", "regions",
//               "region_graphs": [the same for each region: a loop's cond and body, ...],
//               "x", "y", "w", "h", "layer"}],
//    "edges": [{"from", "to", "label", "control", "points": [x0, y0, x1, y1, ...]}],
//    "width", "height", "layers"}
//
// x and y are a node's centre, in pixels; edges are indices into "nodes".
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <kiln/core/graph.hpp>

#include "json.hpp"
#include "report_layout.hpp"

namespace kiln::cli {

namespace graph_json_detail {

inline constexpr double kCharWidth = 7.0;   // of the page's 11 px sans-serif (bold), on average
inline constexpr std::size_t kLabelChars = 30;

// The last part of a TensorFlow name ("conv2d_2_1/BiasAdd" -> "BiasAdd" would lose the layer,
// so two parts are kept: "conv2d_2_1/BiasAdd"), shortened from the left to fit.
inline std::string short_name(const std::string& name) {
  std::size_t cut = name.rfind('/');
  if (cut != std::string::npos && cut > 0) {
    const std::size_t before = name.rfind('/', cut - 1);
    cut = before == std::string::npos ? 0 : before + 1;
  } else {
    cut = 0;
  }
  std::string tail = name.substr(cut);
  if (tail.size() > kLabelChars) tail = "…" + tail.substr(tail.size() - (kLabelChars - 1));
  return tail;
}

inline std::string kind_of(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  if (n.op == "Const") return "const";
  for (const Graph::Port& p : g.inputs()) {
    if (p.value.node == id) return "input";
  }
  return "op";
}

inline std::string types_text(const Node& n) {
  std::string text;
  for (const TensorType& t : n.outputs) text += (text.empty() ? "" : ", ") + t.str();
  return text;
}

// Width and height of a node box holding `label`; constants are drawn smaller.
inline void box_size(const std::vector<std::string>& label, bool small, double& w, double& h) {
  std::size_t longest = 0;
  for (const std::string& line : label) longest = std::max(longest, line.size());
  w = std::max(small ? 40.0 : 70.0, 16 + kCharWidth * static_cast<double>(longest) * (small ? 0.85 : 1.0));
  h = small ? 20 : 14.0 * static_cast<double>(label.size()) + 10;
}

inline Json route_json(const std::vector<LayoutPoint>& route) {
  Json points = Json::array();
  for (const LayoutPoint& p : route) {
    points.push_back(std::lround(p.x));
    points.push_back(std::lround(p.y));
  }
  return points;
}

// True for the nodes that no graph input reaches (constants and what is computed from them).
inline std::vector<bool> computed_from_constants(const Graph& g,
                                                 const std::vector<std::pair<int, int>>& edges,
                                                 std::size_t count) {
  std::vector<std::vector<int>> readers(count);
  for (const auto& [from, to] : edges) readers[static_cast<std::size_t>(from)].push_back(to);
  std::vector<bool> reached(count, false);
  std::vector<int> stack;
  for (const Graph::Port& p : g.inputs()) stack.push_back(p.value.node);
  while (!stack.empty()) {
    const int v = stack.back();
    stack.pop_back();
    if (reached[static_cast<std::size_t>(v)]) continue;
    reached[static_cast<std::size_t>(v)] = true;
    for (int r : readers[static_cast<std::size_t>(v)]) stack.push_back(r);
  }
  reached.flip();
  return reached;
}

}  // namespace graph_json_detail

inline Json graph_json(const Graph& g) {
  using namespace graph_json_detail;
  Json nodes = Json::array();
  LayoutInput layout_input;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const auto id = static_cast<NodeId>(i);
    const Node& n = g.node(id);
    const std::string kind = kind_of(g, id);
    std::vector<std::string> label = {n.op, short_name(n.name)};
    if (kind == "const") label = {short_name(n.name)};
    Json attrs = Json::array();
    for (const auto& [key, value] : n.attrs) attrs.push_back({key, attr_text(value)});
    Json inputs = Json::array(), controls = Json::array(), regions = Json::array();
    Json region_graphs = Json::array();
    for (Value in : n.inputs) inputs.push_back(g.value_name(in));
    for (NodeId c : n.control_inputs) controls.push_back(g.node(c).name);
    for (std::size_t r = 0; r < n.regions.size(); ++r) {
      regions.push_back(region_role(n, r) + ": " + std::to_string(n.regions[r]->size()) + " nodes");
      region_graphs.push_back(graph_json(*n.regions[r]));
    }
    double w = 0, h = 0;
    box_size(label, kind == "const", w, h);
    layout_input.widths.push_back(w);
    layout_input.heights.push_back(h);
    nodes.push_back({{"name", n.name}, {"op", n.op}, {"kind", kind}, {"label", label},
                     {"types", types_text(n)}, {"attrs", attrs}, {"inputs", inputs},
                     {"controls", controls}, {"replaced", n.replaced}, {"regions", regions},
                     {"region_graphs", region_graphs}});
  }
  // Output ports are drawn as nodes below what they read.
  for (const Graph::Port& port : g.outputs()) {
    const std::vector<std::string> label = {"output", port.name};
    double w = 0, h = 0;
    box_size(label, false, w, h);
    layout_input.widths.push_back(w);
    layout_input.heights.push_back(h);
    nodes.push_back({{"name", port.name}, {"op", "output"}, {"kind", "output"}, {"label", label},
                     {"types", g.type_of(port.value).str()}, {"attrs", Json::array()},
                     {"inputs", {g.value_name(port.value)}}, {"controls", Json::array()},
                     {"replaced", Json::array()}, {"regions", Json::array()},
                     {"region_graphs", Json::array()}});
  }

  struct EdgeInfo {
    std::string label;
    bool control;
  };
  std::vector<EdgeInfo> infos;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const Node& n = g.nodes()[i];
    for (Value in : n.inputs) {
      layout_input.edges.push_back({in.node, static_cast<int>(i)});
      const TensorType& t = g.type_of(in);
      infos.push_back({(in.index ? ":" + std::to_string(in.index) + " " : "") + t.str(), false});
    }
    for (NodeId c : n.control_inputs) {
      layout_input.edges.push_back({c, static_cast<int>(i)});
      infos.push_back({"", true});
    }
  }
  for (std::size_t p = 0; p < g.outputs().size(); ++p) {
    const Value v = g.outputs()[p].value;
    layout_input.edges.push_back({v.node, static_cast<int>(g.size() + p)});
    infos.push_back({"", false});
  }

  layout_input.light = computed_from_constants(g, layout_input.edges, nodes.size());
  const Layout layout = layered_layout(layout_input);
  int layers = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Json& node = nodes[i];
    node["x"] = std::lround(layout.centres[i].x);
    node["y"] = std::lround(layout.centres[i].y);
    node["w"] = std::lround(layout_input.widths[i]);
    node["h"] = std::lround(layout_input.heights[i]);
    node["layer"] = layout.layers[i];
    layers = std::max(layers, layout.layers[i] + 1);
  }
  Json edges = Json::array();
  for (std::size_t e = 0; e < layout_input.edges.size(); ++e) {
    edges.push_back({{"from", layout_input.edges[e].first},
                     {"to", layout_input.edges[e].second},
                     {"label", infos[e].label},
                     {"control", infos[e].control},
                     {"points", route_json(layout.routes[e])}});
  }
  return {{"nodes", nodes},
          {"edges", edges},
          {"width", std::lround(layout.width)},
          {"height", std::lround(layout.height)},
          {"layers", layers}};
}

}  // namespace kiln::cli
