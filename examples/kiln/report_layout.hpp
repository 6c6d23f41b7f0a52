// A layered ("Sugiyama-style") drawing of a DAG, for `kiln report`'s graph pictures: what
// Graphviz's `dot` does, in four plain steps, so that a page needs no Graphviz to show a graph.
//
//   1. layers: every node one layer below its lowest input (longest path from the sources);
//      then every node that can (a constant, a variable read, a shape computation) moves down to
//      sit just above its first reader, instead of all of them crowding the top rows;
//   2. dummies: an edge that spans several layers gets a dummy node in each layer it crosses, so
//      that the next steps route it between the nodes rather than through them;
//   3. order: a few sweeps down and up the layers, each sorting a layer by the barycenter of its
//      neighbours in the layer before, which removes most edge crossings;
//   4. coordinates: every node is pulled toward its neighbours' mean x, then the layer is packed
//      left to right without overlap, keeping the order; constants give way to the nodes that
//      compute from the graph's inputs, so that the main path runs straight.
//
// The result is in pixels: node centres, and for each edge the points it passes through (from
// the bottom of its source, through its dummies, to the top of its target).
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <queue>
#include <utility>
#include <vector>

namespace kiln::cli {

struct LayoutInput {
  std::vector<double> widths;                 // per node
  std::vector<double> heights;                // per node
  std::vector<std::pair<int, int>> edges;     // from -> to, node indices; must form a DAG
  // Nodes that follow their readers but barely pull them (constants and what is computed from
  // constants alone): otherwise a chain of convolutions drifts sideways toward its weights.
  // Empty: only the sources are light.
  std::vector<bool> light;
};

struct LayoutPoint {
  double x = 0, y = 0;
};

struct Layout {
  std::vector<LayoutPoint> centres;              // per node
  std::vector<int> layers;                       // per node: 0 at the top
  std::vector<std::vector<LayoutPoint>> routes;  // per edge: source bottom ... target top
  double width = 0, height = 0;
};

namespace layout_detail {

inline constexpr double kLayerGap = 56;  // vertical space between layers, for edge labels
inline constexpr double kNodeGap = 18;   // horizontal space between neighbours
inline constexpr double kMargin = 20;
inline constexpr int kOrderSweeps = 6;
inline constexpr int kLoneNodesPerRow = 6;
inline constexpr int kPlacementRounds = 6;
// Dummies cost time in every sweep; a graph gets at most this many per node. Edges beyond the
// budget (the longest ones first) are drawn straight.
inline constexpr std::size_t kDummiesPerNode = 6;

// Step 1. Layers by longest path from the sources, then nodes moved down next to their readers.
inline std::vector<int> assign_layers(std::size_t n, const std::vector<std::pair<int, int>>& edges) {
  std::vector<std::vector<int>> successors(n);
  std::vector<int> pending(n, 0);
  for (const auto& [from, to] : edges) {
    successors[static_cast<std::size_t>(from)].push_back(to);
    ++pending[static_cast<std::size_t>(to)];
  }
  std::vector<int> layer(n, 0);
  std::queue<int> ready;
  for (std::size_t v = 0; v < n; ++v) {
    if (pending[v] == 0) ready.push(static_cast<int>(v));
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int v = ready.front();
    ready.pop();
    order.push_back(v);
    for (int s : successors[static_cast<std::size_t>(v)]) {
      auto& l = layer[static_cast<std::size_t>(s)];
      l = std::max(l, layer[static_cast<std::size_t>(v)] + 1);
      if (--pending[static_cast<std::size_t>(s)] == 0) ready.push(s);
    }
  }
  // Sinks first: a node with slack (a constant, a variable read, a shape computation) moves down
  // to just above its first reader; nodes on the longest paths have none and stay.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const auto& readers = successors[static_cast<std::size_t>(*it)];
    if (readers.empty()) continue;
    int first_reader = layer[static_cast<std::size_t>(readers.front())];
    for (int s : readers) first_reader = std::min(first_reader, layer[static_cast<std::size_t>(s)]);
    layer[static_cast<std::size_t>(*it)] = first_reader - 1;
  }
  // Nodes without any edge (constants that a fusion left unread, until simplify removes them)
  // go below everything, a few per row, rather than stretching one row across the page.
  std::vector<bool> linked(n, false);
  for (const auto& [from, to] : edges) {
    linked[static_cast<std::size_t>(from)] = true;
    linked[static_cast<std::size_t>(to)] = true;
  }
  int bottom = 0;
  for (std::size_t v = 0; v < n; ++v) {
    if (linked[v]) bottom = std::max(bottom, layer[v] + 1);
  }
  int alone = 0;
  for (std::size_t v = 0; v < n; ++v) {
    if (!linked[v]) layer[v] = bottom + alone++ / kLoneNodesPerRow;
  }
  return layer;
}

// The working graph of steps 2-4: real nodes first, then dummies.
struct Layered {
  std::vector<int> layer;
  std::vector<double> width;
  std::vector<std::vector<int>> up, down;  // neighbours in the layer above, below
  std::vector<std::vector<int>> rows;      // per layer, the nodes left to right
  std::vector<double> x;
  std::vector<bool> light;  // see LayoutInput::light; dummies never are
};

// Step 2. Chains of dummies for long edges (shortest first, within the budget); returns, per
// edge, the dummies it passes through.
inline std::vector<std::vector<int>> add_dummies(Layered& g, const LayoutInput& in) {
  const std::size_t n = in.widths.size();
  std::vector<std::size_t> by_span(in.edges.size());
  std::iota(by_span.begin(), by_span.end(), 0);
  auto span = [&](std::size_t e) {
    return g.layer[static_cast<std::size_t>(in.edges[e].second)] -
           g.layer[static_cast<std::size_t>(in.edges[e].first)];
  };
  std::stable_sort(by_span.begin(), by_span.end(),
                   [&](std::size_t a, std::size_t b) { return span(a) < span(b); });
  std::vector<std::vector<int>> chains(in.edges.size());
  std::size_t budget = kDummiesPerNode * std::max<std::size_t>(n, 16);
  for (std::size_t e : by_span) {
    const int from = in.edges[e].first, to = in.edges[e].second;
    const int s = span(e);
    int previous = from;
    if (s > 1 && static_cast<std::size_t>(s - 1) <= budget) {
      budget -= static_cast<std::size_t>(s - 1);
      for (int l = g.layer[static_cast<std::size_t>(from)] + 1; l < g.layer[static_cast<std::size_t>(to)]; ++l) {
        const int d = static_cast<int>(g.layer.size());
        g.layer.push_back(l);
        g.width.push_back(2);
        g.light.push_back(false);
        g.up.emplace_back();
        g.down.emplace_back();
        g.up[static_cast<std::size_t>(d)].push_back(previous);
        g.down[static_cast<std::size_t>(previous)].push_back(d);
        chains[e].push_back(d);
        previous = d;
      }
    }
    // A straight edge that skips layers still orders its ends (as if adjacent).
    g.down[static_cast<std::size_t>(previous)].push_back(to);
    g.up[static_cast<std::size_t>(to)].push_back(previous);
  }
  return chains;
}

// Sorts `row` by the mean position of each node's neighbours (in `neighbours`) in the layer
// they are in; a node without neighbours keeps its place.
inline void sort_by_barycenter(std::vector<int>& row, const std::vector<std::vector<int>>& neighbours,
                               const std::vector<double>& position) {
  std::vector<std::pair<double, int>> keyed;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const auto& ns = neighbours[static_cast<std::size_t>(row[i])];
    double key = position[static_cast<std::size_t>(row[i])];
    if (!ns.empty()) {
      double sum = 0;
      for (int m : ns) sum += position[static_cast<std::size_t>(m)];
      key = sum / static_cast<double>(ns.size());
    }
    keyed.push_back({key, row[i]});
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < row.size(); ++i) row[i] = keyed[i].second;
}

