// Conv2D and DepthwiseConv2dNative on small cases worked out by hand. Filters are HWIO; a
// 1-row input makes the padding arithmetic of one dimension easy to follow.
#include "nn_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

TEST_CASE("Conv2D VALID 3x3 input, 2x2 filter") {
  // x = [[1,2,3],[4,5,6],[7,8,9]], filter = [[1,2],[3,4]]
  // out[0][0] = 1*1 + 2*2 + 4*3 + 5*4 = 37, out[0][1] = 2*1 + 3*2 + 5*3 + 6*4 = 47,
  // out[1][0] = 4*1 + 5*2 + 7*3 + 8*4 = 67, out[1][1] = 5*1 + 6*2 + 8*3 + 9*4 = 77.
  Tensor x = f32({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({2, 2, 1, 1}, {1, 2, 3, 4});
  check_close(run_op1("Conv2D", {x, w}, conv_attrs("VALID")), f32({1, 2, 2, 1}, {37, 47, 67, 77}));

  SECTION("float64, float16 and int32 give the same numbers") {
    Tensor xd = Tensor::from<double>({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    Tensor wd = Tensor::from<double>({2, 2, 1, 1}, {1, 2, 3, 4});
    Attrs a = conv_attrs("VALID");
    a["T"] = DType::float64;
    check_close(run_op1("Conv2D", {xd, wd}, a),
                Tensor::from<double>({1, 2, 2, 1}, {37, 47, 67, 77}));
    std::vector<half> xs, ws;
    for (int v = 1; v <= 9; ++v) xs.push_back(half(static_cast<float>(v)));
    for (int v = 1; v <= 4; ++v) ws.push_back(half(static_cast<float>(v)));
    a["T"] = DType::float16;
    Tensor yh = run_op1(
        "Conv2D",
        {Tensor::from_vector<half>({1, 3, 3, 1}, xs), Tensor::from_vector<half>({2, 2, 1, 1}, ws)},
        a);
    CHECK(yh.dtype() == DType::float16);
    CHECK(yh.to_float_vector() == std::vector<float>{37, 47, 67, 77});
    a["T"] = DType::int32;
    Tensor yi = run_op1("Conv2D",
                        {Tensor::from<std::int32_t>({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
                         Tensor::from<std::int32_t>({2, 2, 1, 1}, {1, 2, 3, 4})},
                        a);
    check_equal(yi, Tensor::from<std::int32_t>({1, 2, 2, 1}, {37, 47, 67, 77}));
  }
}

TEST_CASE("Conv2D SAME puts the odd padding pixel at the end") {
  SECTION("width 4, window 2, stride 1: total padding 1, all of it after") {
    // out[j] = 10 * x[j] + 1 * x[j+1], with x[4] = 0 (padding):
    // 12, 23, 34, 40.
    Tensor x = f32({1, 1, 4, 1}, {1, 2, 3, 4});
    Tensor w = f32({1, 2, 1, 1}, {10, 1});
    check_close(run_op1("Conv2D", {x, w}, conv_attrs("SAME")), f32({1, 1, 4, 1}, {12, 23, 34, 40}));
  }
  SECTION("odd width 5, window 3, stride 2: out 3, padding 1 before and 1 after") {
    // ceil(5/2) = 3; total = (3-1)*2 + 3 - 5 = 2. Windows start at -1, 1, 3:
    // [0,1,2].[1,10,100] = 210, [2,3,4] -> 2+30+400 = 432, [4,5,0] -> 4+50 = 54.
    Tensor x = f32({1, 1, 5, 1}, {1, 2, 3, 4, 5});
    Tensor w = f32({1, 3, 1, 1}, {1, 10, 100});
    check_close(run_op1("Conv2D", {x, w}, conv_attrs("SAME", 1, 2)),
                f32({1, 1, 3, 1}, {210, 432, 54}));
  }
  SECTION("even width 4, window 3, stride 2: out 2, padding 0 before and 1 after") {
    // ceil(4/2) = 2; total = (2-1)*2 + 3 - 4 = 1 -> before 0, after 1. Windows start at 0, 2:
    // [1,2,3] -> 1+20+300 = 321, [3,4,0] -> 3+40 = 43.
    Tensor x = f32({1, 1, 4, 1}, {1, 2, 3, 4});
    Tensor w = f32({1, 3, 1, 1}, {1, 10, 100});
    check_close(run_op1("Conv2D", {x, w}, conv_attrs("SAME", 1, 2)), f32({1, 1, 2, 1}, {321, 43}));
  }
  SECTION("2-D: 2x2 input, 2x2 window pads one row and one column after") {
    // x = [[1,2],[3,4]], filter all ones: each output sums the cells right of and below it.
    // out = [[1+2+3+4, 2+4], [3+4, 4]] = [[10, 6], [7, 4]].
    Tensor x = f32({1, 2, 2, 1}, {1, 2, 3, 4});
    Tensor w = f32({2, 2, 1, 1}, {1, 1, 1, 1});
    check_close(run_op1("Conv2D", {x, w}, conv_attrs("SAME")), f32({1, 2, 2, 1}, {10, 6, 7, 4}));
  }
}

TEST_CASE("Conv2D strides and dilations") {
  Tensor x = f32({1, 1, 5, 1}, {1, 2, 3, 4, 5});
  Tensor w = f32({1, 2, 1, 1}, {1, 10});
  SECTION("VALID, stride 2: windows at 0 and 2") {
    // (5 - 2) / 2 + 1 = 2 outputs: 1 + 20 = 21, 3 + 40 = 43.
    check_close(run_op1("Conv2D", {x, w}, conv_attrs("VALID", 1, 2)), f32({1, 1, 2, 1}, {21, 43}));
  }
  SECTION("VALID, dilation 2: taps two apart") {
    // effective window 3, 3 outputs: x[j] + 10 x[j+2] = 31, 42, 53.
    check_close(run_op1("Conv2D", {x, w}, conv_attrs("VALID", 1, 1, "NHWC", 1, 2)),
                f32({1, 1, 3, 1}, {31, 42, 53}));
  }
  SECTION("SAME, dilation 2: padding follows the effective window") {
    // width 3, effective window 3: padding 1 and 1; out[j] = x[j-1] + 10 x[j+1]:
    // 0 + 20 = 20, 1 + 30 = 31, 2 + 0 = 2.
    Tensor x3 = f32({1, 1, 3, 1}, {1, 2, 3});
    check_close(run_op1("Conv2D", {x3, w}, conv_attrs("SAME", 1, 1, "NHWC", 1, 2)),
                f32({1, 1, 3, 1}, {20, 31, 2}));
  }
}

TEST_CASE("Conv2D EXPLICIT padding") {
  SECTION("NHWC: two columns before, one after") {
    // padded x = [0, 0, 1, 2, 3, 0]; out[j] = p[j] + 10 p[j+1] = 0, 10, 21, 32, 3.
    Attrs a = conv_attrs("EXPLICIT");
    a["explicit_paddings"] = Ints{0, 0, 0, 0, 2, 1, 0, 0};
    Tensor x = f32({1, 1, 3, 1}, {1, 2, 3});
    Tensor w = f32({1, 2, 1, 1}, {1, 10});
    check_close(run_op1("Conv2D", {x, w}, a), f32({1, 1, 5, 1}, {0, 10, 21, 32, 3}));
  }
  SECTION("NCHW: one row before; pairs follow the NCHW order") {
    // x is one row [1, 2]; the 2x1 filter [1; 10] sees the padding row, then the row:
    // out = 1*0 + 10*x = [10, 20].
    Attrs a = conv_attrs("EXPLICIT", 1, 1, "NCHW");
    a["explicit_paddings"] = Ints{0, 0, 0, 0, 1, 0, 0, 0};
    Tensor x = f32({1, 1, 1, 2}, {1, 2});
    Tensor w = f32({2, 1, 1, 1}, {1, 10});
    check_close(run_op1("Conv2D", {x, w}, a), f32({1, 1, 1, 2}, {10, 20}));
  }
}

TEST_CASE("Conv2D NHWC and NCHW agree") {
  // Two pixels, two channels, a 1x1 filter f[c][o] = [[1,2],[3,4]]:
  // pixel (1,2) -> (1*1 + 2*3, 1*2 + 2*4) = (7, 10); pixel (3,4) -> (3+12, 6+16) = (15, 22).
  Tensor w = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor nhwc = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  check_close(run_op1("Conv2D", {nhwc, w}, conv_attrs("VALID")),
              f32({1, 1, 2, 2}, {7, 10, 15, 22}));
  // The same data channel-major: channel 0 = (1, 3), channel 1 = (2, 4).
  Tensor nchw = f32({1, 2, 1, 2}, {1, 3, 2, 4});
  check_close(run_op1("Conv2D", {nchw, w}, conv_attrs("VALID", 1, 1, "NCHW")),
              f32({1, 2, 1, 2}, {7, 15, 10, 22}));
}

TEST_CASE("Conv2D with groups") {
  // 4 input channels, filter in-depth 2 -> 2 groups, 2 output channels (1 per group).
  // f[ic][oc] = [[1,2],[3,4]]. Group 0 (channels 0,1 -> out 0): 1*1 + 2*3 = 7.
  // Group 1 (channels 2,3 -> out 1): 3*2 + 4*4 = 22.
  Tensor x = f32({1, 1, 1, 4}, {1, 2, 3, 4});
  Tensor w = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  check_close(run_op1("Conv2D", {x, w}, conv_attrs("VALID")), f32({1, 1, 1, 2}, {7, 22}));
}

TEST_CASE("DepthwiseConv2dNative with multiplier 2") {
  // Pixels p0 = (1, 2), p1 = (3, 4); a 1x2 window; tap 0: f[c][m] = [[1,2],[3,4]],
  // tap 1: [[10,20],[30,40]]. Output channel c*2 + m:
  //   c0m0 = 1*1 + 3*10 = 31, c0m1 = 1*2 + 3*20 = 62,
  //   c1m0 = 2*3 + 4*30 = 126, c1m1 = 2*4 + 4*40 = 168.
  Tensor w = f32({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  check_close(run_op1("DepthwiseConv2dNative", {x, w}, conv_attrs("VALID")),
              f32({1, 1, 1, 4}, {31, 62, 126, 168}));
  SECTION("NCHW") {
    Tensor xc = f32({1, 2, 1, 2}, {1, 3, 2, 4});
    check_close(run_op1("DepthwiseConv2dNative", {xc, w}, conv_attrs("VALID", 1, 1, "NCHW")),
                f32({1, 4, 1, 1}, {31, 62, 126, 168}));
  }
  SECTION("SAME keeps the width; the last tap of the last pixel is padding") {
    // out pixel 1: p1 * tap 0 only: c0m0 = 3, c0m1 = 6, c1m0 = 12, c1m1 = 16.
    check_close(run_op1("DepthwiseConv2dNative", {x, w}, conv_attrs("SAME")),
                f32({1, 1, 2, 4}, {31, 62, 126, 168, 3, 6, 12, 16}));
  }
}

TEST_CASE("Conv2D and DepthwiseConv2dNative refuse bad nodes") {
  Tensor x = f32({1, 3, 3, 2}, std::vector<float>(18, 1.0f));
  Tensor w = f32({2, 2, 2, 1}, std::vector<float>(8, 1.0f));

  Attrs zero_stride = conv_attrs("VALID");
  zero_stride["strides"] = Ints{1, 0, 1, 1};
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, zero_stride);

  Attrs batch_stride = conv_attrs("VALID");
  batch_stride["strides"] = Ints{2, 1, 1, 1};
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, batch_stride);

  Attrs three_strides = conv_attrs("VALID");
  three_strides["strides"] = Ints{1, 1, 1};
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, three_strides);

  Attrs zero_dilation = conv_attrs("VALID");
  zero_dilation["dilations"] = Ints{1, 1, 0, 1};
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, zero_dilation);

  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, conv_attrs("FULL"));
  CHECK_REFUSES(Errc::unsupported, "Conv2D", {x, w}, conv_attrs("VALID", 1, 1, "NWHC"));

  Tensor w3 = f32({2, 2, 3, 1}, std::vector<float>(12, 1.0f));
  Error mismatch = run_error("Conv2D", {x, w3}, conv_attrs("VALID"));
  CHECK(mismatch.code() == Errc::shape_mismatch);
  CHECK(mismatch.context().node == "test/Conv2D");

  Tensor w_groups = f32({1, 1, 1, 3}, std::vector<float>(3, 1.0f));  // 2 groups, 3 outputs
  CHECK_REFUSES(Errc::shape_mismatch, "Conv2D", {x, w_groups}, conv_attrs("VALID"));

  Tensor x3 = f32({3, 3, 2}, std::vector<float>(18, 1.0f));
  CHECK_REFUSES(Errc::shape_mismatch, "Conv2D", {x3, w}, conv_attrs("VALID"));

  Tensor empty_filter(DType::float32, Shape{0, 2, 2, 1});
  CHECK_REFUSES(Errc::invalid_argument, "Conv2D", {x, empty_filter}, conv_attrs("VALID"));

  Tensor big_filter = f32({4, 4, 2, 1}, std::vector<float>(32, 1.0f));
  CHECK_REFUSES(Errc::shape_mismatch, "Conv2D", {x, big_filter}, conv_attrs("VALID"));

  Attrs stray_paddings = conv_attrs("SAME");
  stray_paddings["explicit_paddings"] = Ints{0, 0, 1, 1, 1, 1, 0, 0};
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, stray_paddings);

  Attrs short_paddings = conv_attrs("EXPLICIT");
  short_paddings["explicit_paddings"] = Ints{1, 1, 1, 1};
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, short_paddings);

  Attrs channel_padding = conv_attrs("EXPLICIT");
  channel_padding["explicit_paddings"] = Ints{0, 0, 1, 1, 1, 1, 0, 1};
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, channel_padding);

  Attrs negative_padding = conv_attrs("EXPLICIT");
  negative_padding["explicit_paddings"] = Ints{0, 0, -1, 1, 1, 1, 0, 0};
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, negative_padding);

  Attrs wrong_t = conv_attrs("VALID");
  wrong_t["T"] = DType::float64;
  CHECK_REFUSES(Errc::type_mismatch, "Conv2D", {x, w}, wrong_t);

  Attrs no_padding = conv_attrs("VALID");
  no_padding.erase("padding");
  CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, no_padding);

  Tensor w_depthwise = f32({2, 2, 3, 1}, std::vector<float>(12, 1.0f));
  CHECK_REFUSES(Errc::shape_mismatch, "DepthwiseConv2dNative", {x, w_depthwise},
                conv_attrs("VALID"));
  CHECK_REFUSES(Errc::invalid_attr, "DepthwiseConv2dNative", {x, w}, zero_stride);
}

