// Cast where C++ and TensorFlow give no portable answer (NaN and out-of-range floats to
// integers: Kiln saturates and sends NaN to 0), plus rounding and wrapping worked out by hand.
// In-range casts between all 81 dtype pairs are checked against TensorFlow in test_math_tf.cpp.
#include <cmath>
#include <limits>

#include "math_test_helpers.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::check_equal;
using test::kInff;
using test::kNaNf;
using test::run_op1;

namespace {
Tensor cast(const Tensor& x, DType to, bool truncate = false) {
  return run_op1("Cast", {x}, {{"SrcT", x.dtype()}, {"DstT", to}, {"Truncate", truncate}});
}
template <class T>
constexpr T lowest = std::numeric_limits<T>::min();
template <class T>
constexpr T highest = std::numeric_limits<T>::max();
}  // namespace

TEST_CASE("float to int saturates, NaN becomes 0", "[math][cast]") {
  // 2147483520 is the largest float below 2^31; 2^31 itself is one past INT32_MAX.
  const Tensor x = Tensor::from<float>({11}, {kNaNf, kInff, -kInff, 3e9f, -3e9f, 2147483520.0f,
                                              2147483648.0f, -2147483648.0f, -1.9f, 1.9f, -0.5f});
  check_equal(cast(x, DType::int32),
              Tensor::from<std::int32_t>(
                  {11}, {0, highest<std::int32_t>, lowest<std::int32_t>, highest<std::int32_t>,
                         lowest<std::int32_t>, 2147483520, highest<std::int32_t>,
                         lowest<std::int32_t>, -1, 1, 0}));  // truncation toward zero

  const Tensor small = Tensor::from<float>({6}, {300, -300, 127.9f, -128.9f, kNaNf, -kInff});
  check_equal(cast(small, DType::int8),
              Tensor::from<std::int8_t>({6}, {127, -128, 127, -128, 0, -128}));

  const Tensor bytes = Tensor::from<float>({7}, {-1, -0.5f, 255.9f, 256, 1e10f, kNaNf, 7.99f});
  check_equal(cast(bytes, DType::uint8),
              Tensor::from<std::uint8_t>({7}, {0, 0, 255, 255, 255, 0, 7}));

  // 9223372036854774784 = 2^63 - 1024 is the largest double below 2^63.
  const Tensor wide = Tensor::from<double>(
      {5}, {9.3e18, -9.3e18, 9223372036854774784.0, std::nan(""), -9223372036854775808.0});
  check_equal(cast(wide, DType::int64),
              Tensor::from<std::int64_t>({5}, {highest<std::int64_t>, lowest<std::int64_t>,
                                               9223372036854774784, 0, lowest<std::int64_t>}));

  // The 16-bit floats go through float: half's inf and -1000 clamp to int8's range.
  const Tensor halves = Tensor::from<half>({3}, {half(kInff), half(-1000.0f), half(-2.5f)});
  check_equal(cast(halves, DType::int8), Tensor::from<std::int8_t>({3}, {127, -128, -2}));
}

TEST_CASE("integer narrowing wraps modulo 2^bits", "[math][cast]") {
  // 200 - 256 = -56; -129 + 256 = 127; 256 -> 0; 2^32 + 5 -> 5
  check_equal(cast(Tensor::from<std::int32_t>({3}, {200, -129, 256}), DType::int8),
              Tensor::from<std::int8_t>({3}, {-56, 127, 0}));
  check_equal(cast(Tensor::from<std::int64_t>({1}, {(std::int64_t{1} << 32) + 5}), DType::int32),
              Tensor::from<std::int32_t>({1}, {5}));
  check_equal(cast(Tensor::from<std::int8_t>({2}, {-1, -128}), DType::uint8),
              Tensor::from<std::uint8_t>({2}, {255, 128}));
}

