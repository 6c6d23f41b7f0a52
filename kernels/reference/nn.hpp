// Reference kernels for the nn ops (catalogue entries in core/ops/nn.hpp), one header per
// family. They are plain loops that define what each op computes; faster backends must agree
// with them.
#pragma once

#include "conv.hpp"
#include "conv_volume.hpp"
#include "crop_and_resize.hpp"
#include "einsum.hpp"
#include "fake_quant.hpp"
#include "kernel.hpp"
#include "lrn.hpp"
#include "matmul.hpp"
#include "normalization.hpp"
#include "patches.hpp"
#include "pool.hpp"
#include "pool_volume.hpp"
#include "resize.hpp"
#include "scale_and_translate.hpp"
#include "softmax.hpp"

namespace kiln::reference {

inline void register_nn_kernels(KernelTable& table) {
  table["Conv2D"] = nn::conv2d_kernel;
  table["DepthwiseConv2dNative"] = nn::depthwise_conv2d_kernel;
  table["MaxPool"] = nn::max_pool_kernel;
  table["AvgPool"] = nn::avg_pool_kernel;
  table["BiasAdd"] = nn::bias_add_kernel;
  table["BiasAddV1"] = nn::bias_add_kernel;
  for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
    table[op] = nn::fused_batch_norm_kernel;
  }
  table["MatMul"] = nn::matmul_kernel;
  for (const char* op : {"BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"}) {
    table[op] = nn::batch_matmul_kernel;
  }
  table["Einsum"] = nn::einsum_kernel;
  table["Softmax"] = nn::softmax_kernel;
  table["LogSoftmax"] = nn::softmax_kernel;
  table["Conv3D"] = nn::conv3d_kernel;
  table["Conv2DBackpropInput"] = nn::conv2d_backprop_input_kernel;
  table["Conv3DBackpropInputV2"] = nn::conv3d_backprop_input_kernel;
  table["MaxPool3D"] = nn::max_pool3d_kernel;
  table["AvgPool3D"] = nn::avg_pool3d_kernel;
  table["MaxPoolV2"] = nn::max_pool_v2_kernel;
  table["LRN"] = nn::lrn_kernel;
  table["ResizeBilinear"] = nn::resize_bilinear_kernel;
  table["ResizeNearestNeighbor"] = nn::resize_nearest_neighbor_kernel;
  table["ResizeBicubic"] = nn::resize_bicubic_kernel;
  table["ResizeArea"] = nn::resize_area_kernel;
  table["CropAndResize"] = nn::crop_and_resize_kernel;
  table["ScaleAndTranslate"] = nn::scale_and_translate_kernel;
  table["ExtractImagePatches"] = nn::extract_image_patches_kernel;
  table["FakeQuantWithMinMaxArgs"] = nn::fake_quant_args_kernel;
  table["FakeQuantWithMinMaxVars"] = nn::fake_quant_vars_kernel;
}

}  // namespace kiln::reference
