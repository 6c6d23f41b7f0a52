// Type inference of the math ops: defaults, broadcasting with unknown dimensions, reductions with
// known and unknown axes, and the errors a bad graph must get.
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
}  // namespace

TEST_CASE("math ops get TensorFlow's default attributes", "[math][shapes]") {
  auto defaults = [](const std::string& op, Attrs attrs) {
    Node node;
    node.name = "n";
    node.op = op;
    node.attrs = std::move(attrs);
    fill_default_attrs(node);
    return node;
  };
  CHECK(defaults("LeakyRelu", {{"T", f32}}).attr<float>("alpha") == 0.2f);
  const Node sum = defaults("Sum", {{"T", f32}});
  CHECK(sum.attr<bool>("keep_dims") == false);
  CHECK(sum.attr<DType>("Tidx") == i32);
  CHECK(defaults("All", {}).attr<bool>("keep_dims") == false);
  const Node arg_max = defaults("ArgMax", {{"T", f32}});
  CHECK(arg_max.attr<DType>("Tidx") == i32);
  CHECK(arg_max.attr<DType>("output_type") == i64);
  CHECK(defaults("Cast", {{"SrcT", f32}, {"DstT", i32}}).attr<bool>("Truncate") == false);
  CHECK(defaults("Equal", {{"T", f32}}).attr<bool>("incompatible_shape_error") == true);
  CHECK(defaults("NotEqual", {{"T", f32}}).attr<bool>("incompatible_shape_error") == true);
  // An explicit value is kept.
  CHECK(defaults("LeakyRelu", {{"T", f32}, {"alpha", 0.5f}}).attr<float>("alpha") == 0.5f);
}

TEST_CASE("unary ops keep their input type", "[math][shapes]") {
  CHECK(infer_op1("Tanh", {f32_of({2, kUnknown})}, {{"T", f32}}) == f32_of({2, kUnknown}));
  CHECK(infer_op1("Relu", {{i32, Shape::unknown_rank()}}, {{"T", i32}}) ==
        TensorType{i32, Shape::unknown_rank()});
  CHECK(infer_op1("LogicalNot", {{DType::boolean, {3}}}, {}) == TensorType{DType::boolean, {3}});
}

TEST_CASE("binary ops broadcast, keeping what is unknown", "[math][shapes]") {
  auto add = [](Shape a, Shape b) {
    return infer_op1("AddV2", {f32_of(std::move(a)), f32_of(std::move(b))}, {{"T", f32}}).shape;
  };
  CHECK(add({2, 3}, {3}) == Shape({2, 3}));
  CHECK(add({}, {4, 1}) == Shape({4, 1}));
  CHECK(add({2, 1, 3}, {4, 1}) == Shape({2, 4, 3}));
  CHECK(add({kUnknown, 3}, {3}) == Shape({kUnknown, 3}));
  CHECK(add({kUnknown, 1}, {1, 4}) == Shape({kUnknown, 4}));
  CHECK(add({kUnknown}, {5}) == Shape({5}));  // the unknown side must be 5 (or 1)
  CHECK(add({kUnknown}, {1}) == Shape({kUnknown}));
  CHECK(add({2, kUnknown}, {kUnknown}) == Shape({2, kUnknown}));
  CHECK(add(Shape::unknown_rank(), {3}) == Shape::unknown_rank());
  CHECK(add({0, 3}, {3}) == Shape({0, 3}));

  const TensorType less = infer_op1("Less", {f32_of({2, 3}), f32_of({3})}, {{"T", f32}});
  CHECK(less == TensorType{DType::boolean, {2, 3}});
  const TensorType both =
      infer_op1("LogicalAnd", {{DType::boolean, {2, 1}}, {DType::boolean, {3}}}, {});
  CHECK(both == TensorType{DType::boolean, {2, 3}});
}

TEST_CASE("binary ops refuse shapes that cannot broadcast", "[math][shapes][errors]") {
  CHECK(error_code([] {
          infer_op1("Add", {f32_of({2, 3}), f32_of({4})}, {{"T", f32}});
        }) == Errc::shape_mismatch);
  CHECK(error_code([] {
          infer_op1("Mul", {f32_of({2, 3}), f32_of({3, 3})}, {{"T", f32}});
        }) == Errc::shape_mismatch);
  CHECK(error_code([] {
          infer_op1("Equal", {f32_of({3}), f32_of({4})}, {{"T", f32}});
        }) == Errc::shape_mismatch);
}

TEST_CASE("Equal without incompatible_shape_error answers a scalar", "[math][shapes]") {
  const Attrs lenient = {{"T", f32}, {"incompatible_shape_error", false}};
  CHECK(infer_op1("Equal", {f32_of({3}), f32_of({4})}, lenient) ==
        TensorType{DType::boolean, Shape{}});
  // A known conflict decides it even when other dimensions are unknown.
  CHECK(infer_op1("NotEqual", {f32_of({kUnknown, 3}), f32_of({4})}, lenient).shape == Shape{});
  // Without a known conflict the shapes broadcast as usual.
  CHECK(infer_op1("Equal", {f32_of({kUnknown}), f32_of({2, 4})}, lenient).shape == Shape({2, 4}));
}

