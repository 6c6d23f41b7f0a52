// The questions passes and backends ask about an op, answered from its catalogue entry
// (op_def.hpp's traits, set in ops/*.hpp). Nothing here keeps a list of op names: a new op
// gets every answer from its own entry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ops.hpp"

namespace kiln {

// ---- Whole-op facts ----------------------------------------------------------------------

inline bool is_elementwise(std::string_view op) {
  const OpDef* def = op_catalogue().find(op);
  return def && def->elementwise != Elementwise::no;
}

// An op Kiln does not know may do anything, so both answers below are yes for it: an imported
// graph may name Assert or RandomUniform, and removing or merging such a node would silently
// change what the graph does.
inline bool has_side_effects(std::string_view op) {
  const OpDef* def = op_catalogue().find(op);
  return !def || def->side_effects;
}
inline bool is_nondeterministic(std::string_view op) {
  const OpDef* def = op_catalogue().find(op);
  return !def || def->nondeterministic;
}
// A run-time check that may be dropped on request (an unknown op is not: nobody knows).
inline bool is_check(std::string_view op) {
  const OpDef* def = op_catalogue().find(op);
  return def && def->check;
}

// An op that owns regions (While, If, Case): control flow, run by the interpreters.
inline bool has_regions(std::string_view op) {
  const OpDef* def = op_catalogue().find(op);
  return def && !def->regions.empty();
}

// ---- Memory ------------------------------------------------------------------------------

// The inputs a node may overwrite with its output, best candidate first: the op's in-place
// inputs, and for a fused product the residual its `Add` step accumulates into (its main inputs
// never: a window reads many of them). The memory planner still checks that the input dies at
// this node and has the output's byte size (which rules out broadcasting).
inline std::vector<int> in_place_inputs(const Node& node) {
  const OpDef* def = op_catalogue().find(node.op);
  if (!def) return {};
  if (def->fused_epilogue && node.has_attr("fused_ops")) {
    int arg = 2;  // arguments follow the two main inputs in the order the steps consume them
    for (const std::string& step : node.attr<Strings>("fused_ops")) {
      if (step == "Add") return {arg};
      arg += ops::fused::step_arguments(step);
    }
    return {};
  }
  return def->in_place_inputs;
}

// True when some node of this op may write its output over an input.
inline bool may_run_in_place(std::string_view op) {
  const OpDef* def = op_catalogue().find(op);
  return def && (!def->in_place_inputs.empty() || def->fused_epilogue);
}

// ---- Fusion ------------------------------------------------------------------------------

// The epilogue step an op becomes when fused after a convolution or matrix product ("Relu"),
// or "" when it cannot be.
inline std::string epilogue_name(std::string_view op) {
  const OpDef* def = op_catalogue().find(op);
  return def ? def->epilogue : std::string();
}
inline bool is_epilogue_activation(std::string_view op) { return !epilogue_name(op).empty(); }

// True for an activation step of a `fused_ops` list: an op's epilogue name or a pattern-only
// step such as Swish. (BiasAdd and Add are steps too, but not activations.)
inline bool is_epilogue_activation_step(std::string_view step) {
  return op_catalogue().is_epilogue_activation(step);
}

// True for _FusedConv2D and the other ops that run a `fused_ops` epilogue.
inline bool has_fused_epilogue(std::string_view op) {
  const OpDef* def = op_catalogue().find(op);
  return def && def->fused_epilogue;
}

// True when no element of the node's output is negative (NaN aside): a non-negative op, or a
// fused node whose last epilogue step is one.
inline bool has_non_negative_output(const Node& node) {
  const OpDef* def = op_catalogue().find(node.op);
  if (!def) return false;
  if (def->non_negative) return true;
  if (!def->fused_epilogue || !node.has_attr("fused_ops")) return false;
  const Strings& steps = node.attr<Strings>("fused_ops");
  if (steps.empty()) return false;
  const OpDef* last = op_catalogue().op_of_epilogue(steps.back());
  return last && last->non_negative;
}

// ---- Listing -----------------------------------------------------------------------------

// The catalogue's ops that satisfy `pred`, sorted by name: e.g.
// ops_where([](const OpDef& d) { return !d.epilogue.empty(); }) for the fusable activations.
template <class Pred> std::vector<std::string> ops_where(Pred pred) {
  std::vector<std::string> names;
  for (const auto& [name, def] : op_catalogue().all()) {
    if (pred(def)) names.push_back(name);
  }
  return names;
}

}  // namespace kiln
