// EnsureShape(input): the input itself, after checking it against the `shape` attribute. The
// attribute may leave dimensions or the whole rank unknown; what it knows refines the type.
#pragma once

#include "common.hpp"

namespace kiln::ops::array {

inline std::vector<TensorType> infer_ensure_shape(const InferContext& ctx) {
  const Shape& expected = ctx.attr<Shape>("shape");
  if (!ctx.shape(0).compatible_with(expected)) {
    throw ctx.error(Errc::shape_mismatch, "input does not have the shape EnsureShape demands")
        .attr("shape")
        .expected(expected.str())
        .found(ctx.shape(0).str());
  }
  return {{ctx.dtype(0), merge_shapes(ctx, ctx.shape(0), expected, "input and shape")}};
}

}  // namespace kiln::ops::array
