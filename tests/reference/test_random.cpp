// The random ops' building blocks and the checks' errors, beyond the TensorFlow-recorded cases
// (test_random_tf.cpp): Philox against its authors' known answers, the V2 ops against the V1
// ones, the checks a kernel makes when inference saw no values, and what a failed check says.
#include "../support.hpp"

#include <kiln/kernels/reference/random/philox.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using reference::random::Philox;

namespace {

Tensor ints32(std::vector<std::int32_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor::from_vector<std::int32_t>({n}, v);
}
Tensor ints64(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor::from_vector<std::int64_t>({n}, v);
}

// Runs op's kernel alone, as a compiled plan does: inference never saw the input values.
void run_kernel_alone(const std::string& op, const std::vector<Tensor>& inputs, Attrs attrs,
                      TensorType output) {
  Node node;
  node.name = "alone";
  node.op = op;
  node.attrs = std::move(attrs);
  fill_default_attrs(node);
  std::vector<Tensor> outputs = {Tensor(output.dtype, output.shape)};
  reference::kernel_table().at(op)(node, inputs, outputs);
}

// The Error `fn` throws, or a failed test.
template <class Fn> Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no kiln::Error thrown");
  return Error(Errc::internal, "unreachable");
}

}  // namespace

TEST_CASE("Philox4x32-10 gives Random123's known answers") {
  // kat_vectors of Salmon et al.'s Random123 library: philox4x32 with 10 rounds.
  CHECK(Philox::encrypt({0, 0, 0, 0}, {0, 0}) ==
        Philox::Block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  const std::uint32_t ones = 0xffffffff;
  CHECK(Philox::encrypt({ones, ones, ones, ones}, {ones, ones}) ==
        Philox::Block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  // The digits of pi.
  CHECK(Philox::encrypt({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                        {0xa4093822, 0x299f31d0}) ==
        Philox::Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("the counter is 128 bits: skipping carries into the upper half") {
  Philox gen({0xffffffff, 0xffffffff, 7, 0}, {1, 2});
  const Philox::Block first = gen();
  CHECK(first == Philox::encrypt({0xffffffff, 0xffffffff, 7, 0}, {1, 2}));
  CHECK(gen.counter() == Philox::Block{0, 0, 8, 0});
  gen.skip(0x100000003ULL);
  CHECK(gen.counter() == Philox::Block{3, 1, 8, 0});
}

TEST_CASE("the V2 ops with StatelessRandomGetKeyCounter's key and counter are the V1 ops") {
  const Tensor shape = ints32({5, 3});
  for (const Tensor& seed : {ints64({1, 2}), ints64({-7, 1LL << 50}), ints32({-1, 9})}) {
    const std::vector<Tensor> key_counter =
        test::run_op("StatelessRandomGetKeyCounter", {seed}, {{"Tseed", seed.dtype()}});
    for (const char* op :
         {"StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal"}) {
      for (DType dtype : {DType::float32, DType::float64, DType::bfloat16}) {
        INFO(op << " " << dtype_name(dtype) << " seed " << seed);
        const Tensor v1 =
            test::run_op1(op, {shape, seed}, {{"dtype", dtype}, {"Tseed", seed.dtype()}});
        for (std::int32_t alg : {1, 3}) {  // Philox, and auto-select, which is Philox on CPU
          const Tensor v2 = test::run_op1(
              std::string(op) + "V2", {shape, key_counter[0], key_counter[1], Tensor::scalar(alg)},
              {{"dtype", dtype}});
          test::check_equal(v2, v1);
        }
      }
    }
  }
}

TEST_CASE("random kernels check what only the values show, even where inference did not") {
  const Attrs ints = {{"Tout", DType::int32}, {"T", DType::int32}, {"seed", std::int64_t{1}}};
  const Error range = error_of([&] {
    run_kernel_alone("RandomUniformInt", {ints32({2}), Tensor::scalar<std::int32_t>(5),
                                          Tensor::scalar<std::int32_t>(5)},
                     ints, {DType::int32, Shape{2}});
  });
  CHECK(range.code() == Errc::invalid_argument);
  CHECK(range.context().node == "alone");
  // An empty output takes any range, as in TensorFlow.
  run_kernel_alone("RandomUniformInt",
                   {ints32({0}), Tensor::scalar<std::int32_t>(5), Tensor::scalar<std::int32_t>(1)},
                   ints, {DType::int32, Shape{0}});
  const Error three_fry = error_of([&] {
    run_kernel_alone("StatelessRandomUniformV2",
                     {ints32({2}), ints64({1}), ints64({0, 0}), Tensor::scalar<std::int32_t>(2)},
                     {}, {DType::float32, Shape{2}});
  });
  CHECK(three_fry.code() == Errc::unsupported);
}

TEST_CASE("random shapes from a hostile file are refused, not allocated") {
  const Error e = error_of([] {
    test::run_op("StatelessRandomUniform", {ints64({1LL << 40, 1LL << 40}), ints64({1, 2})},
                 {{"T", DType::int64}});
  });
  CHECK(e.code() == Errc::limit_exceeded);
  CHECK(error_of([] {
          test::run_op("RandomUniform", {ints32({2})},
                       {{"dtype", DType::int32}, {"T", DType::int32}});
        }).code() == Errc::invalid_attr);
}

TEST_CASE("a failed Assert names its node and shows its data") {
  const Tensor data = Tensor::from<float>({5}, {1, 2, 3, 4, 5});
  const Attrs attrs = {{"T", DTypes{DType::float32, DType::int32}}};
  CHECK(test::run_op("Assert", {Tensor::scalar(true), data, ints32({7})}, attrs).empty());
  const Error e = error_of([&] {
    test::run_op("Assert", {Tensor::scalar(false), data, ints32({7})}, attrs);
  });
  CHECK(e.code() == Errc::invalid_argument);
  CHECK(e.context().node == "test/Assert");
  CHECK(e.message() == "assertion failed");
  CHECK(e.context().found == "[1 2 3...] [7]");  // summarize defaults to 3
  Attrs everything = attrs;
  everything["summarize"] = std::int64_t{-1};
  CHECK(error_of([&] {
          test::run_op("Assert", {Tensor::scalar(false), data, ints32({7})}, everything);
        }).context().found == "[1 2 3 4 5] [7]");
  // Refused before running: a condition that is no boolean scalar, a T that lists other types.
  const Tensor two_conditions = Tensor::from<bool>({2}, {true, true});
  CHECK_THROWS_AS(test::run_op("Assert", {two_conditions}, {{"T", DTypes{}}}), Error);
  CHECK_THROWS_AS(
      test::run_op("Assert", {Tensor::scalar(true), data}, {{"T", DTypes{DType::int32}}}), Error);
  CHECK_THROWS_AS(test::run_op("Assert", {Tensor::scalar(true), data}, {{"T", DTypes{}}}), Error);
}

TEST_CASE("CheckNumericsV2 tells the infinities apart") {
  const Attrs attrs = {{"T", DType::float32}, {"message", std::string("logits")}};
  const Tensor both = Tensor::from<float>({3}, {-INFINITY, 1, INFINITY});
  CHECK(error_of([&] { test::run_op("CheckNumericsV2", {both}, attrs); }).message() ==
        "logits : Tensor had -Inf and +Inf values");
  CHECK(error_of([&] { test::run_op("CheckNumerics", {both}, attrs); }).message() ==
        "logits : Tensor had Inf values");
  CHECK_THROWS_AS(test::run_op("CheckNumerics", {ints32({1})}, {{"T", DType::int32},
                                                                {"message", std::string("m")}}),
                  Error);
}

}  // namespace KILN_TEST_FILE
