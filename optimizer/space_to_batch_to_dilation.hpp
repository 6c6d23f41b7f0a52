// space-to-batch-to-dilation: TensorFlow's old spelling of a dilated (atrous) convolution, as
// tf.nn.atrous_conv2d, tf.nn.convolution and Keras's dilated Conv1D export it,
//
//   SpaceToBatchND(x, block, pads) -> [ExpandDims] -> Conv2D or DepthwiseConv2dNative
//                                  -> [Squeeze] -> BatchToSpaceND(block, crops)
//
// becomes one convolution with dilations `block` and explicit padding pads - crops. It is exact:
// SpaceToBatchND splits the padded input into block phases, the VALID stride-1 convolution of
// phase r at position j reads padded x at (j + t) * block + r for tap t, and BatchToSpaceND puts
// that result at o = j * block + r, so output o reads padded x at o + t * block: the dilated
// VALID convolution of the padded input. Cropping the first c outputs of a stride-1 convolution
// is padding c less in front, and the same at the end. (The 1-D form goes through
// ExpandDims/Squeeze around a 2-D convolution, its one spatial axis being the width.)
//
// Preconditions, else the nodes stay (and run as they are): block, pads and crops constant,
// the two block shapes equal, pads >= crops on every side, the convolution NHWC, VALID, stride
// 1 and undilated, and every node between the two only read by the next.
#pragma once

#include <optional>
#include <set>
#include <vector>

#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace dilation_detail {

// The chain between BatchToSpaceND and SpaceToBatchND, read backwards from the former.
struct AtrousChain {
  NodeId space_to_batch = -1, expand = -1, conv = -1, squeeze = -1, batch_to_space = -1;
};

// The node producing `v`, if it has op `op` and nothing but `user` reads `v`.
inline std::optional<NodeId> sole_producer(const Graph& graph, const UseMap& uses, Value v,
                                           NodeId user, const char* op) {
  if (graph.node(v.node).op != op || !uses.only_used_by(v, user)) return std::nullopt;
  return v.node;
}

inline std::optional<AtrousChain> match_chain(const Graph& graph, const UseMap& uses, NodeId b2s) {
  AtrousChain chain;
  chain.batch_to_space = b2s;
  NodeId next = b2s;
  Value v = graph.node(b2s).inputs.at(0);
  if (auto squeeze = sole_producer(graph, uses, v, next, "Squeeze")) {
    chain.squeeze = next = *squeeze;
    v = graph.node(next).inputs.at(0);
  }
  const Node& conv = graph.node(v.node);
  if ((conv.op != "Conv2D" && conv.op != "DepthwiseConv2dNative") ||
      !uses.only_used_by(v, next)) {
    return std::nullopt;
  }
  chain.conv = next = v.node;
  v = conv.inputs.at(0);
  if (auto expand = sole_producer(graph, uses, v, next, "ExpandDims")) {
    chain.expand = next = *expand;
    v = graph.node(next).inputs.at(0);
  }
  auto s2b = sole_producer(graph, uses, v, next, "SpaceToBatchND");
  if (!s2b || (chain.expand < 0) != (chain.squeeze < 0)) return std::nullopt;
  chain.space_to_batch = *s2b;
  return chain;
}

inline std::optional<std::vector<std::int64_t>> constant_ints(const Graph& graph, Value v) {
  const Tensor* t = constant_value(graph, v);
  if (!t || (t->dtype() != DType::int32 && t->dtype() != DType::int64)) return std::nullopt;
  return t->to_int64_vector();
}

// True when the convolution is the plain one the pattern needs: NHWC, VALID, stride 1, no
// dilation.
inline bool plain_convolution(const Node& conv) {
  const Ints ones{1, 1, 1, 1};
  return conv.attr_or<std::string>("padding", "") == "VALID" &&
         conv.attr_or<std::string>("data_format", "NHWC") == "NHWC" &&
         conv.attr_or<Ints>("strides", Ints{}) == ones &&
         conv.attr_or<Ints>("dilations", ones) == ones;
}

// The ExpandDims/Squeeze pair must add and remove the height axis (1) of a 1-D input [N, W, C],
// so that the width stays the one spatial axis.
inline bool height_axis_pair(const Graph& graph, const AtrousChain& chain) {
  const auto axis = constant_ints(graph, graph.node(chain.expand).inputs.at(1));
  const Ints dims = graph.node(chain.squeeze).attr_or<Ints>("squeeze_dims", Ints{});
  const bool expands_height = axis && axis->size() == 1 && ((*axis)[0] == 1 || (*axis)[0] == -3);
  const bool squeezes_height = dims.size() == 1 && (dims[0] == 1 || dims[0] == -3);
  return expands_height && squeezes_height;
}

