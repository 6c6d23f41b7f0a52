// OneHot(indices, depth, on_value, off_value): a new axis of `depth` positions at `axis`, holding
// on_value where the position equals the index and off_value elsewhere. An index outside
// [0, depth) gives a row of off_value, as in TensorFlow.
#pragma once

#include "index_inputs.hpp"

namespace kiln::ops::array {

// Where the depth axis goes in the output: `axis` is -1 (last) or in [0, rank(indices)].
inline int one_hot_axis(const InferContext& ctx, int indices_rank) {
  const std::int64_t axis = ctx.attr<std::int64_t>("axis");
  if (axis < -1 || axis > indices_rank) {
    throw ctx.error(Errc::invalid_attr, "axis out of range")
        .attr("axis")
        .expected("-1, or an axis in [0, " + std::to_string(indices_rank) + "]")
        .found(std::to_string(axis));
  }
  return axis == -1 ? indices_rank : static_cast<int>(axis);
}

// The depth input: an int32 scalar, at least 0. Its value sizes the output, whose allocation
// the shape's element count then bounds (a file's depth of 2^31 - 1 is a shape, not memory).
inline std::optional<std::int64_t> one_hot_depth(const InferContext& ctx) {
  expect_dtype(ctx, 1, DType::int32);
  const std::optional<std::int64_t> depth = known_scalar_input(ctx, 1);
  if (depth) expect_size(ctx, *depth, "depth");
  return depth;
}

inline std::vector<TensorType> infer_one_hot(const InferContext& ctx) {
  const DType ti = ctx.attr<DType>("TI");
  if (ti != DType::uint8 && ti != DType::int8 && ti != DType::int32 && ti != DType::int64) {
    throw ctx.error(Errc::invalid_attr, "indices must be uint8, int8, int32 or int64")
        .attr("TI")
        .found(dtype_name(ti));
  }
  ctx.expect_same_dtype(2, 3);
  expect_scalar(ctx, 2);
  expect_scalar(ctx, 3);
  const std::optional<std::int64_t> depth = one_hot_depth(ctx);
  const Shape& indices = ctx.shape(0);
  const DType dtype = ctx.dtype(2);
  if (!indices.has_rank()) return {{dtype, Shape::unknown_rank()}};
  const int axis = one_hot_axis(ctx, indices.rank());
  std::vector<std::int64_t> dims(indices.dims());
  dims.insert(dims.begin() + axis, depth ? *depth : kUnknownDim);
  return {{dtype, checked_shape(ctx, dims)}};
}

}  // namespace kiln::ops::array
