// Element types: the DType enum, the two 16-bit float types, and a dispatcher that turns a
// run-time DType into a compile-time C++ type for templated kernels.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "error.hpp"

namespace kiln {

enum class DType : std::uint8_t {
  float32,
  float16,
  bfloat16,
  float64,
  int8,
  uint8,
  int32,
  int64,
  boolean,
  // TensorFlow's DT_VARIANT as Kiln uses it: a TensorList (a scalar whose value is a list of
  // tensors, see TensorList in tensor.hpp). It has no elements a kernel could read as numbers.
  variant,
};

namespace detail {
inline std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
}  // namespace detail

// IEEE 754 binary16. Arithmetic happens in float: a half converts implicitly to float, and a
// float converts back with round-to-nearest-even, so templated kernels work unchanged.
struct half {
  std::uint16_t bits = 0;

  half() = default;
  half(float f) : bits(from_float(f)) {}  // NOLINT: implicit on purpose
  operator float() const { return to_float(bits); }  // NOLINT
  static half from_bits(std::uint16_t b) {
    half h;
    h.bits = b;
    return h;
  }

 private:
  static std::uint16_t from_float(float f) {
    const std::uint32_t x = detail::float_bits(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) {  // inf or NaN; keep NaN quiet
      return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    }
    if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // overflow to inf
    if (abs < 0x38800000u) {  // result is subnormal or zero: let the FPU round for us
      const float magic = detail::bits_float(0x3f000000u);  // 0.5: shifts the bits into place
      const float rounded = detail::bits_float(abs) + magic;
      return static_cast<std::uint16_t>(sign | (detail::float_bits(rounded) - 0x3f000000u));
    }
    // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even.
    const std::uint32_t odd = (abs >> 13) & 1u;
    const std::uint32_t rebased = abs - (112u << 23) + 0xfffu + odd;
    return static_cast<std::uint16_t>(sign | (rebased >> 13));
  }
  static float to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    const std::uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1f) return detail::bits_float(sign | 0x7f800000u | (mantissa << 13));
    if (exponent == 0) {  // zero or subnormal: value = mantissa * 2^-24
      const float value = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
      return sign ? -value : value;
    }
    return detail::bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  }
};

// Brain float: the top 16 bits of a float32, rounded to nearest even.
struct bfloat16 {
  std::uint16_t bits = 0;

  bfloat16() = default;
  bfloat16(float f) : bits(from_float(f)) {}  // NOLINT: implicit on purpose
  operator float() const { return detail::bits_float(static_cast<std::uint32_t>(bits) << 16); }  // NOLINT
  static bfloat16 from_bits(std::uint16_t b) {
    bfloat16 h;
    h.bits = b;
    return h;
  }

 private:
  static std::uint16_t from_float(float f) {
    const std::uint32_t x = detail::float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);
    const std::uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
    return static_cast<std::uint16_t>((x + rounding) >> 16);
  }
};

inline std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::float32: return 4;
    case DType::float16: return 2;
    case DType::bfloat16: return 2;
    case DType::float64: return 8;
    case DType::int8: return 1;
    case DType::uint8: return 1;
    case DType::int32: return 4;
    case DType::int64: return 8;
    case DType::boolean: return 1;
    case DType::variant: return 0;  // the list lives beside the bytes, not in them
  }
  throw Error(Errc::internal, "dtype_size: unknown dtype");
}

// NumPy-style names: what Kiln prints and what `kiln show --json` writes.
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::float32: return "float32";
    case DType::float16: return "float16";
    case DType::bfloat16: return "bfloat16";
    case DType::float64: return "float64";
    case DType::int8: return "int8";
    case DType::uint8: return "uint8";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
    case DType::boolean: return "bool";
    case DType::variant: return "variant";
  }
  return "invalid";
}

// TensorFlow's enum names, as saved_model_cli prints them.
inline const char* dtype_tf_name(DType t) {
  switch (t) {
    case DType::float32: return "DT_FLOAT";
    case DType::float16: return "DT_HALF";
    case DType::bfloat16: return "DT_BFLOAT16";
    case DType::float64: return "DT_DOUBLE";
    case DType::int8: return "DT_INT8";
    case DType::uint8: return "DT_UINT8";
    case DType::int32: return "DT_INT32";
    case DType::int64: return "DT_INT64";
    case DType::boolean: return "DT_BOOL";
    case DType::variant: return "DT_VARIANT";
  }
  return "DT_INVALID";
}

inline DType dtype_from_name(std::string_view name) {
  for (DType t : {DType::float32, DType::float16, DType::bfloat16, DType::float64, DType::int8,
                  DType::uint8, DType::int32, DType::int64, DType::boolean, DType::variant}) {
    if (name == dtype_name(t) || name == dtype_tf_name(t)) return t;
  }
  throw Error(Errc::unsupported, "unknown dtype name").found(std::string(name));
}

inline bool is_floating(DType t) {
  return t == DType::float32 || t == DType::float16 || t == DType::bfloat16 ||
         t == DType::float64;
}
inline bool is_integer(DType t) {
  return t == DType::int8 || t == DType::uint8 || t == DType::int32 || t == DType::int64;
}

// The C++ type behind each DType, and the way back.
template <DType D> struct cpp_type;
template <> struct cpp_type<DType::float32> { using type = float; };
template <> struct cpp_type<DType::float16> { using type = half; };
template <> struct cpp_type<DType::bfloat16> { using type = bfloat16; };
template <> struct cpp_type<DType::float64> { using type = double; };
template <> struct cpp_type<DType::int8> { using type = std::int8_t; };
template <> struct cpp_type<DType::uint8> { using type = std::uint8_t; };
template <> struct cpp_type<DType::int32> { using type = std::int32_t; };
template <> struct cpp_type<DType::int64> { using type = std::int64_t; };
template <> struct cpp_type<DType::boolean> { using type = bool; };

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::float32; }
template <> constexpr DType dtype_of<half>() { return DType::float16; }
template <> constexpr DType dtype_of<bfloat16>() { return DType::bfloat16; }
template <> constexpr DType dtype_of<double>() { return DType::float64; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::int8; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::uint8; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::int32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::int64; }
template <> constexpr DType dtype_of<bool>() { return DType::boolean; }

// Any element as a double (the 16-bit floats go through float).
template <class T> double to_double(T v) {
  if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16>) {
    return static_cast<double>(static_cast<float>(v));
  } else {
    return static_cast<double>(v);
  }
}

// A value that carries a type: dispatch(t, [&](auto tag) { using T = typename decltype(tag)::type; })
template <class T> struct type_tag { using type = T; };

// Calls fn(type_tag<T>{}) with T the C++ type of `t`.
template <class Fn> decltype(auto) dispatch(DType t, Fn&& fn) {
  switch (t) {
    case DType::float32: return fn(type_tag<float>{});
    case DType::float16: return fn(type_tag<half>{});
    case DType::bfloat16: return fn(type_tag<bfloat16>{});
    case DType::float64: return fn(type_tag<double>{});
    case DType::int8: return fn(type_tag<std::int8_t>{});
    case DType::uint8: return fn(type_tag<std::uint8_t>{});
    case DType::int32: return fn(type_tag<std::int32_t>{});
    case DType::int64: return fn(type_tag<std::int64_t>{});
    case DType::boolean: return fn(type_tag<bool>{});
    case DType::variant: break;
  }
  throw Error(Errc::type_mismatch, "this operation needs numbers, not a tensor list")
      .found(dtype_name(t));
}

}  // namespace kiln
