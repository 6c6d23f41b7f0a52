// fuse: fold what follows a convolution or matrix product into it.
//
// Three rules of their own run first: layer normalizations spelled out in small nodes become one
// _FusedLayerNorm (fuse_layer_norm.hpp); an Einsum with constant weights that is a plain matrix
// product becomes BatchMatMulV2 between Reshapes (fuse_einsum.hpp: Keras 2's EinsumDense); and a
// scalar factor after a product of two computed tensors moves onto an operand that a
// projection computes, so that step 1 below folds it into the projection's weights
// (fuse_scale.hpp: attention's 1/sqrt(d)).
//
// Starting at each Conv2D, DepthwiseConv2dNative, MatMul and BatchMatMulV2 with [K, N] constant
// weights (a Dense or EinsumDense layer on a 3-D input; the "main" op), in schedule order, the
// pass walks down the chain of nodes that read its result:
//
//   0. a zero Pad whose only reader is a VALID convolution becomes the convolution's explicit
//      padding (Keras' ZeroPadding2D), so the padded copy of the input is never made;
//   1. the linear part, folded into the weights and a bias, one scale and one shift per output
//      channel:   y*s + t
//        BiasAdd(y, b), Add(y, c), Sub(y, c), Sub(c, y), Mul(y, c), RealDiv(y, c)
//            with c a per-channel constant (a scalar, [C] or [1,..,1,C]; after a Reshape
//            that split the channels, [heads, size] and what broadcasts to it);
//        FusedBatchNorm/V2/V3 with is_training false: s = scale / sqrt(variance + epsilon),
//            t = offset - mean * s. Keras' unfused form (Rsqrt/Mul/Sub/AddV2) is read through
//            its constant subgraph, or, after fold-constants, is a [C] scale followed by a
//            shift, which the statistics count as a BatchNorm too;
//   2. the epilogue, kept as steps of the fused node (core/ops/fused.hpp): at most one
//      activation (Relu, Relu6, Elu, LeakyRelu, Sigmoid, Tanh, swish x*sigmoid(x) or Keras'
//      x*sigmoid(1*x), GELU in its erf, erfc and tanh forms) and at most one residual Add, in
//      either order.
//
// The chain becomes one _FusedConv2D / _FusedDepthwiseConv2dNative / _FusedMatMul /
// _FusedBatchMatMulV2 node that takes the place and the name of the chain's last node, with
// new weight and bias constants (the old ones are left for simplify), and lists the names of
// all the nodes it replaced in Node::replaced. Finally, a zero Pad before a VALID MaxPool
// becomes the pool's padding when the padded values cannot be negative (see absorb_pool_pads).
//
// Preconditions; when one fails the pass leaves that chain alone and, when there was something
// to fuse, says why in a note:
//   * float32; NHWC for convolutions (and BatchNorm); the weights (input 1) are constant;
//   * every value inside the chain has exactly one reader and is not a graph output (a value
//     read elsewhere too must stay as it is), except that swish and GELU read the value they
//     start from several times, all inside their own pattern;
//   * a BatchNorm folds only when its four parameters are constant and its other outputs unused.
//
// The residual Add(y, r), where y ends the chain and r is the other operand, is fused when
//   * r has exactly y's type (dtype and shape, so no broadcasting), which lets an
//     implementation accumulate into r's buffer (the memory planner then reuses it in place);
//   * r is not computed from the chain: guaranteed, as every value inside the chain has one
//     reader, the next node of the chain;
//   * r does not come from a chain that starts later in the schedule. When both operands are
//     convolution chains (ResNet's projection shortcut), the Add joins the one whose main op
//     comes last: the other operand then already exists when the fused node runs, so fusing
//     does not reorder the schedule or lengthen any lifetime.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "const_eval.hpp"
#include "fuse_einsum.hpp"
#include "fuse_layer_norm.hpp"
#include "fuse_scale.hpp"
#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace fuse_detail {

inline bool is_product(const std::string& op) { return op == "MatMul" || op == "BatchMatMulV2"; }

inline bool is_main_op(const std::string& op) {
  return op == "Conv2D" || op == "DepthwiseConv2dNative" || is_product(op);
}

// True when the product reads its (constant) weights transposed: [N, K] instead of [K, N].
inline bool transposed_weights(const Node& main) {
  if (main.op == "MatMul") return main.attr_or<bool>("transpose_b", false);
  return main.op == "BatchMatMulV2" && main.attr_or<bool>("adj_y", false);
}

inline bool is_simple_activation(const std::string& op) {
  return op == "Relu" || op == "Relu6" || op == "Elu" || op == "LeakyRelu" || op == "Sigmoid" ||
         op == "Tanh";
}

inline bool is_batch_norm(const std::string& op) {
  return op == "FusedBatchNorm" || op == "FusedBatchNormV2" || op == "FusedBatchNormV3";
}

inline bool is_add(const std::string& op) { return op == "Add" || op == "AddV2"; }

