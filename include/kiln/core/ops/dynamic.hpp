// Ops whose output shape depends on the values of their inputs, not only on their shapes: Where,
// Unique, the non-max suppressions, DynamicPartition and DynamicStitch, segment reductions,
// sparse-tensor ops and CTC greedy decoding. Catalogue entries with TensorFlow's attribute names
// and defaults; shape functions in dynamic/*.hpp.
//
// Type inference gives such an output "?" where the values decide, and the exact shape once
// they are known. A compiled plan runs the nodes whose shapes are still unknown after inference
// with concrete input shapes as dynamic steps (plan.hpp).
#pragma once

#include "dynamic/ctc.hpp"
#include "dynamic/non_max_suppression.hpp"
#include "dynamic/partition.hpp"
#include "dynamic/segments.hpp"
#include "dynamic/selection.hpp"
#include "dynamic/sparse.hpp"

namespace kiln::ops {

inline void register_dynamic_ops(OpCatalogue& c) {
  using namespace dynamic;
  const AttrDef T{"T", {}};
  const AttrDef N{"N", {}};
  const AttrDef T_float{"T", DType::float32};
  const AttrDef T_threshold{"T_threshold", DType::float32};
  const AttrDef pad{"pad_to_max_output_size", false};

  c.add(op("Where").inputs(1).attrs({{"T", DType::boolean}}).input_types({"T"})
            .infer(infer_where));
  c.add(op("Unique").inputs(1).attrs({T, {"out_idx", DType::int32}}).input_types({"T"})
            .infer(infer_unique));

  // Non-max suppression: boxes, scores, max_output_size (int32), then the thresholds, whose type
  // is T_threshold up to V4 and T in V5.
  c.add(op("NonMaxSuppressionV2").inputs(4).attrs({T_float, T_threshold})
            .input_types({"T", "T", "", "T_threshold"}).infer(infer_non_max_suppression));
  c.add(op("NonMaxSuppressionV3").inputs(5).attrs({T_float, T_threshold})
            .input_types({"T", "T", "", "T_threshold", "T_threshold"})
            .infer(infer_non_max_suppression));
  c.add(op("NonMaxSuppressionV4").inputs(5).attrs({T_float, T_threshold, pad})
            .input_types({"T", "T", "", "T_threshold", "T_threshold"})
            .infer(infer_non_max_suppression));
  c.add(op("NonMaxSuppressionV5").inputs(6).attrs({T_float, pad})
            .input_types({"T", "T", "", "T", "T", "T"}).infer(infer_non_max_suppression));

  // Partitions. DynamicStitch's N indices come before its N data tensors, so its shape function
  // checks their dtypes.
  c.add(op("DynamicPartition").inputs(2).attrs({{"num_partitions", {}}, T})
            .input_types({"T", ""}).infer(infer_dynamic_partition));
  for (const char* name : {"DynamicStitch", "ParallelDynamicStitch"}) {
    c.add(op(name).variadic_inputs(2).attrs({N, T}).infer(infer_dynamic_stitch));
  }

  // Segment reductions.
  for (const char* name : {"SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd"}) {
    c.add(op(name).inputs(2).attrs({T, {"Tindices", {}}}).input_types({"T", "Tindices"})
              .infer(infer_segment_reduction));
  }
  for (const char* name : {"UnsortedSegmentSum", "UnsortedSegmentMax", "UnsortedSegmentMin",
                           "UnsortedSegmentProd"}) {
    c.add(op(name).inputs(3)
              .attrs({T, {"Tindices", {}}, {"Tnumsegments", DType::int32}})
              .input_types({"T", "Tindices", "Tnumsegments"})
              .infer(infer_unsorted_segment_reduction));
  }
  const std::vector<AttrDef> sparse_segment_attrs = {
      T, {"Tidx", DType::int32}, {"Tsegmentids", DType::int32}, {"sparse_gradient", false}};
  c.add(op("SparseSegmentSum").inputs(3).attrs(sparse_segment_attrs)
            .input_types({"T", "Tidx", "Tsegmentids"})
            .infer(infer_sparse_segment_reduction<DTypeSet::numeric>));
  for (const char* name : {"SparseSegmentMean", "SparseSegmentSqrtN"}) {
    c.add(op(name).inputs(3).attrs(sparse_segment_attrs)
              .input_types({"T", "Tidx", "Tsegmentids"})
              .infer(infer_sparse_segment_reduction<DTypeSet::floating>));
  }

  // Sparse tensors.
  c.add(op("SparseToDense").inputs(4)
            .attrs({{"validate_indices", true}, T, {"Tindices", {}}})
            .input_types({"Tindices", "Tindices", "T", "T"}).infer(infer_sparse_to_dense));
  c.add(op("SparseFillEmptyRows").inputs(4).attrs({T}).input_types({"", "T", "", "T"})
            .infer(infer_sparse_fill_empty_rows));
  c.add(op("SparseReshape").inputs(3).infer(infer_sparse_reshape));

  c.add(op("CTCGreedyDecoder").inputs(2)
            .attrs({{"merge_repeated", false}, {"blank_index", std::int64_t{-1}}, T_float})
            .input_types({"T", ""}).infer(infer_ctc_greedy_decoder));
}

}  // namespace kiln::ops
