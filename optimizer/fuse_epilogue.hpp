// fuse-epilogue: what follows a convolution or matrix product elementwise becomes steps of its
// fused node's epilogue (core/ops/fused.hpp), computed as each output element is written.
//
// Starting at each main op (fusion_chain.hpp), or the fused node fold-affine made of one, in
// schedule order, the pass appends
//   * at most one activation (activation_patterns.hpp),
//   * at most one residual Add,
//   * and, after the activation, at most one per-channel scale-shift: an inference BatchNorm
//     (FusedBatchNorm/V2/V3, or its unfused form after fold-constants: Mul by a [C] constant,
//     then Add of one) that follows the activation, as Keras models written Conv -> ReLU ->
//     BatchNorm have it. It cannot fold into the weights as one before the activation does;
//     it becomes the step "ScaleShift" with a [C] scale and a [C] shift:
//         s = gamma / sqrt(variance + epsilon),  t = beta - mean * s.
// The chain becomes (or extends) a _Fused* node that takes the place and the name of the
// chain's last node and lists the names of the nodes it replaced in Node::replaced.
//
// The residual Add(y, r), where y ends the chain and r is the other operand, is fused when
//   * r has exactly y's type (dtype and shape, so no broadcasting), which lets an
//     implementation accumulate into r's buffer (the memory planner then reuses it in place);
//   * r is not computed from the chain: guaranteed, as every value inside the chain has one
//     reader, the next node of the chain;
//   * r is not the result of a chain that runs later in the schedule. When both operands are
//     convolution chains (ResNet's projection shortcut), the Add joins the one that runs last:
//     the other operand then already exists when the fused node runs, so fusing does not
//     reorder the schedule or lengthen any lifetime.
// Preconditions are fold-affine's: float32, NHWC convolutions, constant weights, and every value
// inside the chain read only inside it.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kiln/core/ops/fused.hpp>

#include "activation_patterns.hpp"
#include "fusion_chain.hpp"

namespace kiln::opt {

namespace fuse_epilogue_detail {

using namespace fusion;

// Which steps a chain's fused node may still take.
struct Taken {
  bool activation = false, residual = false, scale_shift = false;
};

inline Taken taken_steps(const Node& main) {
  Taken t;
  for (const std::string& step : main.attr_or<Strings>("fused_ops", Strings{})) {
    t.activation = t.activation || op_catalogue().is_epilogue_activation(step);
    t.residual = t.residual || step == "Add";
    t.scale_shift = t.scale_shift || step == "ScaleShift";
  }
  return t;
}

class EpilogueMatcher {
 public:
  explicit EpilogueMatcher(const ChainReader& reader)
      : r_(reader), graph_(reader.graph()), activations_(reader) {}

  // Extends `c` by an activation, a residual Add and a scale-shift where they follow.
  // `later_chain(r, main)` tells whether value r is the result of a chain that runs after
  // `main`'s.
  template <class LaterChain>
  void extend(Chain& c, LaterChain&& later_chain) const {
    Taken taken = taken_steps(graph_.node(c.main));
    for (bool progress = true; progress;) {
      progress = false;
      if (!taken.activation &&
          r_.absorb_step(c, [this](Chain& x) { return activations_.absorb_activation(x); })) {
        taken.activation = progress = true;
      }
      if (!taken.residual &&
          r_.absorb_step(c, [&](Chain& x) { return absorb_residual(x, later_chain); })) {
        taken.residual = progress = true;
      }
      if (taken.activation && !taken.scale_shift &&
          r_.absorb_step(c, [this](Chain& x) { return absorb_scale_shift(x); })) {
        taken.scale_shift = progress = true;
      }
    }
  }

 private:
  template <class LaterChain>
  bool absorb_residual(Chain& c, LaterChain&& later_chain) const {
    bool reshaped = false;
    if (c.reshape) {
      // The fused node computes before the Reshape: the residual will be reshaped back to the
      // fused node's shape, which a Reshape can name only with at most one unknown size.
      const Shape& before = graph_.type_of(graph_.node(*c.reshape).inputs.at(0)).shape;
      if (!before.has_rank()) return false;
      const auto unknown = std::count(before.dims().begin(), before.dims().end(), kUnknownDim);
      if (unknown > 1) return false;
      reshaped = true;
    }
    const std::optional<NodeId> reader = r_.single_reader(c.end);
    if (!reader) return false;
    const Node& u = graph_.node(*reader);
    const std::optional<int> slot = ChainReader::slot_of(u, c.end);
    if (!is_add(u.op) || !slot) return false;
    const Value r = u.inputs[static_cast<std::size_t>(1 - *slot)];
    const TensorType& y_type = graph_.type_of(c.end);
    if (!(graph_.type_of(r) == y_type) || !(u.outputs.at(0) == y_type)) return false;
    if (later_chain(r, c.main)) return false;
    c.residual = r;
    c.residual_reshaped = reshaped;
    c.steps.push_back("Add");
    ChainReader::absorb(c, *reader);
    return true;
  }