// Step 3. Rows in first-seen order (depth first from the sources), then barycenter sweeps.
inline void order_rows(Layered& g) {
  const std::size_t total = g.layer.size();
  const int layers = total == 0 ? 0 : *std::max_element(g.layer.begin(), g.layer.end()) + 1;
  g.rows.assign(static_cast<std::size_t>(layers), {});
  std::vector<bool> seen(total, false);
  std::vector<int> stack;
  for (std::size_t v = total; v-- > 0;) {
    if (g.up[v].empty()) stack.push_back(static_cast<int>(v));
  }
  while (!stack.empty()) {
    const int v = stack.back();
    stack.pop_back();
    if (seen[static_cast<std::size_t>(v)]) continue;
    seen[static_cast<std::size_t>(v)] = true;
    g.rows[static_cast<std::size_t>(g.layer[static_cast<std::size_t>(v)])].push_back(v);
    const auto& below = g.down[static_cast<std::size_t>(v)];
    for (auto it = below.rbegin(); it != below.rend(); ++it) stack.push_back(*it);
  }
  std::vector<double> position(total, 0);
  auto number_rows = [&] {
    for (const auto& row : g.rows) {
      for (std::size_t i = 0; i < row.size(); ++i) position[static_cast<std::size_t>(row[i])] = static_cast<double>(i);
    }
  };
  number_rows();
  for (int sweep = 0; sweep < kOrderSweeps; ++sweep) {
    for (std::size_t l = 1; l < g.rows.size(); ++l) {
      sort_by_barycenter(g.rows[l], g.up, position);
      number_rows();
    }
    for (std::size_t l = g.rows.size(); l-- > 1;) {
      sort_by_barycenter(g.rows[l - 1], g.down, position);
      number_rows();
    }
  }
}