TEST_CASE("Conv2D as TensorFlow 2 saves it: attributes equal to their default are stripped") {
  // Only T, strides and padding are in the file; data_format NHWC, dilations 1, no explicit
  // paddings and use_cudnn_on_gpu come from the catalogue. Same numbers as the first case.
  Tensor x = f32({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({2, 2, 1, 1}, {1, 2, 3, 4});
  Attrs stripped{{"T", DType::float32}, {"strides", Ints{1, 1, 1, 1}}, {"padding", "VALID"s}};
  check_close(run_op1("Conv2D", {x, w}, stripped), f32({1, 2, 2, 1}, {37, 47, 67, 77}));
  check_close(run_op1("DepthwiseConv2dNative", {x, w}, stripped),
              f32({1, 2, 2, 1}, {37, 47, 67, 77}));
}

TEST_CASE("Conv2D padding from a hostile file cannot overflow the output size") {
  const Tensor one = f32({1, 1, 1, 1}, {1});
  Attrs a = conv_attrs("EXPLICIT");
  const std::int64_t huge = std::int64_t{1} << 62;
  a["explicit_paddings"] = Ints{0, 0, 0, 0, huge, huge, 0, 0};  // 1 + 2^62 + 2^62 > 2^63
  CHECK_REFUSES(Errc::limit_exceeded, "Conv2D", {one, one}, a);
  a["explicit_paddings"] = Ints{0, 0, 0, 0, huge / 2, huge / 2, 0, 0};  // 2^62 + 1 floats
  CHECK_REFUSES(Errc::limit_exceeded, "Conv2D", {one, one}, a);
}

}  // namespace KILN_TEST_FILE
