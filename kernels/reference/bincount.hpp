// Kernel for DenseBincount: each row of the input adds one (or its weight) to the bin its value
// names; binary_output sets the bin to one instead.
#pragma once

#include "one_hot.hpp"

namespace kiln::reference::array {

inline void dense_bincount_kernel(const Node& node, const std::vector<Tensor>& in,
                                  std::vector<Tensor>& out) {
  Tensor& bins = out[0];
  const std::vector<std::int64_t> values = integers_of(in[0]);
  const std::int64_t size = bins.dim(bins.rank() - 1);
  const std::int64_t row_length = in[0].rank() == 2 ? in[0].dim(1) : in[0].num_elements();
  const bool weighted = in[2].num_elements() > 0;
  const bool binary = node.attr<bool>("binary_output");
  dispatch(bins.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> ||
                  std::is_same_v<T, float> || std::is_same_v<T, double>) {
      T* dst = bins.data<T>();
      std::fill(dst, dst + bins.num_elements(), T(0));
      const T* weights = weighted ? in[2].data<T>() : nullptr;
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::int64_t value = values[i];
        if (value < 0) {
          throw node.error(Errc::invalid_argument, "input values must not be negative")
              .found(std::to_string(value));
        }
        if (value >= size) continue;
        const std::int64_t row = row_length == 0 ? 0 : static_cast<std::int64_t>(i) / row_length;
        T& bin = dst[row * size + value];
        if (binary) {
          bin = T(1);
        } else {
          bin += weighted ? weights[i] : T(1);
        }
      }
    } else {
      throw node.error(Errc::unsupported, "no DenseBincount kernel for this dtype")
          .found(dtype_name(bins.dtype()));
    }
  });
}

inline void register_bincount_kernels(KernelTable& table) {
  table["DenseBincount"] = dense_bincount_kernel;
}

}  // namespace kiln::reference::array
