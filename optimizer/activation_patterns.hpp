// Activations as fuse-epilogue finds them after a chain's end y (fusion_chain.hpp): a single op
// (Relu, Relu6, Elu, LeakyRelu, Sigmoid, Tanh), or a pattern of small nodes that reads y several
// times, all inside the pattern:
//   swish   y * sigmoid(y), or Keras' y * sigmoid(1 * y); products in any order
//   GELU    y/2 * (1 + erf(y / sqrt 2)), TensorFlow's y/2 * erfc(-y / sqrt 2) (both
//           "GeluExact"), or the tanh form y/2 * (1 + tanh(sqrt(2/pi) * (y + 0.044715 y^3)))
//           ("GeluApproximate"), with products in any association and order.
#pragma once

#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fusion_chain.hpp"

namespace kiln::opt::fusion {

class ActivationMatcher {
 public:
  explicit ActivationMatcher(const ChainReader& reader)
      : r_(reader), graph_(reader.graph()), uses_(reader.uses()) {}

  // Extends `c` by the activation that reads its end, as one epilogue step.
  bool absorb_activation(Chain& c) const {
    if (const std::optional<NodeId> reader = r_.single_reader(c.end)) {
      const Node& u = graph_.node(*reader);
      if (is_simple_activation(u.op) && ChainReader::slot_of(u, c.end) == 0 &&
          r_.same_type(*reader, c.end)) {
        if (u.op == "LeakyRelu") c.alpha = u.attr_or<float>("alpha", 0.2f);
        c.steps.push_back(u.op);
        ChainReader::absorb(c, *reader);
        return true;
      }
    }
    return absorb_swish(c) || absorb_gelu(c);
  }

 private:
  // Every node reading `v`, each once.
  std::set<NodeId> readers(Value v) const {
    std::set<NodeId> ids;
    for (const Use& u : uses_.users(v)) ids.insert(u.user);
    return ids;
  }

  // True when `v` is needed only by nodes in `inside`.
  bool read_only_by(Value v, const std::set<NodeId>& inside) const {
    if (uses_.is_graph_output(v) || uses_.users(v).empty()) return false;
    for (const Use& u : uses_.users(v)) {
      if (!inside.count(u.user)) return false;
    }
    return true;
  }

  // Absorbs the pattern `inside` (whose result is node `root`) as the epilogue step `kind`, if
  // it is closed: y is read only inside it, and so is every node in it except the root.
  bool absorb_pattern(Chain& c, NodeId root, const std::set<NodeId>& inside,
                      const std::string& kind) const {
    const Value y = c.end;
    bool closed = read_only_by(y, inside) && r_.same_type(root, y);
    for (NodeId id : inside) {
      if (id != root) closed = closed && read_only_by({id, 0}, inside);
    }
    if (!closed) return false;
    c.steps.push_back(kind);
    // Schedule order, so the replaced names read in the order the nodes ran.
    for (NodeId id : graph_.topological_order()) {
      if (inside.count(id) && id != root) c.nodes.push_back(id);
    }
    ChainReader::absorb(c, root);
    return true;
  }

  bool absorb_swish(Chain& c) const {
    const Value y = c.end;
    if (uses_.is_graph_output(y)) return false;
    for (NodeId root : readers(y)) {
      if (graph_.node(root).op != "Mul") continue;
      std::vector<Value> leaves;
      std::vector<NodeId> muls;
      factors({root, 0}, y, leaves, muls);
      std::optional<Value> s;
      if (!split_factors(leaves, y, 1, {}, &s) || graph_.node(s->node).op != "Sigmoid") continue;
      std::set<NodeId> inside(muls.begin(), muls.end());
      inside.insert(s->node);
      const Value z = graph_.node(s->node).inputs.at(0);
      if (z != y) {
        std::vector<Value> scaled;
        std::vector<NodeId> inner;
        factors(z, y, scaled, inner);
        if (!split_factors(scaled, y, 1, {1.0}, nullptr)) continue;
        inside.insert(inner.begin(), inner.end());
      }
      if (absorb_pattern(c, root, inside, "Swish")) return true;
    }
    return false;
  }

  // The factors of the product rooted at `v` (descending through Mul nodes other than the
  // producer of `stop`), and the Mul nodes passed through.
  void factors(Value v, Value stop, std::vector<Value>& leaves, std::vector<NodeId>& muls) const {
    const Node& n = graph_.node(v.node);
    // Inner Mul nodes must be read only inside the product: the caller checks that.
    if (leaves.size() > 8 || v == stop || n.op != "Mul" || n.inputs.size() != 2) {
      leaves.push_back(v);
      return;
    }
    muls.push_back(v.node);
    factors(n.inputs[0], stop, leaves, muls);
    factors(n.inputs[1], stop, leaves, muls);
  }

  // Splits `leaves` into copies of `y`, constants near the given targets (each once), and the
  // one remaining value (if `rest` is wanted). False if anything else is left.
  bool split_factors(const std::vector<Value>& leaves, Value y, int y_count,
                     std::vector<double> targets, std::optional<Value>* rest) const {
    int ys = 0;
    std::optional<Value> other;
    for (Value leaf : leaves) {
      if (leaf == y) {
        ++ys;
        continue;
      }
      bool matched = false;
      for (std::size_t i = 0; i < targets.size() && !matched; ++i) {
        if (r_.scalar_near(leaf, targets[i])) {
          targets.erase(targets.begin() + static_cast<std::ptrdiff_t>(i));
          matched = true;
        }
      }
      if (matched) continue;
      if (!rest || other) return false;
      other = leaf;
    }
    if (ys != y_count || !targets.empty() || (rest && !other)) return false;
    if (rest) *rest = other;
    return true;
  }

