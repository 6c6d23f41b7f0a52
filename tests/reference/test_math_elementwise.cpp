// Elementwise math ops on values worked out by hand: broadcasting layouts, integer corner cases
// that TensorFlow leaves to the hardware, and the tails of Sigmoid and Softplus. (The bulk of
// the elementwise semantics is checked against TensorFlow in test_math_tf.cpp.)
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
const Attrs kI32 = {{"T", DType::int32}};
constexpr std::int32_t kIntMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kIntMax = std::numeric_limits<std::int32_t>::max();

// An int32 vector.
Tensor ints(std::initializer_list<std::int32_t> values) {
  return Tensor::from<std::int32_t>({static_cast<std::int64_t>(values.size())}, values);
}
}  // namespace

TEST_CASE("broadcasting lines up dimensions from the right", "[math][broadcast]") {
  SECTION("[2,1,3] + [4,1] -> [2,4,3]: out[i][j][k] = x[i][0][k] + y[j][0]") {
    const Tensor x = Tensor::from<float>({2, 1, 3}, {1, 2, 3, 4, 5, 6});
    const Tensor y = Tensor::from<float>({4, 1}, {10, 20, 30, 40});
    const Tensor expected = Tensor::from<float>(
        {2, 4, 3}, {11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43,    // x row 1 2 3
                    14, 15, 16, 24, 25, 26, 34, 35, 36, 44, 45, 46});  // x row 4 5 6
    check_equal(run_op1("AddV2", {x, y}, kF32), expected);
    check_equal(run_op1("AddV2", {y, x}, kF32), expected);  // addition commutes
  }
  SECTION("[3,1] * [1,4]: an outer product") {
    const Tensor x = Tensor::from<float>({3, 1}, {1, 2, 3});
    const Tensor y = Tensor::from<float>({1, 4}, {1, 10, 100, 1000});
    check_equal(run_op1("Mul", {x, y}, kF32),
                Tensor::from<float>({3, 4}, {1, 10, 100, 1000,     // 1 * y
                                             2, 20, 200, 2000,     // 2 * y
                                             3, 30, 300, 3000}));  // 3 * y
  }
  SECTION("a lower-rank left operand: [3] - [2,3]") {
    const Tensor x = Tensor::from<float>({3}, {10, 20, 30});
    const Tensor y = Tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, 6});
    check_equal(run_op1("Sub", {x, y}, kF32),
                Tensor::from<float>({2, 3}, {9, 18, 27, 6, 15, 24}));  // 10-1 20-2 30-3 10-4 ...
  }
  SECTION("scalars on either side, and a 1-element vector") {
    const Tensor m = Tensor::from<float>({2, 2}, {1, 2, 3, 4});
    check_equal(run_op1("RealDiv", {m, Tensor::scalar<float>(2)}, kF32),
                Tensor::from<float>({2, 2}, {0.5f, 1, 1.5f, 2}));
    check_equal(run_op1("RealDiv", {Tensor::scalar<float>(12), m}, kF32),
                Tensor::from<float>({2, 2}, {12, 6, 4, 3}));
    check_equal(run_op1("Maximum", {Tensor::from<float>({1}, {2.5f}), m}, kF32),
                Tensor::from<float>({2, 2}, {2.5f, 2.5f, 3, 4}));
  }
  SECTION("size-1 dimensions on both sides in the middle: [2,1,2] vs [1,3,1]") {
    const Tensor x = Tensor::from<std::int32_t>({2, 1, 2}, {1, 2, 3, 4});
    const Tensor y = Tensor::from<std::int32_t>({1, 3, 1}, {0, 10, 100});
    // out[i][j][k] = x[i][0][k] + y[0][j][0]
    check_equal(run_op1("Add", {x, y}, kI32),
                Tensor::from<std::int32_t>({2, 3, 2}, {1, 2, 11, 12, 101, 102,     // x 1 2
                                                       3, 4, 13, 14, 103, 104}));  // x 3 4
  }
  SECTION("an empty operand gives an empty result") {
    const Tensor x(DType::float32, Shape{0, 3});
    const Tensor out = run_op1("Mul", {x, Tensor::from<float>({3}, {1, 2, 3})}, kF32);
    CHECK(out.shape() == Shape({0, 3}));
  }
}

