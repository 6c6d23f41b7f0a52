// The `cpu` backend: its kernel table (which op each oneDNN, Eigen or Kiln-loop kernel serves)
// and its BackendDef. Ops not listed, and requests a kernel declines (another dtype, a layout or
// shape it does not cover), run on the reference kernels; make_kernel() in <kiln/backend.hpp>
// makes that choice and records it. A program has this backend when it links kiln::onednn,
// which compiles register_backend.cpp into it.
#pragma once

#include <kiln/kernels/backend_def.hpp>
#include <map>
#include <string>

#include "array.hpp"
#include "conv.hpp"
#include "conv_transpose.hpp"
#include "eigen_unary.hpp"
#include "einsum.hpp"
#include "elementwise.hpp"
#include "matmul.hpp"
#include "normalization.hpp"
#include "pool.hpp"
#include "quantized.hpp"
#include "recurrent.hpp"
#include "scalar.hpp"
#include "select.hpp"
#include "softmax.hpp"

namespace kiln::cpu_kernels {

// Float32 arithmetic on oneDNN; integer scalars (a loop's counters) on the scalar kernel.
inline KernelPtr make_arithmetic_kernel(const KernelRequest& request) {
  if (request.inputs[0].dtype != DType::float32 && request.inputs[0].shape.rank() == 0) {
    return make_scalar_kernel(request);
  }
  return make_binary_kernel(request);
}

inline const KernelFactoryTable& kernel_table() {
  static const KernelFactoryTable table = [] {
    KernelFactoryTable t;
    for (const char* op :
         {"Conv2D", "DepthwiseConv2dNative", "_FusedConv2D", "_FusedDepthwiseConv2dNative"}) {
      t[op] = make_conv_kernel;
    }
    t["Conv2DBackpropInput"] = make_conv_transpose_kernel;
    t["Conv3DBackpropInputV2"] = make_conv_transpose_kernel;
    for (const char* op :
         {"MatMul", "_FusedMatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
          "_FusedBatchMatMulV2"}) {
      t[op] = make_matmul_kernel;
    }
    for (const char* op : {"_KilnQuantizedConv2D", "_KilnQuantizedDepthwiseConv2dNative",
                           "_KilnQuantizedMatMul"}) {
      t[op] = make_quantized_product_kernel;
    }
    t["_KilnQuantize"] = make_quantize_reorder_kernel;
    t["_KilnDequantize"] = make_quantize_reorder_kernel;
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
    for (const char* op : {"Add", "AddV2", "Sub", "Mul"}) t[op] = make_arithmetic_kernel;
    for (const char* op : {"Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual",
                           "LogicalAnd", "LogicalOr"}) {
      t[op] = make_scalar_kernel;
    }
    t["Cast"] = make_cast_kernel;
    t["Softmax"] = make_softmax_kernel;
    t["LogSoftmax"] = make_softmax_kernel;
    for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
      t[op] = make_batch_norm_kernel;
    }
    t["_FusedLayerNorm"] = make_layer_norm_kernel;
    t["_FusedLSTMGates"] = make_lstm_gates_kernel;
    t["_FusedLSTMSequence"] = make_lstm_sequence_kernel;
    t["GatherV2"] = make_gather_kernel;
    t["TensorScatterUpdate"] = make_scatter_rows_kernel;
    t["ConcatV2"] = make_concat_kernel;
    t["Transpose"] = make_transpose_kernel;
    t["Pad"] = make_pad_kernel;
    t["PadV2"] = make_pad_kernel;
    t["Select"] = make_select_kernel;
    t["SelectV2"] = make_select_kernel;
    return t;
  }();
  return table;
}

// bf16 products need oneDNN's AVX512_BF16 or AMX kernels: without them oneDNN either has none
// or emulates bfloat16 more slowly than float32 runs.
inline std::string lacks_precision(Precision precision) {
  if (precision != Precision::bf16) return "";
  using isa = dnnl::cpu_isa;
  const isa found = dnnl::get_effective_cpu_isa();
  if (found == isa::avx512_core_bf16 || found == isa::avx512_core_amx) return "";
  return "the cpu backend computes in bf16 only on CPUs with AVX512_BF16 or AMX, and oneDNN "
         "finds neither here";
}

inline BackendDef backend_def() {
  BackendDef def;
  def.name = "cpu";
  def.description = "oneDNN and Eigen kernels where they pay, the reference kernels elsewhere";
  def.kernels = kernel_table;
  def.reference_fallback = true;
  def.preference = 1;  // preferred to `reference`
  def.threads = openmp_threads();
  def.finish = [] { thread_stream().wait(); };
  def.lacks_precision = lacks_precision;
  return def;
}

}  // namespace kiln::cpu_kernels
