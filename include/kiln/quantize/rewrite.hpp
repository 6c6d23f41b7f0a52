// The graph rewrite of post-training quantization: given the calibrated range of every input it
// needs, each float32 convolution and matrix product with constant weights becomes its int8 form
// (core/ops/quantized.hpp). It runs on the graph after O2's fusion, so a fused node's epilogue
// (bias, folded BatchNorm, activation, residual) rides along in the int8 op, as oneDNN post-ops.
//
//   weights   per output channel, symmetric: scale[c] = max |w[c]| / 127, int8 constants
//   input     from a quantized producer as it is, else through one _KilnQuantize per value;
//             uint8 (0..127) when calibration never saw it below zero (after a ReLU), else int8
//   output    int8/uint8 when every reader is a quantized product reading it as its input (so a
//             chain of them stays in int8), else float32: at the graph's outputs and before
//             every op that stays float32
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <kiln/core/ops.hpp>
#include <kiln/kernels/reference/quantized.hpp>
#include <kiln/optimizer/rewrite.hpp>

namespace kiln::quantization {

// How one value is quantized: real = q * scale, q of `type` (int8 or uint8).
struct ValueQuantization {
  float scale = 1.f;
  DType type = DType::int8;
};

// From a calibrated magnitude: code 127 stands for it, in int8, or in uint8 for a value never
// below zero. uint8 keeps to 0..127 (7 bits) because of CPUs without VNNI: oneDNN multiplies
// uint8 by int8 there with vpmaddubsw, which saturates a pair of products at 32767, and
// 2 * 127 * 127 stays below it while 2 * 255 * 127 does not. uint8 is still worth having on
// them: for an int8 source oneDNN halves the weights (7 bits) to avoid the same overflow.
inline ValueQuantization value_quantization(float magnitude, bool non_negative) {
  const DType type = non_negative ? DType::uint8 : DType::int8;
  const float codes = 127.f;
  // A value calibration only saw as 0 gets any scale: everything it held quantizes to 0.
  const float scale = magnitude > 0.f && std::isfinite(magnitude) ? magnitude / codes : 1.f;
  return {scale, type};
}

// The int8 op each quantizable op becomes.
inline std::string quantized_op_for(const std::string& op) {
  if (op == "Conv2D" || op == "_FusedConv2D") return "_KilnQuantizedConv2D";
  if (op == "DepthwiseConv2dNative" || op == "_FusedDepthwiseConv2dNative") {
    return "_KilnQuantizedDepthwiseConv2dNative";
  }
  if (op == "MatMul" || op == "_FusedMatMul") return "_KilnQuantizedMatMul";
  return "";
}

// Why `node` stays float32, or "" when it can be quantized.
inline std::string why_not_quantized(const Graph& graph, const Node& node) {
  if (quantized_op_for(node.op).empty()) return "not a convolution or matrix product";
  if (node.inputs.size() < 2) return "missing inputs";
  if (node.outputs.empty() || node.outputs[0].dtype != DType::float32 ||
      graph.type_of(node.inputs[0]).dtype != DType::float32) {
    return "not float32";
  }
  const Node& weights = graph.node(node.inputs[1].node);
  if (weights.op != "Const") return "the weights are computed, not constant";
  const Tensor& w = weights.attr<Tensor>("value");
  if (node.op.find("MatMul") != std::string::npos) {
    if (node.attr_or<bool>("transpose_a", false)) return "the left operand is transposed";
    if (w.rank() != 2 || graph.type_of(node.inputs[0]).shape.rank() != 2) return "not a 2-d product";
    return "";
  }
  if (node.attr_or<std::string>("data_format", "NHWC") != "NHWC") return "NCHW";
  const Shape& x = graph.type_of(node.inputs[0]).shape;
  if (node.op.find("Depthwise") == std::string::npos &&
      (!x.has_rank() || x.rank() != 4 || x.dim(3) != w.dim(2))) {
    return "a grouped convolution, or input channels unknown";
  }
  return "";
}

// The nodes quantize_graph() will quantize, in topological order.
inline std::vector<NodeId> quantizable_nodes(const Graph& graph) {
  std::vector<NodeId> nodes;
  for (NodeId id : graph.topological_order()) {
    if (why_not_quantized(graph, graph.node(id)).empty()) nodes.push_back(id);
  }
  return nodes;
}

// Per-output-channel symmetric int8 weights (channels: the last axis after putting a MatMul's
// weights as [K, N]): the int8 tensor and one scale per channel.
struct QuantizedWeights {
  Tensor values;
  Floats scales;
};

inline QuantizedWeights quantize_weights(const Tensor& weights, std::int64_t channels) {
  const float* w = weights.data<float>();
  const std::int64_t n = weights.num_elements();
  std::vector<float> largest(static_cast<std::size_t>(channels), 0.f);
  for (std::int64_t i = 0; i < n; ++i) {
    float& m = largest[static_cast<std::size_t>(i % channels)];
    m = std::max(m, std::fabs(w[i]));
  }
  QuantizedWeights q{Tensor(DType::int8, weights.shape()), {}};
  for (float m : largest) q.scales.push_back(m > 0.f && std::isfinite(m) ? m / 127.f : 1.f);
  auto* out = q.values.data<std::int8_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const float scale = q.scales[static_cast<std::size_t>(i % channels)];
    out[i] = reference::quantization::quantize_one<std::int8_t>(w[i], reference::quantization::inverse(scale));
  }
  return q;
}

