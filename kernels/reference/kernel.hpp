// The shape of a reference kernel. Kernels get every input and outputs that are already
// allocated with the shapes type inference computed, so they only compute: validation lives in
// the op's shape function, allocation in the caller.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <kiln/core/graph.hpp>
#include <kiln/core/op_def.hpp>

namespace kiln::reference {

using Kernel = void (*)(const Node& node, const std::vector<Tensor>& inputs,
                        std::vector<Tensor>& outputs);

using KernelTable = std::map<std::string, Kernel, std::less<>>;

// The context a shape function gets when every input is known: kernels rebuild the plans that
// inference made (slice ranges, axes, convolution geometry) from it, so the two always agree.
inline InferContext known_context(const Node& node, const std::vector<Tensor>& inputs) {
  std::vector<TensorType> types;
  std::vector<const Tensor*> values;
  for (const Tensor& t : inputs) {
    types.push_back({t.dtype(), t.shape()});
    values.push_back(&t);
  }
  return InferContext(node, std::move(types), std::move(values));
}

}  // namespace kiln::reference
