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
// so callers intern them first. Round d of the search keeps the 2d + 1 diagonals it can reach,
// to walk the path back: memory grows with the square of the edits, so beyond `max_edits` the
// script is simply "remove every line, add every line".
inline std::vector<DiffLine> diff_lines(const std::vector<int>& a, const std::vector<int>& b,
                                        int max_edits = 4000) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  const int max = std::min(n + m, max_edits);
  auto snake = [&](int x, int k) {  // follows equal lines from (x, x - k)
    while (x < n && x - k < m && a[static_cast<std::size_t>(x)] == b[static_cast<std::size_t>(x - k)]) ++x;
    return x;
  };
  // rounds[d][k + d]: the furthest x on diagonal k (x - y = k) after d edits.
  std::vector<std::vector<int>> rounds;
  auto reached = [&](int d, int k) { return rounds[static_cast<std::size_t>(d)][static_cast<std::size_t>(k + d)]; };
  // Whether the path to diagonal k in round d came down (an added line) from k + 1, rather than
  // right (a removed line) from k - 1.
  auto came_down = [&](int d, int k) {
    return k == -d || (k != d && reached(d - 1, k - 1) < reached(d - 1, k + 1));
  };
  int edits = -1;
  for (int d = 0; d <= max && edits < 0; ++d) {
    rounds.emplace_back(static_cast<std::size_t>(2 * d + 1));
    for (int k = -d; k <= d; k += 2) {
      const int start = d == 0 ? 0 : came_down(d, k) ? reached(d - 1, k + 1) : reached(d - 1, k - 1) + 1;
      const int x = snake(start, k);
      rounds.back()[static_cast<std::size_t>(k + d)] = x;
      if (x >= n && x - k >= m) {
        edits = d;
        break;
      }
    }
  }
  std::vector<DiffLine> script;
  if (edits < 0) {  // too different to be worth the search
    for (int i = 0; i < n; ++i) script.push_back({DiffLine::Kind::removed, i});
    for (int i = 0; i < m; ++i) script.push_back({DiffLine::Kind::added, i});
    return script;
  }
  int x = n, y = m;
  for (int d = edits; d > 0; --d) {
    const int k = x - y;
    const bool down = came_down(d, k);
    const int prev_k = down ? k + 1 : k - 1;
    const int prev_x = reached(d - 1, prev_k), prev_y = prev_x - prev_k;
    // The equal lines after the edit, then the edit itself.
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
    if (after.find(node.name)) {  // kept its name: a fused node absorbs the others into itself
      auto it = absorbed_by.find(node.name);
      auto fate = changes.fate.find(node.name);
      if (it != absorbed_by.end() && fate != changes.fate.end() && fate->second == "fused") {
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
