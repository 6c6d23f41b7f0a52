// fuse-lstm-loop: a Keras LSTM's While loop becomes one _FusedLSTMSequence node
// (core/ops/fused.hpp), which the cpu backend runs as one kernel for the whole sequence.
//
// After lists-to-tensors, hoist-loop-products, fuse-lstm-gates and fuse-epilogue, the loop
// Keras exports for an LSTM layer without masking is:
//
//   cond:  counter < K1 && t < K2                 (Keras 2: t < K2 alone)
//   body:  x  = Gather(p, t)                      p [T, B, 4U]: the hoisted x_t W + b
//          z  = _FusedMatMul(h, r, x) [Add]       (or AddV2(MatMul(h, r), x))
//          h', c' = _FusedLSTMGates(z, c)
//          rows' = TensorScatterUpdate(rows, [[t]], h')   every step's h: [T, B, U]
//             or   TensorScatterUpdate(rows, [[0]], h')   the last one:   [1, B, U]
//          counter' = counter + 1,  t' = t + 1
//
// Every step of it is exactly one step of the fused op, so the loop's outputs are the op's:
// h and c its states, the rows its sequence (or its last h as one row), each counter its
// start plus the trip count, and an invariant variable its initial value.
//
// Preconditions, all checked; otherwise the loop stays as it is:
//   * every result of the body is one of the forms above (nothing else computes: a mask's
//     SelectV2, a GRU's or a peephole's extra terms do not match);
//   * the condition is a conjunction of `counter < constant` over counters that start at
//     constants, and it stops the loop after exactly T trips, with t starting at 0;
//   * r is a constant, the shapes are known, and everything is float32.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loop_variables.hpp"

namespace kiln::opt {

namespace lstm_loop_detail {

// What each loop variable is, once the loop matched.
struct Match {
  std::size_t h = 0, c = 0, projection = 0;
  Tensor kernel;                                   // r
  std::int64_t trips = 0;                          // T
  std::map<std::size_t, std::int64_t> counters;    // variable -> its start
  std::map<std::size_t, bool> rows;                // variable -> every step (true) or last only
  std::vector<std::size_t> invariants;
};

// The int32 scalar constant `v` is, if it is one.
inline std::optional<std::int64_t> scalar_int(const Graph& g, Value v) {
  const Tensor* t = constant_value(g, v);
  if (!t || t->dtype() != DType::int32 || t->num_elements() != 1 || t->shape().rank() != 0) {
    return std::nullopt;
  }
  return t->to_int64_vector()[0];
}

// The loop variable whose argument `v` is, if it is one.
inline std::optional<std::size_t> argument_index(const Graph& region, Value v) {
  for (std::size_t k = 0; k < region.inputs().size(); ++k) {
    if (loops::argument(region, k) == v) return k;
  }
  return std::nullopt;
}

class Matcher {
 public:
  Matcher(const Graph& outer, const Node& loop)
      : outer_(outer), loop_(loop), body_(loops::body_of(loop)), cond_(loops::cond_of(loop)) {}

  std::optional<Match> match() {
    const std::optional<NodeId> gates = sole_gates();
    if (!gates) return std::nullopt;
    const Node& g = body_.node(*gates);
    const auto c = argument_index(body_, g.inputs.at(1));
    if (!c || !gate_sums(g.inputs.at(0))) return std::nullopt;
    m_.c = *c;
    if (result(m_.h) != Value{*gates, 0} || result(m_.c) != Value{*gates, 1}) return std::nullopt;
    for (std::size_t k = 0; k < loop_.inputs.size(); ++k) {
      if (k == m_.h || k == m_.c) continue;
      if (loops::is_invariant(loop_, k)) {
        m_.invariants.push_back(k);
      } else if (!counter(k) && !rows(k, {*gates, 0})) {
        return std::nullopt;
      }
    }
    // t counts the steps from 0, and the condition stops the loop after the projection's T rows.
    if (!m_.counters.count(t_) || m_.counters[t_] != 0) return std::nullopt;
    if (!trip_count() || m_.trips != steps()) return std::nullopt;
    return m_;
  }

 private:
  Value result(std::size_t k) const { return loops::through_identities(body_, body_.outputs().at(k).value); }

  std::optional<NodeId> sole_gates() const {
    std::optional<NodeId> found;
    for (std::size_t i = 0; i < body_.size(); ++i) {
      if (body_.nodes()[i].op != "_FusedLSTMGates") continue;
      if (found) return std::nullopt;
      found = static_cast<NodeId>(i);
    }
    return found;
  }

