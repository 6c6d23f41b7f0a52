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

inline void register_softmax_ops(OpCatalogue& c) {
  for (const char* name : {"Softmax", "LogSoftmax"}) {
    c.add(op(name).inputs(1).attrs({{"T", {}}}).input_types({"T"}).infer(infer_softmax));
  }
}

}  // namespace kiln::ops::nn
