// Ops that move values around without computing: sources (Const, Placeholder), pass-throughs
// (Identity and friends) and NoOp, which exists only to carry control edges.
#pragma once

#include "../shape_functions.hpp"

namespace kiln::ops {

inline std::vector<TensorType> infer_const(const InferContext& ctx) {
  const Tensor& value = ctx.attr<Tensor>("value");
  const DType declared = ctx.attr<DType>("dtype");
  if (value.dtype() != declared) {
    throw ctx.error(Errc::type_mismatch, "constant's value has another dtype than its dtype attr")
        .attr("dtype")
        .expected(dtype_name(declared))
        .found(dtype_name(value.dtype()));
  }
  return {{value.dtype(), value.shape()}};
}

inline std::vector<TensorType> infer_placeholder(const InferContext& ctx) {
  return {{ctx.attr<DType>("dtype"), ctx.attr<Shape>("shape")}};
}

inline std::vector<TensorType> infer_placeholder_with_default(const InferContext& ctx) {
  const Shape& declared = ctx.attr<Shape>("shape");
  if (!declared.compatible_with(ctx.shape(0))) {
    throw ctx.error(Errc::shape_mismatch, "default value does not fit the declared shape")
        .expected(declared.str())
        .found(ctx.shape(0).str());
  }
  // A fed value may have any shape the declaration allows, so the declaration is the type.
  return {{ctx.dtype(0), declared}};
}

// Output i is input i: Identity, StopGradient, Snapshot and IdentityN.
inline std::vector<TensorType> infer_pass_through(const InferContext& ctx) {
  std::vector<TensorType> out;
  for (int i = 0; i < ctx.num_inputs(); ++i) out.push_back(ctx.input(i));
  return out;
}

inline std::vector<TensorType> infer_nothing(const InferContext&) { return {}; }

inline void register_dataflow_ops(OpCatalogue& c) {
  c.add(op("Const").inputs(0).attrs({{"dtype", {}}, {"value", {}}}).infer(infer_const));
  c.add(op("Placeholder")
            .inputs(0)
            .attrs({{"dtype", {}}, {"shape", Shape::unknown_rank()}})
            .infer(infer_placeholder)
            .no_kernel("a graph input: the caller feeds its value, nothing computes it"));
  c.add(op("PlaceholderWithDefault")
            .inputs(1)
            .attrs({{"dtype", {}}, {"shape", {}}})
            .input_types({"dtype"})
            .infer(infer_placeholder_with_default)
            .forwards_inputs());
  for (const char* name : {"Identity", "StopGradient", "Snapshot", "PreventGradient"}) {
    c.add(op(name).inputs(1).attrs({{"T", {}}}).input_types({"T"}).infer(infer_pass_through)
              .forwards_inputs());
  }
  c.add(op("IdentityN").variadic_inputs(1).attrs({{"T", {}}}).infer(infer_pass_through)
            .forwards_inputs());
  c.add(op("NoOp").inputs(0).infer(infer_nothing));
}

}  // namespace kiln::ops