TEST_CASE("inputs must agree with the op's type attribute", "[math][shapes][errors]") {
  // dtype disagreeing with T
  CHECK(error_code([] { infer_op1("Relu", {{i32, {2}}}, {{"T", f32}}); }) == Errc::type_mismatch);
  CHECK(error_code([] {
          infer_op1("Add", {f32_of({2}), {i32, {2}}}, {{"T", f32}});
        }) == Errc::type_mismatch);
  CHECK(error_code([] {
          infer_op1("Sum", {f32_of({2}), {DType::float32, {1}}}, {{"T", f32}});
        }) == Errc::type_mismatch);  // axes must be Tidx (int32 by default)
  CHECK(error_code([] {
          infer_op1("Cast", {{i32, {2}}}, {{"SrcT", f32}, {"DstT", i64}});
        }) == Errc::type_mismatch);
  // a T the op does not accept
  CHECK(error_code([] { infer_op1("Tanh", {{i32, {2}}}, {{"T", i32}}); }) == Errc::type_mismatch);
  CHECK(error_code([] {
          infer_op1("RealDiv", {{i32, {2}}, {i32, {2}}}, {{"T", i32}});
        }) == Errc::type_mismatch);
  CHECK(error_code([] {
          infer_op1("Add", {{DType::boolean, {2}}, {DType::boolean, {2}}}, {{"T", DType::boolean}});
        }) == Errc::type_mismatch);
  CHECK(error_code([] {
          infer_op1("Abs", {{DType::uint8, {2}}}, {{"T", DType::uint8}});
        }) == Errc::type_mismatch);
  CHECK(error_code([] {
          infer_op1("LogicalAnd", {f32_of({2}), f32_of({2})}, {});
        }) == Errc::type_mismatch);
  CHECK(error_code([] { infer_op1("Any", {f32_of({2}), {i32, {1}}}, {}); }) == Errc::type_mismatch);
  // T itself missing
  CHECK(error_code([] { infer_op1("Exp", {f32_of({2})}, {}); }) == Errc::invalid_attr);
}

TEST_CASE("AddN merges the shapes of its inputs", "[math][shapes]") {
  const Attrs attrs = {{"T", f32}, {"N", std::int64_t{3}}};
  CHECK(infer_op1("AddN",
                  {f32_of({kUnknown, 3}), f32_of({2, kUnknown}), f32_of(Shape::unknown_rank())},
                  attrs) == f32_of({2, 3}));
  CHECK(error_code([&] {
          infer_op1("AddN", {f32_of({2, 3}), f32_of({3, 2}), f32_of({2, 3})}, attrs);
        }) == Errc::shape_mismatch);
  CHECK(error_code([&] {
          infer_op1("AddN", {f32_of({2}), f32_of({2})}, attrs);
        }) == Errc::invalid_graph);  // N says 3
}

TEST_CASE("reductions with known axes", "[math][shapes]") {
  auto reduce = [](Shape in, std::vector<std::int32_t> axes, bool keep_dims) {
    const Tensor a =
        Tensor::from_vector<std::int32_t>(Shape{static_cast<std::int64_t>(axes.size())}, axes);
    return infer_op1("Sum", {f32_of(std::move(in)), {i32, a.shape()}},
                     {{"T", f32}, {"keep_dims", keep_dims}}, {nullptr, &a})
        .shape;
  };
  CHECK(reduce({2, 3, 4}, {1}, false) == Shape({2, 4}));
  CHECK(reduce({2, 3, 4}, {1}, true) == Shape({2, 1, 4}));
  CHECK(reduce({2, 3, 4}, {-1}, false) == Shape({2, 3}));
  CHECK(reduce({2, 3, 4}, {0, -1}, true) == Shape({1, 3, 1}));
  CHECK(reduce({2, 3, 4}, {2, 0, 1}, false) == Shape{});
  CHECK(reduce({2, 3, 4}, {}, false) == Shape({2, 3, 4}));  // no axes: nothing reduced
  CHECK(reduce({kUnknown, 3, kUnknown}, {1}, false) == Shape({kUnknown, kUnknown}));
  CHECK(reduce(Shape::unknown_rank(), {1}, false) == Shape::unknown_rank());

  // A scalar axis, and int64 axes with Tidx=int64.
  const Tensor scalar_axis = Tensor::scalar<std::int32_t>(-2);
  CHECK(
      infer_op1("Max", {f32_of({2, 3}), {i32, {}}}, {{"T", f32}}, {nullptr, &scalar_axis}).shape ==
      Shape({3}));
  const Tensor axes64 = Tensor::from<std::int64_t>({1}, {1});
  CHECK(infer_op1("Mean", {f32_of({2, 3}), {i64, {1}}}, {{"T", f32}, {"Tidx", i64}},
                  {nullptr, &axes64})
            .shape == Shape({2}));
}

