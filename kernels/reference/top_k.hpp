// Kernel for TopKV2: per innermost row, the k largest values, largest first, and their positions.
// Equal values keep their order (the lower position first), as in TensorFlow. With sorted=false
// TensorFlow leaves the order open; Kiln returns the sorted order then too.
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>

#include "axis_tables.hpp"

namespace kiln::reference::array {

// True when a ranks before b. NaN ranks above every number (TensorFlow's order for NaN depends
// on its algorithm's path; this one is at least a strict order, which the sort needs).
template <class T> bool ranks_above(T a, T b) {
  const double x = to_double(a);
  const double y = to_double(b);
  if (std::isnan(x)) return !std::isnan(y);
  if (std::isnan(y)) return false;
  return x > y;
}

inline void top_k_v2_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const std::int64_t k = out[0].dim(-1);
  if (out[0].num_elements() == 0) return;
  const std::int64_t length = x.dim(-1);
  const std::int64_t rows = x.num_elements() / length;
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* values = x.data<T>();
    T* top = out[0].data<T>();
    std::vector<std::int64_t> order(static_cast<std::size_t>(length));
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* row = values + r * length;
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [row](std::int64_t a, std::int64_t b) {
                          if (ranks_above(row[a], row[b])) return true;
                          if (ranks_above(row[b], row[a])) return false;
                          return a < b;
                        });
      for (std::int64_t i = 0; i < k; ++i) {
        const std::int64_t position = order[static_cast<std::size_t>(i)];
        top[r * k + i] = row[position];
        if (out[1].dtype() == DType::int32) {
          out[1].data<std::int32_t>()[r * k + i] = static_cast<std::int32_t>(position);
        } else {
          out[1].data<std::int64_t>()[r * k + i] = position;
        }
      }
    }
  });
}

inline void register_top_k_kernels(KernelTable& table) { table["TopKV2"] = top_k_v2_kernel; }

}  // namespace kiln::reference::array
