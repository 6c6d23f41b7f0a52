// Ops on sparse tensors, TensorFlow's (indices [N, rank], values [N], dense_shape [rank]):
//
//   SparseToDense(indices, output_shape, values, default_value)   the dense tensor
//   SparseFillEmptyRows(indices, values, dense_shape, default)     a default entry at [row, 0,
//                                                                   ...] for every empty row
//   SparseReshape(indices, shape, new_shape)                       indices for a new shape
//
// SparseFillEmptyRows' output size depends on which rows the indices name; the others are sized
// by shapes or by the value of a shape input.
#pragma once

#include <algorithm>

#include "common.hpp"

namespace kiln::ops::dynamic {

// ---- SparseToDense ---------------------------------------------------------------------------

// How SparseToDense reads its indices: `entries` points of `rank` coordinates each. A scalar
// index is one point of one coordinate, a vector N points of one coordinate each.
struct SparsePoints {
  std::int64_t entries = kUnknownDim;
  std::int64_t rank = kUnknownDim;
};

inline SparsePoints sparse_points(const Shape& indices) {
  if (!indices.has_rank()) return {};
  if (indices.rank() == 0) return {1, 1};
  return {indices.dim(0), indices.rank() == 1 ? 1 : indices.dim(1)};
}

// Row-major offset of point `p` of known indices in a dense tensor of shape `dims`, after
// checking it lies inside.
inline std::int64_t dense_offset(const InferContext& ctx, const std::vector<std::int64_t>& indices,
                                 std::int64_t p, const std::vector<std::int64_t>& dims) {
  const std::size_t rank = dims.size();
  std::int64_t offset = 0;
  for (std::size_t d = 0; d < rank; ++d) {
    const std::int64_t i = indices[static_cast<std::size_t>(p) * rank + d];
    if (i < 0 || i >= dims[d]) {
      throw ctx.error(Errc::invalid_argument, "sparse index out of bounds")
          .expected("[0, " + std::to_string(dims[d]) + ") in dimension " + std::to_string(d))
          .found(std::to_string(i));
    }
    offset = offset * dims[d] + i;
  }
  return offset;
}

// The dense offset of every point, checked against the shape, and (with validate_indices) in
// strictly increasing order as TensorFlow demands: no point out of order or repeated.
inline std::vector<std::int64_t> sparse_to_dense_offsets(const InferContext& ctx) {
  const SparsePoints points = sparse_points(ctx.value(0)->shape());
  const std::vector<std::int64_t> indices = ctx.value(0)->to_int64_vector();
  const std::vector<std::int64_t> dims = ctx.value(1)->to_int64_vector();
  const bool validate = ctx.attr<bool>("validate_indices");
  std::vector<std::int64_t> offsets;
  for (std::int64_t p = 0; p < points.entries; ++p) {
    offsets.push_back(dense_offset(ctx, indices, p, dims));
    if (validate && p > 0 && offsets[static_cast<std::size_t>(p)] <= offsets[static_cast<std::size_t>(p) - 1]) {
      throw ctx.error(Errc::invalid_argument, "sparse indices must be in order, without repeats")
          .input("sparse_indices")
          .found("point " + std::to_string(p));
    }
  }
  return offsets;
}

inline std::vector<TensorType> infer_sparse_to_dense(const InferContext& ctx) {
  array::expect_index_type_attr(ctx, "Tindices");
  const Shape& indices = ctx.shape(0);
  if (indices.has_rank() && indices.rank() > 2) {
    throw ctx.error(Errc::shape_mismatch, "sparse_indices must have rank 0, 1 or 2")
        .found(indices.str());
  }
  const Shape output = array::shape_from_shape_input(ctx, 1, "an output dimension");
  const Shape& values = ctx.shape(2);
  if (values.has_rank() && values.rank() > 1) {
    throw ctx.error(Errc::shape_mismatch, "sparse_values must be a scalar or a vector")
        .found(values.str());
  }
  expect_scalar(ctx, 3);
  const SparsePoints points = sparse_points(indices);
  if (output.has_rank()) {
    merge_dim(ctx, points.rank, output.rank(), "the rank of the indices and of output_shape");
  }
  if (values.has_rank() && values.rank() == 1) {
    merge_dim(ctx, points.entries, values.dim(0), "the number of indices and of values");
  }
  if (ctx.value(0) && ctx.value(1)) sparse_to_dense_offsets(ctx);  // checks the points
  return {{ctx.dtype(2), output}};
}

// ---- SparseFillEmptyRows -----------------------------------------------------------------------

// Checks TensorFlow makes on known indices and dense_shape: a dense shape with a first
// dimension, not negative, and every point's row inside it.
inline std::int64_t checked_dense_rows(const InferContext& ctx) {
  const std::vector<std::int64_t> dense = ctx.value(2)->to_int64_vector();
  if (dense.empty()) throw ctx.error(Errc::invalid_argument, "dense_shape must not be empty");
  for (std::int64_t d : dense) array::expect_size(ctx, d, "a dense dimension");
  return dense[0];
}

// The row of every point, each checked against the dense rows.
inline std::vector<std::int64_t> sparse_rows(const InferContext& ctx, std::int64_t dense_rows) {
  const Tensor& indices = *ctx.value(0);
  const std::int64_t points = indices.dim(0);
  const std::int64_t rank = indices.dim(1);
  if (points > 0 && dense_rows == 0) {
    throw ctx.error(Errc::invalid_argument, "entries in a sparse tensor without rows")
        .found(std::to_string(points) + " entries");
  }
  std::vector<std::int64_t> rows;
  const std::int64_t* data = indices.data<std::int64_t>();
  for (std::int64_t p = 0; p < points; ++p) {
    rows.push_back(checked_index(ctx, data[p * rank], dense_rows, "sparse row"));
  }
  return rows;
}

inline std::vector<TensorType> infer_sparse_fill_empty_rows(const InferContext& ctx) {
  expect_dtype(ctx, 0, DType::int64);
  expect_dtype(ctx, 2, DType::int64);
  ctx.expect_rank(0, 2);
  ctx.expect_rank(1, 1);
  ctx.expect_rank(2, 1);
  expect_scalar(ctx, 3);
  const std::int64_t points = merge_dim(ctx, dim_or_unknown(ctx, 0, 0), dim_or_unknown(ctx, 1, 0),
                                        "the number of indices and of values");
  const std::int64_t rank = merge_dim(ctx, dim_or_unknown(ctx, 0, 1), dim_or_unknown(ctx, 2, 0),
                                      "the rank of the indices and of dense_shape");
  std::int64_t dense_rows = kUnknownDim;
  std::int64_t entries = kUnknownDim;
  if (ctx.value(2)) {
    dense_rows = checked_dense_rows(ctx);
    if (ctx.value(0)) {
      // Every point stays, and every row without one gets a default entry.
      std::vector<std::int64_t> rows = sparse_rows(ctx, dense_rows);
      std::sort(rows.begin(), rows.end());
      const auto filled = std::unique(rows.begin(), rows.end()) - rows.begin();
      entries = checked_add(points, dense_rows - filled);
    }
  }
  return {{DType::int64, Shape({entries, rank})},
          {ctx.dtype(1), Shape({entries})},
          {DType::boolean, Shape({dense_rows})},
          {DType::int64, Shape({points})}};
}

// ---- SparseReshape -----------------------------------------------------------------------------

// The new dense shape: new_shape with its one -1 (if any) worked out, after the checks
// TensorFlow makes (sizes not negative, the element count kept).
inline std::vector<std::int64_t> resolved_sparse_shape(const InferContext& ctx) {
  std::int64_t count = 1;
  for (std::int64_t d : ctx.value(1)->to_int64_vector()) {
    array::expect_size(ctx, d, "an input dimension");
    count = checked_mul(count, d);
  }
  std::vector<std::int64_t> shape = ctx.value(2)->to_int64_vector();
  std::int64_t known = 1;
  int inferred = -1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      if (inferred >= 0) throw ctx.error(Errc::invalid_argument, "only one new size may be -1");
      inferred = static_cast<int>(d);
      continue;
    }
    array::expect_size(ctx, shape[d], "a new size");
    known = checked_mul(known, shape[d]);
  }
  if (inferred >= 0) {
    if (known == 0 || count % known != 0) {
      throw ctx.error(Errc::invalid_argument, "cannot work out the new size given as -1")
          .found(std::to_string(count) + " elements, " + std::to_string(known) + " per -1");
    }
    shape[static_cast<std::size_t>(inferred)] = count / known;
  } else if (known != count) {
    throw ctx.error(Errc::invalid_argument, "the new shape must hold as many elements")
        .expected(std::to_string(count))
        .found(std::to_string(known));
  }
  return shape;
}

inline std::vector<TensorType> infer_sparse_reshape(const InferContext& ctx) {
  for (int i = 0; i < 3; ++i) expect_dtype(ctx, i, DType::int64);
  ctx.expect_rank(0, 2);
  ctx.expect_rank(1, 1);
  ctx.expect_rank(2, 1);
  merge_dim(ctx, dim_or_unknown(ctx, 0, 1), dim_or_unknown(ctx, 1, 0),
            "the rank of the indices and the length of the input shape");
  if (ctx.value(1) && ctx.value(2)) resolved_sparse_shape(ctx);  // the checks
  const std::int64_t new_rank = dim_or_unknown(ctx, 2, 0);
  return {{DType::int64, Shape({dim_or_unknown(ctx, 0, 0), new_rank})},
          {DType::int64, Shape({new_rank})}};
}

}  // namespace kiln::ops::dynamic
