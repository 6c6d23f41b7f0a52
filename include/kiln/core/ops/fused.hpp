// (being written) fused ops that the optimizer creates: catalogue entries and shape functions.
#pragma once

#include "../shape_functions.hpp"

namespace kiln::ops {

inline void register_fused_ops(OpCatalogue&) {}

}  // namespace kiln::ops