  // z = Gather(p, t) + h r, fused or not; sets h, r, the projection and t.
  bool gate_sums(Value z) {
    const Node& n = body_.node(z.node);
    Value product, row;
    if (n.op == "_FusedMatMul" && n.inputs.size() == 3 &&
        n.attr_or<Strings>("fused_ops", Strings{}) == Strings{"Add"}) {
      product = z;
      row = n.inputs[2];
    } else if ((n.op == "AddV2" || n.op == "Add") && n.inputs.size() == 2) {
      const bool first = body_.node(n.inputs[0].node).op == "MatMul";
      product = n.inputs[first ? 0 : 1];
      row = n.inputs[first ? 1 : 0];
      if (body_.node(product.node).op != "MatMul") return false;
    } else {
      return false;
    }
    const Node& p = body_.node(product.node);
    if (p.attr_or<bool>("transpose_a", false) || p.attr_or<bool>("transpose_b", false)) return false;
    const Tensor* kernel = constant_value(body_, p.inputs.at(1));
    const auto h = argument_index(body_, p.inputs.at(0));
    if (!kernel || kernel->dtype() != DType::float32 || !h) return false;
    m_.kernel = *kernel;
    m_.h = *h;
    const Node& gather = body_.node(row.node);
    if (gather.op != "GatherV2" || gather.attr_or<std::int64_t>("batch_dims", 0) != 0 ||
        scalar_int(body_, gather.inputs.at(2)) != std::optional<std::int64_t>(0)) {
      return false;
    }
    const auto projection = argument_index(body_, gather.inputs.at(0));
    const auto t = argument_index(body_, gather.inputs.at(1));
    if (!projection || !t || !loops::is_invariant(loop_, *projection)) return false;
    const TensorType& p_type = outer_.type_of(loop_.inputs[*projection]);
    if (p_type.dtype != DType::float32 || !p_type.shape.is_fully_known() || p_type.shape.rank() != 3) {
      return false;
    }
    m_.projection = *projection;
    t_ = *t;
    return true;
  }

  // counter' = counter + 1, starting at a constant.
  bool counter(std::size_t k) {
    const Node& add = body_.node(result(k).node);
    const auto start = scalar_int(outer_, loop_.inputs[k]);
    if (!start || (add.op != "AddV2" && add.op != "Add") || add.inputs.size() != 2) return false;
    const Value arg = loops::argument(body_, k);
    const bool first = add.inputs[0] == arg;
    if (!first && add.inputs[1] != arg) return false;
    if (scalar_int(body_, add.inputs[first ? 1 : 0]) != std::optional<std::int64_t>(1)) return false;
    m_.counters[k] = *start;
    return true;
  }

  // rows' = TensorScatterUpdate(rows, Reshape(index, [1, 1]), Reshape(h', [1, B, U])) with
  // index t (a row per step) or 0 (one row, the last step's).
  bool rows(std::size_t k, Value hidden) {
    const Node& scatter = body_.node(result(k).node);
    if (scatter.op != "TensorScatterUpdate" || scatter.inputs.size() != 3 ||
        scatter.inputs[0] != loops::argument(body_, k) || loops::readers_of_argument(body_, k) != 1 ||
        loops::readers_of_argument(cond_, k) != 0) {
      return false;
    }
    const Node& item = body_.node(scatter.inputs[2].node);
    if (item.op != "Reshape" || item.inputs.at(0) != hidden) return false;
    const TensorType& list = outer_.type_of(loop_.inputs[k]);
    const Shape& h = body_.type_of(hidden).shape;
    if (list.dtype != DType::float32 || !list.shape.is_fully_known() || list.shape.rank() != 3 ||
        body_.type_of(scatter.inputs[1]).shape != Shape{1, 1} ||
        body_.type_of(scatter.inputs[2]).shape != Shape{1, h.dim(0), h.dim(1)} ||
        Shape{list.shape.dim(1), list.shape.dim(2)} != h) {
      return false;
    }
    // The row index: [[t]] or [[0]], as Reshape(index, [1, 1]) or, once folded, a constant.
    const Node& where = body_.node(scatter.inputs[1].node);
    const Tensor* folded = constant_value(body_, scatter.inputs[1]);
    const bool row_zero = (folded && folded->to_int64_vector() == std::vector<std::int64_t>{0}) ||
                          (where.op == "Reshape" && scalar_int(body_, where.inputs.at(0)) == std::optional<std::int64_t>(0));
    const bool row_t = where.op == "Reshape" && argument_index(body_, where.inputs.at(0)) == std::optional<std::size_t>(t_);
    if (row_t && list.shape.dim(0) == steps()) {
      m_.rows[k] = true;
    } else if (row_zero && list.shape.dim(0) == 1) {
      m_.rows[k] = false;
    } else {
      return false;
    }
    return true;
  }

