// ClipByValue's reference kernel: min(max(t, lo), hi) element by element, each bound a scalar or
// an element of the same index.
#pragma once

#include <kiln/core/ops/clip.hpp>

#include "elementwise.hpp"

namespace kiln::reference {

// TensorFlow limits from above first, then from below (Eigen's cwiseMin(hi).cwiseMax(lo)), with
// std::min and std::max's comparisons. So lo wins when lo > hi, a NaN element stays NaN, and a
// NaN bound lets the element through on that side.
template <class C> C clip_value(C x, C lo, C hi) {
  const C below_hi = hi < x ? hi : x;
  return below_hi < lo ? lo : below_hi;
}

inline void clip_by_value_kernel(const Node& node, const std::vector<Tensor>& in,
                                 std::vector<Tensor>& out) {
  with_node_context(node, [&] {
    dispatch_in<DTypeSet::numeric>(in[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = compute_t<T>;
      const T* x = in[0].data<T>();
      const T* lo = in[1].data<T>();
      const T* hi = in[2].data<T>();
      // Inference let each bound through only as a scalar or with t's shape.
      const std::int64_t lo_step = in[1].num_elements() == 1 ? 0 : 1;
      const std::int64_t hi_step = in[2].num_elements() == 1 ? 0 : 1;
      T* y = out[0].data<T>();
      const std::int64_t n = in[0].num_elements();
      for (std::int64_t i = 0; i < n; ++i) {
        y[i] = T(clip_value(C(x[i]), C(lo[i * lo_step]), C(hi[i * hi_step])));
      }
    });
  });
}

}  // namespace kiln::reference
