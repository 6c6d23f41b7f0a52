// Type inference of the nn ops on partly known shapes: unknown dimensions (?) and unknown
// ranks propagate, what is known is checked.
#include "nn_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

namespace {
constexpr std::int64_t U = kUnknownDim;
const Shape kAnyRank = Shape::unknown_rank();
std::string shape_of(const std::string& op, const std::vector<TensorType>& inputs, Attrs attrs,
                     std::size_t output = 0) {
  return infer(op, inputs, std::move(attrs)).at(output).shape.str();
}
}  // namespace

TEST_CASE("Conv2D and depthwise shapes with unknowns") {
  const TensorType filter = f32_type({3, 3, 3, 32});
  CHECK(shape_of("Conv2D", {f32_type({U, 224, 224, 3}), filter}, conv_attrs("SAME", 2, 2)) ==
        "[?,112,112,32]");
  CHECK(shape_of("Conv2D", {f32_type({U, 224, 224, 3}), filter}, conv_attrs("VALID", 2, 2)) ==
        "[?,111,111,32]");
  CHECK(shape_of("Conv2D", {f32_type({U, U, U, 3}), filter}, conv_attrs("SAME")) == "[?,?,?,32]");
  CHECK(shape_of("Conv2D", {f32_type(kAnyRank), filter}, conv_attrs("VALID")) == "[?,?,?,32]");
  CHECK(shape_of("Conv2D", {f32_type({U, 3, 32, 32}), filter}, conv_attrs("VALID", 1, 1, "NCHW")) ==
        "[?,32,30,30]");
  // An unknown filter still sizes a SAME output, but not a VALID one.
  CHECK(shape_of("Conv2D", {f32_type({1, 10, 10, 3}), f32_type(kAnyRank)},
                 conv_attrs("SAME", 2, 2)) == "[1,5,5,?]");
  CHECK(shape_of("Conv2D", {f32_type({1, 10, 10, 3}), f32_type({U, U, 3, 8})},
                 conv_attrs("VALID")) == "[1,?,?,8]");
  // Depthwise: the channel count can come from the filter.
  CHECK(shape_of("DepthwiseConv2dNative", {f32_type({U, 8, 8, U}), f32_type({3, 3, 4, 2})},
                 conv_attrs("SAME")) == "[?,8,8,8]");
  CHECK(shape_of("DepthwiseConv2dNative", {f32_type({U, 8, 8, 4}), f32_type({3, 3, U, U})},
                 conv_attrs("SAME")) == "[?,8,8,?]");
  // What is known is checked even when other things are not.
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "Conv2D",
                      {f32_type({U, U, U, 3}), f32_type({3, 3, 2, 8})}, conv_attrs("SAME"));
  Attrs zero_stride = conv_attrs("SAME");
  zero_stride["strides"] = Ints{1, 1, 0, 1};
  CHECK_INFER_REFUSES(Errc::invalid_attr, "Conv2D", {f32_type(kAnyRank), f32_type(kAnyRank)},
                      zero_stride);
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "Conv2D", {f32_type({1, 2, 3}), f32_type(kAnyRank)},
                      conv_attrs("SAME"));
}

TEST_CASE("pooling shapes with unknowns") {
  CHECK(shape_of("MaxPool", {f32_type(kAnyRank)}, pool_attrs("VALID", 2, 2, 2, 2)) == "[?,?,?,?]");
  CHECK(shape_of("MaxPool", {f32_type({U, 7, 7, 64})}, pool_attrs("SAME", 3, 3, 2, 2)) ==
        "[?,4,4,64]");
  CHECK(shape_of("AvgPool", {f32_type({U, 64, 7, U})}, pool_attrs("VALID", 7, 7, 1, 1, "NCHW")) ==
        "[?,64,1,?]");
}

