// From Philox words to TensorFlow's random values, bit for bit: which words make which element,
// and the exact arithmetic that turns them into uniform floats, integers in a range, normals and
// truncated normals.
//
//   uniform float       element i is word i: its low 23 mantissa bits (10 for float16, 7 for
//                       bfloat16) under exponent 0 give a value in [1, 2), minus 1.
//   uniform double      element i is words 2i (high 20 mantissa bits) and 2i+1 (low 32).
//   uniform integer     lo + word % (hi - lo) in unsigned arithmetic; int64 takes words 2i
//                       (low half) and 2i+1 (high half).
//   normal              Box-Muller on word pairs: u1 from the first (at least 1e-7), angle 2*pi*u2
//                       from the second; sin goes first, cos second. float16 and bfloat16 are the
//                       float results rounded. double uses four words (two uniform doubles) for
//                       each pair of outputs.
//   truncated normal    normals drawn in pairs, keeping those with |x| < 2, until the group of
//                       four (two for double) is full. Each group starts 256 words per element
//                       apart from the previous one, whatever the rejections, so that any
//                       split of the work gives the same numbers.
//
// Every block of four words is used whole: a group that the output does not fill still consumes
// its block, so the element order never depends on the output's size.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <kiln/core/dtype.hpp>

#include "philox.hpp"

namespace kiln::reference::random {

// ---- One value from words ----------------------------------------------------------------------

// [0, 1) from the low 23 bits of `word`: exact, since 1.m - 1 needs no rounding.
inline float uniform_float(std::uint32_t word) {
  const std::uint32_t bits = (std::uint32_t{127} << 23) | (word & 0x7fffffu);
  float one_to_two;
  std::memcpy(&one_to_two, &bits, sizeof bits);
  return one_to_two - 1.0f;
}

// [0, 1) from 52 bits: the low 20 of `high` above all 32 of `low`.
inline double uniform_double(std::uint32_t high, std::uint32_t low) {
  const std::uint64_t mantissa = (static_cast<std::uint64_t>(high & 0xfffffu) << 32) | low;
  const std::uint64_t bits = (std::uint64_t{1023} << 52) | mantissa;
  double one_to_two;
  std::memcpy(&one_to_two, &bits, sizeof bits);
  return one_to_two - 1.0;
}

// [0, 1) in float16 from the low 10 bits and in bfloat16 from the low 7: the same construction
// in the narrow type (1.m - 1 is exact there too).
inline half uniform_half(std::uint32_t word) {
  const auto bits = static_cast<std::uint16_t>((15u << 10) | (word & 0x3ffu));
  return half(static_cast<float>(half::from_bits(bits)) - 1.0f);
}
inline bfloat16 uniform_bfloat16(std::uint32_t word) {
  const auto bits = static_cast<std::uint16_t>((127u << 7) | (word & 0x7fu));
  return bfloat16(static_cast<float>(bfloat16::from_bits(bits)) - 1.0f);
}

// sin and cos of one angle. On Linux TensorFlow calls glibc's sincos, whose last bit may differ
// from sin's and cos's, so Kiln calls it too.
inline void sin_cos(float angle, float& sin, float& cos) {
#if defined(__linux__)
  ::sincosf(angle, &sin, &cos);
#else
  sin = std::sin(angle);
  cos = std::cos(angle);
#endif
}
inline void sin_cos(double angle, double& sin, double& cos) {
#if defined(__linux__)
  ::sincos(angle, &sin, &cos);
#else
  sin = std::sin(angle);
  cos = std::cos(angle);
#endif
}

// Two standard normals from two words (Box-Muller), in float arithmetic with float's log, sqrt
// and sincos, as TensorFlow computes them; only the angle's product with 2*pi is in double.
inline void box_muller(std::uint32_t w0, std::uint32_t w1, float& first, float& second) {
  const float epsilon = 1.0e-7f;  // keeps log() finite
  float u1 = uniform_float(w0);
  if (u1 < epsilon) u1 = epsilon;
  const float angle = static_cast<float>(2.0 * M_PI * static_cast<double>(uniform_float(w1)));
  const float radius = std::sqrt(-2.0f * std::log(u1));
  sin_cos(angle, first, second);
  first *= radius;
  second *= radius;
}

// Two standard normals from four words, in double.
inline void box_muller(std::uint32_t w0, std::uint32_t w1, std::uint32_t w2, std::uint32_t w3,
                       double& first, double& second) {
  const double epsilon = 1.0e-7;
  double u1 = uniform_double(w0, w1);
  if (u1 < epsilon) u1 = epsilon;
  const double angle = 2.0 * M_PI * uniform_double(w2, w3);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  sin_cos(angle, first, second);
  first *= radius;
  second *= radius;
}

// ---- Filling an output -----------------------------------------------------------------------

// Calls emit(block) for consecutive blocks until `n` elements are written, `per_block` at a time:
// the output index of the block's first element is passed along.
template <class Emit>
void for_each_block(Philox gen, std::int64_t n, std::int64_t per_block, Emit emit) {
  for (std::int64_t first = 0; first < n; first += per_block) emit(gen(), first);
}

// Uniform [0, 1) values of a floating type.
template <class T> void fill_uniform(Philox gen, T* out, std::int64_t n) {
  if constexpr (std::is_same_v<T, double>) {
    for_each_block(gen, n, 2, [&](const Philox::Block& b, std::int64_t i) {
      for (int k = 0; k < 2 && i + k < n; ++k) out[i + k] = uniform_double(b[2 * k], b[2 * k + 1]);
    });
  } else {
    for_each_block(gen, n, 4, [&](const Philox::Block& b, std::int64_t i) {
      for (int k = 0; k < 4 && i + k < n; ++k) {
        if constexpr (std::is_same_v<T, float>) out[i + k] = uniform_float(b[k]);
        if constexpr (std::is_same_v<T, half>) out[i + k] = uniform_half(b[k]);
        if constexpr (std::is_same_v<T, bfloat16>) out[i + k] = uniform_bfloat16(b[k]);
      }
    });
  }
}

// Uniform integers in [lo, hi), which the caller has checked (lo < hi).
template <class Int> void fill_uniform_int(Philox gen, Int* out, std::int64_t n, Int lo, Int hi) {
  using UInt = std::make_unsigned_t<Int>;
  const UInt range = static_cast<UInt>(static_cast<UInt>(hi) - static_cast<UInt>(lo));
  auto value = [&](UInt bits) { return static_cast<Int>(static_cast<UInt>(lo) + bits % range); };
  if constexpr (sizeof(Int) == 8) {
    for_each_block(gen, n, 2, [&](const Philox::Block& b, std::int64_t i) {
      for (int k = 0; k < 2 && i + k < n; ++k) {
        out[i + k] = value(Philox::words_to_u64(b[2 * k], b[2 * k + 1]));
      }
    });
  } else {
    for_each_block(gen, n, 4, [&](const Philox::Block& b, std::int64_t i) {
      for (int k = 0; k < 4 && i + k < n; ++k) out[i + k] = value(b[k]);
    });
  }
}

// Standard normal values of a floating type.
template <class T> void fill_normal(Philox gen, T* out, std::int64_t n) {
  if constexpr (std::is_same_v<T, double>) {
    for_each_block(gen, n, 2, [&](const Philox::Block& b, std::int64_t i) {
      double pair[2];
      box_muller(b[0], b[1], b[2], b[3], pair[0], pair[1]);
      for (int k = 0; k < 2 && i + k < n; ++k) out[i + k] = pair[k];
    });
  } else {
    for_each_block(gen, n, 4, [&](const Philox::Block& b, std::int64_t i) {
      float four[4];
      box_muller(b[0], b[1], four[0], four[1]);
      box_muller(b[2], b[3], four[2], four[3]);
      for (int k = 0; k < 4 && i + k < n; ++k) out[i + k] = T(four[k]);
    });
  }
}

// Hands out a generator's words one at a time, a block at a time.
class WordStream {
 public:
  explicit WordStream(Philox gen) : gen_(gen) {}
  std::uint32_t operator()() {
    if (used_ == 4) {
      block_ = gen_();
      used_ = 0;
    }
    return block_[used_++];
  }

