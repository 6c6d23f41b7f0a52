// Type inference of the long tail of math ops where not every input is known, which the
// TensorFlow cases (test_math_tail_tf.cpp, all inputs known) cannot reach: unknown dimensions,
// unknown axes and bounds, TensorFlow's defaults, and the errors a bad graph must get.
#include "math_test_helpers.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::error_code;
using test::infer_op1;

namespace {
const DType f32 = DType::float32;
const DType i32 = DType::int32;
const DType i64 = DType::int64;
const std::int64_t kUnknown = kUnknownDim;

TensorType f32_of(Shape s) { return {f32, std::move(s)}; }
TensorType axis_of(DType t = i32) { return {t, Shape({})}; }
}  // namespace

TEST_CASE("Cumsum and Cumprod get TensorFlow's defaults", "[math][shapes]") {
  for (const char* op : {"Cumsum", "Cumprod"}) {
    INFO(op);
    Node node;
    node.name = "n";
    node.op = op;
    node.attrs = {{"T", f32}};
    fill_default_attrs(node);
    CHECK(node.attr<bool>("exclusive") == false);
    CHECK(node.attr<bool>("reverse") == false);
    CHECK(node.attr<DType>("Tidx") == i32);
  }
}

TEST_CASE("the unary tail keeps shapes; IsNan and its kin answer in bool", "[math][shapes]") {
  CHECK(infer_op1("Acosh", {f32_of({2, kUnknown})}, {{"T", f32}}) == f32_of({2, kUnknown}));
  CHECK(infer_op1("Invert", {{DType::uint8, {3}}}, {{"T", DType::uint8}}) ==
        TensorType{DType::uint8, {3}});
  for (const char* op : {"IsNan", "IsInf", "IsFinite"}) {
    INFO(op);
    CHECK(infer_op1(op, {{DType::float16, {kUnknown, 4}}}, {{"T", DType::float16}}) ==
          TensorType{DType::boolean, {kUnknown, 4}});
    CHECK(error_code([op] { infer_op1(op, {{i32, {4}}}, {{"T", i32}}); }) ==
          Errc::type_mismatch);
  }
  CHECK(error_code([] { infer_op1("Sin", {{i64, {4}}}, {{"T", i64}}); }) == Errc::type_mismatch);
  CHECK(error_code([] { infer_op1("Invert", {f32_of({4})}, {{"T", f32}}); }) ==
        Errc::type_mismatch);
}

TEST_CASE("the binary tail broadcasts and checks TensorFlow's dtypes", "[math][shapes]") {
  CHECK(infer_op1("Atan2", {f32_of({kUnknown, 1}), f32_of({1, 4})}, {{"T", f32}}) ==
        f32_of({kUnknown, 4}));
  CHECK(infer_op1("LeftShift", {{DType::int8, {2, 3}}, {DType::int8, {3}}},
                  {{"T", DType::int8}}) == TensorType{DType::int8, {2, 3}});
  // TruncateMod takes the 16-bit floats (TensorFlow's op does, though its CPU has no kernel)
  // but not the 8-bit integers, which TruncateDiv takes.
  CHECK(infer_op1("TruncateMod", {{DType::float16, {2}}, {DType::float16, {}}},
                  {{"T", DType::float16}}) == TensorType{DType::float16, {2}});
  CHECK(error_code([] {
          infer_op1("TruncateMod", {{DType::int8, {2}}, {DType::int8, {2}}}, {{"T", DType::int8}});
        }) == Errc::type_mismatch);
  CHECK(infer_op1("TruncateDiv", {{DType::int8, {2}}, {DType::int8, {2}}},
                  {{"T", DType::int8}}) == TensorType{DType::int8, {2}});
  CHECK(error_code([] {
          infer_op1("Xlogy", {{i32, {2}}, {i32, {2}}}, {{"T", i32}});
        }) == Errc::type_mismatch);
  CHECK(error_code([] {
          infer_op1("BitwiseAnd", {f32_of({2}), f32_of({2})}, {{"T", f32}});
        }) == Errc::type_mismatch);
  CHECK(error_code([] {
          infer_op1("DivNoNan", {f32_of({2, 3}), f32_of({4})}, {{"T", f32}});
        }) == Errc::shape_mismatch);
}

