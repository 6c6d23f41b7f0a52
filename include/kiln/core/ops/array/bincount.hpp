// DenseBincount(input, size, weights): how often each value in [0, size) occurs in `input` (one
// row of counts per row of a 2-D input), or the sum of the weights at those places when
// `weights` has input's shape; binary_output asks only whether a value occurs (1 or 0). Values
// at or above `size` are not counted, a negative one is an error: TensorFlow's rules. Keras's
// CategoryEncoding (count and multi_hot) and tf.math.bincount write it.
#pragma once

#include "index_inputs.hpp"

namespace kiln::ops::array {

inline std::vector<TensorType> infer_dense_bincount(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tidx");
  ctx.expect_same_dtype(0, 1);
  const DType t = ctx.attr<DType>("T");
  if (t != DType::int32 && t != DType::int64 && t != DType::float32 && t != DType::float64) {
    throw ctx.error(Errc::invalid_attr, "weights must be int32, int64, float32 or float64")
        .attr("T")
        .found(dtype_name(t));
  }
  const std::optional<std::int64_t> size = known_scalar_input(ctx, 1);
  if (size) expect_size(ctx, *size, "size");
  const Shape& input = ctx.shape(0);
  const Shape& weights = ctx.shape(2);
  if (input.has_rank() && input.rank() != 1 && input.rank() != 2) {
    throw ctx.error(Errc::shape_mismatch, "input must be a vector or a matrix")
        .input("0")
        .found(input.str());
  }
  // Weights are either absent (no elements) or one per input element.
  const bool no_weights = weights.is_fully_known() && weights.num_elements() == 0;
  if (!no_weights) merge_shapes(ctx, input, weights, "weights must have the input's shape");
  const std::int64_t bins = size ? *size : kUnknownDim;
  if (!input.has_rank()) return {{t, Shape::unknown_rank()}};
  if (input.rank() == 1) return {{t, checked_shape(ctx, {bins})}};
  return {{t, checked_shape(ctx, {input.dim(0), bins})}};
}

}  // namespace kiln::ops::array
