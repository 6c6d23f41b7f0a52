// Cast between every pair of Kiln's dtypes.
//
// Float to integer truncates toward zero, as C++ and TensorFlow do. Where C++ leaves the
// conversion undefined (NaN, or a value outside the target's range) Kiln saturates: NaN becomes
// 0 and out-of-range values clamp to the target's min or max. TensorFlow's answer there is
// whatever the CPU's conversion instruction produces (x86 gives INT_MIN for NaN and overflow,
// then truncates to the narrow type), which is neither portable nor meaningful; saturation is
// what Rust's `as` and XLA's convert define, and it can never be UB.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "elementwise.hpp"

namespace kiln::reference {

// Out-of-range double to float (and so to inf) is defined only by IEEE 754, not by C++.
static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559);

template <class I, class F> I saturating_float_to_int(F f) {
  if (std::isnan(f)) return 0;
  const double x = static_cast<double>(f);
  // Both bounds are exact in double: min is 0 or -2^(bits-1); past_max is max + 1, a power of 2.
  const double min = static_cast<double>(std::numeric_limits<I>::min());
  const double past_max = (static_cast<double>(std::numeric_limits<I>::max() / 2) + 1.0) * 2.0;
  if (x <= min) return std::numeric_limits<I>::min();
  if (x >= past_max) return std::numeric_limits<I>::max();
  return static_cast<I>(x);  // in range: truncation toward zero
}

// Mantissa bits including the hidden one.
template <class T> constexpr int mantissa_digits() {
  if constexpr (std::is_same_v<T, half>) return 11;
  else if constexpr (std::is_same_v<T, bfloat16>) return 8;
  else return std::numeric_limits<T>::digits;
}

// Cast's Truncate=true: for these four pairs TensorFlow zeroes the mantissa bits the target
// cannot hold before converting, so the conversion rounds toward zero instead of to nearest.
template <class S, class D> constexpr bool truncation_applies() {
  return (std::is_same_v<S, double> && (std::is_same_v<D, float> || std::is_same_v<D, half>)) ||
         (std::is_same_v<S, float> && (std::is_same_v<D, half> || std::is_same_v<D, bfloat16>));
}

template <class S, class D> S drop_mantissa_bits(S x) {
  using Bits = std::conditional_t<sizeof(S) == 8, std::uint64_t, std::uint32_t>;
  constexpr int drop = mantissa_digits<S>() - mantissa_digits<D>();
  // A NaN keeps its bits (TensorFlow leaves it to the ordinary conversion). The mask, not an
  // early return: GCC 12 at -O1 miscompiles `if (isnan(x)) return x;` before the memcpys.
  const Bits mask = std::isnan(x) ? ~Bits(0) : ~Bits(0) << drop;
  Bits bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits &= mask;
  S truncated;
  std::memcpy(&truncated, &bits, sizeof bits);
  return truncated;
}

template <class D, class S> D cast_element(S s) {
  if constexpr (std::is_same_v<S, half> || std::is_same_v<S, bfloat16>) {
    return cast_element<D>(static_cast<float>(s));  // exact
  } else if constexpr (std::is_same_v<D, bool>) {
    return s != S(0);  // NaN is true, as in C++ and TensorFlow
  } else if constexpr (std::is_same_v<D, half> || std::is_same_v<D, bfloat16>) {
    return D(static_cast<float>(s));  // through float, as Eigen converts
  } else if constexpr (std::is_floating_point_v<S> && is_int_v<D>) {
    return saturating_float_to_int<D>(s);
  } else {
    return static_cast<D>(s);  // integer narrowing wraps (modulo 2^bits)
  }
}

inline void cast_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const bool truncate = node.attr<bool>("Truncate");
  const std::int64_t n = in[0].num_elements();
  dispatch(in[0].dtype(), [&](auto src_tag) {
    using S = typename decltype(src_tag)::type;
    const S* x = in[0].data<S>();
    dispatch(out[0].dtype(), [&](auto dst_tag) {
      using D = typename decltype(dst_tag)::type;
      D* y = out[0].data<D>();
      if constexpr (truncation_applies<S, D>()) {
        if (truncate) {
          for (std::int64_t i = 0; i < n; ++i) {
            y[i] = cast_element<D>(drop_mantissa_bits<S, D>(x[i]));
          }
          return;
        }
      }
      for (std::int64_t i = 0; i < n; ++i) y[i] = cast_element<D>(x[i]);
    });
  });
}

}  // namespace kiln::reference