  // The other operand of Add/AddV2 node `id` when one operand is near `target`.
  std::optional<Value> add_with_constant(NodeId id, double target) const {
    const Node& n = graph_.node(id);
    if (!is_add(n.op) || n.inputs.size() != 2) return std::nullopt;
    if (r_.scalar_near(n.inputs[0], target)) return n.inputs[1];
    if (r_.scalar_near(n.inputs[1], target)) return n.inputs[0];
    return std::nullopt;
  }

  bool absorb_gelu(Chain& c) const {
    const Value y = c.end;
    if (uses_.is_graph_output(y)) return false;
    for (NodeId first : readers(y)) {
      // Climb from a Mul reading y to the top of its product.
      NodeId root = first;
      if (graph_.node(root).op != "Mul") continue;
      for (int guard = 0; guard < 8; ++guard) {
        const std::optional<NodeId> up = r_.single_reader({root, 0});
        if (!up || graph_.node(*up).op != "Mul") break;
        root = *up;
      }
      std::set<NodeId> inside;
      std::string kind;
      if (match_gelu(y, root, inside, kind) && absorb_pattern(c, root, inside, kind)) return true;
    }
    return false;
  }

  bool match_gelu(Value y, NodeId root, std::set<NodeId>& inside, std::string& kind) const {
    const double sqrt_half = std::sqrt(0.5);
    std::vector<Value> leaves;
    std::vector<NodeId> muls;
    factors({root, 0}, y, leaves, muls);
    std::optional<Value> a;
    if (!split_factors(leaves, y, 1, {0.5}, &a)) return false;
    inside.insert(muls.begin(), muls.end());
    inside.insert(a->node);
    if (graph_.node(a->node).op == "Erfc") {  // erfc(-y / sqrt 2) = 1 + erf(y / sqrt 2)
      std::vector<Value> arg;
      std::vector<NodeId> inner;
      factors(graph_.node(a->node).inputs.at(0), y, arg, inner);
      inside.insert(inner.begin(), inner.end());
      kind = "GeluExact";
      if (split_factors(arg, y, 1, {-sqrt_half}, nullptr)) return true;
      std::optional<Value> negated;
      if (!split_factors(arg, y, 0, {sqrt_half}, &negated)) return false;
      const Node& neg = graph_.node(negated->node);
      inside.insert(negated->node);
      return neg.op == "Neg" && neg.inputs.at(0) == y;
    }
    const std::optional<Value> e = add_with_constant(a->node, 1.0);  // 1 + erf(..) or 1 + tanh(..)
    if (!e) return false;
    const Node& en = graph_.node(e->node);
    inside.insert(e->node);
    if (en.op == "Erf") {
      const Node& d = graph_.node(en.inputs[0].node);
      inside.insert(en.inputs[0].node);
      kind = "GeluExact";
      if (d.op == "RealDiv" && d.inputs[0] == y && r_.scalar_near(d.inputs[1], std::sqrt(2.0))) {
        return true;
      }
      std::vector<Value> scaled;
      std::vector<NodeId> inner;
      factors(en.inputs[0], y, scaled, inner);
      inside.insert(inner.begin(), inner.end());
      return split_factors(scaled, y, 1, {sqrt_half}, nullptr);
    }
    if (en.op != "Tanh") return false;
    std::vector<Value> q_leaves;
    std::vector<NodeId> q_muls;
    std::optional<Value> p;
    factors(en.inputs[0], y, q_leaves, q_muls);
    if (!split_factors(q_leaves, y, 0, {std::sqrt(2.0 / 3.14159265358979323846)}, &p)) return false;
    inside.insert(q_muls.begin(), q_muls.end());
    const Node& pn = graph_.node(p->node);  // y + 0.044715 y^3
    if (!is_add(pn.op)) return false;
    inside.insert(p->node);
    const Value k = pn.inputs[0] == y ? pn.inputs[1] : pn.inputs[1] == y ? pn.inputs[0] : Value{};
    if (k.node < 0) return false;
    std::vector<Value> k_leaves;
    std::vector<NodeId> k_muls;
    factors(k, y, k_leaves, k_muls);
    inside.insert(k_muls.begin(), k_muls.end());
    kind = "GeluApproximate";
    if (split_factors(k_leaves, y, 3, {0.044715}, nullptr)) return true;  // y * y * y
    std::optional<Value> cube;
    if (!split_factors(k_leaves, y, 0, {0.044715}, &cube)) return false;
    const Node& pow = graph_.node(cube->node);
    inside.insert(cube->node);
    return pow.op == "Pow" && pow.inputs[0] == y && r_.scalar_near(pow.inputs[1], 3.0);
  }

  const ChainReader& r_;
  const Graph& graph_;
  const UseMap& uses_;
};

}  // namespace kiln::opt::fusion