  std::int64_t steps() const { return outer_.type_of(loop_.inputs[m_.projection]).shape.dim(0); }

  // The condition: `counter < constant` terms joined by LogicalAnd; the loop runs while all
  // hold, so it stops after the fewest trips any term allows.
  bool trip_count() {
    std::optional<std::int64_t> trips;
    std::vector<Value> pending = {loops::through_identities(cond_, cond_.outputs().at(0).value)};
    while (!pending.empty()) {
      const Node& n = cond_.node(pending.back().node);
      pending.pop_back();
      if (n.op == "LogicalAnd" && n.inputs.size() == 2) {
        pending.push_back(n.inputs[0]);
        pending.push_back(n.inputs[1]);
        continue;
      }
      if (n.op != "Less" || n.inputs.size() != 2) return false;
      const auto k = argument_index(cond_, n.inputs[0]);
      const auto limit = scalar_int(cond_, n.inputs[1]);
      if (!k || !limit || !m_.counters.count(*k)) return false;
      const std::int64_t allowed = std::max<std::int64_t>(0, *limit - m_.counters[*k]);
      trips = trips ? std::min(*trips, allowed) : allowed;
    }
    if (!trips || *trips < 1) return false;
    m_.trips = *trips;
    return true;
  }

  const Graph& outer_;
  const Node& loop_;
  const Graph& body_;
  const Graph& cond_;
  Match m_;
  std::size_t t_ = 0;
};

// The loop's readers read the fused node (or what stands for each output) instead.
inline void rewrite(Graph& graph, NodeId loop_id, const Match& m) {
  const Node loop = graph.node(loop_id);
  const std::string name = loop.name;
  Node fused;
  fused.name = unique_name(graph, name + "/lstm_sequence");
  fused.op = "_FusedLSTMSequence";
  const Value kernel{graph.add(constant_node(unique_name(graph, name + "/recurrent_kernel"), m.kernel)), 0};
  fused.inputs = {loop.inputs[m.projection], kernel, loop.inputs[m.h], loop.inputs[m.c]};
  fused.attrs = {{"T", DType::float32}};
  merge_provenance(graph, {loop_id}, fused);
  const NodeId id = add_inferred(graph, std::move(fused));
  auto output = [&](std::size_t k) { return Value{loop_id, static_cast<int>(k)}; };
  graph.replace_uses(output(m.h), {id, 1});
  graph.replace_uses(output(m.c), {id, 2});
  for (const auto& [k, every_step] : m.rows) {
    if (every_step) {
      graph.replace_uses(output(k), {id, 0});
      continue;
    }
    const Shape& row = loop.outputs[k].shape;
    Node last;
    last.name = unique_name(graph, name + "/last_row");
    last.op = "Reshape";
    last.inputs = {{id, 1}, loops::int_constant(graph, name + "/last_row/shape",
                                                {1, static_cast<std::int32_t>(row.dim(1)),
                                                 static_cast<std::int32_t>(row.dim(2))})};
    graph.replace_uses(output(k), {add_inferred(graph, std::move(last)), 0});
  }
  for (const auto& [k, start] : m.counters) {
    graph.replace_uses(output(k), loops::scalar_int_constant(graph, name + "/trips",
                                                             static_cast<std::int32_t>(start + m.trips)));
  }
  for (std::size_t k : m.invariants) graph.replace_uses(output(k), loop.inputs[k]);
}

}  // namespace lstm_loop_detail

inline PassResult fuse_lstm_loop(Graph& graph, PassContext&) {
  PassResult result;
  for (std::size_t id = 0; id < graph.size(); ++id) {
    const auto loop_id = static_cast<NodeId>(id);
    if (!loops::is_loop(graph.node(loop_id))) continue;
    const auto m = lstm_loop_detail::Matcher(graph, graph.node(loop_id)).match();
    if (!m) continue;
    lstm_loop_detail::rewrite(graph, loop_id, *m);
    result.count("LSTM loops fused");
  }
  if (!result.stats.empty()) {
    remove_dead_nodes(graph);
    result.changed = true;
    if (!refresh_types(graph)) result.note("type inference failed after fusion; recorded types were kept");
  }
  return result;
}

inline Pass fuse_lstm_loop_pass() {
  return {"fuse-lstm-loop", "turn a Keras LSTM's While loop into one op that runs the whole sequence",
          fuse_lstm_loop};
}

}  // namespace kiln::opt
