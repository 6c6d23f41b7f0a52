// Kernels whose output is made from little: Range, ZerosLike, OnesLike, and the shape queries
// Shape, Size and Rank.
#pragma once

#include <type_traits>

#include "axis_tables.hpp"

namespace kiln::reference::array {

inline void range_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  dispatch(out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T start = in[0].data<T>()[0];
    const T delta = in[2].data<T>()[0];
    T* values = out[0].data<T>();
    const std::int64_t n = out[0].num_elements();
    if constexpr (std::is_integral_v<T>) {
      // start + i * delta in wrapping unsigned arithmetic: exact, because every element lies
      // between start and limit, and free of the signed overflow an accumulator could hit.
      const auto first = static_cast<std::uint64_t>(static_cast<std::int64_t>(start));
      const auto step = static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint64_t value = first + static_cast<std::uint64_t>(i) * step;
        values[i] = static_cast<T>(static_cast<std::int64_t>(value));
      }
    } else {
      // start + i * delta with every step rounded to T, as TensorFlow computes it: the rounding
      // then matches bit for bit (accumulating would drift).
      for (std::int64_t i = 0; i < n; ++i) {
        values[i] = static_cast<T>(start + static_cast<T>(static_cast<T>(i) * delta));
      }
    }
  });
}

// Outputs are allocated zero-filled, so ZerosLike has nothing left to do.
inline void zeros_like_kernel(const Node&, const std::vector<Tensor>&, std::vector<Tensor>&) {}

inline void ones_like_kernel(const Node&, const std::vector<Tensor>&, std::vector<Tensor>& out) {
  dispatch(out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::fill_n(out[0].data<T>(), out[0].num_elements(), static_cast<T>(1.0f));
  });
}

// Writes integers into an int32 or int64 output (the shape functions checked that they fit).
inline void write_integers(const std::vector<std::int64_t>& values, Tensor& out) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (out.dtype() == DType::int32) {
      out.data<std::int32_t>()[i] = static_cast<std::int32_t>(values[i]);
    } else {
      out.data<std::int64_t>()[i] = values[i];
    }
  }
}

inline void shape_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  write_integers(in[0].shape().dims(), out[0]);
}

inline void size_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  write_integers({in[0].num_elements()}, out[0]);
}

inline void rank_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  write_integers({in[0].rank()}, out[0]);
}

inline void register_generating_kernels(KernelTable& table) {
  table["Range"] = range_kernel;
  table["ZerosLike"] = zeros_like_kernel;
  table["OnesLike"] = ones_like_kernel;
  table["Shape"] = shape_kernel;
  table["Size"] = size_kernel;
  table["Rank"] = rank_kernel;
}

}  // namespace kiln::reference::array