// Packs `row` (left to right) so that no two nodes overlap, moving each as little as it can
// from its x: pushed right from the left, pushed left from the right, and the mean of the two
// (packed again, so the mean cannot overlap either).
inline void pack_evenly(const std::vector<int>& row, const std::vector<double>& width,
                        std::vector<double>& x) {
  if (row.empty()) return;
  auto gap = [&](std::size_t i) {  // centre distance between row[i - 1] and row[i]
    return (width[static_cast<std::size_t>(row[i - 1])] + width[static_cast<std::size_t>(row[i])]) / 2 + kNodeGap;
  };
  std::vector<double> right(row.size()), left(row.size());
  for (std::size_t i = 0; i < row.size(); ++i) {
    right[i] = x[static_cast<std::size_t>(row[i])];
    if (i > 0) right[i] = std::max(right[i], right[i - 1] + gap(i));
  }
  for (std::size_t i = row.size(); i-- > 0;) {
    left[i] = x[static_cast<std::size_t>(row[i])];
    if (i + 1 < row.size()) left[i] = std::min(left[i], left[i + 1] - gap(i + 1));
  }
  for (std::size_t i = 0; i < row.size(); ++i) {
    double mean = (left[i] + right[i]) / 2;
    if (i > 0) mean = std::max(mean, x[static_cast<std::size_t>(row[i - 1])] + gap(i));
    x[static_cast<std::size_t>(row[i])] = mean;
  }
}

// Packs a row in which the light nodes give way: the others are packed among themselves first;
// a run of light nodes then lines up beside the node on its right (if it starts the row) or on
// its left, and a last pass pushes right whatever still overlaps. A light node wants the x of
// its reader, which is its heavy neighbour's: packing them as equals would shift the heavy node
// by half a node in every layer, and a long chain would drift sideways.
inline void pack_row(const std::vector<int>& row, const std::vector<double>& width,
                     const std::vector<bool>& light, std::vector<double>& x) {
  auto distance = [&](int a, int b) {
    return (width[static_cast<std::size_t>(a)] + width[static_cast<std::size_t>(b)]) / 2 + kNodeGap;
  };
  std::vector<int> heavy;
  for (int v : row) {
    if (!light[static_cast<std::size_t>(v)]) heavy.push_back(v);
  }
  pack_evenly(heavy, width, x);
  for (std::size_t i = 0; i < row.size();) {
    if (!light[static_cast<std::size_t>(row[i])]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < row.size() && light[static_cast<std::size_t>(row[j])]) ++j;  // the run [i, j)
    if (i == 0 && j < row.size()) {
      for (std::size_t k = j; k-- > i;) {
        double& at = x[static_cast<std::size_t>(row[k])];
        at = std::min(at, x[static_cast<std::size_t>(row[k + 1])] - distance(row[k], row[k + 1]));
      }
    } else if (i > 0) {
      for (std::size_t k = i; k < j; ++k) {
        double& at = x[static_cast<std::size_t>(row[k])];
        at = std::max(at, x[static_cast<std::size_t>(row[k - 1])] + distance(row[k - 1], row[k]));
      }
    }
    i = j;
  }
  if (heavy.empty()) pack_evenly(row, width, x);
  for (std::size_t k = 1; k < row.size(); ++k) {
    double& at = x[static_cast<std::size_t>(row[k])];
    at = std::max(at, x[static_cast<std::size_t>(row[k - 1])] + distance(row[k - 1], row[k]));
  }
}