TEST_CASE("comparisons and logical ops answer in bool", "[math][broadcast]") {
  const Tensor x = Tensor::from<std::int32_t>({2, 2}, {1, 5, 3, 3});
  const Tensor y = ints({3, 3});
  check_equal(run_op1("Less", {x, y}, kI32),
              Tensor::from<bool>({2, 2}, {true, false, false, false}));
  check_equal(run_op1("GreaterEqual", {x, y}, kI32),
              Tensor::from<bool>({2, 2}, {false, true, true, true}));
  check_equal(run_op1("NotEqual", {x, y}, kI32),
              Tensor::from<bool>({2, 2}, {true, true, false, false}));
  const Tensor a = Tensor::from<bool>({2, 1}, {true, false});
  const Tensor b = Tensor::from<bool>({2}, {true, false});
  check_equal(run_op1("LogicalOr", {a, b}), Tensor::from<bool>({2, 2}, {true, true, true, false}));
  check_equal(run_op1("LogicalAnd", {a, b}),
              Tensor::from<bool>({2, 2}, {true, false, false, false}));
  // incompatible_shape_error=false: shapes that cannot broadcast are simply unequal.
  const Attrs lenient = {{"T", DType::int32}, {"incompatible_shape_error", false}};
  const Tensor three = ints({1, 2, 3});
  check_equal(run_op1("Equal", {x, three}, lenient), Tensor::scalar<bool>(false));
  check_equal(run_op1("NotEqual", {x, three}, lenient), Tensor::scalar<bool>(true));
  check_equal(run_op1("Equal", {x, y}, lenient),  // compatible shapes compare as usual
              Tensor::from<bool>({2, 2}, {false, false, true, true}));
}

TEST_CASE("integer division refuses zero and wraps INT_MIN / -1", "[math][int]") {
  const Tensor zero = ints({2, 0});
  const Tensor x = ints({7, 7});
  for (const char* op : {"Div", "FloorDiv", "FloorMod"}) {
    INFO(op);
    CHECK(error_code([&] { run_op1(op, {x, zero}, kI32); }) == Errc::invalid_argument);
    const std::string text = test::error_text([&] { run_op1(op, {x, zero}, kI32); });
    CHECK(text.find("division by zero") != std::string::npos);
  }
  // Float division by zero is not an error: 1/0 = inf, -1/0 = -inf, 0/0 = NaN.
  const Tensor f =
      run_op1("Div", {Tensor::from<float>({3}, {1, -1, 0}), Tensor::scalar<float>(0)}, kF32);
  CHECK(f.data<float>()[0] == std::numeric_limits<float>::infinity());
  CHECK(f.data<float>()[1] == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(f.data<float>()[2]));

  // INT_MIN / -1 = 2^31 does not fit: two's complement wraps it back to INT_MIN (TensorFlow's
  // CPU kernel would trap). The remainder is 0.
  const Tensor min = ints({kIntMin});
  const Tensor minus_one = ints({-1});
  check_equal(run_op1("Div", {min, minus_one}, kI32), min);
  check_equal(run_op1("FloorDiv", {min, minus_one}, kI32), min);
  check_equal(run_op1("FloorMod", {min, minus_one}, kI32), ints({0}));
}

TEST_CASE("integer arithmetic wraps around", "[math][int]") {
  // 2147483647 + 1 = 2^31 -> -2^31;  -2^31 - 1 -> 2^31 - 1;  65536 * 65536 = 2^32 -> 0
  check_equal(run_op1("Add", {ints({kIntMax}), ints({1})}, kI32), ints({kIntMin}));
  check_equal(run_op1("Sub", {ints({kIntMin}), ints({1})}, kI32), ints({kIntMax}));
  check_equal(run_op1("Mul", {ints({65536}), ints({65536})}, kI32), ints({0}));
  // |INT_MIN| and -INT_MIN are INT_MIN again.
  check_equal(run_op1("Abs", {ints({kIntMin})}, kI32), ints({kIntMin}));
  check_equal(run_op1("Neg", {ints({kIntMin})}, kI32), ints({kIntMin}));
}

