// Reductions and ArgMax/ArgMin on values worked out by hand: keep_dims, negative, scalar, empty
// and int64 axes, empty inputs, integer Mean, and bad axes. (TensorFlow's own answers for many
// more combinations are in test_math_tf.cpp.)
#include <cmath>
#include <limits>

#include "math_test_helpers.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::check_close;
using test::check_equal;
using test::error_code;
using test::run_op1;

namespace {
const Attrs kF32 = {{"T", DType::float32}};
const Attrs kF32Keep = {{"T", DType::float32}, {"keep_dims", true}};

Tensor axes(std::initializer_list<std::int32_t> values) {
  return Tensor::from<std::int32_t>({static_cast<std::int64_t>(values.size())}, values);
}

// [[1, 2, 3],
//  [4, 5, 6]]
Tensor matrix() { return Tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, 6}); }
}  // namespace

TEST_CASE("reductions over a matrix", "[math][reduce]") {
  const Tensor x = matrix();
  // Columns: 1+4, 2+5, 3+6. Rows: 1+2+3, 4+5+6. All: 21.
  check_equal(run_op1("Sum", {x, axes({0})}, kF32), Tensor::from<float>({3}, {5, 7, 9}));
  check_equal(run_op1("Sum", {x, axes({1})}, kF32), Tensor::from<float>({2}, {6, 15}));
  check_equal(run_op1("Sum", {x, axes({-1})}, kF32Keep), Tensor::from<float>({2, 1}, {6, 15}));
  check_equal(run_op1("Sum", {x, axes({0, 1})}, kF32), Tensor::scalar<float>(21));
  check_equal(run_op1("Sum", {x, axes({-2, 1})}, kF32Keep), Tensor::from<float>({1, 1}, {21}));
  // Means: 5/2, 7/2, 9/2 and 6/3, 15/3.
  check_equal(run_op1("Mean", {x, axes({0})}, kF32), Tensor::from<float>({3}, {2.5f, 3.5f, 4.5f}));
  check_equal(run_op1("Mean", {x, axes({1})}, kF32), Tensor::from<float>({2}, {2, 5}));
  // Products: 1*2*3, 4*5*6; 1*4, 2*5, 3*6.
  check_equal(run_op1("Prod", {x, axes({1})}, kF32), Tensor::from<float>({2}, {6, 120}));
  check_equal(run_op1("Prod", {x, axes({0})}, kF32), Tensor::from<float>({3}, {4, 10, 18}));
  check_equal(run_op1("Max", {x, axes({0})}, kF32), Tensor::from<float>({3}, {4, 5, 6}));
  check_equal(run_op1("Min", {x, axes({-2})}, kF32Keep), Tensor::from<float>({1, 3}, {1, 2, 3}));
}

TEST_CASE("reduction axes: scalar, empty, int64, unordered", "[math][reduce]") {
  const Tensor x = matrix();
  check_equal(run_op1("Max", {x, Tensor::scalar<std::int32_t>(1)}, kF32),
              Tensor::from<float>({2}, {3, 6}));
  // No axes: nothing is reduced, the input comes back (with or without keep_dims).
  check_equal(run_op1("Sum", {x, Tensor(DType::int32, Shape{0})}, kF32), x);
  check_equal(run_op1("Max", {x, Tensor(DType::int32, Shape{0})}, kF32Keep), x);
  const Tensor axes64 = Tensor::from<std::int64_t>({1}, {-1});
  check_equal(run_op1("Min", {x, axes64}, {{"T", DType::float32}, {"Tidx", DType::int64}}),
              Tensor::from<float>({2}, {1, 4}));

  // x[i][j][k] = 1..8 over [2,2,2]. Reducing axes {0, 2} keeps j:
  //   j=0: x[0][0][*] + x[1][0][*] = 1+2 + 5+6 = 14;  j=1: 3+4 + 7+8 = 22
  const Tensor cube = Tensor::from<float>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor expected = Tensor::from<float>({2}, {14, 22});
  check_equal(run_op1("Sum", {cube, axes({0, 2})}, kF32), expected);
  check_equal(run_op1("Sum", {cube, axes({2, 0})}, kF32), expected);
  check_equal(run_op1("Sum", {cube, axes({-3, -1})}, kF32), expected);
  check_equal(run_op1("Sum", {cube, axes({0, 2})}, kF32Keep),
              Tensor::from<float>({1, 2, 1}, {14, 22}));
  // Axes {0, 1} keep k: 1+3+5+7 = 16, 2+4+6+8 = 20.
  check_equal(run_op1("Sum", {cube, axes({0, 1})}, kF32), Tensor::from<float>({2}, {16, 20}));
}