// A chain being fused: the main op, the per-channel affine map folded so far, the epilogue.
struct Chain {
  NodeId main = -1;
  std::vector<NodeId> nodes;  // every node replaced, the main op first, in order
  Value end;                  // the value the fused node will produce
  std::int64_t channels = 0;
  int rank = 0;  // of the value the chain has reached
  // The trailing dimensions of that value that make up the channel index (their product is
  // `channels`): {C}, or {heads, size} after a Reshape that split the channels.
  std::vector<std::int64_t> channel_shape;
  std::vector<double> scale, shift;
  bool scaled = false, shifted = false;
  std::vector<std::string> epilogue;  // "Add" and/or one activation, in order
  std::optional<Value> residual;
  bool residual_reshaped = false;  // the residual has the chain's reshaped type: undo it
  std::optional<Value> bias;      // a constant that already holds the shift, when one does
  float alpha = 0.2f;             // LeakyRelu's
  std::optional<NodeId> pad;      // a zero Pad before a convolution, absorbed into its padding
  std::optional<NodeId> reshape;  // a Reshape the chain looked through (it moves after it)
  Ints explicit_paddings;         // the convolution's padding then, NHWC (before, after) pairs
  bool scale_pending = false;  // the last step was a per-channel scale: a shift makes a BatchNorm
  int batch_norms = 0, scales = 0, biases = 0;
};

class Walker {
 public:
  Walker(const Graph& graph, const UseMap& uses, std::int64_t budget, PassResult& result)
      : graph_(graph), uses_(uses), budget_(budget), result_(result) {}

  // The linear part of the chain from `main` (step 1), without the epilogue.
  Chain linear_chain(NodeId main, std::int64_t channels, int rank) {
    Chain c;
    c.main = main;
    c.nodes = {main};
    c.end = {main, 0};
    c.channels = channels;
    c.rank = rank;
    c.channel_shape = {channels};
    c.scale.assign(static_cast<std::size_t>(channels), 1.0);
    c.shift.assign(static_cast<std::size_t>(channels), 0.0);
    while (absorb_step(c, [this](Chain& x) { return absorb_linear(x); })) {
    }
    return c;
  }

  // Step 0: a zero Pad that only feeds convolution `c.main` (Keras' ZeroPadding2D before a
  // VALID convolution) becomes the convolution's explicit padding, so the padded copy of the
  // input is never made.
  void absorb_pad(Chain& c) {
    const Node& main = graph_.node(c.main);
    if (is_product(main.op)) return;
    const std::string padding = main.attr_or<std::string>("padding", "");
    if (padding != "VALID" && padding != "EXPLICIT") return;
    const Value padded = main.inputs.at(0);
    const Node& pad = graph_.node(padded.node);
    if ((pad.op != "Pad" && pad.op != "PadV2") || !uses_.only_used_by(padded, c.main)) return;
    if (pad.op == "PadV2" && !scalar_near(pad.inputs.at(2), 0.0)) return;
    const Tensor* amounts = constant_value(graph_, pad.inputs.at(1));
    if (!amounts || amounts->shape() != Shape{4, 2}) return;
    const std::vector<std::int64_t> p = amounts->to_int64_vector();  // NHWC (before, after)
    if (p[0] || p[1] || p[6] || p[7]) return;  // batch and channels must not be padded
    Ints explicit_paddings =
        padding == "EXPLICIT" ? main.attr_or<Ints>("explicit_paddings", Ints{}) : Ints(8, 0);
    if (explicit_paddings.size() != 8) return;
    for (std::size_t i = 0; i < 8; ++i) {
      if (p[i] < 0) return;
      explicit_paddings[i] += p[i];
    }
    c.pad = padded.node;
    c.explicit_paddings = explicit_paddings;
    c.nodes.insert(c.nodes.begin(), padded.node);
  }

  // Step 2: extends `c` by an activation and a residual Add where they follow. `later_chain`
  // tells whether a value ends the linear part of a chain whose main op comes later.
  template <class LaterChain>
  void extend_epilogue(Chain& c, LaterChain&& later_chain) {
    bool activation = false, residual = false;
    for (bool progress = true; progress;) {
      progress = false;
      if (!activation && absorb_step(c, [this](Chain& x) { return absorb_activation(x); })) {
        activation = progress = true;
      }
      if (!residual &&
          absorb_step(c, [&](Chain& x) { return absorb_residual(x, later_chain); })) {
        residual = progress = true;
      }
    }
  }