// Step 4. Packed rows, then rounds that pull each node toward its neighbours.
inline void place(Layered& g) {
  g.x.assign(g.layer.size(), 0);
  for (const auto& row : g.rows) pack_row(row, g.width, g.light, g.x);
  auto weight = [&](int m) { return g.light[static_cast<std::size_t>(m)] ? 0.05 : 1.0; };
  auto pull = [&](const std::vector<int>& row, const std::vector<std::vector<int>>& neighbours) {
    for (int v : row) {
      double sum = 0, total = 0;
      for (int m : neighbours[static_cast<std::size_t>(v)]) {
        sum += weight(m) * g.x[static_cast<std::size_t>(m)];
        total += weight(m);
      }
      if (total > 0) g.x[static_cast<std::size_t>(v)] = sum / total;
    }
    pack_row(row, g.width, g.light, g.x);
  };
  for (int round = 0; round < kPlacementRounds; ++round) {
    for (std::size_t l = 1; l < g.rows.size(); ++l) pull(g.rows[l], g.up);
    for (std::size_t l = g.rows.size(); l-- > 1;) pull(g.rows[l - 1], g.down);
  }
  // Rows of lone nodes (no edges: assign_layers put them last) sit centred under the graph.
  auto centre = [&](const std::vector<int>& row) {
    double sum = 0;
    for (int v : row) sum += g.x[static_cast<std::size_t>(v)];
    return row.empty() ? 0.0 : sum / static_cast<double>(row.size());
  };
  auto lone = [&](int v) {
    return g.up[static_cast<std::size_t>(v)].empty() && g.down[static_cast<std::size_t>(v)].empty();
  };
  double last_centre = 0;
  for (const auto& row : g.rows) {
    if (row.empty()) continue;
    if (!std::all_of(row.begin(), row.end(), lone)) {
      last_centre = centre(row);
      continue;
    }
    const double shift = last_centre - centre(row);
    for (int v : row) g.x[static_cast<std::size_t>(v)] += shift;
  }
}

}  // namespace layout_detail

inline Layout layered_layout(const LayoutInput& in) {
  using namespace layout_detail;
  const std::size_t n = in.widths.size();
  Layered g;
  g.layer = assign_layers(n, in.edges);
  g.width = in.widths;
  g.up.assign(n, {});
  g.down.assign(n, {});
  g.light = in.light;
  if (g.light.size() != n) {
    g.light.assign(n, false);
    for (const auto& e : in.edges) g.light[static_cast<std::size_t>(e.second)] = true;
    g.light.flip();  // true for the nodes no edge enters
  }
  const std::vector<std::vector<int>> chains = add_dummies(g, in);
  order_rows(g);
  place(g);

  Layout out;
  out.layers = std::vector<int>(g.layer.begin(), g.layer.begin() + static_cast<std::ptrdiff_t>(n));
  // Rows are as tall as their tallest node; y is a row's centre line.
  std::vector<double> row_height(g.rows.size(), 0), row_y(g.rows.size(), 0);
  for (std::size_t v = 0; v < n; ++v) {
    auto& h = row_height[static_cast<std::size_t>(g.layer[v])];
    h = std::max(h, in.heights[v]);
  }
  double y = kMargin;
  for (std::size_t l = 0; l < g.rows.size(); ++l) {
    row_y[l] = y + row_height[l] / 2;
    y += row_height[l] + kLayerGap;
  }
  double min_x = 0, max_x = 0;
  bool first = true;
  for (std::size_t v = 0; v < g.x.size(); ++v) {
    const double half = g.width[v] / 2;
    min_x = first ? g.x[v] - half : std::min(min_x, g.x[v] - half);
    max_x = first ? g.x[v] + half : std::max(max_x, g.x[v] + half);
    first = false;
  }
  const double shift = kMargin - min_x;
  auto at = [&](int v) {
    return LayoutPoint{g.x[static_cast<std::size_t>(v)] + shift, row_y[static_cast<std::size_t>(g.layer[static_cast<std::size_t>(v)])]};
  };
  for (std::size_t v = 0; v < n; ++v) out.centres.push_back(at(static_cast<int>(v)));
  for (std::size_t e = 0; e < in.edges.size(); ++e) {
    const auto [from, to] = in.edges[e];
    std::vector<LayoutPoint> route;
    LayoutPoint start = at(from), end = at(to);
    start.y += in.heights[static_cast<std::size_t>(from)] / 2;
    end.y -= in.heights[static_cast<std::size_t>(to)] / 2;
    route.push_back(start);
    for (int d : chains[e]) route.push_back(at(d));
    route.push_back(end);
    out.routes.push_back(std::move(route));
  }
  out.width = (max_x - min_x) + 2 * kMargin;
  out.height = std::max(y - kLayerGap + kMargin, 2 * kMargin);
  return out;
}

}  // namespace kiln::cli
