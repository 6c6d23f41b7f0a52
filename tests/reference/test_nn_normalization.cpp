// BiasAdd and FusedBatchNorm (V1, V2, V3) on cases worked out by hand.
#include <cmath>

#include "nn_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

TEST_CASE("BiasAdd") {
  const Attrs nhwc{{"T", DType::float32}};
  const Attrs nchw{{"T", DType::float32}, {"data_format", "NCHW"s}};
  SECTION("rank 2 (a Dense layer's bias), default NHWC: the last dimension") {
    check_close(run_op1("BiasAdd", {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, {10, 20, 30})}, nhwc),
                f32({2, 3}, {11, 22, 33, 14, 25, 36}));
  }
  SECTION("NCHW rank 4: dimension 1") {
    // channel 0 = (1, 2) + 10, channel 1 = (3, 4) + 20.
    check_close(run_op1("BiasAdd", {f32({1, 2, 1, 2}, {1, 2, 3, 4}), f32({2}, {10, 20})}, nchw),
                f32({1, 2, 1, 2}, {11, 12, 23, 24}));
  }
  SECTION("NCHW rank 3 and rank 5: still dimension 1") {
    check_close(run_op1("BiasAdd", {f32({1, 2, 2}, {1, 2, 3, 4}), f32({2}, {10, 20})}, nchw),
                f32({1, 2, 2}, {11, 12, 23, 24}));
    check_close(run_op1("BiasAdd", {f32({1, 2, 1, 1, 2}, {1, 2, 3, 4}), f32({2}, {10, 20})}, nchw),
                f32({1, 2, 1, 1, 2}, {11, 12, 23, 24}));
  }
  SECTION("NHWC rank 5: the last dimension") {
    check_close(run_op1("BiasAdd", {f32({1, 1, 1, 2, 2}, {1, 2, 3, 4}), f32({2}, {10, 20})}, nhwc),
                f32({1, 1, 1, 2, 2}, {11, 22, 13, 24}));
  }
  SECTION("BiasAddV1 and integer types") {
    check_close(run_op1("BiasAddV1", {f32({2, 2}, {1, 2, 3, 4}), f32({2}, {10, 20})}, nhwc),
                f32({2, 2}, {11, 22, 13, 24}));
    // int32 wraps around like TensorFlow's kernel: 2147483647 + 1 = -2147483648.
    Tensor y = run_op1("BiasAdd",
                       {Tensor::from<std::int32_t>({1, 2}, {2147483647, -2}),
                        Tensor::from<std::int32_t>({2}, {1, 5})},
                       {{"T", DType::int32}});
    check_equal(y, Tensor::from<std::int32_t>({1, 2}, {-2147483647 - 1, 3}));
  }
}

TEST_CASE("BiasAdd refuses bad nodes") {
  const Attrs nchw{{"T", DType::float32}, {"data_format", "NCHW"s}};
  CHECK_REFUSES(Errc::shape_mismatch, "BiasAdd", {f32({2}, {1, 2}), f32({2}, {1, 2})},
                {{"T", DType::float32}});
  CHECK_REFUSES(Errc::shape_mismatch, "BiasAdd", {f32({2, 2}, {1, 2, 3, 4}), f32({2}, {1, 2})},
                nchw);
  CHECK_REFUSES(Errc::shape_mismatch, "BiasAdd",
                {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({2}, {1, 2})}, {{"T", DType::float32}});
  CHECK_REFUSES(Errc::shape_mismatch, "BiasAdd", {f32({2, 2}, {1, 2, 3, 4}), f32({1, 2}, {1, 2})},
                {{"T", DType::float32}});
  CHECK_REFUSES(Errc::invalid_attr, "BiasAdd", {f32({2, 2}, {1, 2, 3, 4}), f32({2}, {1, 2})},
                {{"T", DType::float32}, {"data_format", "NWC"s}});
}

namespace {
Attrs batch_norm_attrs(bool training, float epsilon, const std::string& format = "NHWC") {
  return {{"T", DType::float32},
          {"U", DType::float32},
          {"epsilon", epsilon},
          {"is_training", training},
          {"data_format", format}};
}
}  // namespace