 private:
  // Runs `absorb` on the chain or, if that fails, on the chain continued through a Reshape that
  // keeps the channels last (Keras' Tensordot for Dense on 3-D input: MatMul -> Reshape ->
  // BiasAdd), possibly split over several trailing dimensions (Keras 3's EinsumDense for
  // attention: BatchMatMulV2 -> Reshape [.., heads, size] -> Add of a [heads, size] bias).
  // Element i of the flat data is channel i % C before and after such a reshape, so
  // per-channel and elementwise steps commute with it: the fused node computes before it and
  // the Reshape moves after the fused node. Only one, with a constant target (which then cannot
  // depend on the chain); a residual Add behind it gets the inverse reshape (see rewrite).
  template <class Absorb>
  bool absorb_step(Chain& c, Absorb&& absorb) {
    if (absorb(c)) return true;
    if (c.reshape) return false;
    const std::optional<NodeId> reader = single_reader(c.end);
    if (!reader) return false;
    const Node& r = graph_.node(*reader);
    if (r.op != "Reshape" || r.inputs.size() != 2 || r.inputs[0] != c.end ||
        r.outputs.size() != 1 || !constant_value(graph_, r.inputs[1])) {
      return false;
    }
    const Shape& in = graph_.type_of(c.end).shape;
    const Shape& out = r.outputs[0].shape;
    if (!in.has_rank() || in.rank() == 0 || in.dim(-1) != c.channels) return false;
    std::optional<std::vector<std::int64_t>> split = trailing_channels(out, c.channels);
    if (!split) return false;
    Chain trial = c;
    trial.reshape = *reader;
    trial.end = {*reader, 0};
    trial.rank = out.rank();
    trial.channel_shape = std::move(*split);
    if (!absorb(trial)) return false;
    c = std::move(trial);
    return true;
  }

  // The fewest trailing dimensions of `shape` whose sizes multiply to exactly `channels`.
  static std::optional<std::vector<std::int64_t>> trailing_channels(const Shape& shape,
                                                                    std::int64_t channels) {
    if (!shape.has_rank()) return std::nullopt;
    std::int64_t product = 1;
    for (int d = shape.rank() - 1; d >= 0; --d) {
      const std::int64_t size = shape.dim(d);
      if (size <= 0 || product > channels / size) return std::nullopt;
      product *= size;
      if (product == channels) {
        return std::vector<std::int64_t>(shape.dims().begin() + d, shape.dims().end());
      }
    }
    return std::nullopt;
  }

  // The only node that reads `v`, if exactly one does (and `v` is not a graph output).
  std::optional<NodeId> single_reader(Value v) const {
    const std::vector<Use>& users = uses_.users(v);
    if (users.empty() || !uses_.only_used_by(v, users.front().user)) return std::nullopt;
    return users.front().user;
  }

