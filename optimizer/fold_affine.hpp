// fold-affine: the per-channel linear steps after a convolution or matrix product fold into its
// weights and a bias, so that they cost nothing at run time.
//
// Starting at each Conv2D, DepthwiseConv2dNative, MatMul and BatchMatMulV2 with constant
// weights (fusion_chain.hpp), in schedule order, the pass walks down the chain of nodes that
// read its result:
//
//   0. a zero Pad whose only reader is a VALID convolution becomes the convolution's explicit
//      padding (Keras' ZeroPadding2D), so the padded copy of the input is never made;
//   1. the linear part, one scale and one shift per output channel:   y*s + t
//        BiasAdd(y, b), Add(y, c), Sub(y, c), Sub(c, y), Mul(y, c), RealDiv(y, c)
//            with c a per-channel constant (a scalar, [C] or [1,..,1,C]; after a Reshape
//            that split the channels, [heads, size] and what broadcasts to it);
//        FusedBatchNorm/V2/V3 with is_training false: s = scale / sqrt(variance + epsilon),
//            t = offset - mean * s. Keras' unfused form (Rsqrt/Mul/Sub/AddV2) is read through
//            its constant subgraph, or, after fold-constants, is a [C] scale followed by a
//            shift, which the statistics count as a BatchNorm too.
//
// The chain becomes one _FusedConv2D / _FusedDepthwiseConv2dNative / _FusedMatMul /
// _FusedBatchMatMulV2 node with the epilogue ["BiasAdd"] (or none, when nothing shifts), new
// weight and bias constants (the old ones are left for simplify), the place and name of the
// chain's last node, and the names of the nodes it replaced in Node::replaced. fuse-epilogue
// then appends activations and a residual Add to it.
//
// Preconditions; when one fails the pass leaves that chain alone and, when there was something
// to fold, says why in a note: float32; NHWC for convolutions (and BatchNorm); constant weights;
// every value inside the chain read only by the next node of the chain; a BatchNorm folds only
// when its four parameters are constant and its other outputs unused.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fusion_chain.hpp"

namespace kiln::opt {

namespace fold_affine_detail {

using namespace fusion;

// Extends chains by the linear steps that fold into the weights.
class LinearFolder {
 public:
  explicit LinearFolder(const ChainReader& reader) : r_(reader), graph_(reader.graph()) {}

  // The linear part of the chain from `main` (step 1).
  Chain linear_chain(NodeId main, const MainShape& shape) const {
    Chain c = ChainReader::start(main, shape);
    while (r_.absorb_step(c, [this](Chain& x) { return absorb_linear(x); })) {
    }
    return c;
  }