 private:
  Philox gen_;
  Philox::Block block_{};
  int used_ = 4;
};

// Standard normal values with |x| < 2, redrawn until they fall inside.
template <class T> void fill_truncated_normal(Philox gen, T* out, std::int64_t n) {
  constexpr std::int64_t kGroup = std::is_same_v<T, double> ? 2 : 4;
  // Each group owns 256 words per element: kGroup * 256 / 4 blocks of the generator.
  constexpr std::uint64_t kBlocksPerGroup = kGroup * 256 / 4;
  for (std::int64_t first = 0, group = 0; first < n; first += kGroup, ++group) {
    Philox start = gen;
    start.skip(static_cast<std::uint64_t>(group) * kBlocksPerGroup);
    WordStream words(start);
    std::int64_t filled = 0;
    auto keep = [&](auto value, T rounded) {
      if (!(std::fabs(value) < 2)) return;
      if (filled < kGroup && first + filled < n) out[first + filled] = rounded;
      ++filled;
    };
    while (filled < kGroup) {
      if constexpr (std::is_same_v<T, double>) {
        const std::uint32_t w0 = words(), w1 = words(), w2 = words(), w3 = words();
        double pair[2];
        box_muller(w0, w1, w2, w3, pair[0], pair[1]);
        keep(pair[0], pair[0]);
        keep(pair[1], pair[1]);
      } else {
        const std::uint32_t w0 = words(), w1 = words();
        float pair[2];
        box_muller(w0, w1, pair[0], pair[1]);
        // The bound applies to the float value; float16 and bfloat16 round afterwards.
        keep(pair[0], T(pair[0]));
        keep(pair[1], T(pair[1]));
      }
    }
  }
}

}  // namespace kiln::reference::random