  // An inference BatchNorm after the activation: a FusedBatchNorm*, or Mul(y, [C] constant)
  // followed by Add(.., [C] constant).
  bool absorb_scale_shift(Chain& c) const {
    const std::optional<NodeId> reader = r_.single_reader(c.end);
    if (!reader || !r_.same_type(*reader, c.end)) return false;
    const Node& u = graph_.node(*reader);
    const std::optional<int> slot = ChainReader::slot_of(u, c.end);
    if (!slot) return false;
    if (is_batch_norm(u.op) && *slot == 0) {
      const std::optional<BatchNormAffine> bn = r_.batch_norm_affine(c, *reader);
      if (!bn) return false;
      c.post_scale = bn->scale;
      c.post_shift.resize(bn->scale.size());
      for (std::size_t i = 0; i < bn->scale.size(); ++i) {
        c.post_shift[i] = bn->offset[i] - bn->mean[i] * bn->scale[i];
      }
      c.steps.push_back("ScaleShift");
      ChainReader::absorb(c, *reader);
      return true;
    }
    if (u.op != "Mul" || u.inputs.size() != 2) return false;
    const Value factor = u.inputs[static_cast<std::size_t>(1 - *slot)];
    const Shape& factor_shape = graph_.type_of(factor).shape;
    if (!factor_shape.has_rank() || factor_shape.rank() == 0) return false;  // a vector, not 1/x
    std::optional<std::vector<double>> s = r_.per_channel(factor, c, c.rank);
    const std::optional<NodeId> add = r_.single_reader({*reader, 0});
    if (!s || !add || !r_.same_type(*add, {*reader, 0})) return false;
    const Node& a = graph_.node(*add);
    const std::optional<int> add_slot = ChainReader::slot_of(a, {*reader, 0});
    if (!is_add(a.op) || a.inputs.size() != 2 || !add_slot) return false;
    std::optional<std::vector<double>> t =
        r_.per_channel(a.inputs[static_cast<std::size_t>(1 - *add_slot)], c, c.rank);
    if (!t) return false;
    c.post_scale = std::move(*s);
    c.post_shift = std::move(*t);
    c.steps.push_back("ScaleShift");
    ChainReader::absorb(c, *reader);
    ChainReader::absorb(c, *add);
    return true;
  }