TEST_CASE("casts to and from bool", "[math][cast]") {
  // Anything nonzero is true, NaN included (NaN != 0); -0.0 == 0 is false.
  check_equal(cast(Tensor::from<float>({4}, {kNaNf, -0.0f, 0.5f, -kInff}), DType::boolean),
              Tensor::from<bool>({4}, {true, false, true, true}));
  check_equal(cast(Tensor::from<std::int32_t>({3}, {0, -7, 256}), DType::boolean),
              Tensor::from<bool>({3}, {false, true, true}));
  check_equal(cast(Tensor::from<bool>({2}, {true, false}), DType::float16),
              Tensor::from<half>({2}, {half(1.0f), half(0.0f)}));
  check_equal(cast(Tensor::from<bool>({2}, {true, false}), DType::int64),
              Tensor::from<std::int64_t>({2}, {1, 0}));
}

TEST_CASE("float narrowing rounds to nearest, overflows to inf", "[math][cast]") {
  // float64 -> float32: 1e300 overflows, 1e-50 underflows to 0, NaN stays NaN.
  const Tensor d = cast(Tensor::from<double>({3}, {1e300, 1e-50, std::nan("")}), DType::float32);
  CHECK(d.data<float>()[0] == kInff);
  CHECK(d.data<float>()[1] == 0.0f);
  CHECK(std::isnan(d.data<float>()[2]));
  // float32 -> float16: the largest half is 65504 and its ulp there is 32, so 65519 (< 65504 +
  // 16) rounds down and 65520 (the midpoint to 65536) rounds to even, i.e. up, to inf. 1e-8 is
  // below half the smallest subnormal (2^-24 / 2 = 2.98e-8) and becomes 0.
  const Tensor h = cast(Tensor::from<float>({3}, {65519, 65520, 1e-8f}), DType::float16);
  check_equal(h, Tensor::from<half>({3}, {half(65504.0f), half(kInff), half(0.0f)}));
  // int32 -> float32: 16777217 = 2^24 + 1 is a tie between 2^24 and 2^24 + 2; even wins.
  check_equal(cast(Tensor::from<std::int32_t>({1}, {16777217}), DType::float32),
              Tensor::from<float>({1}, {16777216}));
}

TEST_CASE("Truncate rounds toward zero where TensorFlow applies it", "[math][cast]") {
  // 1 + 2^-24 + 2^-25 lies 0.75 ulp of float above 1: to nearest it becomes 1 + 2^-23,
  // truncated it becomes 1.
  const Tensor x = Tensor::from<double>({2}, {1.0 + 0x1p-24 + 0x1p-25, -(1.0 + 0x1p-24 + 0x1p-25)});
  check_equal(cast(x, DType::float32, false),
              Tensor::from<float>({2}, {1 + 0x1p-23f, -1 - 0x1p-23f}));
  check_equal(cast(x, DType::float32, true), Tensor::from<float>({2}, {1, -1}));
  // float64 -> bfloat16 is not one of TensorFlow's truncating pairs: 1 + 2^-8 + 2^-9 (0.75 ulp
  // of bfloat16 above 1) rounds to nearest, 1 + 2^-7, either way.
  const Tensor y = Tensor::from<double>({1}, {1.0 + 0x1p-8 + 0x1p-9});
  check_equal(cast(y, DType::bfloat16, true), Tensor::from<bfloat16>({1}, {bfloat16(1 + 0x1p-7f)}));
  // A NaN is left to the ordinary conversion and stays NaN.
  const Tensor nan = cast(Tensor::from<float>({1}, {kNaNf}), DType::bfloat16, true);
  CHECK(std::isnan(static_cast<float>(nan.data<bfloat16>()[0])));
}

TEST_CASE("Cast to the same dtype copies", "[math][cast]") {
  const Tensor x = Tensor::from<std::int32_t>({3}, {1, -2, 3});
  check_equal(cast(x, DType::int32), x);
}

}  // namespace KILN_TEST_FILE
