// Cumsum and Cumprod's reference kernels: one running fold per line along the axis.
#pragma once

#include <kiln/core/ops/cumulative.hpp>

#include "math_functions.hpp"

namespace kiln::reference {

// The running value is kept in T and rounded after every step, as TensorFlow's scan does (a
// float16 cumsum drifts like float16 additions do); integers wrap.
template <class Combine, int kIdentity>
void cumulative_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  with_node_context(node, [&] {
    const int axis = ops::cumulative_axis(known_context(node, in));
    const bool exclusive = node.attr<bool>("exclusive");
    const bool reverse = node.attr<bool>("reverse");
    const Shape& shape = in[0].shape();
    if (shape.num_elements() == 0) return;  // then the products below are bounded by it
    std::int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= shape.dim(d);
    for (int d = axis + 1; d < shape.rank(); ++d) inner *= shape.dim(d);
    const std::int64_t length = shape.dim(axis);
    dispatch_in<DTypeSet::numeric>(in[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = compute_t<T>;
      const Combine combine;
      const T* x = in[0].data<T>();
      T* y = out[0].data<T>();
      for (std::int64_t o = 0; o < outer; ++o) {
        for (std::int64_t j = 0; j < inner; ++j) {
          const std::int64_t first = o * length * inner + j;
          T running = T(C(kIdentity));
          for (std::int64_t k = 0; k < length; ++k) {
            const std::int64_t i = first + (reverse ? length - 1 - k : k) * inner;
            const T next = T(combine(C(running), C(x[i])));
            y[i] = exclusive ? running : next;
            running = next;
          }
        }
      }
    });
  });
}

}  // namespace kiln::reference
