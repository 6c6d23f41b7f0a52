// Type inference of the transposed and 3-D convolutions, the 3-D pools, MaxPoolV2, LRN, the
// image ops and FakeQuant on partly known shapes and values, and the errors a hostile file's
// attributes and sizes meet. What they compute is checked against TensorFlow in
// test_nn_tail_tf.cpp.
#include "nn_test_util.hpp"

#include <functional>
#include <limits>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

namespace {

constexpr std::int64_t U = kUnknownDim;
const Shape kAnyRank = Shape::unknown_rank();

// Inference where some inputs are known values (a constant input_sizes, ksize or size) and
// the others only have types.
std::vector<TensorType> infer_with(const std::string& op, const std::vector<TensorType>& types,
                                   const std::vector<const Tensor*>& values, Attrs attrs) {
  Node node;
  node.name = "test/" + op;
  node.op = op;
  node.attrs = std::move(attrs);
  fill_default_attrs(node);
  return infer_node(node, types, values);
}

std::string shape_of(const std::string& op, const std::vector<TensorType>& types, Attrs attrs) {
  return infer(op, types, std::move(attrs)).at(0).shape.str();
}

TensorType i32_type(Shape shape) { return {DType::int32, std::move(shape)}; }

Tensor ints(std::vector<std::int32_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor::from_vector<std::int32_t>(Shape{n}, v);
}

Errc error_code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("no kiln::Error thrown");
  return Errc::internal;
}

Attrs conv3d_attrs(const std::string& padding, Ints strides = {1, 1, 1, 1, 1},
                   const std::string& format = "NDHWC") {
  return {{"T", DType::float32}, {"padding", padding}, {"strides", strides},
          {"data_format", format}};
}

}  // namespace

TEST_CASE("Conv2DBackpropInput sizes its output from input_sizes") {
  const Attrs attrs = conv_attrs("SAME", 2, 2);
  const TensorType filter = f32_type({3, 3, 2, 4});
  // Without input_sizes' value only the batch (from out_backprop) is known.
  CHECK(shape_of("Conv2DBackpropInput", {i32_type({4}), filter, f32_type({2, 3, 3, 4})}, attrs) ==
        "[2,?,?,?]");
  CHECK(shape_of("Conv2DBackpropInput", {i32_type({4}), filter, f32_type({2, 4, 3, 3})},
                 conv_attrs("SAME", 2, 2, "NCHW")) == "[2,?,?,?]");
  CHECK(shape_of("Conv2DBackpropInput", {i32_type(kAnyRank), f32_type(kAnyRank),
                                         f32_type(kAnyRank)}, attrs) == "[?,?,?,?]");
  // With it, the output is input_sizes, and out_backprop must be what the convolution makes.
  const Tensor sizes = ints({1, 5, 5, 2});
  const std::vector<const Tensor*> known = {&sizes, nullptr, nullptr};
  CHECK(infer_with("Conv2DBackpropInput", {i32_type({4}), filter, f32_type({U, U, U, 4})}, known,
                   attrs)[0].shape.str() == "[1,5,5,2]");
  const Tensor spatial = ints({5, 5});  // TensorFlow's short form: batch and channels implied
  CHECK(infer_with("Conv2DBackpropInput", {i32_type({2}), filter, f32_type({3, U, U, 4})},
                   {&spatial, nullptr, nullptr}, attrs)[0].shape.str() == "[3,5,5,2]");
  CHECK(error_code_of([&] {
          infer_with("Conv2DBackpropInput", {i32_type({4}), filter, f32_type({1, 2, 2, 4})},
                     known, attrs);
        }) == Errc::shape_mismatch);
  CHECK_INFER_REFUSES(Errc::invalid_argument, "Conv2DBackpropInput",
                      {i32_type({3}), filter, f32_type({1, 3, 3, 4})}, attrs);
  CHECK_INFER_REFUSES(Errc::type_mismatch, "Conv2DBackpropInput",
                      {{DType::int64, Shape{4}}, filter, f32_type({1, 3, 3, 4})}, attrs);
  // A file's sizes are checked before anything is allocated for them.
  const Tensor huge = ints({1 << 30, 1 << 30, 1 << 30, 1 << 30});
  CHECK(error_code_of([&] {
          infer_with("Conv2DBackpropInput", {i32_type({4}), filter, f32_type(kAnyRank)},
                     {&huge, nullptr, nullptr}, attrs);
        }) == Errc::limit_exceeded);
}