TEST_CASE("BiasAdd and FusedBatchNorm shapes with unknowns") {
  const Attrs bias{{"T", DType::float32}};
  CHECK(shape_of("BiasAdd", {f32_type(kAnyRank), f32_type({5})}, bias) == "<unknown>");
  CHECK(shape_of("BiasAdd", {f32_type({U, U}), f32_type({5})}, bias) == "[?,5]");
  CHECK(shape_of("BiasAdd", {f32_type({U, 5}), f32_type({U})}, bias) == "[?,5]");
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "BiasAdd", {f32_type({U, 5}), f32_type({4})}, bias);

  const Attrs bn{{"T", DType::float32}, {"U", DType::float32}, {"is_training", false}};
  const TensorType c16 = f32_type({16}), c_unknown = f32_type({U});
  auto outputs =
      infer("FusedBatchNormV3", {f32_type({U, U, U, U}), c16, c_unknown, c_unknown, c_unknown}, bn);
  REQUIRE(outputs.size() == 6);
  CHECK(outputs[0].shape.str() == "[?,?,?,16]");
  CHECK(outputs[1].shape.str() == "[16]");
  CHECK(outputs[4].shape.str() == "[16]");
  CHECK(outputs[5].shape.str() == "[0]");
  outputs =
      infer("FusedBatchNormV2", {f32_type(kAnyRank), c_unknown, c16, c_unknown, c_unknown}, bn);
  REQUIRE(outputs.size() == 5);
  CHECK(outputs[0].shape.str() == "<unknown>");
  CHECK(outputs[2].shape.str() == "[16]");
  // Training mode (the default) reads neither mean nor variance: their shapes do not matter.
  Attrs training = bn;
  training.erase("is_training");
  CHECK(shape_of("FusedBatchNormV3",
                 {f32_type({2, 4, 4, 16}), c16, c16, f32_type({0}), f32_type({0})}, training,
                 1) == "[16]");
}

TEST_CASE("matrix product shapes with unknowns") {
  const Attrs mm{{"T", DType::float32}};
  CHECK(shape_of("MatMul", {f32_type({U, 3}), f32_type({3, U})}, mm) == "[?,?]");
  CHECK(shape_of("MatMul", {f32_type(kAnyRank), f32_type({3, 7})}, mm) == "[?,7]");
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "MatMul", {f32_type({U, 3}), f32_type({4, 5})}, mm);
  CHECK(shape_of("BatchMatMulV2", {f32_type({U, 2, 3}), f32_type({3, 4})}, mm) == "[?,2,4]");
  CHECK(shape_of("BatchMatMulV2", {f32_type({5, 1, 2, 3}), f32_type({U, 3, 4})}, mm) ==
        "[5,?,2,4]");
  CHECK(shape_of("BatchMatMulV2", {f32_type(kAnyRank), f32_type({3, 4})}, mm) == "<unknown>");
  CHECK(shape_of("BatchMatMul", {f32_type({U, 2, 3}), f32_type({7, 3, 4})}, mm) == "[7,2,4]");
}

TEST_CASE("Einsum shapes with unknowns") {
  auto attrs = [](const std::string& equation, std::int64_t n) {
    return Attrs{{"equation", equation}, {"N", n}, {"T", DType::float32}};
  };
  CHECK(shape_of("Einsum", {f32_type({U, U, 8}), f32_type({8, 16})}, attrs("abc,cd->abd", 2)) ==
        "[?,?,16]");
  CHECK(shape_of("Einsum", {f32_type({U, U, 4, 8}), f32_type({U, 10, 4, 8})},
                 attrs("aecd,abcd->acbe", 2)) == "[?,4,10,?]");
  CHECK(shape_of("Einsum", {f32_type(kAnyRank), f32_type({8, 16})}, attrs("...b,bc->...c", 2)) ==
        "<unknown>");
  CHECK(shape_of("Einsum", {f32_type(kAnyRank), f32_type({8, 16})}, attrs("ab,bc->ac", 2)) ==
        "[?,16]");
  CHECK(shape_of("Einsum", {f32_type({U, 1, 8}), f32_type({3, 8})}, attrs("...b,...b->...", 2)) ==
        "[?,3]");
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "Einsum", {f32_type({U, 8}), f32_type({7, 16})},
                      attrs("ab,bc->ac", 2));
}

TEST_CASE("Softmax keeps its input's type") {
  CHECK(shape_of("Softmax", {f32_type(kAnyRank)}, {{"T", DType::float32}}) == "<unknown>");
  CHECK(shape_of("LogSoftmax", {f32_type({U, 10})}, {{"T", DType::float32}}) == "[?,10]");
}

}  // namespace KILN_TEST_FILE
