// DynamicPartition deals the rows of a tensor out to several outputs; DynamicStitch (and
// ParallelDynamicStitch, the same op for Kiln) puts rows from several tensors together at given
// positions. How many rows each output gets depends on the index values.
//
// A "row" here is what one index addresses: for partitions (or indices) of shape P, data has
// shape P + R and a row is one [R] slice.
#pragma once

#include "../array/joining.hpp"
#include "common.hpp"

namespace kiln::ops::dynamic {

// How many rows DynamicPartition gives each output, from known partitions (each in [0, count)).
inline std::vector<std::int64_t> partition_sizes(const InferContext& ctx, const Tensor& partitions,
                                                 std::size_t count) {
  std::vector<std::int64_t> sizes(count, 0);
  for (std::int64_t p : partitions.to_int64_vector()) {
    ++sizes[static_cast<std::size_t>(
        checked_index(ctx, p, static_cast<std::int64_t>(count), "partition"))];
  }
  return sizes;
}

// DynamicPartition(data, partitions) -> num_partitions outputs of shape [rows_i] + R.
inline std::vector<TensorType> infer_dynamic_partition(const InferContext& ctx) {
  const std::size_t count = array::output_count(ctx, "num_partitions", 1);
  expect_dtype(ctx, 1, DType::int32);
  const Shape& data = ctx.shape(0);
  const Shape& partitions = ctx.shape(1);
  expect_shape_prefix(ctx, partitions, data, "partitions");
  const Shape rest = partitions.has_rank() ? trailing_shape(ctx, 0, partitions.rank())
                                           : Shape::unknown_rank();
  std::vector<std::int64_t> sizes(count, kUnknownDim);
  if (const Tensor* value = ctx.value(1)) sizes = partition_sizes(ctx, *value, count);
  std::vector<TensorType> out;
  for (std::int64_t rows : sizes) out.push_back({ctx.dtype(0), rows_then(ctx, rows, rest)});
  return out;
}

// DynamicStitch(indices x N, data x N): data[i] has shape indices[i].shape + R, with one R for
// all; the output is [max index + 1] + R, row indices[i][j] holding row j of data[i] (the last
// one written wins when an index repeats).
inline std::vector<TensorType> infer_dynamic_stitch(const InferContext& ctx) {
  if (ctx.num_inputs() % 2 != 0) {
    throw ctx.error(Errc::invalid_graph, "DynamicStitch takes N indices, then N data tensors")
        .found(std::to_string(ctx.num_inputs()) + " inputs");
  }
  const int n = ctx.num_inputs() / 2;
  array::expect_count_attr(ctx, "N", n);
  Shape rest = Shape::unknown_rank();
  for (int i = 0; i < n; ++i) {
    expect_dtype(ctx, i, DType::int32);
    ctx.expect_dtype_attr(n + i, "T");
    const Shape& indices = ctx.shape(i);
    const Shape& data = ctx.shape(n + i);
    if (!indices.has_rank() || !data.has_rank()) continue;
    expect_shape_prefix(ctx, indices, data, "indices " + std::to_string(i));
    rest = array::merge_shapes(ctx, rest, trailing_shape(ctx, n + i, indices.rank()),
                               "the data's shapes after their indices");
  }
  bool indices_known = true;
  for (int i = 0; i < n; ++i) indices_known = indices_known && ctx.value(i) != nullptr;
  std::int64_t rows = kUnknownDim;
  if (indices_known) {
    rows = 0;
    for (int i = 0; i < n; ++i) {
      for (std::int64_t index : ctx.value(i)->to_int64_vector()) {
        if (index < 0) {
          throw ctx.error(Errc::invalid_argument, "stitch index must not be negative")
              .input(std::to_string(i))
              .found(std::to_string(index));
        }
        rows = std::max(rows, index + 1);
      }
    }
  }
  return {{ctx.dtype(n), rows_then(ctx, rows, rest)}};
}

}  // namespace kiln::ops::dynamic
