// ClipByValue(t, clip_value_min, clip_value_max): each element of t limited to [min, max].
#pragma once

#include <string>
#include <vector>

#include "math.hpp"

namespace kiln::ops {

// Each bound is a scalar or has t's shape: TensorFlow broadcasts nothing in between (not even a
// [1] or a row), and the output has t's shape and dtype.
inline std::vector<TensorType> infer_clip_by_value(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, DTypeSet::numeric);
  const Shape& t = ctx.shape(0);
  for (int i : {1, 2}) {
    ctx.expect_same_dtype(0, i);
    const Shape& bound = ctx.shape(i);
    if (bound.has_rank() && bound.rank() == 0) continue;
    if (!bound.compatible_with(t)) {
      throw ctx.error(Errc::shape_mismatch, "clip bounds must be scalars or have the input's shape")
          .input(std::to_string(i))
          .expected("[] or " + t.str())
          .found(bound.str());
    }
  }
  return {ctx.input(0)};
}

inline void register_clip_ops(OpCatalogue& c) {
  // Element i of the output reads element i of t (and of a bound that is not a scalar) only, so
  // it may overwrite t.
  c.add(op("ClipByValue")
            .inputs(3)
            .attrs({{"T", {}}})
            .input_types({"T", "T", "T"})
            .infer(infer_clip_by_value)
            .in_place({0}));
}

}  // namespace kiln::ops
