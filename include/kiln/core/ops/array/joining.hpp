// Ops that join tensors along an axis or cut one apart: ConcatV2 (and its first version Concat),
// Pack, Unpack, Split, SplitV.
#pragma once

#include "common.hpp"

namespace kiln::ops::array {

// Throws unless the count attribute `key` (N, num, num_split) equals what the graph shows.
inline void expect_count_attr(const InferContext& ctx, std::string_view key, std::int64_t count) {
  const std::int64_t declared = ctx.attr<std::int64_t>(key);
  if (declared != count) {
    throw ctx.error(Errc::invalid_attr, "count attribute disagrees with the graph")
        .attr(std::string(key))
        .expected(std::to_string(count))
        .found(std::to_string(declared));
  }
}

// The rank that every input in [first, last) must share, or -1 when none of them knows it.
inline int common_rank(const InferContext& ctx, int first, int last) {
  int rank = -1;
  for (int i = first; i < last; ++i) {
    const Shape& s = ctx.shape(i);
    if (!s.has_rank()) continue;
    if (rank >= 0 && s.rank() != rank) {
      throw ctx.error(Errc::shape_mismatch, "inputs must have the same rank")
          .input(std::to_string(i))
          .expected("rank " + std::to_string(rank))
          .found(s.str());
    }
    rank = s.rank();
  }
  return rank;
}

// Where ConcatV2 joins: the axis input, normalized. Scalars cannot be concatenated.
inline int concat_axis(const InferContext& ctx, std::int64_t axis, int rank) {
  if (rank == 0) {
    throw ctx.error(Errc::invalid_argument, "cannot concatenate scalars (Pack stacks them)");
  }
  return normalize_axis(ctx, axis, rank);
}

// The shape of inputs [first, first + n) joined along the axis that input `axis_input` holds.
inline Shape concat_shape(const InferContext& ctx, int first, int n, int axis_input) {
  expect_scalar(ctx, axis_input);
  const int rank = common_rank(ctx, first, first + n);
  const std::optional<std::int64_t> axis_value = known_scalar(ctx, axis_input);
  if (rank < 0) return Shape::unknown_rank();
  if (!axis_value) return Shape::unknown_dims(rank);
  const int axis = concat_axis(ctx, *axis_value, rank);
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank), kUnknownDim);
  std::int64_t joined = 0;  // the sum along the axis, kUnknownDim once any part is unknown
  for (int i = first; i < first + n; ++i) {
    const Shape& s = ctx.shape(i);
    if (!s.has_rank()) {
      joined = kUnknownDim;
      continue;
    }
    for (int d = 0; d < rank; ++d) {
      if (d != axis) {
        dims[static_cast<std::size_t>(d)] =
            merge_dim(ctx, dims[static_cast<std::size_t>(d)], s.dim(d), "concatenated inputs");
      }
    }
    const bool unknown = joined == kUnknownDim || s.dim(axis) == kUnknownDim;
    joined = unknown ? kUnknownDim : checked_add(joined, s.dim(axis));
  }
  dims[static_cast<std::size_t>(axis)] = joined;
  return checked_shape(ctx, dims);
}

// ConcatV2(values..., axis): N values of dtype T, then the axis (Tidx).
inline std::vector<TensorType> infer_concat_v2(const InferContext& ctx) {
  const int n = ctx.num_inputs() - 1;
  expect_count_attr(ctx, "N", n);
  expect_index_type_attr(ctx, "Tidx");
  for (int i = 0; i < n; ++i) ctx.expect_dtype_attr(i, "T");
  ctx.expect_dtype_attr(n, "Tidx");
  return {{ctx.dtype(0), concat_shape(ctx, 0, n, n)}};
}

// Concat(concat_dim, values...): TensorFlow's first concat, with the int32 axis in front.
inline std::vector<TensorType> infer_concat(const InferContext& ctx) {
  const int n = ctx.num_inputs() - 1;
  expect_count_attr(ctx, "N", n);
  expect_dtype(ctx, 0, DType::int32);
  return {{ctx.dtype(1), concat_shape(ctx, 1, n, 0)}};
}

// Pack stacks N tensors of one shape along a new axis.
inline std::vector<TensorType> infer_pack(const InferContext& ctx) {
  expect_count_attr(ctx, "N", ctx.num_inputs());
  Shape common = Shape::unknown_rank();
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    common = merge_shapes(ctx, common, ctx.shape(i), "packed inputs");
  }
  if (!common.has_rank()) return {{ctx.dtype(0), Shape::unknown_rank()}};
  const int axis = normalize_new_axis(ctx, ctx.attr<std::int64_t>("axis"), common.rank());
  std::vector<std::int64_t> dims(common.dims());
  dims.insert(dims.begin() + axis, ctx.num_inputs());
  return {{ctx.dtype(0), checked_shape(ctx, dims)}};
}

// The output count an attribute (num, num_split) declares. The list of outputs is allocated from
// it, so an absurd count is refused before that.
inline std::size_t output_count(const InferContext& ctx, const char* key, std::int64_t minimum) {
  constexpr std::int64_t kMaxOutputs = std::int64_t{1} << 20;
  const std::int64_t count = ctx.attr<std::int64_t>(key);
  if (count < minimum || count > kMaxOutputs) {
    throw ctx.error(Errc::invalid_attr, "output count out of range")
        .attr(key)
        .expected(std::to_string(minimum) + " to " + std::to_string(kMaxOutputs))
        .found(std::to_string(count));
  }
  return static_cast<std::size_t>(count);
}

