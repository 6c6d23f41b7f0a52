// What the nn reference kernels share: the type dispatchers they accept and the accumulator type
// for each element type.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include <kiln/core/op_def.hpp>
#include <kiln/core/shape_functions.hpp>

#include "kernel.hpp"

namespace kiln::reference::nn {

inline Error no_kernel_for(const Node& node, DType type) {
  return node.error(Errc::unsupported, "the reference kernel does not support this dtype")
      .found(dtype_name(type));
}

// fn(type_tag<T>{}) for the four floating-point types; anything else is unsupported.
template <class Fn>
void dispatch_floating(const Node& node, DType type, Fn&& fn) {
  switch (type) {
    case DType::float32:
      return fn(type_tag<float>{});
    case DType::float64:
      return fn(type_tag<double>{});
    case DType::float16:
      return fn(type_tag<half>{});
    case DType::bfloat16:
      return fn(type_tag<bfloat16>{});
    default:
      throw no_kernel_for(node, type);
  }
}

// The floating-point types plus int32 and int64 (matrix products, einsum, bias).
template <class Fn>
void dispatch_float_or_wide_int(const Node& node, DType type, Fn&& fn) {
  switch (type) {
    case DType::int32:
      return fn(type_tag<std::int32_t>{});
    case DType::int64:
      return fn(type_tag<std::int64_t>{});
    default:
      return dispatch_floating(node, type, fn);
  }
}

// Every numeric type: int8 and uint8 besides the ones above (image ops, which read any
// pixel type as float).
template <class Fn>
void dispatch_numeric(const Node& node, DType type, Fn&& fn) {
  switch (type) {
    case DType::int8:
      return fn(type_tag<std::int8_t>{});
    case DType::uint8:
      return fn(type_tag<std::uint8_t>{});
    default:
      return dispatch_float_or_wide_int(node, type, fn);
  }
}

// Sums are kept in float for the 16-bit floats (as TensorFlow does), in double for double, and
// in uint64 for integers: unsigned arithmetic wraps like TensorFlow's int kernels do in
// practice, where signed overflow would be undefined behaviour.
template <class T>
struct accumulator {
  using type = float;
};
template <>
struct accumulator<double> {
  using type = double;
};
template <>
struct accumulator<std::int32_t> {
  using type = std::uint64_t;
};
template <>
struct accumulator<std::int64_t> {
  using type = std::uint64_t;
};
template <class T>
using acc_t = typename accumulator<T>::type;

template <class A, class T>
inline A to_acc(T v) {
  if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16>) {
    return static_cast<A>(static_cast<float>(v));
  } else {
    return static_cast<A>(v);
  }
}

template <class T, class A>
inline T from_acc(A v) {
  if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);  // uint64 -> int32/int64 keeps the low bits (two's complement)
  }
}

// Row-major strides of a fully known shape.
inline std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.dims().size(), 1);
  for (int i = static_cast<int>(strides.size()) - 2; i >= 0; --i) {
    const auto u = static_cast<std::size_t>(i);
    strides[u] = strides[u + 1] * shape.dims()[u + 1];
  }
  return strides;
}

// Element strides of the batch, height, width and channel dimensions of a 4-D tensor.
struct Strides4 {
  std::int64_t n, h, w, c;
};
inline Strides4 strides_in_layout(const Shape& shape, const Layout4& layout) {
  const std::vector<std::int64_t> s = strides_of(shape);
  return {s[static_cast<std::size_t>(layout.n)], s[static_cast<std::size_t>(layout.h)],
          s[static_cast<std::size_t>(layout.w)], s[static_cast<std::size_t>(layout.c)]};
}

}  // namespace kiln::reference::nn
