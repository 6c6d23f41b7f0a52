// What the fusion passes share: a chain of nodes that starts at a convolution or matrix product
// (the "main" op) and follows the single reader of each value, and the rewrite that replaces
// such a chain by one fused node (core/ops/fused.hpp).
//
// The main ops are Conv2D, DepthwiseConv2dNative, MatMul and BatchMatMulV2 with [K, N] constant
// weights (a Dense or EinsumDense layer on a 3-D input), and the fused nodes made from them
// (_FusedConv2D, ...), whose epilogue a later pass may extend. fold-affine (fold_affine.hpp)
// folds the linear part of a chain into the weights and a bias; fuse-epilogue
// (fuse_epilogue.hpp) appends activations, a residual Add and a per-channel scale-shift.
//
// A chain may look through one Reshape that keeps the channels last (Keras' Tensordot for Dense
// on 3-D input: MatMul -> Reshape -> BiasAdd; Keras 3's EinsumDense: BatchMatMulV2 -> Reshape
// [.., heads, size] -> Add of a [heads, size] bias). Element i of the flat data is channel
// i % C before and after such a reshape, so per-channel and elementwise steps commute with it:
// the fused node computes before it and the Reshape moves after the fused node.
//
// Every value inside a chain has exactly one reader and is not a graph output (a value read
// elsewhere too must stay as it is), except inside the multi-node activations (swish, GELU).
#pragma once

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "const_eval.hpp"
#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace fusion {

inline bool is_product(const std::string& op) { return op == "MatMul" || op == "BatchMatMulV2"; }

// The op a fused node was made from ("_FusedConv2D" -> "Conv2D"); other ops as they are.
inline std::string unfused_op(const std::string& op) {
  const std::string prefix = "_Fused";
  return op.rfind(prefix, 0) == 0 ? op.substr(prefix.size()) : op;
}

inline bool is_plain_main_op(const std::string& op) {
  return op == "Conv2D" || op == "DepthwiseConv2dNative" || is_product(op);
}

// A main op, or a fused node made from one.
inline bool is_main_op(const std::string& op) { return is_plain_main_op(unfused_op(op)); }

// True when the product reads its (constant) weights transposed: [N, K] instead of [K, N].
inline bool transposed_weights(const Node& main) {
  const std::string op = unfused_op(main.op);
  if (op == "MatMul") return main.attr_or<bool>("transpose_b", false);
  return op == "BatchMatMulV2" && main.attr_or<bool>("adj_y", false);
}

inline bool is_simple_activation(const std::string& op) {
  return op == "Relu" || op == "Relu6" || op == "Elu" || op == "LeakyRelu" || op == "Sigmoid" ||
         op == "Tanh";
}

inline bool is_batch_norm(const std::string& op) {
  return op == "FusedBatchNorm" || op == "FusedBatchNormV2" || op == "FusedBatchNormV3";
}

inline bool is_add(const std::string& op) { return op == "Add" || op == "AddV2"; }

inline bool is_bias_add(const std::string& op) { return op == "BiasAdd" || op == "BiasAddV1"; }

// A chain being fused: the main op, what folds into its weights, the epilogue steps appended.
struct Chain {
  NodeId main = -1;
  std::vector<NodeId> nodes;  // every node replaced, the main op first, in order
  Value end;                  // the value the fused node will produce
  std::int64_t channels = 0;
  int rank = 0;  // of the value the chain has reached
  // The trailing dimensions of that value that make up the channel index (their product is
  // `channels`): {C}, or {heads, size} after a Reshape that split the channels.
  std::vector<std::int64_t> channel_shape;
  std::optional<NodeId> reshape;  // a Reshape the chain looked through (it moves after it)

  // fold-affine: the per-channel affine map y*s + t folded so far.
  std::vector<double> scale, shift;
  bool scaled = false, shifted = false;
  std::optional<Value> bias;     // a constant that already holds the shift, when one does
  std::optional<NodeId> pad;     // a zero Pad before a convolution, absorbed into its padding
  Ints explicit_paddings;        // the convolution's padding then, NHWC (before, after) pairs
  bool scale_pending = false;    // the last step was a per-channel scale: a shift makes a BatchNorm
  int batch_norms = 0, scales = 0, biases = 0;

  // fuse-epilogue: steps appended after those the main op already has, and their arguments.
  Strings steps;
  std::vector<Value> step_inputs;  // constants made for the steps are added at rewrite time
  std::optional<Value> residual;
  bool residual_reshaped = false;  // the residual has the chain's reshaped type: undo it
  std::optional<float> alpha;      // LeakyRelu's
  std::vector<double> post_scale, post_shift;  // a ScaleShift step's (a BatchNorm after it all)
};

