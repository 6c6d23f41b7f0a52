// Reference kernels for the math ops: which functor or reducer each op name runs. The loops
// live in elementwise.hpp and reduce.hpp, the scalar functions in math_functions.hpp.
#pragma once

#include "cast.hpp"
#include "elementwise.hpp"
#include "math_functions.hpp"
#include "reduce.hpp"

namespace kiln::reference {

inline void register_math_kernels(KernelTable& table) {
  table["Relu"] = unary_kernel<fn::Relu>;
  table["Relu6"] = unary_kernel<fn::Relu6>;
  table["Elu"] = unary_kernel<fn::Elu>;
  table["Selu"] = unary_kernel<fn::Selu>;
  table["LeakyRelu"] = unary_kernel<fn::LeakyRelu>;
  table["Sigmoid"] = unary_kernel<fn::Sigmoid>;
  table["Tanh"] = unary_kernel<fn::Tanh>;
  table["Softplus"] = unary_kernel<fn::Softplus>;
  table["Softsign"] = unary_kernel<fn::Softsign>;
  table["Erf"] = unary_kernel<fn::Erf>;
  table["Erfc"] = unary_kernel<fn::Erfc>;
  table["Exp"] = unary_kernel<fn::Exp>;
  table["Log"] = unary_kernel<fn::Log>;
  table["Log1p"] = unary_kernel<fn::Log1p>;
  table["Sqrt"] = unary_kernel<fn::Sqrt>;
  table["Rsqrt"] = unary_kernel<fn::Rsqrt>;
  table["Square"] = unary_kernel<fn::Square>;
  table["Abs"] = unary_kernel<fn::Abs>;
  table["Neg"] = unary_kernel<fn::Neg>;
  table["Reciprocal"] = unary_kernel<fn::Reciprocal>;
  table["Inv"] = unary_kernel<fn::Reciprocal>;
  table["Floor"] = unary_kernel<fn::Floor>;
  table["Ceil"] = unary_kernel<fn::Ceil>;
  table["Round"] = unary_kernel<fn::Round>;
  table["Sign"] = unary_kernel<fn::Sign>;
  table["LogicalNot"] = unary_kernel<fn::LogicalNot>;

  table["Add"] = binary_kernel<fn::Add>;
  table["AddV2"] = binary_kernel<fn::Add>;
  table["Sub"] = binary_kernel<fn::Sub>;
  table["Mul"] = binary_kernel<fn::Mul>;
  table["RealDiv"] = binary_kernel<fn::RealDiv>;
  table["Div"] = binary_kernel<fn::Div>;
  table["FloorDiv"] = binary_kernel<fn::FloorDiv>;
  table["FloorMod"] = binary_kernel<fn::FloorMod>;
  table["Maximum"] = binary_kernel<fn::Maximum>;
  table["Minimum"] = binary_kernel<fn::Minimum>;
  table["SquaredDifference"] = binary_kernel<fn::SquaredDifference>;
  table["Pow"] = binary_kernel<fn::Pow>;
  table["Less"] = binary_kernel<fn::Less>;
  table["LessEqual"] = binary_kernel<fn::LessEqual>;
  table["Greater"] = binary_kernel<fn::Greater>;
  table["GreaterEqual"] = binary_kernel<fn::GreaterEqual>;
  table["Equal"] = equality_kernel<fn::Equal, false>;
  table["NotEqual"] = equality_kernel<fn::NotEqual, true>;
  table["LogicalAnd"] = binary_kernel<fn::LogicalAnd>;
  table["LogicalOr"] = binary_kernel<fn::LogicalOr>;
  table["AddN"] = add_n_kernel<fn::Add>;

  table["Sum"] = reduce_kernel<SumReducer>;
  table["Mean"] = reduce_kernel<MeanReducer>;
  table["Prod"] = reduce_kernel<ProdReducer>;
  table["Max"] = reduce_kernel<MaxReducer>;
  table["Min"] = reduce_kernel<MinReducer>;
  table["All"] = reduce_kernel<AllReducer>;
  table["Any"] = reduce_kernel<AnyReducer>;
  table["ArgMax"] = arg_reduce_kernel<true>;
  table["ArgMin"] = arg_reduce_kernel<false>;

  table["Cast"] = cast_kernel;
}

}  // namespace kiln::reference