TEST_CASE("FusedBatchNorm in inference mode") {
  // Two pixels (1, 2) and (3, 4); scale (2, 0.5), offset (1, -1), mean (1, 2),
  // variance (3, 15), epsilon 1, so sqrt(variance + epsilon) = (2, 4):
  //   channel 0: (x - 1) * 2 / 2 + 1 = x          -> 1, 3
  //   channel 1: (x - 2) * 0.5 / 4 - 1 = (x-2)/8 - 1 -> -1, -0.75
  const Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor scale = f32({2}, {2, 0.5f}), offset = f32({2}, {1, -1});
  const Tensor mean = f32({2}, {1, 2}), variance = f32({2}, {3, 15});
  for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
    INFO(op);
    Attrs attrs = batch_norm_attrs(false, 1.0f);
    if (std::string(op) == "FusedBatchNorm") attrs.erase("U");
    std::vector<Tensor> out = run_op(op, {x, scale, offset, mean, variance}, attrs);
    REQUIRE(out.size() == (std::string(op) == "FusedBatchNormV3" ? 6u : 5u));
    check_close(out[0], f32({1, 1, 2, 2}, {1, -1, 3, -0.75f}));
    check_close(out[1], mean);  // batch_mean and batch_variance echo the statistics used
    check_close(out[2], variance);
    check_close(out[3], mean);
    check_close(out[4], variance);
    if (out.size() == 6) CHECK(out[5].shape() == Shape{0});
  }
  SECTION("NCHW") {
    const Tensor xc = f32({1, 2, 1, 2}, {1, 3, 2, 4});
    std::vector<Tensor> out = run_op("FusedBatchNormV3", {xc, scale, offset, mean, variance},
                                     batch_norm_attrs(false, 1.0f, "NCHW"));
    check_close(out[0], f32({1, 2, 1, 2}, {1, 3, -1, -0.75f}));
  }
  SECTION("NDHWC (V3 only)") {
    const Tensor x5 = f32({1, 1, 1, 2, 2}, {1, 2, 3, 4});
    std::vector<Tensor> out = run_op("FusedBatchNormV3", {x5, scale, offset, mean, variance},
                                     batch_norm_attrs(false, 1.0f, "NDHWC"));
    check_close(out[0], f32({1, 1, 1, 2, 2}, {1, -1, 3, -0.75f}));
    CHECK_REFUSES(Errc::invalid_attr, "FusedBatchNormV2", {x5, scale, offset, mean, variance},
                  batch_norm_attrs(false, 1.0f, "NDHWC"));
  }
  SECTION("epsilon defaults to 0.0001") {
    Attrs attrs = batch_norm_attrs(false, 1.0f);
    attrs.erase("epsilon");
    std::vector<Tensor> out = run_op("FusedBatchNormV3", {x, scale, offset, mean, variance}, attrs);
    // channel 0, x = 3: (3 - 1) * 2 / sqrt(3.0001) + 1
    CHECK(out[0].element_as_double(2) == Approx(2.0 * 2.0 / std::sqrt(3.0001) + 1.0));
  }
  SECTION("an empty batch gives NaN statistics, as in TensorFlow") {
    const Tensor empty(DType::float32, Shape{0, 1, 2, 2});
    std::vector<Tensor> out = run_op("FusedBatchNormV3", {empty, scale, offset, mean, variance},
                                     batch_norm_attrs(false, 1.0f));
    CHECK(out[0].shape() == Shape{0, 1, 2, 2});
    CHECK(std::isnan(out[1].element_as_double(0)));
    CHECK(std::isnan(out[2].element_as_double(1)));
  }
}

TEST_CASE("FusedBatchNormV3 with float16 data and float32 statistics") {
  // The inference case above in mixed precision; every value is exact in float16.
  std::vector<half> x;
  for (float v : {1.0f, 2.0f, 3.0f, 4.0f}) x.push_back(half(v));
  Attrs attrs = batch_norm_attrs(false, 1.0f);
  attrs["T"] = DType::float16;
  std::vector<Tensor> out = run_op("FusedBatchNormV3",
                                   {Tensor::from_vector<half>({1, 1, 2, 2}, x), f32({2}, {2, 0.5f}),
                                    f32({2}, {1, -1}), f32({2}, {1, 2}), f32({2}, {3, 15})},
                                   attrs);
  CHECK(out[0].dtype() == DType::float16);
  CHECK(out[0].to_float_vector() == std::vector<float>{1, -1, 3, -0.75f});
  CHECK(out[1].dtype() == DType::float32);
}

