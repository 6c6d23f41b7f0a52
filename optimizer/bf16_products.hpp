// bf16-products: the convolutions and matrix products that compute in bfloat16 when compile() is
// asked for bf16 (Options::precision), made explicit in the graph the way TensorFlow's automatic
// mixed precision does it: the product's T becomes bfloat16, its constant weights (and bias)
// become bfloat16 constants here, once, and a Cast node converts where a float32 value meets a
// bfloat16 product. A value that goes from one bf16 product straight into others (a ResNet
// block's convolutions, a residual added in place) stays bfloat16 in the arena: half the bytes
// to write and read, and no conversion at all. A fused product whose output something else
// reads writes float32 itself (Kiln's attribute `_float32_output`: the kernel converts as it
// writes); other bfloat16 outputs get a Cast back to float32.
//
// Not part of any level: compile() appends it to the pipeline of every plan when the options
// ask for bf16 (the backend must have bf16 kernels: BackendDef::lacks_precision), after fusion,
// so a product takes its whole epilogue along. The products are convolutions (depthwise too:
// memory-bound, they gain from reading and writing half the bytes once their neighbours are
// bfloat16 as well) and matrix products. One stays float32 (listed with the reason in the
// pass's notes) when:
//   - its weights are computed at run time (attention's products of two activations);
//   - it is a convolution with fewer than 16 input channels per group (an image's first
//     convolution: 3 channels fill a fraction of an AMX tile, and bf16 ran slower than f32);
//   - its epilogue has a ScaleShift (per-channel float32 vectors the kernel reads as such).
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace bf16_detail {

constexpr std::int64_t kMinInputChannels = 16;

inline bool is_product(const std::string& op) {
  return op == "Conv2D" || op == "_FusedConv2D" || op == "MatMul" || op == "_FusedMatMul" ||
         op == "BatchMatMulV2" || op == "_FusedBatchMatMulV2" || op == "DepthwiseConv2dNative" ||
         op == "_FusedDepthwiseConv2dNative";
}

// Why the product `node` stays float32, or "" when it can compute in bfloat16.
inline std::string why_float32(const Graph& graph, const Node& node) {
  if (node.attr_or<DType>("T", DType::float32) != DType::float32) return "not float32";
  if (node.inputs.size() < 2 || graph.node(node.inputs[1].node).op != "Const") {
    return "weights computed at run time";
  }
  if (node.op.find("Conv2D") != std::string::npos && node.op.find("Depthwise") == std::string::npos) {
    const Shape& filter = graph.type_of(node.inputs[1]).shape;  // [kh, kw, in / groups, out]
    if (filter.rank() == 4 && filter.dim(2) < kMinInputChannels) {
      return "fewer than " + std::to_string(kMinInputChannels) + " input channels";
    }
  }
  for (const std::string& step : node.attr_or<Strings>("fused_ops", {})) {
    if (step == "ScaleShift") return "ScaleShift epilogue";
  }
  return "";
}

inline Tensor to_bfloat16(const Tensor& value) {
  Tensor out(DType::bfloat16, value.shape());
  const float* from = value.data<float>();
  bfloat16* to = out.data<bfloat16>();
  for (std::int64_t i = 0; i < value.num_elements(); ++i) to[i] = bfloat16(from[i]);
  return out;
}

inline NodeId add_cast(Graph& graph, Value value, DType from, DType to) {
  Node cast;
  cast.name = unique_name(graph, graph.value_name(value) + (to == DType::bfloat16 ? "/to_bf16" : "/to_f32"));
  cast.op = "Cast";
  cast.inputs = {value};
  cast.attrs = {{"SrcT", from}, {"DstT", to}, {"Truncate", false}};
  cast.outputs = {{to, graph.type_of(value).shape}};
  return graph.add(std::move(cast));
}

}  // namespace bf16_detail

