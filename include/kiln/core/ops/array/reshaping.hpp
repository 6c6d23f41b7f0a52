// Ops that change how a tensor's elements are indexed but not which elements it holds: Reshape,
// Squeeze and ExpandDims (pure reinterpretations), Transpose, and the shape queries Shape, Size
// and Rank.
#pragma once

#include <algorithm>
#include <limits>

#include "common.hpp"

namespace kiln::ops::array {

// TensorFlow's Reshape rule. At most one requested size is -1 and is inferred from the element
// count. Zero sizes are left out of the product on both sides, so that [0, -1] can still infer
// the -1 from the input's non-zero dimensions (a [0, 4] input gives [0, 4]).
inline Shape reshape_target(const InferContext& ctx, const Shape& input, const Ints& requested) {
  int inferred = -1;
  bool requests_zero = false;
  std::int64_t product = 1;  // of the requested positive sizes
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const std::int64_t size = requested[i];
    if (size == -1) {
      if (inferred >= 0) {
        throw ctx.error(Errc::invalid_argument, "only one requested size may be -1")
            .found(ints_text(requested));
      }
      inferred = static_cast<int>(i);
    } else if (size < -1) {
      throw ctx.error(Errc::invalid_argument, "requested size must be -1 or non-negative")
          .found(ints_text(requested));
    } else if (size == 0) {
      requests_zero = true;
    } else {
      product = checked_mul(product, size);
    }
  }
  std::vector<std::int64_t> dims(requested);
  if (!input.is_fully_known()) {
    // The element count is unknown: the -1 stays unknown. A divisibility check is still possible.
    std::int64_t known_in = 1;
    if (input.has_rank()) {
      for (std::int64_t d : input.dims()) known_in = d > 0 ? checked_mul(known_in, d) : known_in;
    }
    if (inferred < 0 && !requests_zero && product % known_in != 0) {
      throw ctx.error(Errc::shape_mismatch, "reshape cannot preserve the element count")
          .expected("a multiple of " + std::to_string(known_in) + " elements")
          .found(ints_text(requested));
    }
    return checked_shape(ctx, dims);
  }
  if (inferred >= 0) {
    std::int64_t counted = 1;  // the input's element count, without its zeros if any are requested
    bool counted_skips_zero = false;
    for (std::int64_t d : input.dims()) {
      if (d == 0 && requests_zero) {
        counted_skips_zero = true;
      } else {
        counted = checked_mul(counted, d);
      }
    }
    const std::int64_t missing = counted / product;
    if (!counted_skips_zero && missing * product != counted) {
      throw ctx.error(Errc::shape_mismatch, "cannot infer the -1 of a reshape")
          .expected("a multiple of " + std::to_string(product) + " elements")
          .found(std::to_string(counted) + " elements");
    }
    dims[static_cast<std::size_t>(inferred)] = missing;
  }
  const Shape out = checked_shape(ctx, dims);
  if (out.num_elements() != input.num_elements()) {
    throw ctx.error(Errc::shape_mismatch, "reshape changes the element count")
        .expected(std::to_string(input.num_elements()) + " elements")
        .found(out.str());
  }
  return out;
}

inline std::vector<TensorType> infer_reshape(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tshape");
  const std::int64_t length = vector_length(ctx, 1);
  const std::optional<Ints> requested = known_ints(ctx, 1);
  if (!requested) return {{ctx.dtype(0), unknown_shape_of_rank(ctx, length)}};
  return {{ctx.dtype(0), reshape_target(ctx, ctx.shape(0), *requested)}};
}

// Removes the listed size-1 axes, or every size-1 axis when the list is empty. An unknown listed
// axis is assumed to be 1 (it will be checked when the size is known); with no list, one unknown
// axis makes the output rank unknown.
inline std::vector<TensorType> infer_squeeze(const InferContext& ctx) {
  const Shape& input = ctx.shape(0);
  if (!input.has_rank()) return {{ctx.dtype(0), Shape::unknown_rank()}};
  const int rank = input.rank();
  std::vector<bool> listed(static_cast<std::size_t>(rank), false);
  const Ints& squeeze_dims = ctx.attr<Ints>("squeeze_dims");
  for (std::int64_t axis : squeeze_dims) {
    listed[static_cast<std::size_t>(normalize_axis(ctx, axis, rank))] = true;
  }
  std::vector<std::int64_t> dims;
  for (int i = 0; i < rank; ++i) {
    const std::int64_t d = input.dim(i);
    const bool squeeze_this = listed[static_cast<std::size_t>(i)];
    if (squeeze_this && d != 1 && d != kUnknownDim) {
      throw ctx.error(Errc::shape_mismatch, "cannot squeeze an axis whose size is not 1")
          .attr("squeeze_dims")
          .found("axis " + std::to_string(i) + " of " + input.str());
    }
    if (squeeze_dims.empty() && d == kUnknownDim) return {{ctx.dtype(0), Shape::unknown_rank()}};
    const bool drop = squeeze_this || (squeeze_dims.empty() && d == 1);
    if (!drop) dims.push_back(d);
  }
  return {{ctx.dtype(0), Shape(dims)}};
}

