// Ops that make a tensor from little: Fill (one value, any shape), Range (an arithmetic sequence),
// ZerosLike and OnesLike.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "common.hpp"

namespace kiln::ops::array {

// Fill(dims, value): a tensor of shape `dims` holding `value` everywhere.
inline std::vector<TensorType> infer_fill(const InferContext& ctx) {
  expect_index_type_attr(ctx, "index_type");
  expect_scalar(ctx, 1);
  return {{ctx.dtype(1), shape_from_shape_input(ctx, 0, "a Fill dimension")}};
}

// Range's start, limit and delta are scalars (TensorFlow's kernel also takes one-element vectors).
inline void expect_range_scalar(const InferContext& ctx, int i) {
  const Shape& s = ctx.shape(i);
  const Tensor* value = ctx.value(i);
  if ((s.has_rank() && s.rank() > 1) || (value && value->num_elements() != 1)) {
    throw ctx.error(Errc::invalid_argument, "Range takes scalar start, limit and delta")
        .input(std::to_string(i))
        .found(s.str());
  }
}

// How many elements Range(start, limit, delta) has, computed in the element type as TensorFlow
// does: ceil(|limit - start| / |delta|). Integers go through unsigned arithmetic so that the span
// of two extreme int64 values cannot overflow.
template <class T>
std::int64_t range_length(const InferContext& ctx, T start, T limit, T delta) {
  const double d = to_double(delta);
  if (d == 0) throw ctx.error(Errc::invalid_argument, "Range needs a non-zero delta");
  if ((d > 0 && to_double(start) > to_double(limit)) ||
      (d < 0 && to_double(start) < to_double(limit))) {
    throw ctx.error(Errc::invalid_argument, "Range's delta points away from its limit")
        .found("start " + std::to_string(to_double(start)) + ", limit " +
               std::to_string(to_double(limit)) + ", delta " + std::to_string(d));
  }
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if constexpr (std::is_integral_v<T>) {
    const auto s = static_cast<std::uint64_t>(static_cast<std::int64_t>(start));
    const auto l = static_cast<std::uint64_t>(static_cast<std::int64_t>(limit));
    const auto step = static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
    const std::uint64_t span = d > 0 ? l - s : s - l;
    const std::uint64_t stride = d > 0 ? step : 0 - step;
    const std::uint64_t count = span / stride + (span % stride != 0 ? 1 : 0);
    if (count > kMax) throw ctx.error(Errc::limit_exceeded, "Range is too long");
    return static_cast<std::int64_t>(count);
  } else {
    const T span = static_cast<T>(limit - start);
    const T steps = static_cast<T>(span / delta);
    const double count = std::ceil(std::fabs(to_double(steps)));
    if (!(count <= static_cast<double>(kMax / 2))) {  // also refuses NaN and infinity
      throw ctx.error(Errc::limit_exceeded, "Range is too long or not finite")
          .found(std::to_string(count));
    }
    return static_cast<std::int64_t>(count);
  }
}

inline std::vector<TensorType> infer_range(const InferContext& ctx) {
  const DType dtype = ctx.attr<DType>("Tidx");
  if (dtype == DType::boolean || dtype == DType::uint8) {
    throw ctx.error(Errc::invalid_attr, "Range does not take this type")
        .attr("Tidx")
        .found(dtype_name(dtype));
  }
  for (int i = 0; i < 3; ++i) expect_range_scalar(ctx, i);
  if (!ctx.value(0) || !ctx.value(1) || !ctx.value(2)) return {{dtype, Shape{kUnknownDim}}};
  const std::int64_t length = dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return range_length<T>(ctx, ctx.value(0)->data<T>()[0], ctx.value(1)->data<T>()[0],
                           ctx.value(2)->data<T>()[0]);
  });
  return {{dtype, Shape{length}}};
}

}  // namespace kiln::ops::array