TEST_CASE("reductions over nothing give each reducer's identity", "[math][reduce]") {
  const Tensor empty(DType::float32, Shape{0, 3});
  const float inf = std::numeric_limits<float>::infinity();
  check_equal(run_op1("Sum", {empty, axes({0})}, kF32), Tensor::from<float>({3}, {0, 0, 0}));
  check_equal(run_op1("Prod", {empty, axes({0})}, kF32), Tensor::from<float>({3}, {1, 1, 1}));
  check_equal(run_op1("Max", {empty, axes({0})}, kF32),
              Tensor::from<float>({3}, {-inf, -inf, -inf}));
  check_equal(run_op1("Min", {empty, axes({0})}, kF32), Tensor::from<float>({3}, {inf, inf, inf}));
  const Tensor mean = run_op1("Mean", {empty, axes({0})}, kF32);  // 0 / 0
  CHECK(mean.shape() == Shape({3}));
  CHECK(std::isnan(mean.data<float>()[0]));
  // Reducing the non-empty axis leaves an empty result.
  CHECK(run_op1("Sum", {empty, axes({1})}, kF32).shape() == Shape({0}));

  const Tensor empty_int(DType::int32, Shape{0, 2});
  const Attrs i32 = {{"T", DType::int32}};
  check_equal(run_op1("Mean", {empty_int, axes({0})}, i32),
              Tensor::from<std::int32_t>({2}, {0, 0}));
  check_equal(run_op1("Max", {empty_int, axes({0})}, i32),
              Tensor::from<std::int32_t>({2}, {std::numeric_limits<std::int32_t>::min(),
                                               std::numeric_limits<std::int32_t>::min()}));

  const Tensor empty_bool(DType::boolean, Shape{2, 0});
  check_equal(run_op1("All", {empty_bool, axes({1})}), Tensor::from<bool>({2}, {true, true}));
  check_equal(run_op1("Any", {empty_bool, axes({1})}), Tensor::from<bool>({2}, {false, false}));

  // An empty shape whose other dimensions multiply past 2^63 must not overflow anything.
  const std::int64_t huge = std::int64_t{1} << 40;
  const Tensor vast_but_empty(DType::float32, Shape{0, huge, huge});
  CHECK(run_op1("Mean", {vast_but_empty, axes({1, 2})}, kF32).shape() == Shape({0}));
}

TEST_CASE("integer reductions", "[math][reduce][int]") {
  const Attrs i32 = {{"T", DType::int32}};
  // Mean truncates toward zero: (-7 + 2) / 2 = -2.5 -> -2; (7 + 2) / 2 = 4.5 -> 4.
  const Tensor x = Tensor::from<std::int32_t>({2, 2}, {-7, 2, 7, 2});
  check_equal(run_op1("Mean", {x, axes({1})}, i32), Tensor::from<std::int32_t>({2}, {-2, 4}));
  // The sum is taken wide, as TensorFlow does: (2^31 - 1 + 2^31 - 1) / 2 = 2^31 - 1.
  const std::int32_t max = std::numeric_limits<std::int32_t>::max();
  const Tensor big = Tensor::from<std::int32_t>({2}, {max, max});
  check_equal(run_op1("Mean", {big, axes({0})}, i32), Tensor::from<std::int32_t>({}, {max}));
  // Sum wraps: 2 * (2^31 - 1) = 2^32 - 2 -> -2.
  check_equal(run_op1("Sum", {big, axes({0})}, i32), Tensor::from<std::int32_t>({}, {-2}));
  // uint8: 200 + 100 = 300 -> 44 (mod 256); the mean (200 + 100) / 2 = 150 does not wrap.
  const Tensor bytes = Tensor::from<std::uint8_t>({2}, {200, 100});
  const Attrs u8 = {{"T", DType::uint8}};
  check_equal(run_op1("Sum", {bytes, axes({0})}, u8), Tensor::from<std::uint8_t>({}, {44}));
  check_equal(run_op1("Mean", {bytes, axes({0})}, u8), Tensor::from<std::uint8_t>({}, {150}));
}