// Inserts a size-1 axis at `dim`, in [-(rank + 1), rank].
inline std::vector<TensorType> infer_expand_dims(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tdim");
  const Shape& input = ctx.shape(0);
  const std::optional<std::int64_t> dim = known_scalar(ctx, 1);
  if (!input.has_rank()) return {{ctx.dtype(0), Shape::unknown_rank()}};
  if (!dim) return {{ctx.dtype(0), unknown_shape_of_rank(ctx, input.rank() + 1)}};
  const int at = normalize_new_axis(ctx, *dim, input.rank());
  std::vector<std::int64_t> dims(input.dims());
  dims.insert(dims.begin() + at, 1);
  return {{ctx.dtype(0), checked_shape(ctx, dims)}};
}

// A permutation of [0, rank), or an Error: TensorFlow refuses negative and repeated entries.
inline std::vector<int> checked_permutation(const InferContext& ctx, const Ints& perm, int rank) {
  if (static_cast<std::int64_t>(perm.size()) != rank) {
    throw ctx.error(Errc::invalid_argument, "perm must have one entry per input axis")
        .expected(std::to_string(rank) + " entries")
        .found(ints_text(perm));
  }
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  std::vector<int> out;
  for (std::int64_t p : perm) {
    if (p < 0 || p >= rank || seen[static_cast<std::size_t>(p)]) {
      throw ctx.error(Errc::invalid_argument, "perm is not a permutation of the input axes")
          .expected("each of 0.." + std::to_string(rank - 1) + " once")
          .found(ints_text(perm));
    }
    seen[static_cast<std::size_t>(p)] = true;
    out.push_back(static_cast<int>(p));
  }
  return out;
}

inline std::vector<TensorType> infer_transpose(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tperm");
  const Shape& input = ctx.shape(0);
  const std::int64_t perm_length = vector_length(ctx, 1);
  const std::optional<Ints> perm = known_ints(ctx, 1);
  if (!input.has_rank()) {
    // A perm of one entry does not tell a scalar from a vector, so TensorFlow claims no rank.
    const std::int64_t rank = perm ? static_cast<std::int64_t>(perm->size()) : perm_length;
    return {{ctx.dtype(0), unknown_shape_of_rank(ctx, rank >= 2 ? rank : kUnknownDim)}};
  }
  const int rank = input.rank();
  if (perm_length != kUnknownDim && perm_length != rank) {
    throw ctx.error(Errc::invalid_argument, "perm must have one entry per input axis")
        .expected(std::to_string(rank) + " entries")
        .found(ctx.shape(1).str());
  }
  if (!perm) return {{ctx.dtype(0), Shape::unknown_dims(rank)}};
  std::vector<std::int64_t> dims;
  for (int p : checked_permutation(ctx, *perm, rank)) dims.push_back(input.dim(p));
  return {{ctx.dtype(0), Shape(dims)}};
}

// Throws when `value` does not fit the int32 output TensorFlow's out_type defaults to.
inline void expect_fits_out_type(const InferContext& ctx, DType out_type, std::int64_t value) {
  if (out_type == DType::int32 && value > std::numeric_limits<std::int32_t>::max()) {
    throw ctx.error(Errc::limit_exceeded, "value does not fit the int32 output")
        .attr("out_type")
        .found(std::to_string(value));
  }
}

inline std::vector<TensorType> infer_shape_op(const InferContext& ctx) {
  expect_index_type_attr(ctx, "out_type");
  const DType out_type = ctx.attr<DType>("out_type");
  const Shape& input = ctx.shape(0);
  if (!input.has_rank()) return {{out_type, Shape{kUnknownDim}}};
  for (std::int64_t d : input.dims()) expect_fits_out_type(ctx, out_type, d);
  return {{out_type, Shape{input.rank()}}};
}

inline std::vector<TensorType> infer_size(const InferContext& ctx) {
  expect_index_type_attr(ctx, "out_type");
  const DType out_type = ctx.attr<DType>("out_type");
  if (ctx.shape(0).is_fully_known()) {
    expect_fits_out_type(ctx, out_type, checked_shape(ctx, ctx.shape(0).dims()).num_elements());
  }
  return {{out_type, Shape{}}};
}

inline std::vector<TensorType> infer_rank(const InferContext&) { return {{DType::int32, Shape{}}}; }

}  // namespace kiln::ops::array
