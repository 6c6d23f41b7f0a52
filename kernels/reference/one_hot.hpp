// Kernel for OneHot. With the depth axis at `axis`, the output is [outer, depth, inner] and the
// indices [outer, inner]: element (p, d, s) is on_value where indices[p, s] == d, else off_value.
#pragma once

#include "axis_tables.hpp"

namespace kiln::reference::array {

// Any integer tensor's values as int64 (OneHot's indices may be uint8 or int8 too).
inline std::vector<std::int64_t> integers_of(const Tensor& t) {
  std::vector<std::int64_t> values(static_cast<std::size_t>(t.num_elements()));
  dispatch(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      std::copy(t.data<T>(), t.data<T>() + values.size(), values.begin());
    } else {
      throw Error(Errc::internal, "integers_of: not an integer tensor")
          .found(dtype_name(t.dtype()));
    }
  });
  return values;
}

inline void one_hot_kernel(const Node& node, const std::vector<Tensor>& in,
                           std::vector<Tensor>& out) {
  if (out[0].num_elements() == 0) return;
  const Tensor& indices = in[0];
  const int axis = ops::array::one_hot_axis(known_context(node, in), indices.rank());
  const std::int64_t depth = out[0].dim(axis);
  const std::int64_t outer = dims_product(indices.shape(), 0, axis);
  const std::int64_t inner = dims_product(indices.shape(), axis, indices.rank());
  const std::vector<std::int64_t> index = integers_of(indices);
  const std::size_t element = dtype_size(out[0].dtype());
  const auto* on = static_cast<const std::byte*>(in[2].raw());
  const auto* off = static_cast<const std::byte*>(in[3].raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  for (std::int64_t p = 0; p < outer; ++p) {
    for (std::int64_t d = 0; d < depth; ++d) {
      for (std::int64_t s = 0; s < inner; ++s, dst += element) {
        const bool hot = index[static_cast<std::size_t>(p * inner + s)] == d;
        std::memcpy(dst, hot ? on : off, element);
      }
    }
  }
}

inline void register_one_hot_kernels(KernelTable& table) { table["OneHot"] = one_hot_kernel; }

}  // namespace kiln::reference::array
