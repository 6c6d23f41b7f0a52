// What the shape functions of the data-dependent ops share. These ops (Where, Unique, the
// non-max suppressions, partitions, segment reductions, sparse tensors, CTC decoding) size an
// output from the values of an input, so their shape functions say "?" for that dimension until
// the values are known, and compute the exact shape (with the same plan their kernel then
// follows) once they are: when the input is a constant, or when the node is about to run.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../array/common.hpp"
#include "../math.hpp"

namespace kiln::ops::dynamic {

using array::checked_shape;
using array::expect_dtype;
using array::expect_scalar;
using array::known_ints;
using array::unknown_shape_of_rank;

// Throws unless input i has at least `rank` dimensions (an unknown rank passes).
inline void expect_min_rank(const InferContext& ctx, int i, int rank, const std::string& what) {
  const Shape& s = ctx.shape(i);
  if (s.has_rank() && s.rank() < rank) {
    throw ctx.error(Errc::shape_mismatch, what + " needs at least rank " + std::to_string(rank))
        .input(std::to_string(i))
        .found(s.str());
  }
}

// Size `d` of input i, or kUnknownDim when its rank is unknown.
inline std::int64_t dim_or_unknown(const InferContext& ctx, int i, int d) {
  const Shape& s = ctx.shape(i);
  return s.has_rank() ? s.dim(d) : kUnknownDim;
}

// The shape of input i without its first `leading` dims (which must exist), or an unknown rank.
inline Shape trailing_shape(const InferContext& ctx, int i, int leading) {
  const Shape& s = ctx.shape(i);
  if (!s.has_rank()) return Shape::unknown_rank();
  return Shape(std::vector<std::int64_t>(s.dims().begin() + leading, s.dims().end()));
}

// `rows` followed by the dims of `rest` (an unknown-rank rest gives an unknown rank).
inline Shape rows_then(const InferContext& ctx, std::int64_t rows, const Shape& rest) {
  if (!rest.has_rank()) return Shape::unknown_rank();
  std::vector<std::int64_t> dims{rows};
  dims.insert(dims.end(), rest.dims().begin(), rest.dims().end());
  return checked_shape(ctx, dims);
}

// Throws unless `prefix` could be the leading dims of `shape` (partitions of data, segment ids
// of data): the same rank or less, and no known dims that differ.
inline void expect_shape_prefix(const InferContext& ctx, const Shape& prefix, const Shape& shape,
                                const std::string& what) {
  if (!prefix.has_rank() || !shape.has_rank()) return;
  bool fits = prefix.rank() <= shape.rank();
  for (int d = 0; fits && d < prefix.rank(); ++d) {
    fits = prefix.dim(d) == kUnknownDim || shape.dim(d) == kUnknownDim ||
           prefix.dim(d) == shape.dim(d);
  }
  if (!fits) {
    throw ctx.error(Errc::shape_mismatch, what + " must be a prefix of the data's shape")
        .expected("a prefix of " + shape.str())
        .found(prefix.str());
  }
}

// The scalar value of input i converted to double, or nothing when it is not known.
inline std::optional<double> known_real(const InferContext& ctx, int i) {
  const Tensor* value = ctx.value(i);
  if (value == nullptr) return std::nullopt;
  if (value->num_elements() != 1) {
    throw ctx.error(Errc::invalid_argument, "input must hold exactly one value")
        .input(std::to_string(i))
        .found(value->shape().str());
  }
  return value->element_as_double(0);
}

// True when every input from `first` on has a known value: what exact output shapes need.
inline bool values_known(const InferContext& ctx, int first = 0) {
  for (int i = first; i < ctx.num_inputs(); ++i) {
    if (ctx.value(i) == nullptr) return false;
  }
  return true;
}

// An index read from a value, converted to a position: throws unless 0 <= index < limit.
inline std::int64_t checked_index(const InferContext& ctx, std::int64_t index, std::int64_t limit,
                                  const std::string& what) {
  if (index < 0 || index >= limit) {
    throw ctx.error(Errc::invalid_argument, what + " out of range")
        .expected("[0, " + std::to_string(limit) + ")")
        .found(std::to_string(index));
  }
  return index;
}

// The lowest and highest finite values of T: what empty unsorted Max and Min segments hold, as
// in TensorFlow (Eigen's NumTraits, which know the 16-bit floats too).
template <class T> T lowest_value() {
  if constexpr (std::is_same_v<T, half>) return half::from_bits(0xfbff);
  else if constexpr (std::is_same_v<T, bfloat16>) return bfloat16::from_bits(0xff7f);
  else return std::numeric_limits<T>::lowest();
}
template <class T> T highest_value() {
  if constexpr (std::is_same_v<T, half>) return half::from_bits(0x7bff);
  else if constexpr (std::is_same_v<T, bfloat16>) return bfloat16::from_bits(0x7f7f);
  else return std::numeric_limits<T>::max();
}

}  // namespace kiln::ops::dynamic