  // Which input of `node` reads `v`, if exactly one does.
  static std::optional<int> slot_of(const Node& node, Value v) {
    std::optional<int> slot;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != v) continue;
      if (slot) return std::nullopt;
      slot = static_cast<int>(i);
    }
    return slot;
  }

  // True when the node's output 0 has the chain's type, so it can stand for it.
  bool same_type(NodeId id, Value v) const {
    const Node& n = graph_.node(id);
    const TensorType& t = graph_.type_of(v);
    return !n.outputs.empty() && n.outputs[0].dtype == t.dtype &&
           n.outputs[0].shape.compatible_with(t.shape);
  }

  // `v` as one number per channel, if it is a float32 constant of rank <= `max_rank` that
  // broadcasts along the chain's value without growing it: ones before the channel dimensions
  // (c.channel_shape), and each channel dimension either 1 or the value's own size.
  std::optional<std::vector<double>> per_channel(Value v, const Chain& c, int max_rank) const {
    std::optional<Tensor> t = evaluate_constant(graph_, v, budget_);
    if (!t || t->dtype() != DType::float32 || t->rank() > max_rank) return std::nullopt;
    const int k = static_cast<int>(c.channel_shape.size());
    for (int d = 0; d < t->rank() - k; ++d) {
      if (t->dim(d) != 1) return std::nullopt;
    }
    // Where channel dimension j steps in the constant's data (0 where it broadcasts).
    std::vector<std::int64_t> stride(static_cast<std::size_t>(k), 0);
    std::int64_t step = 1;
    for (int j = k - 1; j >= 0; --j) {
      const int d = t->rank() - k + j;
      if (d < 0) break;
      const std::int64_t size = t->dim(d);
      if (size != 1 && size != c.channel_shape[static_cast<std::size_t>(j)]) return std::nullopt;
      if (size != 1) stride[static_cast<std::size_t>(j)] = step;
      step *= size;
    }
    std::vector<double> out(static_cast<std::size_t>(c.channels));
    const float* data = t->data<float>();
    for (std::int64_t channel = 0; channel < c.channels; ++channel) {
      std::int64_t rest = channel, offset = 0;
      for (int j = k - 1; j >= 0; --j) {
        const std::int64_t size = c.channel_shape[static_cast<std::size_t>(j)];
        offset += (rest % size) * stride[static_cast<std::size_t>(j)];
        rest /= size;
      }
      out[static_cast<std::size_t>(channel)] = data[offset];
    }
    return out;
  }

  // A float32 constant with one element, close to `target`.
  bool scalar_near(Value v, double target) const {
    std::optional<Tensor> t = evaluate_constant(graph_, v, budget_);
    if (!t || t->dtype() != DType::float32 || t->num_elements() != 1) return false;
    return std::fabs(t->data<float>()[0] - target) <= 1e-5 * std::fabs(target) ||
           t->data<float>()[0] == target;
  }

  void absorb(Chain& c, NodeId id) {
    c.nodes.push_back(id);
    c.end = {id, 0};
  }

  bool absorb_linear(Chain& c) {
    const int rank = c.rank;
    const std::optional<NodeId> reader = single_reader(c.end);
    if (!reader) return false;
    const Node& u = graph_.node(*reader);
    const std::optional<int> slot = slot_of(u, c.end);
    if (!slot || !same_type(*reader, c.end)) return false;
    auto& s = c.scale;
    auto& t = c.shift;
    const std::size_t n = s.size();
    const bool binary = u.inputs.size() == 2;
    const Value other = binary ? u.inputs[static_cast<std::size_t>(1 - *slot)] : Value{};
    // A first BiasAdd or Add of a [C] constant: that constant can serve as the fused bias.
    std::optional<Value> bias;
    if (binary && !c.scaled && !c.shifted &&
        (u.op == "BiasAdd" || u.op == "BiasAddV1" || is_add(u.op))) {
      const Tensor* k = constant_value(graph_, other);
      if (k && k->dtype() == DType::float32 && k->shape() == Shape{c.channels}) bias = other;
    }
    if ((u.op == "BiasAdd" || u.op == "BiasAddV1") && binary && *slot == 0) {
      if (u.attr_or<std::string>("data_format", "NHWC") != "NHWC" && rank != 2) return false;
      auto b = per_channel(other, c, 1);
      if (!b) return false;
      for (std::size_t i = 0; i < n; ++i) t[i] += (*b)[i];
      c.shifted = true;
      ++c.biases;
    } else if (binary && (is_add(u.op) || u.op == "Sub" || u.op == "Mul" || u.op == "RealDiv")) {
      auto k = per_channel(other, c, rank);
      if (!k) return false;
      if (is_add(u.op)) {
        for (std::size_t i = 0; i < n; ++i) t[i] += (*k)[i];
        c.shifted = true;
        if (c.scale_pending) {  // x * s + t: an unfused BatchNorm once its constants folded
          --c.scales;
          ++c.batch_norms;
        } else {
          ++c.biases;
        }
      } else if (u.op == "Sub" && *slot == 0) {  // y - k
        for (std::size_t i = 0; i < n; ++i) t[i] -= (*k)[i];
        c.shifted = true;
        ++c.biases;
      } else if (u.op == "Sub") {  // k - y
        for (std::size_t i = 0; i < n; ++i) {
          s[i] = -s[i];
          t[i] = (*k)[i] - t[i];
        }
        c.scaled = c.shifted = true;
        ++c.biases;
      } else if (u.op == "Mul") {
        for (std::size_t i = 0; i < n; ++i) {
          s[i] *= (*k)[i];
          t[i] *= (*k)[i];
        }
        c.scaled = true;
        ++c.scales;
      } else {  // RealDiv
        if (*slot != 0) return false;
        for (double v : *k) {
          if (v == 0.0) return false;
        }
        for (std::size_t i = 0; i < n; ++i) {
          s[i] /= (*k)[i];
          t[i] /= (*k)[i];
        }
        c.scaled = true;
        ++c.scales;
      }
    } else if (is_batch_norm(u.op) && *slot == 0) {
      if (!absorb_batch_norm(c, *reader)) return false;
    } else {
      return false;
    }
    c.bias = bias;
    // Keras' unfused BatchNorm multiplies by a [C] vector (never a scalar) before it shifts.
    const Shape& factor = binary ? graph_.type_of(other).shape : Shape{};
    c.scale_pending = u.op == "Mul" && factor.has_rank() && factor.rank() > 0;
    absorb(c, *reader);
    return true;
  }

  bool absorb_batch_norm(Chain& c, NodeId id) {
    const Node& bn = graph_.node(id);
    for (std::size_t k = 1; k < bn.outputs.size(); ++k) {
      if (uses_.count({id, static_cast<int>(k)}) > 0) return false;  // statistics are read
    }
    if (bn.attr_or<bool>("is_training", true)) {
      decline(bn.name,
              "BatchNorm not folded: is_training is true (it normalizes with batch statistics)");
      return false;
    }
    if (bn.attr_or<std::string>("data_format", "NHWC") != "NHWC") {
      decline(bn.name, "BatchNorm not folded: only NHWC is supported");
      return false;
    }
    std::vector<std::vector<double>> p;  // scale, offset, mean, variance
    for (int i = 1; i <= 4; ++i) {
      auto v = per_channel(bn.inputs[static_cast<std::size_t>(i)], c, 1);
      if (!v || graph_.type_of(bn.inputs[static_cast<std::size_t>(i)]).shape.rank() != 1) {
        decline(bn.name, "BatchNorm not folded: its parameters are not constant vectors");
        return false;
      }
      p.push_back(*v);
    }
    const double epsilon = bn.attr_or<float>("epsilon", 0.0001f);
    for (std::size_t i = 0; i < c.scale.size(); ++i) {
      const double s = p[0][i] / std::sqrt(p[3][i] + epsilon);
      c.scale[i] *= s;
      c.shift[i] = (c.shift[i] - p[2][i]) * s + p[1][i];
    }
    c.scaled = c.shifted = true;
    ++c.batch_norms;
    return true;
  }

  bool absorb_activation(Chain& c) {
    if (const std::optional<NodeId> reader = single_reader(c.end)) {
      const Node& u = graph_.node(*reader);
      if (is_simple_activation(u.op) && slot_of(u, c.end) == 0 && same_type(*reader, c.end)) {
        if (u.op == "LeakyRelu") c.alpha = u.attr_or<float>("alpha", 0.2f);
        c.epilogue.push_back(u.op);
        absorb(c, *reader);
        return true;
      }
    }
    return absorb_swish(c) || absorb_gelu(c);
  }

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
                      const std::string& kind) {
    const Value y = c.end;
    bool closed = read_only_by(y, inside) && same_type(root, y);
    for (NodeId id : inside) {
      if (id != root) closed = closed && read_only_by({id, 0}, inside);
    }
    if (!closed) return false;
    c.epilogue.push_back(kind);
    // Schedule order, so the replaced names read in the order the nodes ran.
    for (NodeId id : graph_.topological_order()) {
      if (inside.count(id) && id != root) c.nodes.push_back(id);
    }
    absorb(c, root);
    return true;
  }

  // Swish: y * sigmoid(y), or Keras' y * sigmoid(beta * y) with beta = 1; products in any order.
  bool absorb_swish(Chain& c) {
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
        if (scalar_near(leaf, targets[i])) {
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
    if (scalar_near(n.inputs[0], target)) return n.inputs[1];
    if (scalar_near(n.inputs[1], target)) return n.inputs[0];
    return std::nullopt;
  }

  // GELU: y/2 * (1 + erf(y / sqrt 2)), TensorFlow's y/2 * erfc(-y / sqrt 2), or the tanh form
  // y/2 * (1 + tanh(sqrt(2/pi) * (y + 0.044715 y^3))), with products in any association/order.
  bool absorb_gelu(Chain& c) {
    const Value y = c.end;
    if (uses_.is_graph_output(y)) return false;
    for (NodeId first : readers(y)) {
      // Climb from a Mul reading y to the top of its product.
      NodeId root = first;
      if (graph_.node(root).op != "Mul") continue;
      for (int guard = 0; guard < 8; ++guard) {
        const std::optional<NodeId> up = single_reader({root, 0});
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
      if (d.op == "RealDiv" && d.inputs[0] == y && scalar_near(d.inputs[1], std::sqrt(2.0))) {
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
    return pow.op == "Pow" && pow.inputs[0] == y && scalar_near(pow.inputs[1], 3.0);
  }

  template <class LaterChain>
  bool absorb_residual(Chain& c, LaterChain&& later_chain) {
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
    const std::optional<NodeId> reader = single_reader(c.end);
    if (!reader) return false;
    const Node& u = graph_.node(*reader);
    const std::optional<int> slot = slot_of(u, c.end);
    if (!is_add(u.op) || !slot) return false;
    const Value r = u.inputs[static_cast<std::size_t>(1 - *slot)];
    const TensorType& y_type = graph_.type_of(c.end);
    if (!(graph_.type_of(r) == y_type) || !(u.outputs.at(0) == y_type)) return false;
    if (later_chain(r, c.main)) return false;
    c.residual = r;
    c.residual_reshaped = reshaped;
    c.epilogue.push_back("Add");
    absorb(c, *reader);
    return true;
  }

  void decline(const std::string& name, const std::string& why) {
    result_.count("declined");
    result_.note("'" + name + "': " + why);
  }

  const Graph& graph_;
  const UseMap& uses_;
  std::int64_t budget_;
  PassResult& result_;
};

// Output channels and the rank of the main op's result, given its weights.
struct MainShape {
  std::int64_t channels = 0;
  int rank = 0;
};

inline std::optional<MainShape> main_shape(const Node& main, const Tensor& weights) {
  if (is_product(main.op)) {
    // BatchMatMulV2 counts only with [K, N] weights shared by the whole batch (a Dense or
    // EinsumDense layer on a 3-D input), so that its channels are those of one matrix.
    const Shape& out = main.outputs.at(0).shape;
    if (weights.rank() != 2 || !out.has_rank() || out.rank() < 2) return std::nullopt;
    return MainShape{transposed_weights(main) ? weights.dim(0) : weights.dim(1), out.rank()};
  }
  if (weights.rank() != 4) return std::nullopt;
  if (main.op == "Conv2D") return MainShape{weights.dim(3), 4};
  return MainShape{checked_mul(weights.dim(2), weights.dim(3)), 4};
}

// out[i] = in[i] * scale[i] for i < n, in double and rounded once to float32. Four at a time
// with restrict pointers, so that compilers vectorize it even at -O2.
inline void scale_floats(const float* __restrict in, const double* __restrict scale,
                         float* __restrict out, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    out[i] = static_cast<float>(in[i] * scale[i]);
    out[i + 1] = static_cast<float>(in[i + 1] * scale[i + 1]);
    out[i + 2] = static_cast<float>(in[i + 2] * scale[i + 2]);
    out[i + 3] = static_cast<float>(in[i + 3] * scale[i + 3]);
  }
  for (; i < n; ++i) out[i] = static_cast<float>(in[i] * scale[i]);
}

// The weights with output channel c multiplied by scale[c], rounded once to float32. The
// output channel is the fastest-moving index of HWIO and depthwise filters and of a product's
// [K, N] weights; transposed (transpose_b, adj_y) they are [N, K] and each row is one channel.
inline Tensor scaled_weights(const Node& main, const Tensor& w, const std::vector<double>& scale) {
  Tensor out = Tensor::uninitialized(DType::float32, w.shape());  // every element is set below
  const float* in = w.data<float>();
  float* o = out.data<float>();
  const std::int64_t n = w.num_elements();
  const auto channels = static_cast<std::int64_t>(scale.size());
  if (transposed_weights(main)) {
    const std::int64_t row = w.dim(1);
    for (std::int64_t c = 0; c < channels; ++c) {
      const double factor = scale[static_cast<std::size_t>(c)];
      for (std::int64_t k = 0; k < row; ++k) {
        o[c * row + k] = static_cast<float>(in[c * row + k] * factor);
      }
    }
    return out;
  }
  if (channels == 0) return out;  // no elements either
  for (std::int64_t base = 0; base < n; base += channels) {
    scale_floats(in + base, scale.data(), o + base, channels);
  }
  return out;
}

inline Tensor vector_tensor(const std::vector<double>& values) {
  Tensor t(DType::float32, Shape{static_cast<std::int64_t>(values.size())});
  for (std::size_t i = 0; i < values.size(); ++i)
    t.data<float>()[i] = static_cast<float>(values[i]);
  return t;
}

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

// Rewrites the chain's last node into the fused node; the other chain nodes lose their inputs
// (the caller removes them). Returns the ids of the chain nodes to remove.
inline std::vector<NodeId> rewrite(Graph& graph, const Chain& c, const Tensor& weights) {
  const Node main = graph.node(c.main);
  const NodeId last = c.end.node;
  const std::string name = graph.node(last).name;
  Node fused;
  fused.name = name;
  fused.op = "_Fused" + main.op;
  const OpDef& def = *op_catalogue().find(fused.op);
  for (const AttrDef& a : def.attrs) {
    auto it = main.attrs.find(a.name);
    if (it != main.attrs.end()) fused.attrs.emplace(a.name, it->second);
  }
  fused.inputs = {main.inputs.at(0), main.inputs.at(1)};
  if (c.pad) {
    fused.inputs[0] = graph.node(*c.pad).inputs.at(0);
    fused.attrs["padding"] = std::string("EXPLICIT");
    fused.attrs["explicit_paddings"] = c.explicit_paddings;
  }
  if (c.scaled) {
    const std::string suffix = is_product(main.op) ? "/weights" : "/filter";
    fused.inputs[1] = {graph.add(constant_node(unique_name(graph, name + suffix),
                                               scaled_weights(main, weights, c.scale))),
                       0};
  }
  Strings steps;
  if (c.shifted) {
    steps.push_back("BiasAdd");
    fused.inputs.push_back(c.bias
                               ? *c.bias
                               : Value{graph.add(constant_node(unique_name(graph, name + "/bias"),
                                                               vector_tensor(c.shift))),
                                       0});
  }
  for (const std::string& step : c.epilogue) {
    steps.push_back(step);
    if (step == "Add") fused.inputs.push_back(residual_input(graph, c, name));
  }
  fused.attrs["fused_ops"] = steps;
  fused.attrs["num_args"] = static_cast<std::int64_t>(fused.inputs.size() - 2);
  fused.attrs["leakyrelu_alpha"] = c.alpha;
  fill_default_attrs(fused, def);
  const std::set<NodeId> members(c.nodes.begin(), c.nodes.end());
  for (NodeId id : c.nodes) {
    const Node& n = graph.node(id);
    if (n.replaced.empty())
      fused.replaced.push_back(n.name);
    else
      fused.replaced.insert(fused.replaced.end(), n.replaced.begin(), n.replaced.end());
    for (NodeId ctl : n.control_inputs) {
      const bool known = std::find(fused.control_inputs.begin(), fused.control_inputs.end(), ctl) !=
                         fused.control_inputs.end();
      if (!members.count(ctl) && !known) fused.control_inputs.push_back(ctl);
    }
  }
  // Before a Reshape the chain looked through, the fused node has the reshape's input type.
  fused.outputs = {graph.type_of(c.reshape ? graph.node(*c.reshape).inputs.at(0) : c.end)};
  std::vector<NodeId> doomed;
  for (NodeId id : c.nodes) {
    if (id == last) continue;
    graph.node(id).inputs.clear();
    graph.node(id).control_inputs.clear();
    doomed.push_back(id);
  }
  graph.node(last) = std::move(fused);
  if (c.reshape) {
    // The chain's readers now read the reshape, which reads the fused node.
    graph.replace_uses({last, 0}, {*c.reshape, 0});
    graph.node(*c.reshape).inputs[0] = {last, 0};
  }
  return doomed;
}

// True when every element of `v` is >= 0 (or NaN): the output of an activation that cannot
// be negative, possibly as the last step of a fused node, possibly through a view.
inline bool non_negative(const Graph& graph, Value v) {
  for (int depth = 0; depth < 8; ++depth) {
    const Node& n = graph.node(v.node);
    if (n.op == "Relu" || n.op == "Relu6" || n.op == "Sigmoid") return true;
    if (n.op.rfind("_Fused", 0) == 0) {
      const Strings steps = n.attr_or<Strings>("fused_ops", Strings{});
      return !steps.empty() &&
             (steps.back() == "Relu" || steps.back() == "Relu6" || steps.back() == "Sigmoid");
    }
    if (n.op != "Identity" && n.op != "Reshape") return false;
    v = n.inputs.at(0);
  }
  return false;
}

// A zero Pad before a VALID MaxPool becomes the pool's explicit padding when the padded values
// are never negative (ResNet's pool1_pad after a ReLU): MaxPool pads with -infinity, zeros lose
// to any real value >= 0, and every window keeps at least one real value because the pool
// refuses padding as large as its window. Returns each Pad to remove with the pool it joined.
inline std::vector<std::pair<NodeId, NodeId>> absorb_pool_pads(Graph& graph, PassResult& result) {
  std::vector<std::pair<NodeId, NodeId>> doomed;
  const UseMap uses(graph);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const NodeId id = static_cast<NodeId>(i);
    const Node& pool = graph.node(id);
    if (pool.op != "MaxPool" || pool.attr_or<std::string>("padding", "") != "VALID" ||
        pool.attr_or<std::string>("data_format", "NHWC") != "NHWC") {
      continue;
    }
    const Value padded = pool.inputs.at(0);
    const Node& pad = graph.node(padded.node);
    if (pad.op != "Pad" || !uses.only_used_by(padded, id) ||
        !non_negative(graph, pad.inputs.at(0))) {
      continue;
    }
    const Tensor* amounts = constant_value(graph, pad.inputs.at(1));
    if (!amounts || amounts->shape() != Shape{4, 2}) continue;
    const std::vector<std::int64_t> p = amounts->to_int64_vector();
    const Ints ksize = pool.attr_or<Ints>("ksize", Ints{});
    if (p[0] || p[1] || p[6] || p[7] || ksize.size() != 4) continue;
    bool fits = true;
    for (int d = 2; d < 6; ++d)
      fits = fits && p[static_cast<std::size_t>(d)] >= 0 &&
             p[static_cast<std::size_t>(d)] < ksize[static_cast<std::size_t>(d / 2)];
    if (!fits) continue;
    Node rewritten = pool;
    rewritten.inputs[0] = pad.inputs.at(0);
    rewritten.attrs["padding"] = std::string("EXPLICIT");
    rewritten.attrs["explicit_paddings"] = Ints(p.begin(), p.end());
    rewritten.replaced = {pad.name, pool.name};
    graph.node(padded.node).inputs.clear();
    graph.node(id) = std::move(rewritten);
    doomed.emplace_back(padded.node, id);
    result.count("pads absorbed");
    result.changed = true;
  }
  return doomed;
}

}  // namespace fuse_detail

