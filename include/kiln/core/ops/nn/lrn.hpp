// LRN, local response normalization across channels (AlexNet, GoogLeNet v1):
//
//   sqr_sum[..., c] = sum of input[..., j]^2 for j in [c - depth_radius, c + depth_radius]
//   output = input / (bias + alpha * sqr_sum) ^ beta
//
// over the last axis of a 4-D NHWC tensor, the window clipped to the channels that exist.
#pragma once

#include <limits>

#include "common.hpp"

namespace kiln::ops::nn {

struct LrnParams {
  std::int64_t depth_radius = 5;
  float bias = 1.0f, alpha = 1.0f, beta = 0.5f;
};

inline LrnParams lrn_params(const InferContext& ctx) {
  LrnParams p;
  p.depth_radius = ctx.attr<std::int64_t>("depth_radius");
  // TensorFlow stores the radius in an int and refuses a negative one.
  if (p.depth_radius < 0 || p.depth_radius > std::numeric_limits<std::int32_t>::max()) {
    throw ctx.error(Errc::invalid_attr, "depth_radius out of range")
        .attr("depth_radius")
        .expected("0 to 2^31 - 1")
        .found(std::to_string(p.depth_radius));
  }
  p.bias = ctx.attr<float>("bias");
  p.alpha = ctx.attr<float>("alpha");
  p.beta = ctx.attr<float>("beta");
  return p;
}

inline std::vector<TensorType> infer_lrn(const InferContext& ctx) {
  expect_floating(ctx, 0);
  ctx.expect_rank(0, 4);
  lrn_params(ctx);
  return {ctx.input(0)};
}

inline void register_lrn_ops(OpCatalogue& c) {
  c.add(op("LRN")
            .inputs(1)
            .attrs({{"depth_radius", std::int64_t{5}},
                    {"bias", 1.0f},
                    {"alpha", 1.0f},
                    {"beta", 0.5f},
                    {"T", DType::float32}})
            .input_types({"T"})
            .infer(infer_lrn));
}

}  // namespace kiln::ops::nn