TEST_CASE("Conv3D and Conv3DBackpropInputV2 shapes with unknowns") {
  const TensorType filter = f32_type({3, 3, 3, 3, 16});
  CHECK(shape_of("Conv3D", {f32_type({U, 8, 9, 7, 3}), filter},
                 conv3d_attrs("SAME", {1, 2, 2, 2, 1})) == "[?,4,5,4,16]");
  CHECK(shape_of("Conv3D", {f32_type({U, 8, 9, 7, 3}), filter}, conv3d_attrs("VALID")) ==
        "[?,6,7,5,16]");
  CHECK(shape_of("Conv3D", {f32_type({U, 3, 8, 9, 7}), filter},
                 conv3d_attrs("VALID", {1, 1, 1, 2, 2}, "NCDHW")) == "[?,16,6,4,3]");
  CHECK(shape_of("Conv3D", {f32_type(kAnyRank), filter}, conv3d_attrs("SAME")) == "[?,?,?,?,16]");
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "Conv3D", {f32_type({1, 4, 4, 4, 2}), filter},
                      conv3d_attrs("SAME"));
  CHECK_INFER_REFUSES(Errc::invalid_attr, "Conv3D", {f32_type({1, 4, 4, 4, 3}), filter},
                      conv3d_attrs("EXPLICIT"));
  CHECK_INFER_REFUSES(Errc::unsupported, "Conv3D", {f32_type({1, 4, 4, 4, 3}), filter},
                      conv3d_attrs("SAME", {1, 1, 1, 1, 1}, "NHWC"));
  Attrs dilated = conv3d_attrs("VALID");
  dilated["dilations"] = Ints{1, 1, std::int64_t{1} << 62, 1, 1};  // (k - 1) * rate overflows
  CHECK_INFER_REFUSES(Errc::limit_exceeded, "Conv3D", {f32_type({1, 4, 4, 4, 3}), filter},
                      dilated);

  Attrs bp = conv3d_attrs("SAME", {1, 1, 2, 2, 1});
  bp["Tshape"] = DType::int64;
  CHECK(shape_of("Conv3DBackpropInputV2",
                 {{DType::int64, Shape{5}}, filter, f32_type({2, 4, 3, 3, 16})}, bp) ==
        "[2,?,?,?,?]");
  const Tensor sizes = Tensor::from_vector<std::int64_t>(Shape{5}, {2, 4, 5, 6, 3});
  CHECK(infer_with("Conv3DBackpropInputV2",
                   {{DType::int64, Shape{5}}, filter, f32_type({U, 4, 3, 3, 16})},
                   {&sizes, nullptr, nullptr}, bp)[0]
            .shape.str() == "[2,4,5,6,3]");
}

