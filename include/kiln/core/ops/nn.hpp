// (being written) nn ops: catalogue entries with TensorFlow's defaults and shape functions.
#pragma once

#include "../shape_functions.hpp"

namespace kiln::ops {

inline void register_nn_ops(OpCatalogue&) {}

}  // namespace kiln::ops
