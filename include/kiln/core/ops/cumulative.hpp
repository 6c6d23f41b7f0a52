// Cumsum and Cumprod: running sums and products along one axis, optionally exclusive (each
// element leaves itself out) and reversed (running from the end).
#pragma once

#include <vector>

#include "math.hpp"

namespace kiln::ops {

// The axis, input 1, is a scalar in [-rank, rank); a scalar x has no axis to run along. Kernels
// call this too, so both agree on the axis.
inline int cumulative_axis(const InferContext& ctx) {
  const Shape& x = ctx.shape(0);
  if (x.has_rank() && x.rank() == 0) {
    throw ctx.error(Errc::shape_mismatch, "a running sum or product needs at least one dimension")
        .input("0")
        .found(x.str());
  }
  const Tensor* axis = ctx.value(1);
  if (!axis || !x.has_rank()) return -1;
  return normalize_axis(ctx, axis->to_int64_vector().at(0), x.rank());
}

inline std::vector<TensorType> infer_cumulative(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, DTypeSet::numeric);
  expect_index_dtype(ctx, 1, "Tidx");
  ctx.expect_rank(1, 0);
  cumulative_axis(ctx);
  return {ctx.input(0)};
}

inline void register_cumulative_ops(OpCatalogue& c) {
  for (const char* name : {"Cumsum", "Cumprod"}) {
    c.add(op(name)
              .inputs(2)
              .attrs({{"exclusive", false}, {"reverse", false}, {"T", {}}, {"Tidx", DType::int32}})
              .input_types({"T", "Tidx"})
              .infer(infer_cumulative));
  }
}

}  // namespace kiln::ops
