// Segment reductions: rows of `data` summed (or averaged, maxed, ...) by the segment id each row
// carries. Three families, as in TensorFlow:
//
//   Segment{Sum,Mean,Max,Min,Prod}(data, segment_ids)    ids sorted, one per row of data;
//                                                        output [last id + 1] + data[1:]
//   UnsortedSegment{Sum,Max,Min,Prod}(data, segment_ids, num_segments)
//                                                        ids of any shape that prefixes data's,
//                                                        negative ids dropped;
//                                                        output [num_segments] + the rest
//   SparseSegment{Sum,Mean,SqrtN}(data, indices, segment_ids)
//                                                        row indices[k] goes to segment_ids[k]
//                                                        (sorted); output [last id + 1] + data[1:]
//
// Only the sorted and sparse families size their output from the ids' values.
#pragma once

#include "common.hpp"

namespace kiln::ops::dynamic {

// The output rows of a sorted segment reduction: the last id + 1 (0 without ids), after
// checking that ids do not decrease and are not negative.
inline std::int64_t sorted_segment_rows(const InferContext& ctx, const Tensor& segment_ids) {
  const std::vector<std::int64_t> ids = segment_ids.to_int64_vector();
  for (std::size_t k = 0; k < ids.size(); ++k) {
    if (ids[k] < 0) {
      throw ctx.error(Errc::invalid_argument, "segment ids must not be negative")
          .found(std::to_string(ids[k]));
    }
    if (k > 0 && ids[k] < ids[k - 1]) {
      throw ctx.error(Errc::invalid_argument, "segment ids must be sorted")
          .found(std::to_string(ids[k - 1]) + " before " + std::to_string(ids[k]));
    }
  }
  return ids.empty() ? 0 : checked_add(ids.back(), 1);
}

// Segment*(data, segment_ids).
inline std::vector<TensorType> infer_segment_reduction(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, DTypeSet::numeric);
  array::expect_index_type_attr(ctx, "Tindices");
  expect_min_rank(ctx, 0, 1, "segment data");
  ctx.expect_rank(1, 1);
  merge_dim(ctx, dim_or_unknown(ctx, 0, 0), dim_or_unknown(ctx, 1, 0),
            "the data's rows and the segment ids");
  std::int64_t rows = kUnknownDim;
  if (const Tensor* ids = ctx.value(1)) rows = sorted_segment_rows(ctx, *ids);
  return {{ctx.dtype(0), rows_then(ctx, rows, trailing_shape(ctx, 0, 1))}};
}

// UnsortedSegment*(data, segment_ids, num_segments).
inline std::vector<TensorType> infer_unsorted_segment_reduction(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, DTypeSet::numeric);
  array::expect_index_type_attr(ctx, "Tindices");
  array::expect_index_type_attr(ctx, "Tnumsegments");
  const Shape& data = ctx.shape(0);
  const Shape& ids = ctx.shape(1);
  expect_shape_prefix(ctx, ids, data, "segment_ids");
  expect_scalar(ctx, 2);
  std::int64_t segments = kUnknownDim;
  if (const std::optional<Ints> value = known_ints(ctx, 2)) {
    segments = value->at(0);
    array::expect_size(ctx, segments, "num_segments");
    if (const Tensor* id_values = ctx.value(1)) {
      for (std::int64_t id : id_values->to_int64_vector()) {
        if (id >= segments) checked_index(ctx, id, segments, "segment id");  // negative: dropped
      }
    }
  }
  const Shape rest = ids.has_rank() ? trailing_shape(ctx, 0, ids.rank()) : Shape::unknown_rank();
  return {{ctx.dtype(0), rows_then(ctx, segments, rest)}};
}

// SparseSegment*(data, indices, segment_ids): Sum takes any numeric type, Mean and SqrtN
// floating-point types only.
template <DTypeSet kTypes>
std::vector<TensorType> infer_sparse_segment_reduction(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, kTypes);
  array::expect_index_type_attr(ctx, "Tidx");
  array::expect_index_type_attr(ctx, "Tsegmentids");
  expect_min_rank(ctx, 0, 1, "segment data");
  ctx.expect_rank(1, 1);
  ctx.expect_rank(2, 1);
  merge_dim(ctx, dim_or_unknown(ctx, 1, 0), dim_or_unknown(ctx, 2, 0),
            "the lengths of indices and segment ids");
  const std::int64_t data_rows = dim_or_unknown(ctx, 0, 0);
  if (const Tensor* indices = ctx.value(1); indices && data_rows != kUnknownDim) {
    for (std::int64_t index : indices->to_int64_vector()) {
      checked_index(ctx, index, data_rows, "row index");
    }
  }
  std::int64_t rows = kUnknownDim;
  if (const Tensor* ids = ctx.value(2)) rows = sorted_segment_rows(ctx, *ids);
  return {{ctx.dtype(0), rows_then(ctx, rows, trailing_shape(ctx, 0, 1))}};
}

}  // namespace kiln::ops::dynamic
