// The shape of a reference kernel. Kernels get every input and outputs that are already
// allocated with the shapes type inference computed, so they only compute: validation lives in
// the op's shape function, allocation in the caller.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <kiln/core/graph.hpp>

namespace kiln::reference {

using Kernel = void (*)(const Node& node, const std::vector<Tensor>& inputs,
                        std::vector<Tensor>& outputs);

using KernelTable = std::map<std::string, Kernel, std::less<>>;

}  // namespace kiln::reference
