// absorb-pool-pad: a zero Pad before a VALID MaxPool becomes the pool's explicit padding when
// the padded values are never negative (ResNet's pool1_pad after a ReLU): MaxPool pads with
// -infinity, zeros lose to any real value >= 0, and every window keeps at least one real value
// because the pool refuses padding as large as its window. The padded copy is never made.
//
// It runs after fuse-epilogue, which is what puts the ReLU into the convolution before the Pad.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace pool_pad_detail {

// True when every element of `v` is >= 0 (or NaN): the output of an activation that cannot
// be negative, possibly as the last step of a fused node, possibly through a view.
inline bool non_negative(const Graph& graph, Value v) {
  auto non_negative_op = [](const std::string& op) {
    return op == "Relu" || op == "Relu6" || op == "Sigmoid";
  };
  for (int depth = 0; depth < 8; ++depth) {
    const Node& n = graph.node(v.node);
    if (non_negative_op(n.op)) return true;
    if (n.op.rfind("_Fused", 0) == 0) {
      const Strings steps = n.attr_or<Strings>("fused_ops", Strings{});
      return !steps.empty() && non_negative_op(steps.back());
    }
    if (n.op != "Identity" && n.op != "Reshape") return false;
    v = n.inputs.at(0);
  }
  return false;
}

}  // namespace pool_pad_detail

inline PassResult absorb_pool_pad(Graph& graph, PassContext&) {
  using pool_pad_detail::non_negative;
  PassResult result;
  result.count("pads absorbed", 0);
  std::map<NodeId, NodeId> fused_into;  // the Pad -> the pool that absorbed it
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
    const std::vector<NodeId> members = {padded.node, id};
    merge_provenance(graph, members, rewritten);
    install_fused(graph, members, id, std::move(rewritten), fused_into);
    result.count("pads absorbed");
    result.changed = true;
  }
  if (result.changed && !remove_absorbed(graph, fused_into)) {
    result.note("type inference failed after fusion; recorded types were kept");
  }
  return result;
}

inline Pass absorb_pool_pad_pass() {
  return {"absorb-pool-pad",
          "turn a zero Pad before a MaxPool of non-negative values into the pool's padding",
          absorb_pool_pad};
}

}  // namespace kiln::opt
