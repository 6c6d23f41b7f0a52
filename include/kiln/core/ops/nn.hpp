// Neural-network ops: catalogue entries with TensorFlow's attributes, its default values (TF2
// exports strip attributes equal to their default) and shape functions. One header per family
// under nn/; the reference kernels reuse each family's geometry functions.
#pragma once

#include "nn/conv.hpp"
#include "nn/einsum.hpp"
#include "nn/matmul.hpp"
#include "nn/normalization.hpp"
#include "nn/pool.hpp"
#include "nn/softmax.hpp"

namespace kiln::ops {

inline void register_nn_ops(OpCatalogue& catalogue) {
  nn::register_conv_ops(catalogue);
  nn::register_pool_ops(catalogue);
  nn::register_normalization_ops(catalogue);
  nn::register_matmul_ops(catalogue);
  nn::register_einsum_ops(catalogue);
  nn::register_softmax_ops(catalogue);
}

}  // namespace kiln::ops
