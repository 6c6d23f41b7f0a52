// ScaleAndTranslate: replays every case make_scale_translate_cases.py recorded from TensorFlow
// (data/scale_translate_tf_cases.txt) on Kiln's reference kernel, with the same outputs within
// each case's tolerance or a kiln::Error where TensorFlow refused the inputs; then type
// inference on partly known inputs and the one refusal that is Kiln's own.
#include "nn_test_util.hpp"
#include "tf_cases.hpp"

#include <algorithm>
#include <limits>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test::nn;

namespace {

constexpr std::int64_t U = kUnknownDim;

Tensor floats2(float a, float b) { return Tensor::from_vector<float>(Shape{2}, {a, b}); }
Tensor ints2(std::int32_t a, std::int32_t b) {
  return Tensor::from_vector<std::int32_t>(Shape{2}, {a, b});
}

std::vector<TensorType> infer_known(const std::vector<TensorType>& types,
                                    const std::vector<const Tensor*>& values, Attrs attrs) {
  Node node;
  node.name = "test/ScaleAndTranslate";
  node.op = "ScaleAndTranslate";
  node.attrs = std::move(attrs);
  fill_default_attrs(node);
  return infer_node(node, types, values);
}

}  // namespace

TEST_CASE("ScaleAndTranslate agrees with TensorFlow", "[nn][tf]") {
  const std::vector<test::TfCase> cases =
      test::load_tf_cases(test::tf_cases_file("scale_translate_tf_cases.txt"));
  // What make_scale_translate_cases.py reported when it wrote the file.
  CHECK(cases.size() == 94);
  CHECK(std::count_if(cases.begin(), cases.end(), [](const test::TfCase& c) { return c.fails; }) ==
        17);
  for (const test::TfCase& c : cases) {
    DYNAMIC_SECTION(c.name) {
      REQUIRE(c.op == "ScaleAndTranslate");
      if (c.fails) {
        CHECK_THROWS_AS(test::run_op(c.op, c.inputs, c.attrs), Error);
        continue;
      }
      const std::vector<Tensor> outputs = test::run_op(c.op, c.inputs, c.attrs);
      REQUIRE(outputs.size() == 1);
      test::check_close(outputs[0], c.outputs[0], c.atol, c.rtol);
    }
  }
}

TEST_CASE("ScaleAndTranslate's shape comes from a known size") {
  const Attrs attrs{{"T", DType::uint8}};
  const TensorType image{DType::uint8, Shape{U, 20, 30, 3}};
  const TensorType size{DType::int32, Shape{2}};
  const TensorType pair = f32_type({2});
  const auto unknown = infer("ScaleAndTranslate", {image, size, pair, pair}, attrs);
  CHECK(unknown[0].dtype == DType::float32);
  CHECK(unknown[0].shape.str() == "[?,?,?,3]");
  const Tensor known_size = ints2(7, 9);
  CHECK(infer_known({image, size, pair, pair}, {nullptr, &known_size, nullptr, nullptr}, attrs)[0]
            .shape.str() == "[?,7,9,3]");
  // A rank-unknown image still gives four dimensions.
  CHECK(infer_known({{DType::float32, Shape::unknown_rank()}, size, pair, pair},
                    {nullptr, &known_size, nullptr, nullptr}, {{"T", DType::float32}})[0]
            .shape.str() == "[?,7,9,?]");
}

TEST_CASE("ScaleAndTranslate refuses bad attributes and inputs before running") {
  const Attrs attrs{{"T", DType::float32}};
  const TensorType image = f32_type({1, 4, 4, 2});
  const TensorType size{DType::int32, Shape{2}};
  const TensorType pair = f32_type({2});

  Attrs bilinear = attrs;
  bilinear["kernel_type"] = std::string("bilinear");
  const Error e = infer_error("ScaleAndTranslate", {image, size, pair, pair}, bilinear);
  CHECK(e.code() == Errc::invalid_attr);
  CHECK(e.context().attr == "kernel_type");
  CHECK(e.context().found == "bilinear");

  CHECK(infer_error("ScaleAndTranslate", {image, size, f32_type({3}), pair}, attrs).code() ==
        Errc::invalid_argument);
  CHECK(infer_error("ScaleAndTranslate", {image, size, pair, {DType::float64, Shape{2}}}, attrs)
            .code() == Errc::type_mismatch);
  CHECK(infer_error("ScaleAndTranslate", {f32_type({1, 4, 4, 0}), size, pair, pair}, attrs)
            .code() == Errc::invalid_argument);

  // TensorFlow takes an infinite scale (and samples every output at the first pixel); Kiln
  // asks for a finite one.
  const Tensor pixels = Tensor::from_vector<float>(Shape{1, 2, 2, 1}, {1, 2, 3, 4});
  const float inf = std::numeric_limits<float>::infinity();
  CHECK_REFUSES(Errc::invalid_argument, "ScaleAndTranslate",
                {pixels, ints2(2, 2), floats2(inf, 1), floats2(0, 0)}, attrs);
  // A size from a file cannot ask for more than 64 bits of elements.
  const Tensor huge = ints2(1 << 30, 1 << 30);
  CHECK_THROWS_AS(infer_known({f32_type({1 << 20, 2, 2, 1 << 20}), size, pair, pair},
                              {nullptr, &huge, nullptr, nullptr}, attrs),
                  Error);
}

}  // namespace KILN_TEST_FILE
