// What the array ops' shape functions share: reading index inputs (axes, shapes, paddings) whose
// value may or may not be known, building partly known shapes without trusting a file's sizes,
// and merging two shapes that must describe the same tensor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../../shape_functions.hpp"

namespace kiln::ops::array {

inline std::string ints_text(const Ints& values) { return attr_text(AttrValue(values)); }

// Throws unless input i has exactly the dtype `want` (inputs whose type TensorFlow fixes, such as
// Split's int32 axis or Select's bool condition).
inline void expect_dtype(const InferContext& ctx, int i, DType want) {
  if (ctx.dtype(i) != want) {
    throw ctx.error(Errc::type_mismatch, "input has the wrong dtype")
        .input(std::to_string(i))
        .expected(dtype_name(want))
        .found(dtype_name(ctx.dtype(i)));
  }
}

// Throws unless the type attribute `key` (Tshape, Tidx, Index, ...) names int32 or int64.
inline void expect_index_type_attr(const InferContext& ctx, std::string_view key) {
  const DType t = ctx.attr<DType>(key);
  if (t != DType::int32 && t != DType::int64) {
    throw ctx.error(Errc::invalid_attr, "index type must be int32 or int64")
        .attr(std::string(key))
        .found(dtype_name(t));
  }
}

// The value of integer input i as int64s, or nothing when the value is not known yet.
inline std::optional<Ints> known_ints(const InferContext& ctx, int i) {
  const Tensor* value = ctx.value(i);
  if (value == nullptr) return std::nullopt;
  if (value->dtype() != DType::int32 && value->dtype() != DType::int64) {
    throw ctx.error(Errc::type_mismatch, "index input must be an integer tensor")
        .input(std::to_string(i))
        .expected("int32 or int64")
        .found(dtype_name(value->dtype()));
  }
  return value->to_int64_vector();
}

// The value of a one-element integer input (an axis), or nothing when it is not known yet.
inline std::optional<std::int64_t> known_scalar(const InferContext& ctx, int i) {
  const std::optional<Ints> values = known_ints(ctx, i);
  if (!values) return std::nullopt;
  if (values->size() != 1) {
    throw ctx.error(Errc::invalid_argument, "input must hold exactly one value")
        .input(std::to_string(i))
        .found(std::to_string(values->size()) + " values");
  }
  return values->front();
}

// A shape of `rank` unknown dimensions; a negative rank means the rank is unknown too. The rank
// often comes from a file's tensor, so it is checked before anything is allocated for it.
inline Shape unknown_shape_of_rank(const InferContext& ctx, std::int64_t rank) {
  if (rank < 0) return Shape::unknown_rank();
  if (rank > kMaxRank) {
    throw ctx.error(Errc::limit_exceeded, "rank exceeds Kiln's limit")
        .expected("rank <= " + std::to_string(kMaxRank))
        .found(std::to_string(rank));
  }
  return Shape::unknown_dims(static_cast<int>(rank));
}

// The length of input i, which must be a vector (where its rank is known): kUnknownDim when the
// shape does not say.
inline std::int64_t vector_length(const InferContext& ctx, int i) {
  ctx.expect_rank(i, 1);
  const Shape& s = ctx.shape(i);
  return s.has_rank() ? s.dim(0) : kUnknownDim;
}

// Throws unless input i is a scalar (where its rank is known).
inline void expect_scalar(const InferContext& ctx, int i) { ctx.expect_rank(i, 0); }

// Throws unless a dimension read from a value is a size (>= 0).
inline void expect_size(const InferContext& ctx, std::int64_t size, const std::string& what) {
  if (size < 0) {
    throw ctx.error(Errc::invalid_argument, what + " must not be negative")
        .found(std::to_string(size));
  }
}

// Two partly known shapes of the same tensor, combined; an Error when they disagree.
inline Shape merge_shapes(const InferContext& ctx, const Shape& a, const Shape& b,
                          const std::string& what) {
  if (!a.has_rank()) return b;
  if (!b.has_rank()) return a;
  if (a.rank() != b.rank()) {
    throw ctx.error(Errc::shape_mismatch, what + ": ranks disagree")
        .expected(a.str())
        .found(b.str());
  }
  std::vector<std::int64_t> dims(a.dims());
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const std::int64_t other = b.dims()[i];
    if (dims[i] != kUnknownDim && other != kUnknownDim && dims[i] != other) {
      throw ctx.error(Errc::shape_mismatch, what + ": shapes disagree")
          .expected(a.str())
          .found(b.str());
    }
    if (dims[i] == kUnknownDim) dims[i] = other;
  }
  return Shape(dims);
}

// A shape built from sizes that a file controls: the rank is bounded and, once every dimension is
// known, the element count must fit in 64 bits. Errors name the node.
inline Shape checked_shape(const InferContext& ctx, const std::vector<std::int64_t>& dims) {
  if (dims.size() > static_cast<std::size_t>(kMaxRank)) {
    throw ctx.error(Errc::limit_exceeded, "rank exceeds Kiln's limit")
        .expected("rank <= " + std::to_string(kMaxRank))
        .found(std::to_string(dims.size()));
  }
  Shape shape(dims);
  if (shape.is_fully_known()) {
    try {
      shape.num_elements();
    } catch (Error& e) {
      e.node(ctx.node().name).op(ctx.node().op);
      throw;
    }
  }
  return shape;
}

// The shape a shape-valued input (Fill's dims, BroadcastTo's shape) describes: its value when
// known, else as many unknown dimensions as the vector is long, else an unknown rank.
inline Shape shape_from_shape_input(const InferContext& ctx, int i, const std::string& what) {
  const std::int64_t length = vector_length(ctx, i);
  const std::optional<Ints> dims = known_ints(ctx, i);
  if (!dims) return unknown_shape_of_rank(ctx, length);
  for (std::int64_t d : *dims) expect_size(ctx, d, what);
  return checked_shape(ctx, *dims);
}

// Python-style insertion position in [-(rank + 1), rank]: where ExpandDims and Pack add an axis.
inline int normalize_new_axis(const InferContext& ctx, std::int64_t axis, int rank) {
  return normalize_axis(ctx, axis, rank + 1);
}

// The dims of `shape` with position `axis` removed.
inline std::vector<std::int64_t> dims_without(const Shape& shape, int axis) {
  std::vector<std::int64_t> dims(shape.dims());
  dims.erase(dims.begin() + axis);
  return dims;
}

}  // namespace kiln::ops::array