// Unpack cuts a tensor into `num` slices along an axis, which disappears.
inline std::vector<TensorType> infer_unpack(const InferContext& ctx) {
  const std::size_t num = output_count(ctx, "num", 0);
  const Shape& input = ctx.shape(0);
  if (input.has_rank() && input.rank() > 0) {
    const int axis = normalize_axis(ctx, ctx.attr<std::int64_t>("axis"), input.rank());
    if (input.dim(axis) != kUnknownDim && input.dim(axis) != static_cast<std::int64_t>(num)) {
      throw ctx.error(Errc::shape_mismatch, "num must equal the size of the unpacked axis")
          .attr("num")
          .expected(std::to_string(input.dim(axis)))
          .found(std::to_string(num));
    }
    return std::vector<TensorType>(num, {ctx.dtype(0), Shape(dims_without(input, axis))});
  }
  if (input.has_rank()) throw ctx.error(Errc::invalid_argument, "cannot unpack a scalar");
  return std::vector<TensorType>(num, {ctx.dtype(0), Shape::unknown_rank()});
}

// Where Split and SplitV cut, from their int32 split_dim input; nothing when unknown.
inline std::optional<int> split_axis(const InferContext& ctx, int input, const Shape& value) {
  expect_dtype(ctx, input, DType::int32);
  expect_scalar(ctx, input);
  const std::optional<std::int64_t> axis = known_scalar(ctx, input);
  if (!axis || !value.has_rank()) return std::nullopt;
  if (value.rank() == 0) throw ctx.error(Errc::invalid_argument, "cannot split a scalar");
  return normalize_axis(ctx, *axis, value.rank());
}

// Split(split_dim, value): num_split equal parts.
inline std::vector<TensorType> infer_split(const InferContext& ctx) {
  const std::size_t parts = output_count(ctx, "num_split", 1);
  const Shape& value = ctx.shape(1);
  const std::optional<int> axis = split_axis(ctx, 0, value);
  if (!axis) {
    const std::int64_t rank = value.has_rank() ? value.rank() : kUnknownDim;
    return std::vector<TensorType>(parts, {ctx.dtype(1), unknown_shape_of_rank(ctx, rank)});
  }
  std::vector<std::int64_t> dims(value.dims());
  std::int64_t& d = dims[static_cast<std::size_t>(*axis)];
  if (d != kUnknownDim) {
    if (d % static_cast<std::int64_t>(parts) != 0) {
      throw ctx.error(Errc::shape_mismatch, "num_split must divide the split axis evenly")
          .attr("num_split")
          .found(std::to_string(d) + " into " + std::to_string(parts));
    }
    d /= static_cast<std::int64_t>(parts);
  }
  return std::vector<TensorType>(parts, {ctx.dtype(1), Shape(dims)});
}

// SplitV's sizes with the one -1 resolved, checked against the axis size (when known).
inline Ints split_sizes(const InferContext& ctx, Ints sizes, std::int64_t axis_size) {
  int inferred = -1;
  std::int64_t total = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1 && inferred < 0) {
      inferred = static_cast<int>(i);
      continue;
    }
    if (sizes[i] < 0) {
      throw ctx.error(Errc::invalid_argument, "split sizes must be >= 0, with one -1 at most")
          .found(ints_text(sizes));
    }
    total = checked_add(total, sizes[i]);
  }
  if (axis_size == kUnknownDim) {
    return sizes;  // the -1 stays unknown
  }
  if (inferred >= 0 ? total > axis_size : total != axis_size) {
    throw ctx.error(Errc::shape_mismatch, "split sizes do not add up to the axis size")
        .expected(std::to_string(axis_size))
        .found(ints_text(sizes));
  }
  if (inferred >= 0) sizes[static_cast<std::size_t>(inferred)] = axis_size - total;
  return sizes;
}

// SplitV(value, size_splits, split_dim): parts of the given sizes.
inline std::vector<TensorType> infer_split_v(const InferContext& ctx) {
  const std::size_t parts = output_count(ctx, "num_split", 1);
  expect_index_type_attr(ctx, "Tlen");
  const Shape& value = ctx.shape(0);
  const std::int64_t length = vector_length(ctx, 1);
  if (length != kUnknownDim && length != static_cast<std::int64_t>(parts)) {
    throw ctx.error(Errc::invalid_argument, "size_splits must have num_split entries")
        .expected(std::to_string(parts))
        .found(std::to_string(length));
  }
  const std::optional<int> axis = split_axis(ctx, 2, value);
  const std::optional<Ints> sizes = known_ints(ctx, 1);
  if (!axis) {
    const std::int64_t rank = value.has_rank() ? value.rank() : kUnknownDim;
    return std::vector<TensorType>(parts, {ctx.dtype(0), unknown_shape_of_rank(ctx, rank)});
  }
  std::vector<TensorType> out(parts, {ctx.dtype(0), Shape::unknown_rank()});
  std::vector<std::int64_t> dims(value.dims());
  const std::int64_t axis_size = dims[static_cast<std::size_t>(*axis)];
  if (sizes && sizes->size() != parts) {
    throw ctx.error(Errc::invalid_argument, "size_splits must have num_split entries")
        .expected(std::to_string(parts))
        .found(ints_text(*sizes));
  }
  const Ints resolved = sizes ? split_sizes(ctx, *sizes, axis_size) : Ints(parts, kUnknownDim);
  for (std::size_t i = 0; i < parts; ++i) {
    dims[static_cast<std::size_t>(*axis)] = resolved[i];
    out[i].shape = Shape(dims);
  }
  return out;
}

}  // namespace kiln::ops::array