// Output channels and the rank of the main op's result, given its weights.
struct MainShape {
  std::int64_t channels = 0;
  int rank = 0;
};

inline std::optional<MainShape> main_shape(const Node& main, const Tensor& weights) {
  const std::string op = unfused_op(main.op);
  if (is_product(op)) {
    // BatchMatMulV2 counts only with [K, N] weights shared by the whole batch (a Dense or
    // EinsumDense layer on a 3-D input), so that its channels are those of one matrix.
    const Shape& out = main.outputs.at(0).shape;
    if (weights.rank() != 2 || !out.has_rank() || out.rank() < 2) return std::nullopt;
    return MainShape{transposed_weights(main) ? weights.dim(0) : weights.dim(1), out.rank()};
  }
  if (weights.rank() != 4) return std::nullopt;
  if (op == "Conv2D") return MainShape{weights.dim(3), 4};
  return MainShape{checked_mul(weights.dim(2), weights.dim(3)), 4};
}

// A main op that a chain can start from, with its constant weights.
struct Candidate {
  MainShape shape;
  Tensor weights;
};

// Reads the main op's preconditions: float32, NHWC for convolutions, constant weights of the
// expected shape. When one fails: nullopt, and with `explain` a note and a "declined" count.
inline std::optional<Candidate> candidate(const Graph& graph, NodeId id, std::int64_t budget,
                                          PassResult* explain) {
  const Node& n = graph.node(id);
  auto no = [&](const std::string& why) -> std::optional<Candidate> {
    if (explain) {
      explain->count("declined");
      explain->note("'" + n.name + "': " + why);
    }
    return std::nullopt;
  };
  if (n.outputs.size() != 1 || n.outputs[0].dtype != DType::float32) return no("not float32");
  if (!is_product(unfused_op(n.op)) && n.attr_or<std::string>("data_format", "NHWC") != "NHWC") {
    return no("only NHWC convolutions are fused");
  }
  std::optional<Tensor> w = evaluate_constant(graph, n.inputs.at(1), budget);
  if (!w || w->dtype() != DType::float32) return no("the weights are not constant");
  std::optional<MainShape> shape = main_shape(n, *w);
  if (!shape) return no("unexpected weight shape");
  return Candidate{*shape, *w};
}

// An inference BatchNorm as per-channel numbers: y -> (y - mean) * scale + offset.
struct BatchNormAffine {
  std::vector<double> scale, mean, offset;
};

// The reading side of chain matching: who reads what, per-channel constants, and the step
// through a Reshape. Valid while the graph does not change.
class ChainReader {
 public:
  ChainReader(const Graph& graph, const UseMap& uses, std::int64_t budget, PassResult& result)
      : graph_(graph), uses_(uses), budget_(budget), result_(result) {}

  const Graph& graph() const { return graph_; }
  const UseMap& uses() const { return uses_; }
  std::int64_t budget() const { return budget_; }

  // A chain of just the main op, with an identity affine map.
  static Chain start(NodeId main, const MainShape& shape) {
    Chain c;
    c.main = main;
    c.nodes = {main};
    c.end = {main, 0};
    c.channels = shape.channels;
    c.rank = shape.rank;
    c.channel_shape = {shape.channels};
    c.scale.assign(static_cast<std::size_t>(shape.channels), 1.0);
    c.shift.assign(static_cast<std::size_t>(shape.channels), 0.0);
    return c;
  }

