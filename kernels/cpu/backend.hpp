// The `cpu` backend's kernel table: which op each oneDNN (or Eigen, or Kiln loop) kernel serves.
// Ops not listed, and requests a kernel declines (another dtype, a layout or shape it does not
// cover), run on the reference kernels; include/kiln/backend.hpp makes that choice and records it.
#pragma once

#include <map>
#include <string>

#include "array.hpp"
#include "conv.hpp"
#include "eigen_unary.hpp"
#include "einsum.hpp"
#include "elementwise.hpp"
#include "matmul.hpp"
#include "normalization.hpp"
#include "pool.hpp"
#include "softmax.hpp"

namespace kiln::cpu_kernels {

using FactoryTable = std::map<std::string, KernelFactory, std::less<>>;

inline const FactoryTable& kernel_table() {
  static const FactoryTable table = [] {
    FactoryTable t;
    for (const char* op :
         {"Conv2D", "DepthwiseConv2dNative", "_FusedConv2D", "_FusedDepthwiseConv2dNative"}) {
      t[op] = make_conv_kernel;
    }
    for (const char* op :
         {"MatMul", "_FusedMatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
          "_FusedBatchMatMulV2"}) {
      t[op] = make_matmul_kernel;
    }
    t["Einsum"] = make_einsum_kernel;
    t["MaxPool"] = make_pool_kernel;
    t["AvgPool"] = make_pool_kernel;
    for (const char* op : {"Mean", "Sum", "Max", "Min"}) t[op] = make_reduce_kernel;
    // Every op fusable as an epilogue activation runs as that activation (cpu/epilogue.hpp).
    for (const std::string& op : ops_where([](const OpDef& d) { return !d.epilogue.empty(); })) {
      t[op] = make_eltwise_kernel;
    }
    for (const char* op : {"Exp", "Log", "Sqrt", "Square", "Abs", "Neg"}) {
      t[op] = make_eltwise_kernel;
    }
    for (const char* op : {"Erf", "Erfc", "Rsqrt", "Reciprocal", "Inv", "Log1p"}) {
      t[op] = make_eigen_unary_kernel;
    }
    for (const char* op : {"Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "BiasAdd",
                           "BiasAddV1", "SquaredDifference"}) {
      t[op] = make_binary_kernel;
    }
    t["Softmax"] = make_softmax_kernel;
    t["LogSoftmax"] = make_softmax_kernel;
    for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
      t[op] = make_batch_norm_kernel;
    }
    t["_FusedLayerNorm"] = make_layer_norm_kernel;
    t["GatherV2"] = make_gather_kernel;
    t["ConcatV2"] = make_concat_kernel;
    t["Transpose"] = make_transpose_kernel;
    t["Pad"] = make_pad_kernel;
    t["PadV2"] = make_pad_kernel;
    return t;
  }();
  return table;
}

}  // namespace kiln::cpu_kernels
