// fuse-layer-norm: Keras' LayerNormalization over the last axis, which TensorFlow
// exports spelled out in a dozen small nodes, becomes one _FusedLayerNorm(x, scale, offset)
// (core/ops/fused.hpp). The pattern, with x of type [..., C]:
//
//   mean     = Mean(x, [-1], keep_dims)
//   variance = Mean(SquaredDifference(x, mean), [-1], keep_dims)
//   m        = Rsqrt(variance + epsilon) * gamma          (no * gamma without a scale)
//   y        = x * m + (beta - mean * m)                  tf.nn.batch_normalization (Keras 2)
//   y        = x * m + (-mean * m + beta)                 Keras 3
//
// Products and sums may have their operands in either order; without an offset the end is
// x * m - mean * m or x * m + -mean * m. epsilon is a scalar constant; gamma and beta are
// float32 constants that broadcast along the last axis only ([C], [1, 1, C] or a scalar).
//
// Preconditions; when one fails the nodes stay as they are (with a note once the mean and
// variance were recognized):
//   * x is float32 of known rank with a known last dimension, and y has exactly x's type;
//   * every value inside the pattern is read only inside it and is not a graph output (the
//     statistics and partial products are then free to disappear); y and x may be read
//     anywhere.
// The fused node computes (x - mean) * m + beta, one rounding from the exact value, where the
// unfused graph rounds several times: results move by a few float32 ulps.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "const_eval.hpp"
#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace layer_norm_detail {

// `v` as one float per channel, if it is a float32 constant of rank <= `rank` that broadcasts
// along the last axis only.
inline std::optional<std::vector<float>> per_channel(const Graph& graph, Value v,
                                                     std::int64_t channels, int rank,
                                                     std::int64_t budget) {
  std::optional<Tensor> t = evaluate_constant(graph, v, budget);
  if (!t || t->dtype() != DType::float32 || t->rank() > rank) return std::nullopt;
  for (int d = 0; d + 1 < t->rank(); ++d) {
    if (t->dim(d) != 1) return std::nullopt;
  }
  const std::int64_t last = t->rank() > 0 ? t->dim(-1) : 1;
  if (last != 1 && last != channels) return std::nullopt;
  std::vector<float> out(static_cast<std::size_t>(channels));
  for (std::int64_t c = 0; c < channels; ++c) {
    out[static_cast<std::size_t>(c)] = t->data<float>()[last == 1 ? 0 : c];
  }
  return out;
}

struct Match {
  NodeId root = -1;  // y: the fused node takes its place and name
  Value x;
  std::int64_t channels = 0;
  float epsilon = 0;
  std::optional<Value> gamma, beta;  // the constants, when the layer has them
  std::set<NodeId> nodes;            // every node replaced, y included
};

class Matcher {
 public:
  Matcher(const Graph& graph, const UseMap& uses, std::int64_t budget)
      : graph_(graph), uses_(uses), budget_(budget) {}