TEST_CASE("3-D pooling and MaxPoolV2 shapes with unknowns") {
  Attrs pool{{"T", DType::float32}, {"padding", std::string("SAME")},
             {"ksize", Ints{1, 2, 3, 3, 1}}, {"strides", Ints{1, 2, 2, 2, 1}}};
  CHECK(shape_of("MaxPool3D", {f32_type({U, 5, 7, 8, U})}, pool) == "[?,3,4,4,?]");
  CHECK(shape_of("AvgPool3D", {f32_type(kAnyRank)}, pool) == "[?,?,?,?,?]");
  pool["padding"] = std::string("VALID");
  CHECK(shape_of("AvgPool3D", {f32_type({1, 5, 7, 8, 2})}, pool) == "[1,2,3,3,2]");
  pool["ksize"] = Ints{1, 1, 1, 1, 2};
  CHECK_INFER_REFUSES(Errc::invalid_attr, "MaxPool3D", {f32_type({1, 5, 7, 8, 2})}, pool);

  const Attrs v2{{"T", DType::float32}, {"padding", std::string("SAME")}};
  const TensorType x = f32_type({U, 7, 8, 3});
  // Unknown window lists leave the spatial sizes unknown; known strides size a SAME output.
  CHECK(shape_of("MaxPoolV2", {x, i32_type({4}), i32_type({4})}, v2) == "[?,?,?,3]");
  const Tensor strides = ints({1, 2, 3, 1});
  CHECK(infer_with("MaxPoolV2", {x, i32_type({4}), i32_type({4})}, {nullptr, nullptr, &strides},
                   v2)[0].shape.str() == "[?,4,3,3]");
  const Tensor ksize = ints({1, 3, 3, 1});
  Attrs valid = v2;
  valid["padding"] = std::string("VALID");
  CHECK(infer_with("MaxPoolV2", {x, i32_type({4}), i32_type({4})}, {nullptr, &ksize, &strides},
                   valid)[0].shape.str() == "[?,3,2,3]");
  CHECK_INFER_REFUSES(Errc::invalid_argument, "MaxPoolV2", {x, i32_type({5}), i32_type({4})}, v2);
  CHECK_INFER_REFUSES(Errc::type_mismatch, "MaxPoolV2",
                      {x, {DType::int64, Shape{4}}, i32_type({4})}, v2);
}

TEST_CASE("LRN, resizing, cropping and patches shapes with unknowns") {
  CHECK(shape_of("LRN", {f32_type({U, 5, 5, 96})}, {{"T", DType::float32}}) == "[?,5,5,96]");
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "LRN", {f32_type({5, 96})}, {{"T", DType::float32}});
  CHECK_INFER_REFUSES(Errc::invalid_attr, "LRN", {f32_type({1, 1, 1, 3})},
                      {{"T", DType::float32}, {"depth_radius", std::int64_t{-1}}});

  const Attrs resize{{"T", DType::uint8}};
  const TensorType image{DType::uint8, Shape{U, 20, 30, 3}};
  const auto resized = infer("ResizeBilinear", {image, i32_type({2})}, resize);
  CHECK(resized[0].dtype == DType::float32);  // every resize but nearest outputs float32
  CHECK(resized[0].shape.str() == "[?,?,?,3]");
  const auto nearest = infer("ResizeNearestNeighbor", {image, i32_type({2})}, resize);
  CHECK(nearest[0].dtype == DType::uint8);
  const Tensor size = ints({7, 9});
  CHECK(infer_with("ResizeArea", {image, i32_type({2})}, {nullptr, &size}, resize)[0].shape.str() ==
        "[?,7,9,3]");
  Attrs both = resize;
  both["align_corners"] = true;
  both["half_pixel_centers"] = true;
  const Error e = infer_error("ResizeBicubic", {image, i32_type({2})}, both);
  CHECK(e.code() == Errc::invalid_attr);
  CHECK(e.context().attr == "half_pixel_centers");
  const Tensor zero = ints({0, 9});
  CHECK(error_code_of([&] {
          infer_with("ResizeBilinear", {image, i32_type({2})}, {nullptr, &zero}, resize);
        }) == Errc::invalid_argument);
  const Tensor huge = ints({1 << 30, 1 << 30});
  CHECK(error_code_of([&] {
          infer_with("ResizeBilinear", {{DType::uint8, Shape{1 << 20, 2, 2, 1 << 20}},
                                        i32_type({2})},
                     {nullptr, &huge}, resize);
        }) == Errc::limit_exceeded);

  const Attrs crop{{"T", DType::float32}};
  CHECK(shape_of("CropAndResize",
                 {f32_type({U, U, U, 3}), f32_type({U, 4}), i32_type({5}), i32_type({2})},
                 crop) == "[5,?,?,3]");
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "CropAndResize",
                      {f32_type({1, 4, 4, 3}), f32_type({5, 4}), i32_type({4}), i32_type({2})},
                      crop);
  CHECK_INFER_REFUSES(Errc::invalid_attr, "CropAndResize",
                      {f32_type({1, 4, 4, 3}), f32_type({5, 4}), i32_type({5}), i32_type({2})},
                      {{"T", DType::float32}, {"method", std::string("area")}});

  Attrs patches{{"T", DType::float32},          {"padding", std::string("VALID")},
                {"ksizes", Ints{1, 2, 3, 1}},   {"strides", Ints{1, 2, 1, 1}},
                {"rates", Ints{1, 1, 2, 1}}};
  CHECK(shape_of("ExtractImagePatches", {f32_type({U, 9, 10, 3})}, patches) == "[?,4,6,18]");
  CHECK(shape_of("ExtractImagePatches", {f32_type({U, U, U, U})}, patches) == "[?,?,?,?]");
  patches["ksizes"] = Ints{1, std::int64_t{1} << 40, std::int64_t{1} << 40, 1};
  CHECK_INFER_REFUSES(Errc::limit_exceeded, "ExtractImagePatches", {f32_type(kAnyRank)}, patches);
}