TEST_CASE("reductions with axes known only at run time", "[math][shapes]") {
  auto reduce = [](Shape in, Shape axes_shape, bool keep_dims) {
    return infer_op1("Prod", {f32_of(std::move(in)), {i32, std::move(axes_shape)}},
                     {{"T", f32}, {"keep_dims", keep_dims}})
        .shape;
  };
  CHECK(reduce({2, 3, 4}, {2}, false) == Shape::unknown_rank());
  CHECK(reduce({2, 3, 4}, {2}, true) == Shape({kUnknown, kUnknown, kUnknown}));
  CHECK(reduce({2, 3, 4}, {0}, false) == Shape({2, 3, 4}));  // surely empty: nothing reduced
  CHECK(reduce(Shape::unknown_rank(), {2}, true) == Shape::unknown_rank());
}

TEST_CASE("reductions refuse bad axes", "[math][shapes][errors]") {
  auto reduce = [](Shape in, std::vector<std::int32_t> axes) {
    const Tensor a =
        Tensor::from_vector<std::int32_t>(Shape{static_cast<std::int64_t>(axes.size())}, axes);
    infer_op1("Sum", {f32_of(std::move(in)), {i32, a.shape()}}, {{"T", f32}}, {nullptr, &a});
  };
  CHECK(error_code([&] { reduce({2, 3, 4}, {3}); }) == Errc::invalid_argument);
  CHECK(error_code([&] { reduce({2, 3, 4}, {-4}); }) == Errc::invalid_argument);
  CHECK(error_code([&] { reduce({}, {0}); }) == Errc::invalid_argument);  // a scalar has no axis 0
  // TensorFlow refuses a dimension named twice ("Axes contains duplicate dimension").
  CHECK(error_code([&] { reduce({2, 3, 4}, {1, 1}); }) == Errc::invalid_argument);
  CHECK(error_code([&] { reduce({2, 3, 4}, {2, -1}); }) == Errc::invalid_argument);
  CHECK(error_code([] {
          infer_op1("Sum", {f32_of({2, 3}), {i32, {1, 1}}}, {{"T", f32}});
        }) == Errc::shape_mismatch);  // axes of rank 2
  CHECK(test::error_text([&] { reduce({2, 3, 4}, {3}); }).find("test/Sum") != std::string::npos);
}

TEST_CASE("ArgMax and ArgMin drop their axis", "[math][shapes]") {
  const Tensor axis1 = Tensor::scalar<std::int32_t>(1);
  const Tensor axis_minus1 = Tensor::scalar<std::int32_t>(-1);
  CHECK(infer_op1("ArgMax", {f32_of({2, 3}), {i32, {}}}, {{"T", f32}}, {nullptr, &axis1}) ==
        TensorType{i64, {2}});
  CHECK(infer_op1("ArgMin", {f32_of({2, 3, 4}), {i32, {}}}, {{"T", f32}, {"output_type", i32}},
                  {nullptr, &axis_minus1}) == TensorType{i32, {2, 3}});
  CHECK(infer_op1("ArgMax", {f32_of({2, kUnknown}), {i32, {}}}, {{"T", f32}}) ==
        TensorType{i64, {kUnknown}});
  CHECK(infer_op1("ArgMax", {f32_of(Shape::unknown_rank()), {i32, {}}}, {{"T", f32}}).shape ==
        Shape::unknown_rank());

  CHECK(error_code([&] {
          const Tensor axis2 = Tensor::scalar<std::int32_t>(2);
          infer_op1("ArgMax", {f32_of({2, 3}), {i32, {}}}, {{"T", f32}}, {nullptr, &axis2});
        }) == Errc::invalid_argument);
  CHECK(error_code([&] {
          infer_op1("ArgMax", {f32_of({2, 0}), {i32, {}}}, {{"T", f32}}, {nullptr, &axis1});
        }) == Errc::invalid_argument);  // TensorFlow: "Reduction axis 1 is empty"
  CHECK(error_code([] {
          infer_op1("ArgMax", {f32_of({}), {i32, {}}}, {{"T", f32}});
        }) == Errc::shape_mismatch);
  CHECK(error_code([] {
          infer_op1("ArgMax", {f32_of({2, 3}), {i32, {1}}}, {{"T", f32}});
        }) == Errc::shape_mismatch);  // the axis must be a scalar
  CHECK(error_code([] {
          infer_op1("ArgMax", {f32_of({2, 3}), {i32, {}}}, {{"T", f32}, {"output_type", f32}});
        }) == Errc::invalid_attr);
}

TEST_CASE("Cast keeps the shape and takes DstT", "[math][shapes]") {
  CHECK(infer_op1("Cast", {f32_of({kUnknown, 2})}, {{"SrcT", f32}, {"DstT", DType::float16}}) ==
        TensorType{DType::float16, {kUnknown, 2}});
}

}  // namespace KILN_TEST_FILE
