// Math ops: elementwise (unary, binary with NumPy broadcasting), reductions and Cast, with
// TensorFlow's attribute names and defaults and their shape functions.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "../shape_functions.hpp"

namespace kiln::ops {

// The element types an op accepts: TensorFlow's type constraints narrowed to Kiln's dtypes.
enum class DTypeSet {
  floating,        // float32, float16, bfloat16, float64
  numeric,         // floating plus int8, uint8, int32, int64
  signed_numeric,  // numeric without uint8 (TensorFlow's Abs, Neg, Sign, Round, Pow)
  any,             // numeric plus bool
  boolean,         // bool only
  integer,         // int8, uint8, int32, int64 (TensorFlow's bitwise ops)
  wide_numeric,    // numeric without the 8-bit integers (TensorFlow's TruncateMod)
};

constexpr bool dtype_in(DTypeSet set, DType t) {
  const bool floating = t == DType::float32 || t == DType::float16 || t == DType::bfloat16 ||
                        t == DType::float64;
  switch (set) {
    case DTypeSet::floating: return floating;
    case DTypeSet::numeric: return t != DType::boolean;
    case DTypeSet::signed_numeric: return t != DType::boolean && t != DType::uint8;
    case DTypeSet::any: return true;
    case DTypeSet::boolean: return t == DType::boolean;
    case DTypeSet::integer: return !floating && t != DType::boolean;
    case DTypeSet::wide_numeric:
      return t != DType::boolean && t != DType::int8 && t != DType::uint8;
  }
  return false;
}

// The same test at compile time, for kernels that instantiate only what the op accepts.
template <class T> constexpr bool type_in(DTypeSet set) { return dtype_in(set, dtype_of<T>()); }

inline const char* dtype_set_name(DTypeSet set) {
  switch (set) {
    case DTypeSet::floating: return "a floating-point type";
    case DTypeSet::numeric: return "a numeric type";
    case DTypeSet::signed_numeric: return "a signed numeric type";
    case DTypeSet::any: return "any type";
    case DTypeSet::boolean: return "bool";
    case DTypeSet::integer: return "an integer type";
    case DTypeSet::wide_numeric: return "a floating-point type, int32 or int64";
  }
  return "?";
}

// Throws unless input i's dtype belongs to `set`. `attr` names the type attribute, if any.
inline void expect_dtype_in(const InferContext& ctx, int i, DTypeSet set, const char* attr = "T") {
  if (dtype_in(set, ctx.dtype(i))) return;
  Error e = ctx.error(Errc::type_mismatch, "dtype not accepted by this op");
  e.input(std::to_string(i)).expected(dtype_set_name(set)).found(dtype_name(ctx.dtype(i)));
  if (*attr) e.attr(attr);
  throw e;
}

// Axes, indices and the like: int32 or int64.
inline void expect_index_dtype(const InferContext& ctx, int i, const char* attr) {
  const DType t = ctx.dtype(i);
  if (t == DType::int32 || t == DType::int64) return;
  throw ctx.error(Errc::type_mismatch, "index input must be int32 or int64")
      .input(std::to_string(i))
      .attr(attr)
      .found(dtype_name(t));
}

// ---------------------------------------------------------------------------------------------
// Elementwise

template <DTypeSet S> std::vector<TensorType> infer_unary(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, S, S == DTypeSet::boolean ? "" : "T");
  return {ctx.input(0)};
}

// IsNan, IsInf and IsFinite: a bool for each element of a floating-point input.
inline std::vector<TensorType> infer_float_class(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, DTypeSet::floating);
  return {{DType::boolean, ctx.shape(0)}};
}

// Two inputs of one dtype broadcast together; comparisons answer in bool.
template <DTypeSet S, bool kBoolResult>
std::vector<TensorType> infer_binary(const InferContext& ctx) {
  const char* attr = S == DTypeSet::boolean ? "" : "T";
  expect_dtype_in(ctx, 0, S, attr);
  expect_dtype_in(ctx, 1, S, attr);
  ctx.expect_same_dtype(0, 1);
  const DType out = kBoolResult ? DType::boolean : ctx.dtype(0);
  return {{out, broadcast_shapes(ctx, ctx.shape(0), ctx.shape(1))}};
}

