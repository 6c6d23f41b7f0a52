// MaxPool and AvgPool on small cases worked out by hand.
#include <limits>

#include "nn_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

namespace {
// x = [[1,2,3],[4,5,6],[7,8,9]], and its negation.
Tensor grid() { return f32({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9}); }
Tensor negative_grid() { return f32({1, 3, 3, 1}, {-1, -2, -3, -4, -5, -6, -7, -8, -9}); }
}  // namespace

TEST_CASE("MaxPool") {
  SECTION("VALID 2x2, stride 1") {
    // max of each 2x2 block: 5, 6, 8, 9.
    check_close(run_op1("MaxPool", {grid()}, pool_attrs("VALID", 2, 2, 1, 1)),
                f32({1, 2, 2, 1}, {5, 6, 8, 9}));
  }
  SECTION("SAME 2x2, stride 2 pads with -inf, not 0") {
    // ceil(3/2) = 2; total padding (2-1)*2 + 2 - 3 = 1, after. Windows:
    // {-1,-2,-4,-5} -> -1, {-3,-6} -> -3, {-7,-8} -> -7, {-9} -> -9. Zero padding would give 0.
    check_close(run_op1("MaxPool", {negative_grid()}, pool_attrs("SAME", 2, 2, 2, 2)),
                f32({1, 2, 2, 1}, {-1, -3, -7, -9}));
  }
  SECTION("EXPLICIT: one column on each side") {
    // row [-1,-2,-3] padded to [-inf,-1,-2,-3,-inf], window 2: -1, -1, -2, -3.
    Attrs a = pool_attrs("EXPLICIT", 1, 2, 1, 1);
    a["explicit_paddings"] = Ints{0, 0, 0, 0, 1, 1, 0, 0};
    check_close(run_op1("MaxPool", {f32({1, 1, 3, 1}, {-1, -2, -3})}, a),
                f32({1, 1, 4, 1}, {-1, -1, -2, -3}));
  }
  SECTION("NCHW, two channels") {
    // channel 0 = the grid, channel 1 = its negation; VALID 2x2 stride 1.
    std::vector<float> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9};
    check_close(run_op1("MaxPool", {f32({1, 2, 3, 3}, v)}, pool_attrs("VALID", 2, 2, 1, 1, "NCHW")),
                f32({1, 2, 2, 2}, {5, 6, 8, 9, -1, -2, -4, -5}));
  }
  SECTION("T defaults to float; integers pool too") {
    Attrs a = pool_attrs("VALID", 2, 2, 1, 1);
    a.erase("T");
    check_close(run_op1("MaxPool", {grid()}, a), f32({1, 2, 2, 1}, {5, 6, 8, 9}));
    a["T"] = DType::int8;
    Tensor x = Tensor::from<std::int8_t>({1, 1, 3, 1}, {-128, -100, 7});
    Attrs same = pool_attrs("SAME", 1, 2, 1, 1);
    same["T"] = DType::int8;
    check_equal(run_op1("MaxPool", {x}, same),
                Tensor::from<std::int8_t>({1, 1, 3, 1}, {-100, 7, 7}));
  }
}

TEST_CASE("AvgPool") {
  SECTION("VALID 2x2, stride 1: divisor 4") {
    // (1+2+4+5)/4 = 3, (2+3+5+6)/4 = 4, (4+5+7+8)/4 = 6, (5+6+8+9)/4 = 7.
    check_close(run_op1("AvgPool", {grid()}, pool_attrs("VALID", 2, 2, 1, 1)),
                f32({1, 2, 2, 1}, {3, 4, 6, 7}));
  }
  SECTION("SAME 3x3, stride 1: the divisor counts only cells inside the input") {
    // corners average 4 cells, edges 6, the centre 9:
    // (1+2+4+5)/4 = 3, (1+2+3+4+5+6)/6 = 3.5, (2+3+5+6)/4 = 4,
    // (1+2+4+5+7+8)/6 = 4.5, 45/9 = 5, (2+3+5+6+8+9)/6 = 5.5,
    // (4+5+7+8)/4 = 6, (4+5+6+7+8+9)/6 = 6.5, (5+6+8+9)/4 = 7.
    check_close(run_op1("AvgPool", {grid()}, pool_attrs("SAME", 3, 3, 1, 1)),
                f32({1, 3, 3, 1}, {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7}));
  }
  SECTION("SAME 2x2, stride 2 on 3x3: border windows are smaller") {
    // {1,2,4,5} -> 3, {3,6} -> 4.5, {7,8} -> 7.5, {9} -> 9.
    check_close(run_op1("AvgPool", {grid()}, pool_attrs("SAME", 2, 2, 2, 2)),
                f32({1, 2, 2, 1}, {3, 4.5f, 7.5f, 9}));
  }
  SECTION("NCHW") {
    std::vector<float> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9};
    check_close(run_op1("AvgPool", {f32({1, 2, 3, 3}, v)}, pool_attrs("SAME", 2, 2, 2, 2, "NCHW")),
                f32({1, 2, 2, 2}, {3, 4.5f, 7.5f, 9, -3, -4.5f, -7.5f, -9}));
  }
}

TEST_CASE("pooling refuses bad nodes") {
  Attrs zero_stride = pool_attrs("VALID", 2, 2, 0, 1);
  CHECK_REFUSES(Errc::invalid_attr, "MaxPool", {grid()}, zero_stride);
  Attrs zero_window = pool_attrs("VALID", 0, 2, 1, 1);
  CHECK_REFUSES(Errc::invalid_attr, "AvgPool", {grid()}, zero_window);
  CHECK_REFUSES(Errc::invalid_attr, "AvgPool", {grid()}, pool_attrs("EXPLICIT", 2, 2, 1, 1));
  CHECK_REFUSES(Errc::invalid_attr, "MaxPool", {grid()}, pool_attrs("FULL", 2, 2, 1, 1));
  Attrs channel_window = pool_attrs("VALID", 2, 2, 1, 1);
  channel_window["ksize"] = Ints{1, 2, 2, 2};
  CHECK_REFUSES(Errc::unsupported, "MaxPool", {grid()}, channel_window);
  Attrs short_ksize = pool_attrs("VALID", 2, 2, 1, 1);
  short_ksize["ksize"] = Ints{2, 2};
  CHECK_REFUSES(Errc::invalid_attr, "MaxPool", {grid()}, short_ksize);
  Attrs wide_padding = pool_attrs("EXPLICIT", 1, 2, 1, 1);
  wide_padding["explicit_paddings"] = Ints{0, 0, 0, 0, 2, 0, 0, 0};  // TF: must be < window
  CHECK_REFUSES(Errc::invalid_attr, "MaxPool", {grid()}, wide_padding);
  CHECK_REFUSES(Errc::shape_mismatch, "MaxPool", {f32({3, 3}, std::vector<float>(9, 0))},
                pool_attrs("VALID", 2, 2, 1, 1));
  Attrs int_avg = pool_attrs("VALID", 1, 1, 1, 1);
  int_avg["T"] = DType::int32;
  CHECK_REFUSES(Errc::type_mismatch, "AvgPool", {Tensor::from<std::int32_t>({1, 1, 1, 1}, {1})},
                int_avg);
}

}  // namespace KILN_TEST_FILE
