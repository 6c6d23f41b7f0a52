// Pad, PadV2 and MirrorPad: grow each axis by a number of elements before and after it, filled
// with zero, a given constant, or a mirror image of the input.
#pragma once

#include "common.hpp"

namespace kiln::ops::array {

struct Padding {
  std::int64_t before = 0;
  std::int64_t after = 0;
};

// The paddings input, an [rank, 2] matrix, when its value is known. Paddings are never negative.
inline std::optional<std::vector<Padding>> known_paddings(const InferContext& ctx,
                                                          std::int64_t rank) {
  const std::optional<Ints> values = known_ints(ctx, 1);
  if (!values) return std::nullopt;
  if (rank == kUnknownDim || static_cast<std::int64_t>(values->size()) != 2 * rank) {
    throw ctx.error(Errc::invalid_argument, "paddings must be an [rank, 2] matrix")
        .expected("[" + std::to_string(rank) + ",2]")
        .found(ctx.shape(1).str());
  }
  std::vector<Padding> paddings;
  for (std::size_t i = 0; i < values->size(); i += 2) {
    const Padding p{(*values)[i], (*values)[i + 1]};
    if (p.before < 0 || p.after < 0) {
      throw ctx.error(Errc::invalid_argument, "paddings must not be negative")
          .found(ints_text(*values));
    }
    paddings.push_back(p);
  }
  return paddings;
}

// MirrorPad's mode as the number of edge elements the mirror leaves out: REFLECT mirrors around
// the edge element (1), SYMMETRIC includes it (0).
inline std::int64_t mirror_skip(const InferContext& ctx) {
  const std::string& mode = ctx.attr<std::string>("mode");
  if (mode == "REFLECT") return 1;
  if (mode == "SYMMETRIC") return 0;
  throw ctx.error(Errc::invalid_attr, "unknown mirror mode")
      .attr("mode")
      .expected("REFLECT or SYMMETRIC")
      .found(mode);
}

// Pad's output shape. For MirrorPad (`mirror_skip` set), a padding cannot be longer than what it
// mirrors: dim - 1 elements for REFLECT, dim for SYMMETRIC.
inline Shape padded_shape(const InferContext& ctx, std::optional<std::int64_t> mirror_skip) {
  expect_index_type_attr(ctx, "Tpaddings");
  ctx.expect_rank(1, 2);
  const Shape& input = ctx.shape(0);
  const Shape& paddings_shape = ctx.shape(1);
  std::int64_t rank = input.has_rank() ? input.rank() : kUnknownDim;
  if (paddings_shape.has_rank()) {
    if (paddings_shape.dim(1) != kUnknownDim && paddings_shape.dim(1) != 2) {
      throw ctx.error(Errc::invalid_argument, "paddings must have two columns")
          .found(paddings_shape.str());
    }
    rank = merge_dim(ctx, rank, paddings_shape.dim(0), "input rank and paddings rows");
  }
  const std::optional<std::vector<Padding>> paddings = known_paddings(ctx, rank);
  if (!paddings) return unknown_shape_of_rank(ctx, rank);
  std::vector<std::int64_t> dims;
  for (std::size_t axis = 0; axis < paddings->size(); ++axis) {
    const Padding p = (*paddings)[axis];
    const std::int64_t dim = input.has_rank() ? input.dims()[axis] : kUnknownDim;
    if (dim == kUnknownDim) {
      dims.push_back(kUnknownDim);
      continue;
    }
    if (mirror_skip && (p.before > dim - *mirror_skip || p.after > dim - *mirror_skip)) {
      throw ctx.error(Errc::invalid_argument, "mirror padding longer than the axis it mirrors")
          .expected("at most " + std::to_string(dim - *mirror_skip))
          .found(std::to_string(p.before) + " and " + std::to_string(p.after));
    }
    dims.push_back(checked_add(checked_add(dim, p.before), p.after));
  }
  return checked_shape(ctx, dims);
}

inline std::vector<TensorType> infer_pad(const InferContext& ctx) {
  return {{ctx.dtype(0), padded_shape(ctx, std::nullopt)}};
}

inline std::vector<TensorType> infer_pad_v2(const InferContext& ctx) {
  expect_scalar(ctx, 2);  // constant_values
  return {{ctx.dtype(0), padded_shape(ctx, std::nullopt)}};
}

inline std::vector<TensorType> infer_mirror_pad(const InferContext& ctx) {
  return {{ctx.dtype(0), padded_shape(ctx, mirror_skip(ctx))}};
}

}  // namespace kiln::ops::array
