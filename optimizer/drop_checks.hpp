// drop-checks: remove the run-time checks (Assert, CheckNumerics: the ops with the `check`
// trait) when the user asks for it, as a deployment that trusts its inputs may.
//
// A check's only effect is to fail a run, so without it a run that passed computes the same. A
// CheckNumerics hands its input on: its readers read the input instead. Whoever waited on a
// check (a control edge) waits on what the check waited on instead, so the order of the other
// side effects stays. Not part of any level: compile() runs it first when
// Options::drop_checks(true) asks, and `kiln opt --passes drop-checks,...` names it.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

inline PassResult drop_checks(Graph& graph, PassContext&) {
  PassResult result;
  const std::set<NodeId> ports = input_port_nodes(graph);
  std::set<NodeId> checks;
  for (NodeId id : graph.topological_order()) {
    if (is_check(graph.node(id).op) && !ports.count(id)) checks.insert(id);
  }
  if (checks.empty()) return result;
  // In topological order, so that a check waiting on a check passes on edges already rewritten.
  std::vector<std::string> names;
  for (NodeId id : graph.topological_order()) {
    if (!checks.count(id)) continue;
    const Node check = graph.node(id);
    if (check.inputs.size() < check.outputs.size()) continue;  // malformed: the verifier says so
    for (std::size_t k = 0; k < check.outputs.size(); ++k) {
      graph.replace_uses({id, static_cast<int>(k)}, check.inputs[k]);
    }
    for (std::size_t i = 0; i < graph.size(); ++i) {
      std::vector<NodeId>& controls = graph.node(static_cast<NodeId>(i)).control_inputs;
      if (std::find(controls.begin(), controls.end(), id) == controls.end()) continue;
      controls.erase(std::remove(controls.begin(), controls.end(), id), controls.end());
      for (NodeId c : check.control_inputs) {
        const bool listed = std::find(controls.begin(), controls.end(), c) != controls.end();
        if (c != static_cast<NodeId>(i) && !listed) controls.push_back(c);
      }
    }
    names.push_back(check.name + " (" + check.op + ")");
  }
  const std::size_t removed = remove_nodes(graph, checks);
  result.changed = removed > 0;
  result.count("checks dropped", static_cast<std::int64_t>(removed));
  std::string list;
  for (std::size_t i = 0; i < names.size() && i < 8; ++i) list += (i ? ", " : "") + names[i];
  if (names.size() > 8) list += ", and " + std::to_string(names.size() - 8) + " more";
  result.note("dropped on request: " + list);
  return result;
}

inline Pass drop_checks_pass() {
  return {"drop-checks", "remove Assert and CheckNumerics (on request: not in any level)",
          drop_checks};
}

}  // namespace kiln::opt
