// TopKV2(input, k): the k largest entries of each innermost row, and their positions. Two outputs
// of shape input.shape[:-1] + [k]: values (T) and indices (index_type).
#pragma once

#include "index_inputs.hpp"

namespace kiln::ops::array {

// k, checked against the row length where both are known.
inline std::optional<std::int64_t> top_k_count(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tk");
  const std::optional<std::int64_t> k = known_scalar_input(ctx, 1);
  const Shape& input = ctx.shape(0);
  if (input.has_rank() && input.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "input must be at least a vector").input("0");
  }
  if (!k) return std::nullopt;
  expect_size(ctx, *k, "k");
  if (input.has_rank() && input.dim(-1) != kUnknownDim && *k > input.dim(-1)) {
    throw ctx.error(Errc::invalid_argument, "k exceeds the row length")
        .input("1")
        .expected("at most " + std::to_string(input.dim(-1)))
        .found(std::to_string(*k));
  }
  return k;
}

inline std::vector<TensorType> infer_top_k_v2(const InferContext& ctx) {
  const DType t = ctx.attr<DType>("T");
  if (t == DType::boolean) {
    throw ctx.error(Errc::invalid_attr, "TopKV2 compares numbers and does not take bool").attr("T");
  }
  expect_index_type_attr(ctx, "index_type");
  ctx.attr<bool>("sorted");
  const std::optional<std::int64_t> k = top_k_count(ctx);
  const DType index_type = ctx.attr<DType>("index_type");
  const Shape& input = ctx.shape(0);
  if (!input.has_rank()) {
    return {{ctx.dtype(0), Shape::unknown_rank()}, {index_type, Shape::unknown_rank()}};
  }
  std::vector<std::int64_t> dims(input.dims());
  dims.back() = k ? *k : kUnknownDim;
  const Shape out = checked_shape(ctx, dims);
  return {{ctx.dtype(0), out}, {index_type, out}};
}

}  // namespace kiln::ops::array