inline Tensor transposed_matrix(const Tensor& m) {
  const std::int64_t rows = m.dim(0), cols = m.dim(1);
  Tensor t(DType::float32, Shape{cols, rows});
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) t.data<float>()[c * rows + r] = m.data<float>()[r * cols + c];
  }
  return t;
}

// What the rewrite did, node by node.
struct QuantizedNodeRecord {
  std::string name;
  std::string op;        // the float op it was
  DType input = DType::int8;
  DType output = DType::float32;
};

struct RewriteReport {
  std::vector<QuantizedNodeRecord> quantized;
  int quantize_nodes = 0;  // _KilnQuantize nodes added: float32 -> int8 edges
  std::vector<std::pair<std::string, std::string>> kept_float;  // convolutions and products left, and why
};

namespace rewrite_detail {

// A node name the graph does not have yet, from `base`.
inline std::string fresh_name(const Graph& graph, std::string base) {
  for (char& c : base) c = c == ':' ? '_' : c;
  std::string name = base;
  for (int k = 1; graph.find(name); ++k) name = base + "_" + std::to_string(k);
  return name;
}

inline NodeId add_node(Graph& graph, std::string name, std::string op, std::vector<Value> inputs,
                       Attrs attrs) {
  Node node;
  node.name = fresh_name(graph, std::move(name));
  node.op = std::move(op);
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  return graph.add(std::move(node));
}

}  // namespace rewrite_detail

