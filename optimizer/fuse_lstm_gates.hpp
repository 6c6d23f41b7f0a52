// fuse-lstm-gates: the gate arithmetic of an LSTM step, nine small nodes as Keras (2 and 3)
// exports it, becomes one _FusedLSTMGates(z, c) -> (h', c') (core/ops/fused.hpp):
//
//   i, f, g, o = Split(axis 1, z)            z: [B, 4U], the step's products and bias
//   c' = Sigmoid(f) * c + Sigmoid(i) * Tanh(g)
//   h' = Sigmoid(o) * Tanh(c')
//
// Each product and sum may have its operands in either order. The gate values and the partial
// products must be read only inside the pattern; c' and h' may be read anywhere (the next
// step's state, the output row). One node instead of nine means one pass over the gates per
// step instead of nine kernels, which matters inside a loop that runs them T times.
// Other cells (TF1's LSTMCell with its forget bias, peepholes, GRU) keep their nodes.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace lstm_detail {

struct Match {
  NodeId split = -1, cell = -1, hidden = -1;  // c' = cell:0, h' = hidden:0
  Value z, c;
  std::vector<NodeId> members;                // every node replaced
};

class Matcher {
 public:
  Matcher(const Graph& graph, const UseMap& uses) : g_(graph), uses_(uses) {}

  std::optional<Match> match(NodeId split_id) {
    const Node& split = g_.node(split_id);
    if (split.op != "Split" || split.outputs.size() != 4 || split.inputs.size() != 2) return std::nullopt;
    const Tensor* axis = constant_value(g_, split.inputs[0]);
    const TensorType& z = g_.type_of(split.inputs[1]);
    if (!axis || axis->num_elements() != 1 || z.dtype != DType::float32 || z.shape.rank() != 2) {
      return std::nullopt;
    }
    const std::int64_t a = axis->to_int64_vector()[0];
    if (a != 1 && a != -1) return std::nullopt;
    Match m;
    m.split = split_id;
    m.z = split.inputs[1];
    std::optional<NodeId> gate[4];
    const char* activation[4] = {"Sigmoid", "Sigmoid", "Tanh", "Sigmoid"};
    for (int q = 0; q < 4; ++q) {
      gate[q] = sole(Value{split_id, q}, activation[q]);
      if (!gate[q]) return std::nullopt;
    }
    // c' = f * c + i * g
    const std::optional<NodeId> forget_c = sole(Value{*gate[1], 0}, "Mul");
    const std::optional<NodeId> input_g = sole(Value{*gate[0], 0}, "Mul");
    if (!forget_c || !input_g || !reads(*input_g, {*gate[0], 0}, {*gate[2], 0}) ||
        uses_.count({*gate[2], 0}) != 1) {
      return std::nullopt;
    }
    const Node& fc = g_.node(*forget_c);
    m.c = fc.inputs[0] == Value{*gate[1], 0} ? fc.inputs[1] : fc.inputs[0];
    const std::optional<NodeId> cell = sole(Value{*forget_c, 0}, "AddV2", "Add");
    if (!cell || !reads(*cell, {*forget_c, 0}, {*input_g, 0})) return std::nullopt;
    // h' = o * tanh(c')
    std::optional<NodeId> tanh_c;
    for (const Use& u : uses_.users({*cell, 0})) {
      if (g_.node(u.user).op == "Tanh") tanh_c = u.user;
    }
    if (!tanh_c || uses_.count({*tanh_c, 0}) != 1) return std::nullopt;
    const std::optional<NodeId> hidden = sole(Value{*gate[3], 0}, "Mul");
    if (!hidden || !reads(*hidden, {*gate[3], 0}, {*tanh_c, 0})) return std::nullopt;
    if (!(g_.type_of(m.c) == g_.type_of({*cell, 0}))) return std::nullopt;
    m.cell = *cell;
    m.hidden = *hidden;
    m.members = {split_id, *gate[0], *gate[1], *gate[2], *gate[3], *forget_c, *input_g, *cell, *tanh_c, *hidden};
    return m;
  }

 private:
  // The one node reading `v` (read nowhere else), if it is one of the ops named.
  std::optional<NodeId> sole(Value v, const char* op, const char* other = nullptr) const {
    if (uses_.count(v) != 1) return std::nullopt;
    const NodeId user = uses_.users(v).front().user;
    const std::string& actual = g_.node(user).op;
    if (actual != op && (!other || actual != other)) return std::nullopt;
    return user;
  }
  // Node `id` has exactly the inputs a and b, in either order.
  bool reads(NodeId id, Value a, Value b) const {
    const std::vector<Value>& in = g_.node(id).inputs;
    return in.size() == 2 && ((in[0] == a && in[1] == b) || (in[0] == b && in[1] == a));
  }

  const Graph& g_;
  const UseMap& uses_;
};

}  // namespace lstm_detail

inline PassResult fuse_lstm_gates(Graph& graph, PassContext&) {
  PassResult result;
  std::vector<lstm_detail::Match> matches;
  {
    const UseMap uses(graph);
    lstm_detail::Matcher matcher(graph, uses);
    for (std::size_t id = 0; id < graph.size(); ++id) {
      if (auto m = matcher.match(static_cast<NodeId>(id))) matches.push_back(*m);
    }
  }
  for (const lstm_detail::Match& m : matches) {
    Node fused;
    fused.name = unique_name(graph, graph.node(m.hidden).name + "/lstm_gates");
    fused.op = "_FusedLSTMGates";
    fused.inputs = {m.z, m.c};
    fused.attrs = {{"T", DType::float32}};
    fused.outputs = {graph.type_of({m.hidden, 0}), graph.type_of({m.cell, 0})};
    merge_provenance(graph, m.members, fused);
    const NodeId id = graph.add(std::move(fused));
    graph.replace_uses({m.hidden, 0}, {id, 0});
    graph.replace_uses({m.cell, 0}, {id, 1});
    result.count("LSTM steps fused");
  }
  if (!matches.empty()) {
    remove_dead_nodes(graph);
    result.changed = refresh_types(graph);
  }
  return result;
}

inline Pass fuse_lstm_gates_pass() {
  return {"fuse-lstm-gates", "turn an LSTM step's split, sigmoids, tanhs and products into one op",
          fuse_lstm_gates};
}

}  // namespace kiln::opt
