// Where and Unique: ops that keep some elements of their input, how many decided by the values.
#pragma once

#include <cmath>
#include <type_traits>
#include <unordered_map>

#include "common.hpp"

namespace kiln::ops::dynamic {

// TensorFlow's Where kernel handles ranks 1 to 8 and refuses the rest, scalars included.
constexpr int kMaxWhereRank = 8;

// Where(input): the row-major positions of the elements that are true, or nonzero (NaN is).
inline std::vector<std::int64_t> nonzero_positions(const Tensor& x) {
  std::vector<std::int64_t> positions;
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = x.data<T>();
    for (std::int64_t i = 0; i < x.num_elements(); ++i) {
      if (to_double(p[i]) != 0.0) positions.push_back(i);
    }
  });
  return positions;
}

// Where(input) -> int64 [n, rank]: the coordinates of the n true elements, one row each.
inline std::vector<TensorType> infer_where(const InferContext& ctx) {
  const Shape& x = ctx.shape(0);
  if (x.has_rank() && (x.rank() < 1 || x.rank() > kMaxWhereRank)) {
    throw ctx.error(Errc::unsupported, "Where takes ranks 1 to 8, as TensorFlow's kernel does")
        .found(x.str());
  }
  std::int64_t rows = kUnknownDim;
  if (const Tensor* value = ctx.value(0)) {
    rows = static_cast<std::int64_t>(nonzero_positions(*value).size());
  }
  return {{DType::int64, Shape({rows, x.has_rank() ? x.rank() : kUnknownDim})}};
}

// Unique(x): the distinct values of a vector in the order they first occur, and for every
// element the position of its value among them. Values compare as numbers: -0 equals 0, and
// NaN equals nothing, so every NaN is a value of its own (as in TensorFlow).
struct UniquePlan {
  std::vector<std::int64_t> firsts;  // where each distinct value first occurs in x
  std::vector<std::int64_t> index;   // for each element of x, its value's position in firsts
};

inline UniquePlan plan_unique(const Tensor& x) {
  UniquePlan plan;
  const std::int64_t n = x.num_elements();
  plan.index.resize(static_cast<std::size_t>(n));
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = x.data<T>();
    // Integers key as integers (exact beyond 2^53); floats as doubles, which hold them exactly.
    constexpr bool integral = std::is_integral_v<T>;
    using Key = std::conditional_t<integral, std::int64_t, double>;
    std::unordered_map<Key, std::int64_t> seen;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t fresh = static_cast<std::int64_t>(plan.firsts.size());
      std::int64_t position = fresh;
      if constexpr (integral) {
        position = seen.emplace(static_cast<std::int64_t>(p[i]), fresh).first->second;
      } else {
        const double v = to_double(p[i]);
        const double key = v == 0.0 ? 0.0 : v;  // -0 keys as 0
        if (!std::isnan(v)) position = seen.emplace(key, fresh).first->second;
      }
      if (position == fresh) plan.firsts.push_back(i);
      plan.index[static_cast<std::size_t>(i)] = position;
    }
  });
  return plan;
}

// Unique(x) -> y [?], idx [n] of out_idx.
inline std::vector<TensorType> infer_unique(const InferContext& ctx) {
  array::expect_index_type_attr(ctx, "out_idx");
  ctx.expect_rank(0, 1);
  std::int64_t distinct = kUnknownDim;
  if (const Tensor* value = ctx.value(0)) {
    distinct = static_cast<std::int64_t>(plan_unique(*value).firsts.size());
  }
  return {{ctx.dtype(0), Shape({distinct})},
          {ctx.attr<DType>("out_idx"), Shape({dim_or_unknown(ctx, 0, 0)})}};
}

}  // namespace kiln::ops::dynamic