TEST_CASE("All and Any", "[math][reduce]") {
  // [[T, T, F],
  //  [T, T, T]]
  const Tensor x = Tensor::from<bool>({2, 3}, {true, true, false, true, true, true});
  check_equal(run_op1("All", {x, axes({1})}), Tensor::from<bool>({2}, {false, true}));
  check_equal(run_op1("All", {x, axes({0})}), Tensor::from<bool>({3}, {true, true, false}));
  check_equal(run_op1("Any", {x, axes({0, 1})}), Tensor::scalar<bool>(true));
  check_equal(run_op1("All", {x, axes({-1})}, {{"keep_dims", true}}),
              Tensor::from<bool>({2, 1}, {false, true}));
}

TEST_CASE("Max and Min propagate NaN", "[math][reduce]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::from<float>({2, 2}, {1, nan, 3, 4});
  const Tensor max = run_op1("Max", {x, axes({1})}, kF32);
  CHECK(std::isnan(max.data<float>()[0]));
  CHECK(max.data<float>()[1] == 4);
  const Tensor min = run_op1("Min", {x, axes({0})}, kF32);
  CHECK(min.data<float>()[0] == 1);
  CHECK(std::isnan(min.data<float>()[1]));
}

TEST_CASE("reductions refuse bad axes when they run", "[math][reduce][errors]") {
  const Tensor x = matrix();
  CHECK(error_code([&] { run_op1("Sum", {x, axes({2})}, kF32); }) == Errc::invalid_argument);
  CHECK(error_code([&] { run_op1("Sum", {x, axes({-3})}, kF32); }) == Errc::invalid_argument);
  CHECK(error_code([&] { run_op1("Sum", {x, axes({1, -1})}, kF32); }) == Errc::invalid_argument);
  CHECK(error_code([&] {
          run_op1("Sum", {x, Tensor::from<float>({1}, {0})}, kF32);
        }) == Errc::type_mismatch);
}

TEST_CASE("ArgMax and ArgMin", "[math][reduce]") {
  // [[3, 1, 3],
  //  [2, 2, 2]]
  const Tensor x = Tensor::from<float>({2, 3}, {3, 1, 3, 2, 2, 2});
  const Tensor axis0 = Tensor::scalar<std::int32_t>(0);
  const Tensor axis1 = Tensor::scalar<std::int32_t>(1);
  // Ties go to the first index: row 0's max 3 is at 0 and 2 -> 0; row 1 is all 2 -> 0.
  check_equal(run_op1("ArgMax", {x, axis1}, kF32), Tensor::from<std::int64_t>({2}, {0, 0}));
  check_equal(run_op1("ArgMin", {x, axis1}, kF32), Tensor::from<std::int64_t>({2}, {1, 0}));
  // Down the columns: 3 vs 2 -> 0, 1 vs 2 -> 1, 3 vs 2 -> 0.
  check_equal(run_op1("ArgMax", {x, axis0}, kF32), Tensor::from<std::int64_t>({3}, {0, 1, 0}));
  check_equal(run_op1("ArgMin", {x, Tensor::scalar<std::int32_t>(-2)},
                      {{"T", DType::float32}, {"output_type", DType::int32}}),
              Tensor::from<std::int32_t>({3}, {1, 0, 1}));

  // NaN is passed over, as TensorFlow does: [nan, 1, nan, 5, 2] -> 3; all NaN -> 0.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor with_nan = Tensor::from<float>({2, 5}, {nan, 1, nan, 5, 2, nan, nan, nan, nan, nan});
  check_equal(run_op1("ArgMax", {with_nan, axis1}, kF32), Tensor::from<std::int64_t>({2}, {3, 0}));
  check_equal(run_op1("ArgMin", {with_nan, axis1}, kF32), Tensor::from<std::int64_t>({2}, {1, 0}));

  // bool and int inputs.
  check_equal(run_op1("ArgMax", {Tensor::from<bool>({3}, {false, true, true}), axis0},
                      {{"T", DType::boolean}}),
              Tensor::scalar<std::int64_t>(1));
  check_equal(run_op1("ArgMin", {Tensor::from<std::int8_t>({4}, {5, -3, 7, -3}), axis0},
                      {{"T", DType::int8}}),
              Tensor::scalar<std::int64_t>(1));
}

}  // namespace KILN_TEST_FILE
