// FakeQuantWithMinMaxArgs and FakeQuantWithMinMaxVars: float32 values clamped to [min, max]
// and rounded to one of 2^num_bits - 1 (narrow_range: one fewer) evenly spaced levels, as a
// quantized model would see them. The range comes from attributes (Args) or from two scalar
// inputs (Vars). Before use it is nudged so that 0.0 falls exactly on a level: that is what the
// kernel (kernels/reference/fake_quant.hpp) reproduces bit for bit.
#pragma once

#include "../array/common.hpp"
#include "common.hpp"

namespace kiln::ops::nn {

// The quantized levels [quant_min, quant_max] the attributes ask for.
struct QuantLevels {
  int quant_min = 0;
  int quant_max = 255;
};

inline QuantLevels quant_levels(const InferContext& ctx) {
  const std::int64_t bits = ctx.attr<std::int64_t>("num_bits");
  if (bits < 2 || bits > 16) {
    throw ctx.error(Errc::invalid_attr, "num_bits out of range")
        .attr("num_bits")
        .expected("2 to 16")
        .found(std::to_string(bits));
  }
  QuantLevels q;
  q.quant_min = ctx.attr<bool>("narrow_range") ? 1 : 0;
  q.quant_max = (1 << bits) - 1;
  return q;
}

inline std::vector<TensorType> infer_fake_quant_args(const InferContext& ctx) {
  array::expect_dtype(ctx, 0, DType::float32);
  quant_levels(ctx);
  const float min = ctx.attr<float>("min"), max = ctx.attr<float>("max");
  if (!(min < max)) {  // also catches NaN
    throw ctx.error(Errc::invalid_attr, "min must be smaller than max")
        .attr("min")
        .expected("< " + kiln::detail::float_text(max))
        .found(kiln::detail::float_text(min));
  }
  return {ctx.input(0)};
}

// Vars takes any scalar range, even min >= max: TensorFlow then computes what the formula
// gives (all zeros for min == max == 0, NaN for another empty range).
inline std::vector<TensorType> infer_fake_quant_vars(const InferContext& ctx) {
  for (int i = 0; i < 3; ++i) array::expect_dtype(ctx, i, DType::float32);
  ctx.expect_rank(1, 0);
  ctx.expect_rank(2, 0);
  quant_levels(ctx);
  return {ctx.input(0)};
}

inline void register_fake_quant_ops(OpCatalogue& c) {
  c.add(op("FakeQuantWithMinMaxArgs")
            .inputs(1)
            .attrs({{"min", -6.0f}, {"max", 6.0f}, {"num_bits", std::int64_t{8}},
                    {"narrow_range", false}})
            .infer(infer_fake_quant_args)
            .elementwise()
            .in_place());
  c.add(op("FakeQuantWithMinMaxVars")
            .inputs(3)
            .attrs({{"num_bits", std::int64_t{8}}, {"narrow_range", false}})
            .infer(infer_fake_quant_vars));
}

}  // namespace kiln::ops::nn
