// Reference kernels for the math ops: which reducer each reduction runs, and Cast. The
// elementwise ops are registered in math_functions.hpp, next to their scalar functions; the
// loops live in elementwise.hpp and reduce.hpp.
#pragma once

#include "cast.hpp"
#include "clip.hpp"
#include "cumulative.hpp"
#include "elementwise.hpp"
#include "math_functions.hpp"
#include "reduce.hpp"

namespace kiln::reference {

inline void register_math_kernels(KernelTable& table) {
  register_elementwise_kernels(table);  // math_functions.hpp, beside the functors

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

  table["ClipByValue"] = clip_by_value_kernel;
  table["Cumsum"] = cumulative_kernel<fn::Add, 0>;
  table["Cumprod"] = cumulative_kernel<fn::Mul, 1>;
}

}  // namespace kiln::reference
