// What one pass changed, for `kiln report`: a line diff of the IR text before and after it, and
// what became of each node (by name: the IR keeps TensorFlow's names, and a rewritten node
// lists the names it replaced in Node::replaced).
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <kiln/core/graph.hpp>
#include <kiln/core/print.hpp>

namespace kiln::cli {

// One line of a diff: kept, removed (only in the old text) or added (only in the new one).
struct DiffLine {
  enum class Kind { kept, removed, added };
  Kind kind;
  int line;  // index into the old text for kept and removed lines, into the new one for added
};

// The shortest edit script from `a` to `b` (Myers' O(ND) algorithm: the greedy furthest-reaching
// paths of diff(1) and git), as kept/removed/added lines in order. Lines are compared as ids,
// so callers intern them first.
inline std::vector<DiffLine> diff_lines(const std::vector<int>& a, const std::vector<int>& b,
                                        int max_edits = 20000) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  const int max = std::min(n + m, max_edits), offset = max + 1;
  auto at = [offset](std::vector<int>& v, int k) -> int& { return v[static_cast<std::size_t>(offset + k)]; };
  auto snake = [&](int x, int k) {  // follows equal lines from (x, x - k)
    while (x < n && x - k < m && a[static_cast<std::size_t>(x)] == b[static_cast<std::size_t>(x - k)]) ++x;
    return x;
  };
  std::vector<int> v(static_cast<std::size_t>(2 * max + 3), 0);
  std::vector<std::vector<int>> trace;  // v before each round, to walk the path back
  int edits = -1;
  for (int d = 0; d <= max && edits < 0; ++d) {
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      const bool down = k == -d || (k != d && at(v, k - 1) < at(v, k + 1));
      const int x = snake(down ? at(v, k + 1) : at(v, k - 1) + 1, k);
      at(v, k) = x;
      if (x >= n && x - k >= m) {
        edits = d;
        break;
      }
    }
  }
  std::vector<DiffLine> script;
  if (edits < 0) {  // too different to be worth the search: everything out, everything in
    for (int i = 0; i < n; ++i) script.push_back({DiffLine::Kind::removed, i});
    for (int i = 0; i < m; ++i) script.push_back({DiffLine::Kind::added, i});
    return script;
  }
  int x = n, y = m;
  for (int d = edits; d > 0; --d) {
    std::vector<int>& prev = trace[static_cast<std::size_t>(d)];
    const int k = x - y;
    const bool down = k == -d || (k != d && at(prev, k - 1) < at(prev, k + 1));
    const int prev_k = down ? k + 1 : k - 1;
    const int prev_x = at(prev, prev_k), prev_y = prev_x - prev_k;
    while (x > prev_x + (down ? 0 : 1) && y > prev_y + (down ? 1 : 0)) {
      script.push_back({DiffLine::Kind::kept, --x});
      --y;
    }
    if (down) script.push_back({DiffLine::Kind::added, --y});
    else script.push_back({DiffLine::Kind::removed, --x});
  }
  while (x > 0) script.push_back({DiffLine::Kind::kept, --x});
  std::reverse(script.begin(), script.end());
  return script;
}

// What a pass did to one node. Seen from the graph before the pass (its fate) a node is kept,
// changed, folded (now a constant of the same name), fused into another node, or removed; seen
// from the graph after it (its origin) a node is kept, changed, folded, fused (a new or rewritten
// node that lists more replaced names than before) or new.
struct NodeChanges {
  std::map<std::string, std::string> fate;    // name in the old graph -> what happened
  std::map<std::string, std::string> fused_into;  // name in the old graph -> the fused node
  std::map<std::string, std::string> origin;  // name in the new graph -> where it came from
};

inline NodeChanges node_changes(const Graph& before, const Graph& after) {
  NodeChanges changes;
  const PrintOptions plain;
  std::map<std::string, std::string> absorbed_by;  // original name -> node that now lists it
  for (std::size_t i = 0; i < after.size(); ++i) {
    const Node& node = after.nodes()[i];
    const std::optional<NodeId> old = before.find(node.name);
    const std::size_t listed_before = old ? before.node(*old).replaced.size() : 0;
    if (node.replaced.size() > listed_before) {
      for (const std::string& name : node.replaced) absorbed_by.emplace(name, node.name);
    }
  }
  for (std::size_t i = 0; i < after.size(); ++i) {
    const Node& node = after.nodes()[i];
    const std::optional<NodeId> old = before.find(node.name);
    std::string origin = "kept";
    if (!old) {
      origin = node.replaced.empty() ? "new" : "fused";
    } else {
      const Node& was = before.node(*old);
      if (node.replaced.size() > was.replaced.size()) origin = "fused";
      else if (node.op == "Const" && was.op != "Const") origin = "folded";
      else if (print_node(after, static_cast<NodeId>(i), plain) != print_node(before, *old, plain))
        origin = "changed";
    }
    if (origin != "kept") changes.origin[node.name] = origin;
    if (old && origin != "kept" && origin != "new") changes.fate[node.name] = origin;
  }
  for (const Node& node : before.nodes()) {
    if (after.find(node.name)) {
      auto it = absorbed_by.find(node.name);
      if (it != absorbed_by.end() && changes.fate[node.name] == "fused") {
        changes.fused_into[node.name] = it->second;
      }
      continue;
    }
    // Gone: absorbed into a fused node (it or its own replaced names are listed there), or removed.
    std::string into;
    auto it = absorbed_by.find(node.name);
    if (it != absorbed_by.end()) into = it->second;
    for (const std::string& r : node.replaced) {
      auto by = absorbed_by.find(r);
      if (into.empty() && by != absorbed_by.end()) into = by->second;
    }
    changes.fate[node.name] = into.empty() ? "removed" : "fused";
    if (!into.empty()) changes.fused_into[node.name] = into;
  }
  return changes;
}

}  // namespace kiln::cli