// True when two known dimensions somewhere make broadcasting impossible.
inline bool known_broadcast_conflict(const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank()) return false;
  const int rank = std::min(a.rank(), b.rank());
  for (int i = 1; i <= rank; ++i) {
    const std::int64_t da = a.dim(-i), db = b.dim(-i);
    if (da >= 0 && db >= 0 && da != db && da != 1 && db != 1) return true;
  }
  return false;
}

// Equal and NotEqual: with incompatible_shape_error=false, shapes that cannot broadcast give a
// scalar (false for Equal, true for NotEqual) instead of an error, as TensorFlow does.
inline std::vector<TensorType> infer_equality(const InferContext& ctx) {
  if (!ctx.attr<bool>("incompatible_shape_error") &&
      known_broadcast_conflict(ctx.shape(0), ctx.shape(1))) {
    ctx.expect_same_dtype(0, 1);
    return {{DType::boolean, Shape{}}};
  }
  return infer_binary<DTypeSet::any, true>(ctx);
}

// AddN: every input has the same shape; unknown dimensions are filled in from the others.
inline std::vector<TensorType> infer_add_n(const InferContext& ctx) {
  const std::int64_t n = ctx.attr<std::int64_t>("N");
  if (n != ctx.num_inputs()) {
    throw ctx.error(Errc::invalid_graph, "input count differs from attribute N")
        .attr("N")
        .expected(std::to_string(n))
        .found(std::to_string(ctx.num_inputs()));
  }
  Shape merged = Shape::unknown_rank();
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    expect_dtype_in(ctx, i, DTypeSet::numeric);
    const Shape& s = ctx.shape(i);
    if (!merged.compatible_with(s)) {
      throw ctx.error(Errc::shape_mismatch, "AddN inputs must have the same shape")
          .input(std::to_string(i))
          .expected(merged.str())
          .found(s.str());
    }
    if (!s.has_rank()) continue;
    if (!merged.has_rank()) {
      merged = s;
      continue;
    }
    for (int d = 0; d < s.rank(); ++d) {
      if (merged.dim(d) == kUnknownDim) merged.set_dim(d, s.dim(d));
    }
  }
  return {{ctx.dtype(0), merged}};
}

// ---------------------------------------------------------------------------------------------
// Reductions

// Which of `rank` dimensions the axes name. Negative axes count from the end. An axis outside
// [-rank, rank) throws, and so does a dimension named twice (TensorFlow refuses [1, -1] on a
// matrix at run time). Kernels call this too, so both agree.
inline std::vector<bool> reduced_axes(const InferContext& ctx,
                                      const std::vector<std::int64_t>& axes, int rank) {
  std::vector<bool> reduced(static_cast<std::size_t>(rank), false);
  for (std::int64_t axis : axes) {
    const auto d = static_cast<std::size_t>(normalize_axis(ctx, axis, rank));
    if (reduced[d]) {
      throw ctx.error(Errc::invalid_argument, "reduction axes name a dimension twice")
          .found("axis " + std::to_string(axis) + " is dimension " + std::to_string(d));
    }
    reduced[d] = true;
  }
  return reduced;
}

// Sum, Mean, Max, ...: input 1 holds the axes (a scalar or a vector). When the axes are not known
// before running, neither is the output rank (unless keep_dims keeps it).
template <DTypeSet S> std::vector<TensorType> infer_reduction(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, S, S == DTypeSet::boolean ? "" : "T");
  expect_index_dtype(ctx, 1, "Tidx");
  const Shape& axes_shape = ctx.shape(1);
  if (axes_shape.has_rank() && axes_shape.rank() > 1) {
    throw ctx.error(Errc::shape_mismatch, "reduction axes must be a scalar or a vector")
        .input("1")
        .found(axes_shape.str());
  }
  const DType dtype = ctx.dtype(0);
  const Shape& in = ctx.shape(0);
  const bool keep_dims = ctx.attr<bool>("keep_dims");
  const Tensor* axes = ctx.value(1);
  if (!axes) {
    if (axes_shape.is_fully_known() && axes_shape.num_elements() == 0) return {{dtype, in}};
    if (keep_dims && in.has_rank()) return {{dtype, Shape::unknown_dims(in.rank())}};
    return {{dtype, Shape::unknown_rank()}};
  }
  const std::vector<std::int64_t> axis_values = axes->to_int64_vector();
  if (axis_values.empty()) return {{dtype, in}};  // no axes: nothing is reduced
  if (!in.has_rank()) return {{dtype, Shape::unknown_rank()}};
  const std::vector<bool> reduced = reduced_axes(ctx, axis_values, in.rank());
  std::vector<std::int64_t> dims;
  for (int d = 0; d < in.rank(); ++d) {
    if (!reduced[static_cast<std::size_t>(d)]) dims.push_back(in.dim(d));
    else if (keep_dims) dims.push_back(1);
  }
  return {{dtype, Shape(dims)}};
}

