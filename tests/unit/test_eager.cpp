// The eager interpreter: runs what the outputs need, checks its feeds, frees as it goes.
#include "../support.hpp"

#include <kiln/core/builder.hpp>
#include <kiln/eager.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("a dense layer runs eagerly with hand-computed results") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 3});
  Value w = b.constant("W", Tensor::from<float>({3, 2}, {1, -1, 2, 0, 0, 1}));
  Value bias = b.constant("b", Tensor::from<float>({2}, {0.5f, -4}));
  Value z = b.op("BiasAdd", {b.op("MatMul", {x, w}), bias});
  b.output("y", b.op("Relu", {z}));
  Graph g = b.finish();
  // [1,2,3]·W = [1+4+0, -1+0+3] = [5, 2] -> +b = [5.5, -2] -> relu = [5.5, 0]
  // [0,1,1]·W = [2, 1]                  -> +b = [2.5, -3] -> relu = [2.5, 0]
  NamedTensors out = run_eager(g, {{"x", Tensor::from<float>({2, 3}, {1, 2, 3, 0, 1, 1})}});
  test::check_close(out.at("y"), Tensor::from<float>({2, 2}, {5.5f, 0, 2.5f, 0}));
}

TEST_CASE("PlaceholderWithDefault uses its default unless fed") {
  GraphBuilder b;
  Value x = b.input_with_default("x", Tensor::from<float>({2}, {1, 2}));
  Value half = b.constant("half", Tensor::scalar<float>(0.5f));
  Value two = b.constant("two", Tensor::scalar<float>(2.0f));
  b.output("y", b.op("AddV2", {b.op("Mul", {x, half}), two}));
  EagerInterpreter run(b.finish());
  // 0.5·x + 2: [2.5, 3] from the default, [7, 2] when fed [10, 0].
  test::check_close(run.run(NamedTensors{}).at("y"), Tensor::from<float>({2}, {2.5f, 3}));
  test::check_close(run.run({{"x", Tensor::from<float>({2}, {10, 0})}}).at("y"),
                    Tensor::from<float>({2}, {7, 2}));
}

TEST_CASE("feeds are checked by name, dtype and shape") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 2});
  b.output("y", b.op("Neg", {x}));
  EagerInterpreter run(b.finish());
  auto error_of = [&](const NamedTensors& feeds) {
    try {
      run.run(feeds);
    } catch (const Error& e) {
      return e;
    }
    FAIL("expected an error");
    return Error(Errc::internal, "");
  };
  CHECK(error_of({}).message() == "graph input was not fed");
  CHECK(error_of({{"x", Tensor::from<int>({1, 2}, {1, 2})}}).code() == Errc::type_mismatch);
  CHECK(error_of({{"x", Tensor::from<float>({2}, {1, 2})}}).code() == Errc::shape_mismatch);
  CHECK(error_of({{"x", Tensor::from<float>({1, 2}, {1, 2})}, {"z", Tensor::scalar<float>(1)}})
            .code() == Errc::not_found);
}

TEST_CASE("only the nodes the outputs need are run") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2});
  // A side branch that would fail if it ran: a Placeholder that is not an input and never fed.
  Value side = b.op("Placeholder", {}, {{"dtype", DType::float32}, {"shape", Shape{2}}}, "side");
  b.op("Neg", {side}, {}, "unused");
  b.output("y", b.op("Neg", {x}));
  test::check_close(run_eager(b.finish(), {{"x", Tensor::from<float>({2}, {1, -2})}}).at("y"),
                    Tensor::from<float>({2}, {-1, 2}));
}

}  // namespace KILN_TEST_FILE
