// Ops that repeat elements to reach a bigger shape: Tile, BroadcastTo, and the two selections
// whose condition is broadcast against their branches, Select and SelectV2.
#pragma once

#include "common.hpp"

namespace kiln::ops::array {

// Tile(input, multiples): axis i repeated multiples[i] times.
inline std::vector<TensorType> infer_tile(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tmultiples");
  const Shape& input = ctx.shape(0);
  const std::int64_t length = vector_length(ctx, 1);
  if (input.has_rank() && length != kUnknownDim && length != input.rank()) {
    throw ctx.error(Errc::invalid_argument, "multiples needs one entry per input axis")
        .expected(std::to_string(input.rank()))
        .found(std::to_string(length));
  }
  const std::int64_t rank = input.has_rank() ? input.rank() : length;
  const std::optional<Ints> multiples = known_ints(ctx, 1);
  if (!multiples) return {{ctx.dtype(0), unknown_shape_of_rank(ctx, rank)}};
  std::vector<std::int64_t> dims;
  for (std::size_t axis = 0; axis < multiples->size(); ++axis) {
    const std::int64_t m = (*multiples)[axis];
    expect_size(ctx, m, "a multiple");
    const std::int64_t dim = input.has_rank() ? input.dims()[axis] : kUnknownDim;
    dims.push_back(m == 0 ? 0 : dim == kUnknownDim ? kUnknownDim : checked_mul(dim, m));
  }
  return {{ctx.dtype(0), checked_shape(ctx, dims)}};
}

// Throws unless `from` broadcasts to `to` (NumPy's rule, one way): aligned on the right, each
// input dimension is 1 or equal to the output's. Returns `to` with what `from` adds to it.
inline Shape broadcast_one_way(const InferContext& ctx, const Shape& from, const Shape& to) {
  if (!from.has_rank() || !to.has_rank()) return to;
  if (from.rank() > to.rank()) {
    throw ctx.error(Errc::shape_mismatch, "cannot broadcast to a lower rank")
        .expected("rank <= " + std::to_string(to.rank()))
        .found(from.str());
  }
  std::vector<std::int64_t> dims(to.dims());
  const int offset = to.rank() - from.rank();
  for (int i = 0; i < from.rank(); ++i) {
    const std::int64_t in = from.dim(i);
    std::int64_t& out = dims[static_cast<std::size_t>(i + offset)];
    if (in == kUnknownDim || in == 1) continue;
    if (out != kUnknownDim && out != in) {
      throw ctx.error(Errc::shape_mismatch, "shapes cannot be broadcast")
          .expected(to.str())
          .found(from.str());
    }
    out = in;
  }
  return Shape(dims);
}

inline std::vector<TensorType> infer_broadcast_to(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tidx");
  const Shape target = shape_from_shape_input(ctx, 1, "a broadcast dimension");
  return {{ctx.dtype(0), broadcast_one_way(ctx, ctx.shape(0), target)}};
}

// SelectV2(condition, t, e): all three broadcast together.
inline std::vector<TensorType> infer_select_v2(const InferContext& ctx) {
  expect_dtype(ctx, 0, DType::boolean);
  ctx.expect_same_dtype(1, 2);
  const Shape branches = broadcast_shapes(ctx, ctx.shape(1), ctx.shape(2));
  return {{ctx.dtype(1), broadcast_shapes(ctx, ctx.shape(0), branches)}};
}

// Select(condition, t, e), the older op: t and e have one shape; the condition has that shape
// too, or is a scalar (choosing a whole branch), or is a vector choosing rows of t and e.
inline std::vector<TensorType> infer_select(const InferContext& ctx) {
  expect_dtype(ctx, 0, DType::boolean);
  ctx.expect_same_dtype(1, 2);
  const Shape branches = merge_shapes(ctx, ctx.shape(1), ctx.shape(2), "then and else");
  const Shape& condition = ctx.shape(0);
  if (!condition.has_rank() || !branches.has_rank() || condition.rank() == 0) {
    return {{ctx.dtype(1), branches}};
  }
  if (condition.rank() == 1 && branches.rank() > 1) {
    std::vector<std::int64_t> dims(branches.dims());
    dims[0] = merge_dim(ctx, dims[0], condition.dim(0), "condition length and rows");
    return {{ctx.dtype(1), Shape(dims)}};
  }
  return {{ctx.dtype(1), merge_shapes(ctx, branches, condition, "condition and branches")}};
}

}  // namespace kiln::ops::array