  const ChainReader& r_;
  const Graph& graph_;
  const ActivationMatcher activations_;
};

// The fused node's residual argument: the residual itself, or, when the chain looked through a
// Reshape that the fused node now precedes, a new Reshape of it to the fused node's shape (a
// view: no bytes move, and the sum can still accumulate in the residual's buffer).
inline Value residual_input(Graph& graph, const Chain& c, const std::string& name) {
  if (!c.residual_reshaped) return *c.residual;
  const TensorType& type = graph.type_of(graph.node(*c.reshape).inputs.at(0));
  const auto rank = static_cast<std::int64_t>(type.shape.rank());
  Tensor dims(DType::int32, Shape{rank});
  for (int d = 0; d < type.shape.rank(); ++d) {
    const std::int64_t size = type.shape.dim(d);  // unknown: -1, which Reshape infers
    dims.data<std::int32_t>()[d] = static_cast<std::int32_t>(size < 0 ? -1 : size);
  }
  const Value shape{graph.add(constant_node(unique_name(graph, name + "/residual/shape"), dims)),
                    0};
  Node reshape;
  reshape.name = unique_name(graph, name + "/residual");
  reshape.op = "Reshape";
  reshape.inputs = {*c.residual, shape};
  reshape.attrs = {{"T", type.dtype}, {"Tshape", DType::int32}};
  reshape.outputs = {type};
  fill_default_attrs(reshape, *op_catalogue().find("Reshape"));
  return {graph.add(std::move(reshape)), 0};
}

// Replaces the chain by its fused node: the main op's epilogue, then the steps appended.
inline void rewrite(Graph& graph, const Chain& c, std::map<NodeId, NodeId>& fused_into) {
  const std::string name = graph.node(c.end.node).name;
  Node fused = fused_start(graph.node(c.main));
  Strings steps = fused.attr_or<Strings>("fused_ops", Strings{});
  for (const std::string& step : c.steps) {
    steps.push_back(step);
    if (step == "Add") fused.inputs.push_back(residual_input(graph, c, name));
    if (step == "ScaleShift") {
      fused.inputs.push_back(add_vector_constant(graph, name + "/scale", c.post_scale));
      fused.inputs.push_back(add_vector_constant(graph, name + "/shift", c.post_shift));
    }
  }
  fused.attrs["fused_ops"] = steps;
  if (c.alpha) fused.attrs["leakyrelu_alpha"] = *c.alpha;
  install_chain(graph, c, std::move(fused), fused_into);
}

// A Reshape that is the only reader of `v` and has a constant target: a chain may look
// through it.
inline std::optional<NodeId> constant_reshape_of(const Graph& graph, const UseMap& uses, Value v) {
  const UseList users = uses.users(v);
  if (users.size() != 1 || uses.is_graph_output(v)) return std::nullopt;
  const Node& r = graph.node(users.front().user);
  if (r.op != "Reshape" || r.inputs.size() != 2 || !constant_value(graph, r.inputs[1])) {
    return std::nullopt;
  }
  return users.front().user;
}

}  // namespace fuse_epilogue_detail

inline PassResult fuse_epilogue(Graph& graph, PassContext& context) {
  using namespace fusion;
  using namespace fuse_epilogue_detail;
  PassResult result;
  for (const char* stat : {"activations fused", "residual adds fused",
                           "BatchNorms after activations", "fused nodes", "declined"}) {
    result.count(stat, 0);
  }
  const std::int64_t budget = context.options.fold_byte_budget;

  // Where each chain starts in the schedule, and the values that are chain results (a fused
  // node's, or the Reshape's it is looked through), for the residual rule.
  const std::vector<NodeId> order = graph.topological_order();
  std::vector<std::size_t> position(graph.size(), 0);
  for (std::size_t i = 0; i < order.size(); ++i) position[static_cast<std::size_t>(order[i])] = i;
  std::map<Value, NodeId> chain_result;
  {
    const UseMap uses(graph);
    for (NodeId id : order) {
      if (!is_main_op(graph.node(id).op) || !candidate(graph, id, budget, nullptr)) continue;
      chain_result[{id, 0}] = id;
      if (auto reshape = constant_reshape_of(graph, uses, {id, 0})) {
        chain_result[{*reshape, 0}] = id;
      }
    }
  }

  std::map<NodeId, NodeId> fused_into;  // removed chain node -> the fused node
  std::set<NodeId> made;                // fused nodes this run made: their chains are complete
  std::optional<UseMap> uses;
  for (NodeId id : order) {
    if (fused_into.count(id) || made.count(id) || !is_main_op(graph.node(id).op)) continue;
    if (!uses) uses.emplace(graph);
    PassResult scratch;
    const ChainReader reader(graph, *uses, budget, scratch);
    std::optional<Candidate> cand = candidate(graph, id, budget, nullptr);
    if (!cand) {
      // Explain only when an activation would have been fused (see fold-affine for the rest).
      const UseList readers = uses->users({id, 0});
      if (readers.size() == 1 && !uses->is_graph_output({id, 0}) &&
          is_simple_activation(graph.node(readers.front().user).op)) {
        candidate(graph, id, budget, &result);
      }
      continue;
    }
    Chain chain = ChainReader::start(id, cand->shape);
    EpilogueMatcher(reader).extend(chain, [&](Value r, NodeId main) {
      auto it = chain_result.find(r);
      return it != chain_result.end() && it->second != main && !fused_into.count(it->second) &&
             position[static_cast<std::size_t>(it->second)] >
                 position[static_cast<std::size_t>(main)];
    });
    for (const Statistic& s : scratch.stats) result.count(s.name, s.value);
    for (const std::string& n : scratch.notes) result.note(n);
    if (chain.nodes.size() < 2) continue;  // nothing to fuse

    for (const std::string& step : chain.steps) {
      result.count(step == "Add"          ? "residual adds fused"
                   : step == "ScaleShift" ? "BatchNorms after activations"
                                          : "activations fused");
    }
    if (is_plain_main_op(graph.node(id).op)) result.count("fused nodes");
    rewrite(graph, chain, fused_into);
    made.insert(chain.end.node);
    uses.reset();  // the graph changed
    result.changed = true;
  }
  if (result.changed && !remove_absorbed(graph, fused_into)) {
    result.note("type inference failed after fusion; recorded types were kept");
  }
  return result;
}

inline Pass fuse_epilogue_pass() {
  return {"fuse-epilogue",
          "append activation, residual Add and BatchNorm after them to a fused node's epilogue",
          fuse_epilogue};
}

}  // namespace kiln::opt
