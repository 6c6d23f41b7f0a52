// Run-time checks: Assert (fails the run when its condition is false, listing its data) and
// CheckNumerics (passes its input on, or fails naming its message when the input holds NaN or
// infinity). Both have side effects, so the optimizer keeps them wherever a kept node waits on
// them; compile(..., Options().drop_checks(true)) removes them (optimizer/drop_checks.hpp).
#pragma once

#include "array/common.hpp"

namespace kiln::ops {

namespace checks {

// Assert(condition, data...): a boolean scalar, and any tensors to show when it is false. The
// `T` attribute lists the data's dtypes, as TensorFlow writes it.
inline std::vector<TensorType> infer_assert(const InferContext& ctx) {
  array::expect_dtype(ctx, 0, DType::boolean);
  array::expect_scalar(ctx, 0);
  const DTypes& types = ctx.attr<DTypes>("T");
  const std::size_t data = static_cast<std::size_t>(ctx.num_inputs() - 1);
  if (types.size() != data) {
    throw ctx.error(Errc::invalid_attr, "T must list one dtype per data input")
        .attr("T")
        .expected(std::to_string(data))
        .found(std::to_string(types.size()));
  }
  for (std::size_t i = 0; i < data; ++i) {
    const int input = static_cast<int>(i) + 1;
    if (ctx.dtype(input) != types[i]) {
      throw ctx.error(Errc::type_mismatch, "data input's dtype differs from its entry in T")
          .input(std::to_string(input))
          .attr("T")
          .expected(dtype_name(types[i]))
          .found(dtype_name(ctx.dtype(input)));
    }
  }
  ctx.attr<std::int64_t>("summarize");  // how many elements of each to show; < 0: all
  return {};
}

// CheckNumerics(tensor) and CheckNumericsV2(tensor): the input, when it is finite.
inline std::vector<TensorType> infer_check_numerics(const InferContext& ctx) {
  const DType t = ctx.attr<DType>("T");
  if (!is_floating(t)) {
    throw ctx.error(Errc::invalid_attr, "CheckNumerics checks floating-point tensors")
        .attr("T")
        .found(dtype_name(t));
  }
  ctx.attr<std::string>("message");  // required, and a string
  return {ctx.input(0)};
}

}  // namespace checks

inline void register_check_ops(OpCatalogue& c) {
  using namespace checks;
  c.add(op("Assert").variadic_inputs(1).attrs({{"T", {}}, {"summarize", std::int64_t{3}}})
            .infer(infer_assert).check());
  for (const char* name : {"CheckNumerics", "CheckNumericsV2"}) {
    c.add(op(name).inputs(1).attrs({{"T", {}}, {"message", {}}}).input_types({"T"})
              .infer(infer_check_numerics).in_place().check());
  }
}

}  // namespace kiln::ops