  // Step 0: a zero Pad that only feeds convolution `c.main` becomes its explicit padding.
  void absorb_pad(Chain& c) const {
    const Node& main = graph_.node(c.main);
    if (is_product(main.op)) return;
    const std::string padding = main.attr_or<std::string>("padding", "");
    if (padding != "VALID" && padding != "EXPLICIT") return;
    const Value padded = main.inputs.at(0);
    const Node& pad = graph_.node(padded.node);
    if ((pad.op != "Pad" && pad.op != "PadV2") || !r_.uses().only_used_by(padded, c.main)) return;
    if (pad.op == "PadV2" && !r_.scalar_near(pad.inputs.at(2), 0.0)) return;
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

 private:
  bool absorb_linear(Chain& c) const {
    const int rank = c.rank;
    const std::optional<NodeId> reader = r_.single_reader(c.end);
    if (!reader) return false;
    const Node& u = graph_.node(*reader);
    const std::optional<int> slot = ChainReader::slot_of(u, c.end);
    if (!slot || !r_.same_type(*reader, c.end)) return false;
    auto& s = c.scale;
    auto& t = c.shift;
    const std::size_t n = s.size();
    const bool binary = u.inputs.size() == 2;
    const Value other = binary ? u.inputs[static_cast<std::size_t>(1 - *slot)] : Value{};
    // A first BiasAdd or Add of a [C] constant: that constant can serve as the fused bias.
    std::optional<Value> bias;
    if (binary && !c.scaled && !c.shifted && (is_bias_add(u.op) || is_add(u.op))) {
      const Tensor* k = constant_value(graph_, other);
      if (k && k->dtype() == DType::float32 && k->shape() == Shape{c.channels}) bias = other;
    }
    if (is_bias_add(u.op) && binary && *slot == 0) {
      if (u.attr_or<std::string>("data_format", "NHWC") != "NHWC" && rank != 2) return false;
      auto b = r_.per_channel(other, c, 1);
      if (!b) return false;
      for (std::size_t i = 0; i < n; ++i) t[i] += (*b)[i];
      c.shifted = true;
      ++c.biases;
    } else if (binary && (is_add(u.op) || u.op == "Sub" || u.op == "Mul" || u.op == "RealDiv")) {
      auto k = r_.per_channel(other, c, rank);
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
      const std::optional<BatchNormAffine> bn = r_.batch_norm_affine(c, *reader);
      if (!bn) return false;
      for (std::size_t i = 0; i < n; ++i) {
        s[i] *= bn->scale[i];
        t[i] = (t[i] - bn->mean[i]) * bn->scale[i] + bn->offset[i];
      }
      c.scaled = c.shifted = true;
      ++c.batch_norms;
    } else {
      return false;
    }
    c.bias = bias;
    // Keras' unfused BatchNorm multiplies by a [C] vector (never a scalar) before it shifts.
    const Shape& factor = binary ? graph_.type_of(other).shape : Shape{};
    c.scale_pending = u.op == "Mul" && factor.has_rank() && factor.rank() > 0;
    ChainReader::absorb(c, *reader);
    return true;
  }

  const ChainReader& r_;
  const Graph& graph_;
};

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

// The same in place (restrict forbids passing one array as both `in` and `out`).
inline void scale_floats_in_place(float* data, const double* __restrict scale, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) data[i] = static_cast<float>(data[i] * scale[i]);
}

// The weights with output channel c multiplied by scale[c], rounded once to float32, into
// `out` (which may be `w` itself). The output channel is the fastest-moving index of HWIO and
// depthwise filters and of a product's [K, N] weights; transposed (transpose_b, adj_y) they are
// [N, K] and each row is one channel.
inline void scale_weights(const Node& main, const Tensor& w, const std::vector<double>& scale,
                          Tensor& out) {
  const float* in = w.data<float>();
  float* o = out.data<float>();
  const bool in_place = in == o;
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
    return;
  }
  if (channels == 0) return;  // no elements either
  for (std::int64_t base = 0; base < n; base += channels) {
    if (in_place) {
      scale_floats_in_place(o + base, scale.data(), channels);
    } else {
      scale_floats(in + base, scale.data(), o + base, channels);
    }
  }
}

// Where the main op's scaled `weights` go: into their own memory when nothing else can see it,
// else into a new tensor. Each filter scaled in place is a copy never made, and fresh memory
// is what a compile waits for on virtual machines, where first touching a page is slow (ResNet50
// folds 98 MiB of filters). In place needs either weights this pass computed itself, or a Const
// that only the main op reads (directly or through Identity, as a variable read is imported) and
// no other handle shares: not another graph's copy, not the pass manager's undo snapshot (see
// compile(), which folds filters once on the graph it owns). That Const and its Identity reads
// are then absorbed into the fused node, like the chain.
inline Tensor weights_to_scale(Graph& graph, const UseMap& uses, NodeId main, NodeId root,
                               Tensor& weights, std::map<NodeId, NodeId>& fused_into) {
  if (weights.sole_owner()) return weights;  // computed here: nobody else holds it
  std::vector<NodeId> reads;  // from the main op's weight input back to the Const
  Value v = graph.node(main).inputs.at(1);
  for (;;) {
    const Node& n = graph.node(v.node);
    // Exactly one edge reads each value on the way: the main op's weight input, or the next read.
    if (uses.users(v).size() != 1 || uses.is_graph_output(v) || !n.control_inputs.empty()) break;
    reads.push_back(v.node);
    if (n.op == "Const") {
      Tensor& held = std::get<Tensor>(graph.node(v.node).attrs.at("value"));
      weights = Tensor();  // this pass's own handle would count as a sharer
      if (!held.sole_owner()) {
        weights = held;
        break;
      }
      weights = std::move(held);  // the node is absorbed: its value moves to the fused node's Const
      held = Tensor();
      for (NodeId id : reads) {
        graph.node(id).inputs.clear();
        fused_into[id] = root;
      }
      return weights;
    }
    if (n.op != "Identity") break;
    v = n.inputs.at(0);
  }
  return Tensor::uninitialized(DType::float32, weights.shape());  // every element is set
}

// Replaces the chain by its fused node: padding, scaled weights, and the shift as a bias.
inline void rewrite(Graph& graph, const UseMap& uses, const Chain& c, Tensor weights,
                    std::map<NodeId, NodeId>& fused_into, PassResult& result) {
  const Node main = graph.node(c.main);
  const std::string name = graph.node(c.end.node).name;
  Node fused = fused_start(main);
  if (c.pad) {
    fused.inputs[0] = graph.node(*c.pad).inputs.at(0);
    fused.attrs["padding"] = std::string("EXPLICIT");
    fused.attrs["explicit_paddings"] = c.explicit_paddings;
  }
  if (c.scaled) {
    const std::string suffix = is_product(main.op) ? "/weights" : "/filter";
    Tensor scaled = weights_to_scale(graph, uses, c.main, c.end.node, weights, fused_into);
    if (scaled.raw() == weights.raw()) result.count("weights scaled in place");
    scale_weights(main, weights, c.scale, scaled);
    fused.inputs[1] = {graph.add(constant_node(unique_name(graph, name + suffix), scaled)), 0};
  }
  if (c.shifted) {
    fused.attrs["fused_ops"] = Strings{"BiasAdd"};
    fused.inputs.push_back(c.bias ? *c.bias : add_vector_constant(graph, name + "/bias", c.shift));
  }
  install_chain(graph, c, std::move(fused), fused_into);
}

}  // namespace fold_affine_detail

