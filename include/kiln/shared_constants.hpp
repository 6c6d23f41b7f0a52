// The plans of one model share their constants. A model gets a plan for each combination of
// input shapes it meets (session.hpp), and each plan is optimized from the imported graph anew:
// folding ResNet50's BatchNorms into its convolutions makes the same 98 MiB of weights again for
// batch 8 as for batch 1. Before a new plan prepares its kernels, each of its constants that is
// equal, byte for byte, to one a cached plan holds is replaced by that one; the plans then hold
// one copy, and so do the kernels' reordered weights, which are shared by the bytes they came
// from (kernels/cpu/onednn.hpp).
#pragma once

#include <unordered_map>
#include <vector>

#include "core/fingerprint.hpp"
#include "core/graph.hpp"

namespace kiln {

// Small constants (shapes, axes, scalars) are not worth a lookup.
inline constexpr std::size_t kSmallestSharedConstant = 1024;  // bytes

// Points every large Const of `graph` (outside regions) at an equal tensor of `others`, where
// there is one. Returns how many bytes of `graph`'s constants are now shared.
inline std::size_t share_constants(Graph& graph, const std::vector<const Graph*>& others) {
  auto worth_sharing = [](const Node& node) {
    if (node.op != "Const") return false;
    const Tensor& value = node.attr<Tensor>("value");
    return value.dtype() != DType::variant && value.byte_size() >= kSmallestSharedConstant;
  };
  std::unordered_multimap<std::uint64_t, const Tensor*> held;
  for (const Graph* other : others) {
    for (const Node& node : other->nodes()) {
      if (!worth_sharing(node)) continue;
      const Tensor& value = node.attr<Tensor>("value");
      held.emplace(sampled_fingerprint(value), &value);
    }
  }
  std::size_t shared = 0;
  if (held.empty()) return shared;
  for (NodeId id = 0; id < static_cast<NodeId>(graph.size()); ++id) {
    Node& node = graph.node(id);
    if (!worth_sharing(node)) continue;
    Tensor& value = std::get<Tensor>(node.attrs.at("value"));
    auto range = held.equal_range(sampled_fingerprint(value));
    for (auto it = range.first; it != range.second; ++it) {
      if (same_contents(*it->second, value)) {
        value = *it->second;  // the same storage, shared
        shared += value.byte_size();
        break;
      }
    }
  }
  return shared;
}

}  // namespace kiln