// ArgMax and ArgMin: input 1 is one axis (a scalar), which disappears from the shape.
inline std::vector<TensorType> infer_arg_reduction(const InferContext& ctx) {
  expect_dtype_in(ctx, 0, DTypeSet::any);
  expect_index_dtype(ctx, 1, "Tidx");
  const DType out = ctx.attr<DType>("output_type");
  if (out != DType::int32 && out != DType::int64) {
    throw ctx.error(Errc::invalid_attr, "output_type must be int32 or int64")
        .attr("output_type")
        .found(dtype_name(out));
  }
  ctx.expect_rank(1, 0);
  const Shape& in = ctx.shape(0);
  if (!in.has_rank()) return {{out, Shape::unknown_rank()}};
  if (in.rank() == 0) {
    throw ctx.error(Errc::shape_mismatch, "input must have at least one dimension").found(in.str());
  }
  const Tensor* axis_value = ctx.value(1);
  if (!axis_value) return {{out, Shape::unknown_dims(in.rank() - 1)}};
  const int axis = normalize_axis(ctx, axis_value->to_int64_vector().at(0), in.rank());
  if (in.dim(axis) == 0) {
    throw ctx.error(Errc::invalid_argument, "cannot take the arg max or min of an empty axis")
        .found(in.str() + ", axis " + std::to_string(axis));
  }
  std::vector<std::int64_t> dims = in.dims();
  dims.erase(dims.begin() + axis);
  return {{out, Shape(dims)}};
}

// ---------------------------------------------------------------------------------------------
// Cast

inline std::vector<TensorType> infer_cast(const InferContext& ctx) {
  return {{ctx.attr<DType>("DstT"), ctx.shape(0)}};
}

// ---------------------------------------------------------------------------------------------