// Dilations and explicit paddings (NHWC) for the chain, or nothing if it does not qualify.
struct Dilation {
  Ints dilations;
  Ints explicit_paddings;
};

inline std::optional<Dilation> dilation_of(const Graph& graph, const AtrousChain& chain) {
  const Node& s2b = graph.node(chain.space_to_batch);
  const Node& b2s = graph.node(chain.batch_to_space);
  const auto block = constant_ints(graph, s2b.inputs.at(1));
  const auto pads = constant_ints(graph, s2b.inputs.at(2));
  const auto block_back = constant_ints(graph, b2s.inputs.at(1));
  const auto crops = constant_ints(graph, b2s.inputs.at(2));
  if (!block || !pads || !block_back || !crops || *block != *block_back) return std::nullopt;
  const std::size_t spatial = block->size();
  const bool one_d = chain.expand >= 0;
  if (spatial != (one_d ? 1u : 2u) || pads->size() != 2 * spatial || crops->size() != 2 * spatial) {
    return std::nullopt;
  }
  if (!plain_convolution(graph.node(chain.conv))) return std::nullopt;
  if (one_d && !height_axis_pair(graph, chain)) return std::nullopt;
  Dilation d{{1, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 0, 0}};
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::size_t axis = one_d ? 2 : 1 + i;  // NHWC position of this spatial axis
    const std::int64_t before = (*pads)[2 * i] - (*crops)[2 * i];
    const std::int64_t after = (*pads)[2 * i + 1] - (*crops)[2 * i + 1];
    if ((*block)[i] < 1 || before < 0 || after < 0) return std::nullopt;
    d.dilations[axis] = (*block)[i];
    d.explicit_paddings[2 * axis] = before;
    d.explicit_paddings[2 * axis + 1] = after;
  }
  return d;
}

}  // namespace dilation_detail

inline PassResult space_to_batch_to_dilation(Graph& graph, PassContext&) {
  using namespace dilation_detail;
  PassResult result;
  result.count("convolutions dilated", 0);
  std::vector<std::pair<AtrousChain, Dilation>> found;
  {
    const UseMap uses(graph);
    for (std::size_t i = 0; i < graph.size(); ++i) {
      if (graph.node(static_cast<NodeId>(i)).op != "BatchToSpaceND") continue;
      const auto chain = match_chain(graph, uses, static_cast<NodeId>(i));
      if (!chain) continue;
      if (auto d = dilation_of(graph, *chain)) found.emplace_back(*chain, *d);
    }
  }
  std::set<NodeId> removed;
  for (const auto& [chain, d] : found) {
    const Value x = graph.node(chain.space_to_batch).inputs.at(0);
    Node conv = graph.node(chain.conv);
    if (chain.expand >= 0) {
      graph.node(chain.expand).inputs[0] = x;
    } else {
      conv.inputs[0] = x;
    }
    conv.attrs["padding"] = std::string("EXPLICIT");
    conv.attrs["explicit_paddings"] = d.explicit_paddings;
    conv.attrs["dilations"] = d.dilations;
    merge_provenance(graph, {chain.space_to_batch, chain.conv, chain.batch_to_space}, conv);
    graph.node(chain.conv) = std::move(conv);
    const NodeId last = chain.squeeze >= 0 ? chain.squeeze : chain.conv;
    graph.replace_uses({chain.batch_to_space, 0}, {last, 0});
    removed.insert(chain.space_to_batch);
    removed.insert(chain.batch_to_space);
    result.count("convolutions dilated");
    result.changed = true;
  }
  if (!result.changed) return result;
  for (NodeId id : removed) graph.node(id).inputs.clear();
  remove_nodes(graph, removed);
  if (!refresh_types(graph)) result.note("type inference failed after the rewrite; recorded types were kept");
  return result;
}

inline Pass space_to_batch_to_dilation_pass() {
  return {"space-to-batch-to-dilation",
          "turn SpaceToBatchND -> convolution -> BatchToSpaceND into one dilated convolution",
          space_to_batch_to_dilation};
}

}  // namespace kiln::opt
