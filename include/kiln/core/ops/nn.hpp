// Neural-network ops: catalogue entries with TensorFlow's attributes, its default values (TF2
// exports strip attributes equal to their default) and shape functions. One header per family
// under nn/; the reference kernels reuse each family's geometry functions.
#pragma once

#include "nn/conv.hpp"
#include "nn/conv3d.hpp"
#include "nn/conv_backprop.hpp"
#include "nn/crop_and_resize.hpp"
#include "nn/einsum.hpp"
#include "nn/fake_quant.hpp"
#include "nn/lrn.hpp"
#include "nn/matmul.hpp"
#include "nn/normalization.hpp"
#include "nn/patches.hpp"
#include "nn/pool.hpp"
#include "nn/pool3d.hpp"
#include "nn/resize.hpp"
#include "nn/scale_and_translate.hpp"
#include "nn/softmax.hpp"

namespace kiln::ops {

inline void register_nn_ops(OpCatalogue& catalogue) {
  nn::register_conv_ops(catalogue);
  nn::register_pool_ops(catalogue);
  nn::register_normalization_ops(catalogue);
  nn::register_matmul_ops(catalogue);
  nn::register_einsum_ops(catalogue);
  nn::register_softmax_ops(catalogue);
  nn::register_conv3d_ops(catalogue);
  nn::register_conv_backprop_ops(catalogue);
  nn::register_pool3d_ops(catalogue);
  nn::register_lrn_ops(catalogue);
  nn::register_resize_ops(catalogue);
  nn::register_crop_and_resize_ops(catalogue);
  nn::register_scale_and_translate_ops(catalogue);
  nn::register_patches_ops(catalogue);
  nn::register_fake_quant_ops(catalogue);
}

}  // namespace kiln::ops