inline PassResult bf16_products(Graph& graph, PassContext&) {
  using namespace bf16_detail;
  PassResult result;
  std::set<NodeId> products;
  for (NodeId id : graph.topological_order()) {
    const Node& node = graph.node(id);
    if (!is_product(node.op)) continue;
    const std::string why = why_float32(graph, node);
    if (why.empty()) {
      products.insert(id);
    } else {
      result.note("float32: " + node.name + " (" + why + ")");
    }
  }
  if (products.empty()) return result;
  const UseMap uses(graph);  // the readers before any Cast is added; node ids stay

  // Outputs: a product whose readers are all bfloat16 products writes bfloat16. Otherwise a
  // fused one writes float32 straight away (`_float32_output`: oneDNN converts as it writes, so
  // no Cast), unless a residual is added in place, which must have the output's dtype.
  std::set<NodeId> float32_out;
  for (NodeId id : products) {
    const Value y{id, 0};
    bool all_bf16 = !uses.is_graph_output(y);
    for (const Use& use : uses.users(y)) all_bf16 = all_bf16 && products.count(use.user);
    const Node& node = graph.node(id);
    const Strings steps = node.attr_or<Strings>("fused_ops", {});
    const bool residual = std::find(steps.begin(), steps.end(), "Add") != steps.end();
    if (!all_bf16 && node.op.rfind("_Fused", 0) == 0 && !residual) float32_out.insert(id);
  }

  // Inputs: a bfloat16 output is read as it is; a constant gets a bfloat16 twin, any other
  // float32 value one Cast, each shared by all the products that read it.
  std::map<Value, Value> in_bf16;
  std::int64_t converted_bytes = 0;
  auto bf16_form = [&](Value v) -> Value {
    if (products.count(v.node) && !float32_out.count(v.node)) return v;
    auto it = in_bf16.find(v);
    if (it != in_bf16.end()) return it->second;
    const Node& producer = graph.node(v.node);
    NodeId made = -1;
    if (producer.op == "Const") {
      Tensor converted = to_bfloat16(producer.attr<Tensor>("value"));
      converted_bytes += static_cast<std::int64_t>(converted.byte_size());
      made = graph.add(constant_node(unique_name(graph, producer.name + "/bf16"), std::move(converted)));
    } else {
      made = add_cast(graph, v, DType::float32, DType::bfloat16);
      result.count("casts to bf16");
    }
    return in_bf16.emplace(v, Value{made, 0}).first->second;
  };
  for (NodeId id : products) {
    std::vector<Value> inputs = graph.node(id).inputs;  // a copy: adding nodes moves the vector
    for (Value& v : inputs) v = bf16_form(v);
    Node& node = graph.node(id);
    node.inputs = std::move(inputs);
    node.attrs["T"] = DType::bfloat16;
    if (float32_out.count(id)) {
      node.attrs["_float32_output"] = true;
    } else {
      node.outputs[0].dtype = DType::bfloat16;
    }
    result.count("products in bf16");
  }
  result.count("of them writing float32", static_cast<std::int64_t>(float32_out.size()));
  result.bytes("weights in bf16", converted_bytes);

  // A bfloat16 output that something else reads too (or that the graph returns): one Cast.
  for (NodeId id : products) {
    const Value y{id, 0};
    if (float32_out.count(id)) continue;
    std::vector<Use> others;
    for (const Use& use : uses.users(y)) {
      if (!products.count(use.user)) others.push_back(use);
    }
    if (others.empty() && !uses.is_graph_output(y)) continue;
    const Value f32{add_cast(graph, y, DType::bfloat16, DType::float32), 0};
    result.count("casts to f32");
    for (const Use& use : others) graph.node(use.user).inputs[static_cast<std::size_t>(use.slot)] = f32;
    for (Graph::Port& p : graph.outputs()) {
      if (p.value == y) p.value = f32;
    }
  }
  remove_dead_nodes(graph);  // float32 weights no float32 op reads any more
  result.changed = true;
  return result;
}

inline Pass bf16_products_pass() {
  return {"bf16-products",
          "convolutions and products with constant weights compute in bfloat16, with Casts at "
          "the edges (Options::precision bf16; not in any level)",
          bf16_products};
}

}  // namespace kiln::opt