TEST_CASE("FusedBatchNorm in training mode (TensorFlow's default)") {
  // Two pixels (1, 10) and (3, 30): channel 0 has mean 2, biased variance ((-1)^2 + 1^2) / 2 = 1
  // and unbiased variance 2; channel 1 has mean 20, variance 100, unbiased 200. With scale 1,
  // offset 0, epsilon 0: y = (x - mean) / sqrt(variance) = -1, -1, 1, 1.
  const Tensor x = f32({2, 1, 1, 2}, {1, 10, 3, 30});
  const Tensor scale = f32({2}, {1, 1}), offset = f32({2}, {0, 0});
  const Tensor none = f32({0}, {});  // training graphs feed empty statistics
  Attrs attrs = batch_norm_attrs(true, 0.0f);
  attrs.erase("is_training");  // the default is true
  std::vector<Tensor> out = run_op("FusedBatchNormV3", {x, scale, offset, none, none}, attrs);
  check_close(out[0], f32({2, 1, 1, 2}, {-1, -1, 1, 1}));
  check_close(out[1], f32({2}, {2, 20}));   // batch mean
  check_close(out[2], f32({2}, {2, 200}));  // unbiased batch variance
  check_close(out[3], f32({2}, {2, 20}));   // reserve spaces: mean and biased variance
  check_close(out[4], f32({2}, {1, 100}));

  SECTION("exponential_avg_factor blends into the running statistics") {
    // factor 0.5, old mean (0, 0), old variance (1, 1):
    // mean = 0.5*0 + 0.5*(2, 20) = (1, 10); variance = 0.5*1 + 0.5*(2, 200) = (1.5, 100.5).
    attrs["exponential_avg_factor"] = 0.5f;
    std::vector<Tensor> blended =
        run_op("FusedBatchNormV3", {x, scale, offset, f32({2}, {0, 0}), f32({2}, {1, 1})}, attrs);
    check_close(blended[0], f32({2, 1, 1, 2}, {-1, -1, 1, 1}));
    check_close(blended[1], f32({2}, {1, 10}));
    check_close(blended[2], f32({2}, {1.5f, 100.5f}));
    // Now the statistics are read, so they must have one entry per channel.
    CHECK_REFUSES(Errc::shape_mismatch, "FusedBatchNormV3", {x, scale, offset, none, none}, attrs);
  }
}

TEST_CASE("FusedBatchNorm refuses bad nodes") {
  const Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor two = f32({2}, {1, 1}), three = f32({3}, {1, 1, 1});
  CHECK_REFUSES(Errc::shape_mismatch, "FusedBatchNormV3", {x, three, two, two, two},
                batch_norm_attrs(false, 0.001f));
  CHECK_REFUSES(Errc::shape_mismatch, "FusedBatchNormV3", {x, two, two, three, two},
                batch_norm_attrs(false, 0.001f));
  CHECK_REFUSES(Errc::shape_mismatch, "FusedBatchNormV3",
                {f32({2, 2}, {1, 2, 3, 4}), two, two, two, two}, batch_norm_attrs(false, 0.001f));
  CHECK_REFUSES(Errc::invalid_attr, "FusedBatchNormV3", {x, two, two, two, two},
                batch_norm_attrs(false, -1.0f));
  CHECK_REFUSES(Errc::invalid_attr, "FusedBatchNormV3", {x, two, two, two, two},
                batch_norm_attrs(false, 0.001f, "HWCN"));
  Attrs wrong_u = batch_norm_attrs(false, 0.001f);
  wrong_u["U"] = DType::float64;
  CHECK_REFUSES(Errc::type_mismatch, "FusedBatchNormV3", {x, two, two, two, two}, wrong_u);
}

}  // namespace KILN_TEST_FILE