// Where the linear part of each main op's chain ends, as fold-affine would fold it now: for
// passes that prepare the graph for it (move-scale-to-projection).
inline std::map<Value, NodeId> linear_chain_ends(const Graph& graph, std::int64_t budget) {
  using namespace fusion;
  std::map<Value, NodeId> ends;
  const UseMap uses(graph);
  PassResult scratch;
  const ChainReader reader(graph, uses, budget, scratch);
  const fold_affine_detail::LinearFolder folder(reader);
  for (NodeId id : graph.topological_order()) {
    if (!is_plain_main_op(graph.node(id).op)) continue;
    if (auto cand = candidate(graph, id, budget, nullptr)) {
      ends[folder.linear_chain(id, cand->shape).end] = id;
    }
  }
  return ends;
}

namespace fold_affine_detail {

// The pass, from every main op or (`products` false) from convolutions only.
inline PassResult fold_chains(Graph& graph, PassContext& context, bool products) {
  using namespace fusion;
  PassResult result;
  for (const char* stat : {"BatchNorms folded", "biases absorbed", "scales folded",
                           "pads absorbed", "fused nodes", "weights scaled in place", "declined"}) {
    result.count(stat, 0);
  }
  const std::int64_t budget = context.options.fold_byte_budget;
  std::map<NodeId, NodeId> fused_into;  // removed chain node -> the fused node
  std::optional<UseMap> uses;
  for (NodeId id : graph.topological_order()) {
    const std::string& op = graph.node(id).op;
    if (fused_into.count(id) || !is_plain_main_op(op) || (!products && is_product(op))) continue;
    if (!uses) uses.emplace(graph);
    PassResult scratch;
    const ChainReader reader(graph, *uses, budget, scratch);
    std::optional<Candidate> cand = candidate(graph, id, budget, nullptr);
    if (!cand) {
      // Explain only when the next node would have been folded: a plain MatMul of two
      // activations (attention) is no candidate and deserves no note.
      const UseList readers = uses->users({id, 0});
      if (readers.size() == 1 && !uses->is_graph_output({id, 0})) {
        const std::string& next = graph.node(readers.front().user).op;
        if (is_bias_add(next) || is_batch_norm(next) || is_add(next) || next == "Mul") {
          candidate(graph, id, budget, &result);
        }
      }
      continue;
    }
    const LinearFolder folder(reader);
    Chain chain = folder.linear_chain(id, cand->shape);
    folder.absorb_pad(chain);
    for (const Statistic& s : scratch.stats) result.count(s.name, s.value);
    for (const std::string& n : scratch.notes) result.note(n);
    if (chain.nodes.size() < 2) continue;  // nothing to fold

    result.count("pads absorbed", chain.pad ? 1 : 0);
    result.count("BatchNorms folded", chain.batch_norms);
    result.count("biases absorbed", chain.biases);
    result.count("scales folded", chain.scales);
    result.count("fused nodes");
    rewrite(graph, *uses, chain, std::move(cand->weights), fused_into, result);
    uses.reset();  // the graph changed
    result.changed = true;
  }
  if (result.changed && !remove_absorbed(graph, fused_into)) {
    result.note("type inference failed after fusion; recorded types were kept");
  }
  return result;
}

}  // namespace fold_affine_detail

inline PassResult fold_affine(Graph& graph, PassContext& context) {
  return fold_affine_detail::fold_chains(graph, context, /*products=*/true);
}

inline Pass fold_affine_pass() {
  return {"fold-affine",
          "fold BatchNorm, bias, scale and zero Pad into a convolution's or product's weights",
          fold_affine};
}

// fold-affine for convolutions alone, which compile() runs once on a model's graph before it
// plans any input shape (session.hpp): what folds into a filter does not depend on the shapes,
// so every plan shares the folded filters, and on the graph compile() owns they are scaled in
// place. Products wait for the plans' own fold-affine, after move-scale-to-projection.
inline Pass fold_filters_pass() {
  return {"fold-filters",
          "fold-affine for convolutions only: run once per model, before its plans (compile())",
          [](Graph& graph, PassContext& context) {
            return fold_affine_detail::fold_chains(graph, context, /*products=*/false);
          }};
}

}  // namespace kiln::opt