inline void register_math_ops(OpCatalogue& c) {
  const AttrDef T{"T", {}};
  const InferFn floating = infer_unary<DTypeSet::floating>;
  const InferFn numeric = infer_unary<DTypeSet::numeric>;
  const InferFn signed_numeric = infer_unary<DTypeSet::signed_numeric>;

  // Unary: one input, same dtype and shape out, element i from element i (so in place).
  auto unary = [&T](const char* name, InferFn infer) {
    return op(name).inputs(1).attrs({T}).input_types({"T"}).infer(infer).elementwise().in_place();
  };
  c.add(unary("Relu", numeric).epilogue("Relu").non_negative());
  c.add(unary("Relu6", numeric).epilogue("Relu6").non_negative());
  c.add(unary("Elu", floating).epilogue("Elu"));
  c.add(unary("LeakyRelu", floating).attrs({{"alpha", 0.2f}}).epilogue("LeakyRelu"));
  c.add(unary("Selu", floating));
  c.add(unary("Sigmoid", floating).epilogue("Sigmoid").non_negative());
  c.add(unary("Tanh", floating).epilogue("Tanh"));
  c.add(unary("Softplus", floating));
  c.add(unary("Softsign", floating));
  c.add(unary("Erf", floating));
  c.add(unary("Erfc", floating));
  c.add(unary("Exp", floating));
  c.add(unary("Log", floating));
  c.add(unary("Log1p", floating));
  c.add(unary("Sqrt", floating));
  c.add(unary("Rsqrt", floating));
  c.add(unary("Square", numeric));
  c.add(unary("Abs", signed_numeric));
  c.add(unary("Neg", signed_numeric));
  c.add(unary("Sign", signed_numeric));
  c.add(unary("Reciprocal", floating));
  c.add(unary("Inv", floating));
  c.add(unary("Floor", floating));
  c.add(unary("Ceil", floating));
  c.add(unary("Round", signed_numeric));
  c.add(op("LogicalNot").inputs(1).infer(infer_unary<DTypeSet::boolean>).elementwise().in_place());
  for (const char* name : {"Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
                           "Acosh", "Atanh", "Expm1"}) {
    c.add(unary(name, floating));
  }
  c.add(unary("Invert", infer_unary<DTypeSet::integer>));
  // A bool for each element: elementwise, but the output has another dtype, so never in place.
  for (const char* name : {"IsNan", "IsInf", "IsFinite"}) {
    c.add(op(name).inputs(1).attrs({T}).input_types({"T"}).infer(infer_float_class).elementwise());
  }

  // Binary with broadcasting. Arithmetic and logic may overwrite either operand that has the
  // output's size; comparisons answer in bool, usually not their operands' dtype, so never.
  auto binary = [&T](const char* name, InferFn infer) {
    return op(name).inputs(2).attrs({T}).input_types({"T", "T"}).infer(infer).elementwise();
  };
  const InferFn numeric_binary = infer_binary<DTypeSet::numeric, false>;
  for (const char* name : {"Add", "AddV2", "Sub", "Mul", "Div", "FloorDiv", "FloorMod", "Maximum",
                           "Minimum", "SquaredDifference"}) {
    c.add(binary(name, numeric_binary).in_place({0, 1}));
  }
  c.add(binary("Pow", infer_binary<DTypeSet::signed_numeric, false>).in_place({0, 1}));
  c.add(binary("RealDiv", infer_binary<DTypeSet::floating, false>).in_place({0, 1}));
  // Division that defines 0 / 0 (DivNoNan: 0 when y is 0; Xdivy, Xlogy, Xlog1py: 0 when x is
  // 0), the truncating pair beside FloorDiv and FloorMod, and Atan2(y, x).
  for (const char* name : {"DivNoNan", "Xdivy", "Xlogy", "Xlog1py", "Atan2"}) {
    c.add(binary(name, infer_binary<DTypeSet::floating, false>).in_place({0, 1}));
  }
  c.add(binary("TruncateDiv", numeric_binary).in_place({0, 1}));
  c.add(binary("TruncateMod", infer_binary<DTypeSet::wide_numeric, false>).in_place({0, 1}));
  // Bitwise logic and shifts; a shift amount outside [0, bits) is clamped into it, as in
  // TensorFlow's kernels.
  for (const char* name : {"BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift"}) {
    c.add(binary(name, infer_binary<DTypeSet::integer, false>).in_place({0, 1}));
  }
  for (const char* name : {"Less", "LessEqual", "Greater", "GreaterEqual"}) {
    c.add(binary(name, infer_binary<DTypeSet::numeric, true>));
  }
  for (const char* name : {"Equal", "NotEqual"}) {
    c.add(binary(name, infer_equality).attrs({{"incompatible_shape_error", true}}));
  }
  for (const char* name : {"LogicalAnd", "LogicalOr"}) {
    c.add(op(name).inputs(2).infer(infer_binary<DTypeSet::boolean, true>).elementwise().in_place(
        {0, 1}));
  }
  c.add(op("AddN").variadic_inputs(1).attrs({{"N", {}}, T}).input_types({"T"}).infer(infer_add_n));

  // Reductions. TF2 strips keep_dims=false and Tidx=int32, so both need their defaults.
  const std::vector<AttrDef> reduction_attrs = {{"keep_dims", false}, {"Tidx", DType::int32}};
  for (const char* name : {"Sum", "Mean", "Prod", "Max", "Min"}) {
    c.add(op(name).inputs(2).attrs({T}).attrs(reduction_attrs).input_types({"T", "Tidx"}).infer(
        infer_reduction<DTypeSet::numeric>));
  }
  for (const char* name : {"All", "Any"}) {
    c.add(op(name).inputs(2).attrs(reduction_attrs).input_types({"", "Tidx"}).infer(
        infer_reduction<DTypeSet::boolean>));
  }
  for (const char* name : {"ArgMax", "ArgMin"}) {
    c.add(op(name)
              .inputs(2)
              .attrs({T, {"Tidx", DType::int32}, {"output_type", DType::int64}})
              .input_types({"T", "Tidx"})
              .infer(infer_arg_reduction));
  }

  // Elementwise, but the output has another dtype, so it never takes its input's place.
  c.add(op("Cast")
            .inputs(1)
            .attrs({{"SrcT", {}}, {"DstT", {}}, {"Truncate", false}})
            .input_types({"SrcT"})
            .infer(infer_cast)
            .elementwise());
}

}  // namespace kiln::ops