TEST_CASE("integer Pow", "[math][int]") {
  // 3^4 = 81, (-2)^3 = -8, 0^0 = 1, 7^1 = 7, (-1)^5 = -1, 2^31 wraps to -2^31, 2^32 to 0
  const Tensor base = ints({3, -2, 0, 7, -1, 2, 2});
  const Tensor exponent = ints({4, 3, 0, 1, 5, 31, 32});
  check_equal(run_op1("Pow", {base, exponent}, kI32), ints({81, -8, 1, 7, -1, kIntMin, 0}));
  // A negative integer exponent is an error, as in TensorFlow.
  CHECK(error_code([] {
          run_op1("Pow", {ints({2}), ints({-1})}, kI32);
        }) == Errc::invalid_argument);
}

TEST_CASE("Round leaves integers alone and rounds halves to even", "[math][int]") {
  // TensorFlow 2.21's CPU kernel returns 0 for integer Round; rounding an integer is the
  // identity, and that is what Kiln does.
  const Tensor integers = ints({5, -7, 0, kIntMin});
  check_equal(run_op1("Round", {integers}, kI32), integers);
  const Tensor small = Tensor::from<std::int8_t>({2}, {-128, 127});
  check_equal(run_op1("Round", {small}, {{"T", DType::int8}}), small);
  // 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2, 2.5000002 -> 3 (not a tie)
  check_equal(
      run_op1("Round", {Tensor::from<float>({5}, {0.5f, 1.5f, 2.5f, -2.5f, 2.5000002f})}, kF32),
      Tensor::from<float>({5}, {0, 2, 2, -2, 3}));
}

TEST_CASE("Sigmoid and Softplus stay finite and exact at large |x|", "[math][float]") {
  // float32: exp(88.8) overflows, so a naive log(1 + exp(x)) would give inf, and a naive
  // 1 / (1 + exp(-x)) loses the tail. Expected: sigmoid(1000) = sigmoid(100) = 1 (1 - e^-100
  // rounds to 1); sigmoid(-100) = e^-100 = 3.7e-44 (a subnormal float), sigmoid(-1000) = e^-1000 =
  // 0 in float; softplus(x) = x above ~14 and e^x below ~-14 (the same tiny values).
  const Tensor x = Tensor::from<float>({4}, {-1000, -100, 100, 1000});
  check_close(run_op1("Sigmoid", {x}, kF32), Tensor::from<float>({4}, {0, 3.7200760e-44f, 1, 1}),
              1e-45, 0);
  check_close(run_op1("Softplus", {x}, kF32),
              Tensor::from<float>({4}, {0, 3.7200760e-44f, 100, 1000}), 1e-45, 0);

  // float64, where the tails are representable: sigmoid(-700) = e^-700 / (1 + e^-700), which
  // equals e^-700 = 9.8596765437597708e-305 to double precision; softplus(-700) = log1p(e^-700),
  // the same number; softplus(700) = 700 + log1p(e^-700) = 700.
  const Tensor xd = Tensor::from<double>({2}, {-700, 700});
  const Attrs f64 = {{"T", DType::float64}};
  check_close(run_op1("Sigmoid", {xd}, f64),
              Tensor::from<double>({2}, {9.8596765437597708e-305, 1}), 0, 1e-14);
  check_close(run_op1("Softplus", {xd}, f64),
              Tensor::from<double>({2}, {9.8596765437597708e-305, 700}), 0, 1e-14);
}

TEST_CASE("errors from kernels name the node", "[math][errors]") {
  const std::string text = test::error_text([] {
    run_op1("FloorMod", {ints({1}), ints({0})}, kI32);
  });
  CHECK(text.find("test/FloorMod") != std::string::npos);
  CHECK(text.find("FloorMod") != std::string::npos);
}

