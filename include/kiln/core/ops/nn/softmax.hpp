// Softmax and LogSoftmax over the last dimension.
#pragma once

#include "common.hpp"

namespace kiln::ops::nn {

inline std::vector<TensorType> infer_softmax(const InferContext& ctx) {
  expect_floating(ctx, 0);
  const Shape& x = ctx.shape(0);
  if (x.has_rank() && x.rank() < 1) {
    throw ctx.error(Errc::shape_mismatch, "softmax needs at least one dimension")
        .input("0")
        .expected("rank >= 1")
        .found(x.str());
  }
  return {ctx.input(0)};
}

inline void register_softmax_ops(OpCatalogue& catalogue) {
  for (const char* name : {"Softmax", "LogSoftmax"}) {
    catalogue.add({name, 1, 1, {{"T", {}}}, infer_softmax, /*forwards_inputs=*/false, {"T"}});
  }
}

}  // namespace kiln::ops::nn