TEST_CASE("integer division by zero names the node", "[math][errors]") {
  const Tensor x = Tensor::from<std::int32_t>({2}, {4, 5});
  const Tensor zero = Tensor::from<std::int32_t>({}, {0});
  for (const char* op : {"TruncateDiv", "TruncateMod"}) {
    INFO(op);
    const std::string text = test::error_text([&] { test::run_op(op, {x, zero}, {{"T", i32}}); });
    CHECK(text.find("division by zero") != std::string::npos);
    CHECK(text.find(std::string("test/") + op) != std::string::npos);
  }
}

TEST_CASE("ClipByValue's bounds are scalars or have t's shape", "[math][shapes]") {
  auto clip = [](Shape t, Shape lo, Shape hi) {
    return infer_op1("ClipByValue", {f32_of(std::move(t)), f32_of(std::move(lo)),
                                     f32_of(std::move(hi))},
                     {{"T", f32}});
  };
  CHECK(clip({kUnknown, 3}, {}, {}) == f32_of({kUnknown, 3}));
  CHECK(clip({kUnknown, 3}, {2, kUnknown}, {}) == f32_of({kUnknown, 3}));
  CHECK(clip({2, 3}, Shape::unknown_rank(), {2, 3}) == f32_of({2, 3}));  // may be a scalar
  CHECK(clip(Shape::unknown_rank(), {3}, {}) == f32_of(Shape::unknown_rank()));
  CHECK(clip({}, {}, {}) == f32_of({}));
  for (const Shape& bad : {Shape({3}), Shape({1}), Shape({1, 1}), Shape({3, 2})}) {
    INFO(bad.str());
    CHECK(error_code([&] { clip({2, 3}, bad, {}); }) == Errc::shape_mismatch);
    CHECK(error_code([&] { clip({2, 3}, {}, bad); }) == Errc::shape_mismatch);
  }
  CHECK(error_code([] {
          infer_op1("ClipByValue", {f32_of({2}), {i32, {}}, f32_of({})}, {{"T", f32}});
        }) == Errc::type_mismatch);
  CHECK(error_code([] {
          const TensorType b{DType::boolean, {2}};
          infer_op1("ClipByValue", {b, b, b}, {{"T", DType::boolean}});
        }) == Errc::type_mismatch);
}

TEST_CASE("Cumsum and Cumprod keep x's type and check the axis", "[math][shapes]") {
  for (const char* op : {"Cumsum", "Cumprod"}) {
    INFO(op);
    // The axis unknown before running: the output is x's type all the same.
    CHECK(infer_op1(op, {f32_of({kUnknown, 3}), axis_of()}, {{"T", f32}}) ==
          f32_of({kUnknown, 3}));
    const Tensor minus_one = Tensor::from<std::int64_t>({}, {-1});
    CHECK(infer_op1(op, {f32_of(Shape::unknown_rank()), axis_of(i64)},
                    {{"T", f32}, {"Tidx", i64}}, {nullptr, &minus_one}) ==
          f32_of(Shape::unknown_rank()));
    const Tensor two = Tensor::from<std::int32_t>({}, {2});
    CHECK(error_code([&] {
            infer_op1(op, {f32_of({kUnknown, 3}), axis_of()}, {{"T", f32}}, {nullptr, &two});
          }) == Errc::invalid_argument);
    // A scalar has no axis, whatever the axis is.
    CHECK(error_code([&] { infer_op1(op, {f32_of({}), axis_of()}, {{"T", f32}}); }) ==
          Errc::shape_mismatch);
    CHECK(error_code([&] {
            infer_op1(op, {f32_of({2, 3}), {i32, {1}}}, {{"T", f32}});
          }) == Errc::shape_mismatch);
    CHECK(error_code([&] {
            infer_op1(op, {f32_of({2, 3}), axis_of(f32)}, {{"T", f32}, {"Tidx", f32}});
          }) == Errc::type_mismatch);
    CHECK(error_code([&] {
            infer_op1(op, {{DType::boolean, {2}}, axis_of()}, {{"T", DType::boolean}});
          }) == Errc::type_mismatch);
  }
}

}  // namespace KILN_TEST_FILE