// Rewrites `graph` (types inferred) in place. `ranges` gives the quantization of input 0 of every
// node quantizable_nodes() lists; one missing is an internal error.
inline RewriteReport quantize_graph(Graph& graph, const std::map<Value, ValueQuantization>& ranges) {
  RewriteReport report;
  const std::vector<NodeId> nodes = quantizable_nodes(graph);
  for (const Node& n : graph.nodes()) {
    if (quantized_op_for(n.op).empty()) continue;
    const std::string why = why_not_quantized(graph, n);
    if (!why.empty()) report.kept_float.push_back({n.name, why});
  }

  // A value stays in int8 between two quantized ops when every reader is one of them, reading
  // it as its input 0, and it is no graph output.
  std::map<Value, int> quantized_reads, all_reads;
  for (const Node& n : graph.nodes()) {
    for (std::size_t i = 0; i < n.inputs.size(); ++i) ++all_reads[n.inputs[i]];
  }
  for (NodeId id : nodes) ++quantized_reads[graph.node(id).inputs[0]];
  for (const Graph::Port& p : graph.outputs()) ++all_reads[p.value];
  auto stays_quantized = [&](Value v) {
    return all_reads[v] > 0 && quantized_reads[v] == all_reads[v];
  };
  auto range_of = [&](Value v, const Node& reader) {
    auto it = ranges.find(v);
    if (it == ranges.end()) {
      throw reader.error(Errc::internal, "no calibrated range for the input of a quantized op")
          .input(graph.value_name(v));
    }
    return it->second;
  };

  std::map<Value, Value> quantized_value;  // float32 value -> its int8/uint8 form
  for (NodeId id : nodes) {
    const Node original = graph.node(id);  // a copy: adding nodes moves the vector
    const Value x = original.inputs[0];
    const ValueQuantization in = range_of(x, original);

    Value q_in = x;
    if (graph.type_of(x).dtype == DType::float32) {
      auto it = quantized_value.find(x);
      if (it == quantized_value.end()) {
        const NodeId q = rewrite_detail::add_node(graph, graph.value_name(x) + "/quantize", "_KilnQuantize",
                                                  {x}, {{"scale", in.scale}, {"out_type", in.type}});
        graph.node(q).outputs = {{in.type, graph.type_of(x).shape}};
        it = quantized_value.emplace(x, Value{q, 0}).first;
        ++report.quantize_nodes;
      }
      q_in = it->second;
    }

    // Weights as [.., channels] with channels last.
    const bool matmul = original.op.find("MatMul") != std::string::npos;
    Tensor w = graph.node(original.inputs[1].node).attr<Tensor>("value");
    if (matmul && original.attr_or<bool>("transpose_b", false)) w = transposed_matrix(w);
    const std::int64_t channels = original.op.find("Depthwise") != std::string::npos
                                      ? w.dim(2) * w.dim(3)
                                      : w.dim(-1);
    QuantizedWeights qw = quantize_weights(w, channels);
    const NodeId weights = rewrite_detail::add_node(
        graph, original.name + "/weights_int8", "Const", {},
        {{"value", qw.values}, {"dtype", DType::int8}});
    graph.node(weights).outputs = {{DType::int8, qw.values.shape()}};

    // The window (convolutions) and the epilogue carry over; the float op's T does not.
    std::vector<std::string> carried = {"fused_ops", "num_args", "epsilon", "leakyrelu_alpha"};
    if (!matmul) {
      carried.insert(carried.end(), {"strides", "padding", "explicit_paddings", "data_format", "dilations"});
    }
    Attrs attrs;
    for (const std::string& key : carried) {
      if (auto it = original.attrs.find(key); it != original.attrs.end()) attrs.emplace(key, it->second);
    }
    attrs["input_scale"] = in.scale;
    attrs["weight_scales"] = qw.scales;
    const Value y{id, 0};
    DType out_type = DType::float32;
    if (stays_quantized(y)) {
      // Every reader is a quantized op, each calibrated on this value: they agree on its range.
      const ValueQuantization out = range_of(y, original);
      out_type = out.type;
      attrs["out_type"] = out.type;
      attrs["output_scale"] = out.scale;
    } else {
      attrs["out_type"] = DType::float32;
    }

    Node& node = graph.node(id);
    node.op = quantized_op_for(original.op);
    node.attrs = std::move(attrs);
    node.inputs[0] = q_in;
    node.inputs[1] = Value{weights, 0};
    node.replaced.push_back(original.name);
    fill_default_attrs(node);
    node.outputs[0].dtype = out_type;
    report.quantized.push_back({original.name, original.op, graph.type_of(q_in).dtype, out_type});
  }
  opt::remove_dead_nodes(graph);  // the float32 weights
  infer_types(graph);
  return report;
}

}  // namespace kiln::quantization