  // The pattern whose first mean is node `mean_id`; nullopt if there is none. `why` says what
  // failed once the statistics were recognized (empty before: most Means are something else).
  std::optional<Match> match(NodeId mean_id, std::string& why) const {
    const Node& mean = graph_.node(mean_id);
    if (mean.op != "Mean" || mean.inputs.size() != 2) return std::nullopt;
    Match m;
    m.x = mean.inputs[0];
    const TensorType& x = graph_.type_of(m.x);
    if (x.dtype != DType::float32 || !x.shape.has_rank() || x.shape.rank() == 0) {
      return std::nullopt;
    }
    m.channels = x.shape.dim(-1);
    if (m.channels <= 0 || !last_axis_mean(mean_id, m.x)) return std::nullopt;
    const Value mean_v{mean_id, 0};

    // variance = Mean(SquaredDifference(x, mean))
    std::optional<NodeId> diff;
    for (const Use& u : uses_.users(mean_v)) {
      const Node& n = graph_.node(u.user);
      if (n.op == "SquaredDifference" && n.inputs.size() == 2 &&
          ((n.inputs[0] == m.x && n.inputs[1] == mean_v) ||
           (n.inputs[1] == m.x && n.inputs[0] == mean_v))) {
        diff = u.user;
      }
    }
    if (!diff) return std::nullopt;
    const std::optional<NodeId> variance = single_reader({*diff, 0});
    if (!variance || !last_axis_mean(*variance, {*diff, 0})) return std::nullopt;

    auto fail = [&why](const std::string& reason) -> std::optional<Match> {
      why = reason;
      return std::nullopt;
    };
    // Rsqrt(variance + epsilon)
    const std::optional<NodeId> shifted = single_reader({*variance, 0});
    std::optional<Value> eps_value;
    if (shifted) eps_value = other_operand(*shifted, {*variance, 0}, true);
    const std::optional<float> epsilon = eps_value ? scalar(*eps_value) : std::nullopt;
    if (!epsilon) return fail("the variance is not shifted by a constant epsilon");
    m.epsilon = *epsilon;
    const std::optional<NodeId> rsqrt = single_reader({*shifted, 0});
    if (!rsqrt || graph_.node(*rsqrt).op != "Rsqrt") return fail("no Rsqrt of the variance");

    // m = rsqrt * gamma, when a per-channel constant scales it.
    Value factor{*rsqrt, 0};
    std::set<NodeId> inside = {mean_id, *diff, *variance, *shifted, *rsqrt};
    if (const std::optional<NodeId> scaled = single_reader(factor)) {
      const std::optional<Value> g = other_operand(*scaled, factor, false, "Mul");
      if (g && per_channel(graph_, *g, m.channels, x.shape.rank(), budget_)) {
        m.gamma = g;
        factor = {*scaled, 0};
        inside.insert(*scaled);
      }
    }

    // The two products: x * m and mean * m (or -mean * m).
    std::optional<NodeId> x_product, mean_product, negation;
    for (const Use& u : uses_.users(factor)) {
      const std::optional<Value> other = other_operand(u.user, factor, false, "Mul");
      if (!other) return fail("the normalizing factor is read by something else than a Mul");
      if (*other == m.x) {
        x_product = u.user;
      } else if (*other == mean_v) {
        mean_product = u.user;
      } else if (graph_.node(other->node).op == "Neg" &&
                 graph_.node(other->node).inputs.size() == 1 &&
                 graph_.node(other->node).inputs[0] == mean_v) {
        mean_product = u.user;
        negation = other->node;
      } else {
        return fail("the normalizing factor multiplies something else than x and the mean");
      }
    }
    if (!x_product || !mean_product || *x_product == *mean_product) {
      return fail("x * factor or mean * factor is missing");
    }
    inside.insert({*x_product, *mean_product});
    if (negation) inside.insert(*negation);

    // y = x*m + (beta - mean*m), x*m + (-mean*m + beta), x*m + -mean*m or x*m - mean*m.
    const std::optional<NodeId> root = single_reader({*x_product, 0});
    if (!root) return fail("x * factor has several readers");
    const Node& y = graph_.node(*root);
    const Value xm{*x_product, 0}, mm{*mean_product, 0};
    if (y.op == "Sub") {
      if (negation || y.inputs.size() != 2 || y.inputs[0] != xm || y.inputs[1] != mm) {
        return fail("the products are not combined as x * m - mean * m");
      }
    } else {
      const std::optional<Value> rest = other_operand(*root, xm, true);
      if (!rest) return fail("the products are not summed");
      if (*rest == mm) {
        if (!negation) return fail("the products are not combined as x * m - mean * m");
      } else {
        const Node& t = graph_.node(rest->node);
        std::optional<Value> beta;
        if (negation) {
          beta = other_operand(rest->node, mm, true);  // -mean*m + beta
        } else if (t.op == "Sub" && t.inputs.size() == 2 && t.inputs[1] == mm) {
          beta = t.inputs[0];  // beta - mean*m
        }
        if (!beta || !per_channel(graph_, *beta, m.channels, x.shape.rank(), budget_)) {
          return fail("the offset is not a per-channel constant");
        }
        m.beta = beta;
        inside.insert(rest->node);
      }
    }
    m.root = *root;
    for (NodeId id : inside) {
      if (!read_only_by({id, 0}, inside, *root)) {
        return fail("'" + graph_.node(id).name + "' is read outside the layer normalization");
      }
    }
    if (!(y.outputs.size() == 1 && y.outputs[0] == x)) {
      return fail("the result does not have the input's type");
    }
    inside.insert(*root);
    m.nodes = std::move(inside);
    return m;
  }

 private:
  static bool is_add(const std::string& op) { return op == "Add" || op == "AddV2"; }

  // Mean of `v` over its last axis only, keeping the dimension.
  bool last_axis_mean(NodeId id, Value v) const {
    const Node& n = graph_.node(id);
    if (n.op != "Mean" || n.inputs.size() != 2 || n.inputs[0] != v) return false;
    if (!n.attr_or<bool>("keep_dims", false)) return false;
    const Shape& shape = graph_.type_of(v).shape;
    const Tensor* axes = constant_value(graph_, n.inputs[1]);
    if (!axes || axes->num_elements() != 1 || !shape.has_rank()) return false;
    const std::int64_t axis = axes->to_int64_vector()[0];
    return axis == -1 || axis == shape.rank() - 1;
  }

  // The other input of binary node `id` (an Add/AddV2 when `add`, else `op`) next to `v`.
  std::optional<Value> other_operand(NodeId id, Value v, bool add,
                                     const std::string& op = "") const {
    const Node& n = graph_.node(id);
    if (n.inputs.size() != 2 || (add ? !is_add(n.op) : n.op != op)) return std::nullopt;
    if (n.inputs[0] == v && n.inputs[1] != v) return n.inputs[1];
    if (n.inputs[1] == v && n.inputs[0] != v) return n.inputs[0];
    return std::nullopt;
  }