// The catalogue decides which dtypes an op accepts, and each kernel instantiates its own list:
// every dtype that inference accepts must run, and every other must be refused by inference.
TEST_CASE("the math kernels run every dtype the catalogue accepts", "[math][dtypes]") {
  const std::vector<DType> all = {DType::float32, DType::float16, DType::bfloat16,
                                  DType::float64, DType::int8,    DType::uint8,
                                  DType::int32,   DType::int64,   DType::boolean};
  const std::vector<std::string> unary = {
      "Relu",     "Relu6",    "Elu",  "Selu",       "LeakyRelu",  "Sigmoid", "Tanh",
      "Softplus", "Softsign", "Erf",  "Exp",        "Log",        "Log1p",   "Sqrt",
      "Rsqrt",    "Square",   "Abs",  "Neg",        "Reciprocal", "Inv",     "Floor",
      "Ceil",     "Round",    "Sign", "LogicalNot", "Cast"};
  const std::vector<std::string> binary = {"Add",
                                           "AddV2",
                                           "Sub",
                                           "Mul",
                                           "RealDiv",
                                           "Div",
                                           "FloorDiv",
                                           "FloorMod",
                                           "Maximum",
                                           "Minimum",
                                           "SquaredDifference",
                                           "Pow",
                                           "Less",
                                           "LessEqual",
                                           "Greater",
                                           "GreaterEqual",
                                           "Equal",
                                           "NotEqual",
                                           "LogicalAnd",
                                           "LogicalOr",
                                           "AddN"};
  const std::vector<std::string> reductions = {"Sum", "Mean", "Prod",   "Max",   "Min",
                                               "All", "Any",  "ArgMax", "ArgMin"};
  int accepted = 0;
  for (DType t : all) {
    Tensor ones(t, Shape{2});
    dispatch(t, [&](auto tag) {
      using T = typename decltype(tag)::type;
      ones.data<T>()[0] = T(1);
      ones.data<T>()[1] = T(1);
    });
    auto check = [&](const std::string& op, const std::vector<Tensor>& inputs) {
      INFO(op << " on " << dtype_name(t));
      Attrs attrs = {{"T", t}, {"SrcT", t}, {"DstT", DType::float32}, {"N", std::int64_t{2}}};
      Node node;
      node.name = "probe";
      node.op = op;
      node.attrs = attrs;
      fill_default_attrs(node);
      std::vector<TensorType> types;
      for (const Tensor& in : inputs) types.push_back({in.dtype(), in.shape()});
      bool inferred = false;
      try {
        infer_node(node, types, {});
        inferred = true;
      } catch (const Error& e) {
        CHECK(e.code() == Errc::type_mismatch);
      }
      if (inferred) {
        ++accepted;
        CHECK_NOTHROW(run_op1(op, inputs, attrs));
      }
    };
    for (const std::string& op : unary) check(op, {ones});
    for (const std::string& op : binary) check(op, {ones, ones});
    for (const std::string& op : reductions) {
      check(op, {ones, op.rfind("Arg", 0) == 0 ? Tensor::scalar<std::int32_t>(0) : ints({0})});
    }
  }
  // float32 alone runs all 56 ops but the 5 bool-only ones.
  CHECK(accepted > 200);
}

TEST_CASE("Erfc is 1 - erf, without the cancellation") {
  // Reference values of the complementary error function (Abramowitz & Stegun, table 7.1, and
  // erfc(5) = 1.5374597944280349e-12, where 1 - erf(5) in float would be exactly 0).
  Tensor x = Tensor::from<float>({4}, {0.0f, 1.0f, -1.0f, 5.0f});
  test::check_close(test::run_op1("Erfc", {x}, kF32),
                    Tensor::from<float>({4}, {1.0f, 0.15729920705f, 1.84270079295f, 1.5374597944e-12f}),
                    0.0, 1e-6);
}

}  // namespace KILN_TEST_FILE