inline PassResult fuse(Graph& graph, PassContext& context) {
  using namespace fuse_detail;
  PassResult result;
  for (const char* stat : {"BatchNorms folded", "biases absorbed", "scales folded", "pads absorbed",
                           "activations fused", "residual adds fused", "layer norms fused",
                           "scales moved to projections", "einsums as products", "fused nodes",
                           "declined"}) {
    result.count(stat, 0);
  }
  const std::int64_t budget = context.options.fold_byte_budget;
  // Layer normalizations first: none of their nodes can join a chain, and the graph they leave
  // is smaller for everything below.
  fuse_layer_norms(graph, budget, result);
  // Einsums that are plain products with constant weights become BatchMatMulV2, a main op.
  if (const int einsums = einsums_as_products(graph, budget)) {
    result.count("einsums as products", einsums);
    result.changed = true;
  }

  // Reads the main op's preconditions; nullopt (with a note if `explain`) when one fails.
  struct Candidate {
    MainShape shape;
    Tensor weights;
  };
  auto candidate = [&](NodeId id, PassResult& notes, bool explain) -> std::optional<Candidate> {
    const Node& n = graph.node(id);
    auto no = [&](const std::string& why) -> std::optional<Candidate> {
      if (explain) {
        notes.count("declined");
        notes.note("'" + n.name + "': " + why);
      }
      return std::nullopt;
    };
    if (n.outputs.size() != 1 || n.outputs[0].dtype != DType::float32) return no("not float32");
    if (!is_product(n.op) && n.attr_or<std::string>("data_format", "NHWC") != "NHWC") {
      return no("only NHWC convolutions are fused");
    }
    std::optional<Tensor> w = evaluate_constant(graph, n.inputs.at(1), budget);
    if (!w || w->dtype() != DType::float32) return no("the weights are not constant");
    std::optional<MainShape> shape = main_shape(n, *w);
    if (!shape) return no("unexpected weight shape");
    return Candidate{*shape, *w};
  };

  // Dry run: where each main op's linear part ends, for the residual rule (and for moving
  // scalar scales onto projections, after which the chains, and so the dry run, change).
  std::vector<NodeId> order;
  std::vector<std::size_t> position;
  std::map<Value, NodeId> linear_end;
  auto dry_run = [&] {
    order = graph.topological_order();
    position.assign(graph.size(), 0);
    for (std::size_t i = 0; i < order.size(); ++i) position[static_cast<std::size_t>(order[i])] = i;
    linear_end.clear();
    const UseMap uses(graph);
    PassResult scratch;
    Walker dry(graph, uses, budget, scratch);
    for (NodeId id : order) {
      if (!is_main_op(graph.node(id).op)) continue;
      if (auto cand = candidate(id, scratch, false)) {
        linear_end[dry.linear_chain(id, cand->shape.channels, cand->shape.rank).end] = id;
      }
    }
  };
  dry_run();
  const int moved = move_scales_to_projections(
      graph, budget, [&](Value v) { return linear_end.count(v) > 0; });
  if (moved > 0) {
    result.count("scales moved to projections", moved);
    result.changed = true;
    dry_run();
  }

  std::set<NodeId> doomed;
  std::map<NodeId, NodeId> fused_into;  // removed chain node -> the fused node
  std::optional<UseMap> uses;
  for (NodeId id : order) {
    if (doomed.count(id) || !is_main_op(graph.node(id).op)) continue;
    if (!uses) uses.emplace(graph);
    PassResult scratch;
    Walker walker(graph, *uses, budget, scratch);
    std::optional<Candidate> cand = candidate(id, scratch, false);
    if (!cand) {
      // Explain only when the next node would have been fused: a plain MatMul of two
      // activations (attention) is no candidate and deserves no note.
      const std::vector<Use>& readers = uses->users({id, 0});
      if (readers.size() == 1 && !uses->is_graph_output({id, 0})) {
        const std::string& next = graph.node(readers.front().user).op;
        if (next == "BiasAdd" || is_batch_norm(next) || is_simple_activation(next) ||
            is_add(next) || next == "Mul") {
          candidate(id, result, true);
        }
      }
      continue;
    }
    Chain chain = walker.linear_chain(id, cand->shape.channels, cand->shape.rank);
    walker.absorb_pad(chain);
    walker.extend_epilogue(chain, [&](Value r, NodeId main) {
      auto it = linear_end.find(r);
      return it != linear_end.end() && it->second != main && !doomed.count(it->second) &&
             position[static_cast<std::size_t>(it->second)] >
                 position[static_cast<std::size_t>(main)];
    });
    for (const Statistic& s : scratch.stats) result.count(s.name, s.value);
    for (const std::string& n : scratch.notes) result.note(n);
    if (chain.nodes.size() < 2) continue;  // nothing to fuse

    result.count("pads absorbed", chain.pad ? 1 : 0);
    result.count("BatchNorms folded", chain.batch_norms);
    result.count("biases absorbed", chain.biases);
    result.count("scales folded", chain.scales);
    for (const std::string& step : chain.epilogue) {
      result.count(step == "Add" ? "residual adds fused" : "activations fused");
    }
    result.count("fused nodes");
    for (NodeId gone : rewrite(graph, chain, cand->weights)) {
      doomed.insert(gone);
      fused_into[gone] = chain.end.node;
    }
    uses.reset();  // the graph changed
    result.changed = true;
  }
  for (const auto& [pad, pool] : absorb_pool_pads(graph, result)) {
    doomed.insert(pad);
    fused_into[pad] = pool;
  }
  if (!result.changed) return result;

  redirect_control_edges(graph, fused_into);
  remove_nodes(graph, doomed);
  if (!refresh_types(graph))
    result.note("type inference failed after fusion; recorded types were kept");
  return result;
}

inline Pass fuse_pass() {
  return {"fuse", "fold BatchNorm, bias and activation into convolutions and matrix products",
          fuse};
}

}  // namespace kiln::opt