  std::optional<float> scalar(Value v) const {
    std::optional<Tensor> t = evaluate_constant(graph_, v, budget_);
    if (!t || t->dtype() != DType::float32 || t->num_elements() != 1) return std::nullopt;
    return t->data<float>()[0];
  }

  // The one node reading `v`, if exactly one does. Whether `v` is also a graph output is for
  // read_only_by to say, with a better message.
  std::optional<NodeId> single_reader(Value v) const {
    const UseList users = uses_.users(v);
    if (users.empty()) return std::nullopt;
    for (const Use& u : users) {
      if (u.user != users.front().user) return std::nullopt;
    }
    return users.front().user;
  }

  // True when every reader of `v` is in `inside` and `v` is no graph output (the root excepted).
  bool read_only_by(Value v, const std::set<NodeId>& inside, NodeId root) const {
    if (uses_.is_graph_output(v)) return false;
    for (const Use& u : uses_.users(v)) {
      if (!inside.count(u.user) && u.user != root) return false;
    }
    return true;
  }

  const Graph& graph_;
  const UseMap& uses_;
  std::int64_t budget_;
};

inline Tensor float_vector(const std::vector<float>& values) {
  Tensor t(DType::float32, Shape{static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

}  // namespace layer_norm_detail

// Replaces every layer normalization pattern with a _FusedLayerNorm node, which takes the name
// and id of the pattern's result. Counts "layer norms fused"; removes the replaced nodes.
inline void fuse_layer_norms(Graph& graph, std::int64_t budget, PassResult& result) {
  using namespace layer_norm_detail;
  std::vector<Match> matches;
  std::set<NodeId> taken;
  {
    const UseMap uses(graph);
    const Matcher matcher(graph, uses, budget);
    for (NodeId id : graph.topological_order()) {
      std::string why;
      std::optional<Match> m = matcher.match(id, why);
      if (!why.empty()) {
        result.count("declined");
        result.note("'" + graph.node(id).name + "': layer normalization not fused: " + why);
      }
      if (!m) continue;
      bool overlaps = false;
      for (NodeId n : m->nodes) overlaps = overlaps || taken.count(n);
      if (overlaps) continue;
      taken.insert(m->nodes.begin(), m->nodes.end());
      matches.push_back(std::move(*m));
    }
  }
  if (matches.empty()) return;

  const OpDef& def = *op_catalogue().find("_FusedLayerNorm");
  const std::vector<NodeId> order = graph.topological_order();
  std::map<NodeId, NodeId> fused_into;
  for (const Match& m : matches) {
    const std::string name = graph.node(m.root).name;
    // A [C] constant serves as it is; others ([1, 1, C], a scalar, none) get one of their own.
    auto vector_input = [&](const std::optional<Value>& v, float absent, const char* suffix) {
      if (v) {
        const Tensor* value = constant_value(graph, *v);
        if (value && value->shape() == Shape{m.channels}) return *v;
      }
      std::vector<float> values(static_cast<std::size_t>(m.channels), absent);
      if (v) values = *per_channel(graph, *v, m.channels, graph.type_of(m.x).shape.rank(), budget);
      return Value{
          graph.add(constant_node(unique_name(graph, name + suffix), float_vector(values))), 0};
    };
    Node fused;
    fused.name = name;
    fused.op = "_FusedLayerNorm";
    fused.inputs = {m.x, vector_input(m.gamma, 1.0f, "/scale"),
                    vector_input(m.beta, 0.0f, "/offset")};
    fused.attrs = {{"T", DType::float32}, {"epsilon", m.epsilon}};
    fill_default_attrs(fused, def);
    fused.outputs = graph.node(m.root).outputs;
    std::vector<NodeId> members;  // in schedule order, so the replaced names read that way
    for (NodeId id : order) {
      if (m.nodes.count(id)) members.push_back(id);
    }
    merge_provenance(graph, members, fused);
    install_fused(graph, members, m.root, std::move(fused), fused_into);
    result.count("layer norms fused");
  }
  if (!remove_absorbed(graph, fused_into)) {
    result.note("type inference failed after fusion; recorded types were kept");
  }
  result.changed = true;
}

inline PassResult fuse_layer_norm(Graph& graph, PassContext& context) {
  PassResult result;
  for (const char* stat : {"layer norms fused", "declined"}) result.count(stat, 0);
  fuse_layer_norms(graph, context.options.fold_byte_budget, result);
  return result;
}

inline Pass fuse_layer_norm_pass() {
  return {"fuse-layer-norm", "turn layer normalizations spelled out in small nodes into one op",
          fuse_layer_norm};
}

}  // namespace kiln::opt