  // Runs `absorb` on the chain or, if that fails, on the chain continued through a Reshape that
  // keeps the channels last (see the top of this file). Only one, with a constant target
  // (which then cannot depend on the chain).
  template <class Absorb>
  bool absorb_step(Chain& c, Absorb&& absorb) const {
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

  // The only node that reads `v`, if exactly one does (and `v` is not a graph output).
  std::optional<NodeId> single_reader(Value v) const {
    const UseList users = uses_.users(v);
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

  // An inference BatchNorm at node `id` read as y -> (y - mean) * s + offset, per channel, with
  // s = scale / sqrt(variance + epsilon). nullopt (with a note when the reason is worth one)
  // when its statistics outputs are read, it trains, it is not NHWC, or its parameters are not
  // constant vectors.
  std::optional<BatchNormAffine> batch_norm_affine(const Chain& c, NodeId id) const {
    const Node& bn = graph_.node(id);
    for (std::size_t k = 1; k < bn.outputs.size(); ++k) {
      if (uses_.count({id, static_cast<int>(k)}) > 0) return std::nullopt;  // statistics read
    }
    if (bn.attr_or<bool>("is_training", true)) {
      decline(bn.name,
              "BatchNorm not folded: is_training is true (it normalizes with batch statistics)");
      return std::nullopt;
    }
    if (bn.attr_or<std::string>("data_format", "NHWC") != "NHWC") {
      decline(bn.name, "BatchNorm not folded: only NHWC is supported");
      return std::nullopt;
    }
    std::vector<std::vector<double>> p;  // scale, offset, mean, variance
    for (int i = 1; i <= 4; ++i) {
      auto v = per_channel(bn.inputs[static_cast<std::size_t>(i)], c, 1);
      if (!v || graph_.type_of(bn.inputs[static_cast<std::size_t>(i)]).shape.rank() != 1) {
        decline(bn.name, "BatchNorm not folded: its parameters are not constant vectors");
        return std::nullopt;
      }
      p.push_back(*v);
    }
    const double epsilon = bn.attr_or<float>("epsilon", 0.0001f);
    BatchNormAffine a;
    a.scale.resize(p[0].size());
    for (std::size_t i = 0; i < a.scale.size(); ++i) {
      a.scale[i] = p[0][i] / std::sqrt(p[3][i] + epsilon);
    }
    a.mean = std::move(p[2]);
    a.offset = std::move(p[1]);
    return a;
  }

  // Extends the chain by node `id`, whose output 0 becomes the chain's end.
  static void absorb(Chain& c, NodeId id) {
    c.nodes.push_back(id);
    c.end = {id, 0};
  }

  void decline(const std::string& name, const std::string& why) const {
    result_.count("declined");
    result_.note("'" + name + "': " + why);
  }

 private:
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

  const Graph& graph_;
  const UseMap& uses_;
  std::int64_t budget_;
  PassResult& result_;
};

inline Tensor vector_tensor(const std::vector<double>& values) {
  Tensor t(DType::float32, Shape{static_cast<std::int64_t>(values.size())});
  for (std::size_t i = 0; i < values.size(); ++i)
    t.data<float>()[i] = static_cast<float>(values[i]);
  return t;
}

// A new float32 [C] constant called `base` (or base_1, ...).
inline Value add_vector_constant(Graph& graph, const std::string& base,
                                 const std::vector<double>& values) {
  return {graph.add(constant_node(unique_name(graph, base), vector_tensor(values))), 0};
}

// The fused node that `main` starts as: a copy of it if it is fused already, else a new
// _Fused<op> with its attributes, its two main inputs and an empty epilogue.
inline Node fused_start(const Node& main) {
  if (main.op.rfind("_Fused", 0) == 0) return main;
  Node fused;
  fused.op = "_Fused" + main.op;
  const OpDef& def = *op_catalogue().find(fused.op);
  for (const AttrDef& a : def.attrs) {
    auto it = main.attrs.find(a.name);
    if (it != main.attrs.end()) fused.attrs.emplace(a.name, it->second);
  }
  fused.inputs = {main.inputs.at(0), main.inputs.at(1)};
  fused.attrs["fused_ops"] = Strings{};
  return fused;
}

// Replaces chain `c` by `fused`, which takes the place and the name of the chain's last node
// and lists the names of every node of the chain in Node::replaced. The other chain nodes lose
// their edges and go into `fused_into`; the caller removes them.
inline void install_chain(Graph& graph, const Chain& c, Node fused,
                          std::map<NodeId, NodeId>& fused_into) {
  const NodeId last = c.end.node;
  fused.name = graph.node(last).name;
  fused.attrs["num_args"] = static_cast<std::int64_t>(fused.inputs.size() - 2);
  fill_default_attrs(fused, *op_catalogue().find(fused.op));
  merge_provenance(graph, c.nodes, fused);
  // Before a Reshape the chain looked through, the fused node has the reshape's input type.
  fused.outputs = {graph.type_of(c.reshape ? graph.node(*c.reshape).inputs.at(0) : c.end)};
  install_fused(graph, c.nodes, last, std::move(fused), fused_into);
  if (c.reshape) {
    // The chain's readers now read the reshape, which reads the fused node.
    graph.replace_uses({last, 0}, {*c.reshape, 0});
    graph.node(*c.reshape).inputs[0] = {last, 0};
  }
}

}  // namespace fusion

}  // namespace kiln::opt
