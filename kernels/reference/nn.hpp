// Reference kernels for the nn ops (catalogue entries in core/ops/nn.hpp), one header per
// family. They are plain loops that define what each op computes; faster backends must agree
// with them.
#pragma once

#include "conv.hpp"
#include "einsum.hpp"
#include "kernel.hpp"
#include "matmul.hpp"
#include "normalization.hpp"
#include "pool.hpp"
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
}

}  // namespace kiln::reference