TEST_CASE("FakeQuant checks its range and bit width") {
  const TensorType x = f32_type({U, 8});
  CHECK(shape_of("FakeQuantWithMinMaxArgs", {x}, {}) == "[?,8]");
  CHECK(shape_of("FakeQuantWithMinMaxVars", {x, f32_type({}), f32_type({})}, {}) == "[?,8]");
  CHECK_INFER_REFUSES(Errc::invalid_attr, "FakeQuantWithMinMaxArgs", {x},
                      {{"num_bits", std::int64_t{17}}});
  CHECK_INFER_REFUSES(Errc::invalid_attr, "FakeQuantWithMinMaxArgs", {x},
                      {{"min", 1.0f}, {"max", 1.0f}});
  CHECK_INFER_REFUSES(Errc::invalid_attr, "FakeQuantWithMinMaxArgs", {x},
                      {{"min", std::numeric_limits<float>::quiet_NaN()}});
  CHECK_INFER_REFUSES(Errc::shape_mismatch, "FakeQuantWithMinMaxVars",
                      {x, f32_type({1}), f32_type({})}, {});
  CHECK_INFER_REFUSES(Errc::type_mismatch, "FakeQuantWithMinMaxArgs",
                      {{DType::float64, Shape{2}}}, {});
}

TEST_CASE("FakeQuant nudges the range so that zero is a level") {
  // [-0.1, 1.0] in 8 bits: scale 1.1 / 255, and zero lies 23.18 levels above min, so the range
  // moves to start 23 levels below zero. Every output is then a whole number of levels.
  const Tensor x = f32({5}, {-0.2f, -0.0f, 0.002f, 0.5f, 2.0f});
  const Tensor y = run_op1("FakeQuantWithMinMaxArgs", {x}, {{"min", -0.1f}, {"max", 1.0f}});
  const float scale = 1.1f / 255.0f;
  const float nudged_min = -23.0f * scale, nudged_max = 232.0f * scale;
  const std::vector<float> expected = {nudged_min, 0.0f, 0.0f, 116.0f * scale, nudged_max};
  for (std::int64_t i = 0; i < 5; ++i) {
    INFO(i);
    CHECK(y.data<float>()[i] == Approx(expected[static_cast<std::size_t>(i)]).margin(1e-7));
  }
}

}  // namespace KILN_TEST_FILE
