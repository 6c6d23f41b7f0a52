// simplify: IR text in, expected IR text out (MLIR FileCheck style), and FileCheck-like patterns.
#include "helpers.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::ir;
using test::run_pass;

namespace {
const opt::Pass simplify = opt::simplify_pass();
}

TEST_CASE("simplify removes pass-throughs and keeps the ports") {
  const opt::PassResult result = test::check_pass(simplify, R"(
    graph {
      inputs: x = %x, unused = %unused  // an input nobody reads stays: it is the signature
      %x = Placeholder() {dtype = float32, shape = [2]}
      %unused = Placeholder() {dtype = float32, shape = [2]}
      %id = Identity(%x) {T = float32}
      %r = Relu(%id) {T = float32}
      %pair = IdentityN(%r, %x) {T = [float32, float32]}
      %s = StopGradient(%pair) {T = float32}
      %snap = Snapshot(%s) {T = float32}
      %echo = Identity(%pair:1) {T = float32}  // an output that is an input
      outputs: y = %snap, echo = %echo
    })", R"(
    graph {
      inputs: x = %x, unused = %unused
      %unused = Placeholder() {dtype = float32, shape = [2]}
      %x = Placeholder() {dtype = float32, shape = [2]}
      %r = Relu(%x) {T = float32}
      outputs: y = %r, echo = %x
    })");
  CHECK(result.changed);
  CHECK(result.stat("pass-throughs removed") == 5);
}

TEST_CASE("simplify drops control edges and NoOps") {
  const opt::PassResult result = test::check_pass(simplify, R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2]}
      %side = Neg(%x) {T = float32}
      %group = NoOp(^%side)
      %r = Relu(%x, ^%group) {T = float32}
      outputs: y = %r
    })", R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2]}
      %r = Relu(%x) {T = float32}
      outputs: y = %r
    })");
  CHECK(result.stat("control edges dropped") == 2);
  CHECK(result.stat("NoOps removed") == 1);
  CHECK(result.stat("dead nodes removed") == 1);  // `side` only ran for the control edge
}

TEST_CASE("simplify merges duplicate nodes and equal constants") {
  const opt::PassResult result = test::check_pass(simplify, R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [3]}
      %c1 = Const() {dtype = float32, value = float32[3] {1, 2, 3}}
      %c2 = Const() {dtype = float32, value = float32[3] {1, 2, 3}}  // same bytes as c1
      %c3 = Const() {dtype = float32, value = float32[3] {1, 2, 4}}  // different
      %a1 = AddV2(%x, %c1) {T = float32}
      %a2 = AddV2(%x, %c2) {T = float32}  // a duplicate of a1 once c2 is c1
      %a3 = AddV2(%x, %c3) {T = float32}
      %m = Mul(%a1, %a2) {T = float32}
      %y = Sub(%m, %a3) {T = float32}
      outputs: y = %y
    })", R"(
    graph {
      inputs: x = %x
      %c1 = Const() {dtype = float32, value = float32[3] {1, 2, 3}}
      %c3 = Const() {dtype = float32, value = float32[3] {1, 2, 4}}
      %x = Placeholder() {dtype = float32, shape = [3]}
      %a1 = AddV2(%x, %c1) {T = float32}
      %a3 = AddV2(%x, %c3) {T = float32}
      %m = Mul(%a1, %a1) {T = float32}
      %y = Sub(%m, %a3) {T = float32}
      outputs: y = %y
    })");
  CHECK(result.stat("duplicates merged") == 2);
}

TEST_CASE("simplify does not merge nodes that differ in attributes, order or dtype") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {3});
  Value y = b.input("z", DType::float32, {3});
  Value l1 = b.op("LeakyRelu", {x}, {{"alpha", 0.1f}}, "l1");
  Value l2 = b.op("LeakyRelu", {x}, {{"alpha", 0.2f}}, "l2");
  Value s1 = b.op("Sub", {x, y}, {}, "s1");
  Value s2 = b.op("Sub", {y, x}, {}, "s2");
  Value i1 = b.constant("i1", Tensor::from<std::int32_t>({1}, {7}));
  Value f1 = b.constant("f1", Tensor::from<float>({1}, {9.80908925e-45f}));  // same bits as 7
  b.output("a", b.op("AddV2", {l1, l2}, {}, "a"));
  b.output("b", b.op("AddV2", {s1, s2}, {}, "b"));
  b.output("i", i1);
  b.output("f", f1);
  Graph g = b.finish();
  const std::string text = print_graph(g);
  const opt::PassResult result = run_pass(simplify, g);
  CHECK(!result.changed);
  CHECK(print_graph(g) == text);
}

TEST_CASE("simplify removes dead code and resolves defaults nobody can feed") {
  // The Keras learning phase pattern: a PlaceholderWithDefault that is not a signature input
  // can never be fed, so the branch it selects is known, and the training branch is dead.
  const opt::PassResult result = test::check_pass(simplify, R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2]}
      %phase/default = Const() {dtype = float32, value = float32[] {0}}
      // "[] : shape": the op requires the attribute, so no default tells "[]" is a shape
      %keras_learning_phase = PlaceholderWithDefault(%phase/default)
          {dtype = float32, shape = [] : shape}
      %training_branch = Sigmoid(%x) {T = float32}  // read by nothing
      %y = Mul(%x, %keras_learning_phase) {T = float32}
      outputs: y = %y
    })", R"(
    graph {
      inputs: x = %x
      %phase/default = Const() {dtype = float32, value = float32[] {0}}
      %x = Placeholder() {dtype = float32, shape = [2]}
      %y = Mul(%x, %phase/default) {T = float32}
      outputs: y = %y
    })");
  CHECK(result.stat("unfeedable defaults resolved") == 1);
  CHECK(result.stat("dead nodes removed") == 1);
}

TEST_CASE("a PlaceholderWithDefault that is a graph input stays") {
  GraphBuilder b;
  Value x = b.input_with_default("x", Tensor::from<float>({2}, {1, 2}));
  b.output("y", b.op("Relu", {b.op("Identity", {x}, {}, "id")}, {}, "y"));
  Graph g = b.finish();
  run_pass(simplify, g);
  test::check_ir(ir(g), {"%x = PlaceholderWithDefault(%x/input)", "%y = Relu(%x)"});
  // Fed or not, it still computes what it did.
  test::check_close(run_eager(g, {{"x", Tensor::from<float>({2}, {-3, 4})}}).at("y"),
                    Tensor::from<float>({2}, {0, 4}));
  test::check_close(run_eager(g, {}).at("y"), Tensor::from<float>({2}, {1, 2}));
}

TEST_CASE("simplify reaches a fixed point: a second run changes nothing") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2});
  Value a = b.op("Relu", {b.op("Identity", {x}, {}, "i1")}, {}, "a");
  Value c = b.op("Relu", {b.op("Identity", {x}, {}, "i2")}, {}, "c");  // a duplicate once bypassed
  b.output("y", b.op("AddV2", {a, c}, {}, "y"));
  Graph g = b.finish();
  const opt::PassResult first = run_pass(simplify, g);
  CHECK(first.stat("duplicates merged") == 1);
  const std::string text = print_graph(g);
  const opt::PassResult second = run_pass(simplify, g);
  CHECK(!second.changed);
  CHECK(print_graph(g) == text);
}

TEST_CASE("simplify removes identity transposes and reshapes to the same shape") {
  // Keras' Tensordot transposes by [0, 1, 2] and may reshape [?,8,16] to [-1, 8, 16].
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 8, 16});
  Value t = b.op("Transpose", {x, b.constant("perm", Tensor::from<std::int32_t>({3}, {0, 1, 2}))},
                 {}, "t");
  Value r = b.op("Reshape", {t, b.constant("shape", Tensor::from<std::int32_t>({3}, {-1, 8, 16}))},
                 {}, "r");
  Value swap =
      b.op("Transpose", {r, b.constant("perm_021", Tensor::from<std::int32_t>({3}, {0, 2, 1}))}, {},
           "swap");  // a real transpose: stays
  b.output("y", b.op("Relu", {swap}, {}, "y"));
  Graph g = b.finish();
  const opt::PassResult result = run_pass(simplify, g);
  CHECK(result.stat("identity ops removed") == 2);
  test::check_ir(ir(g),
                 {"%swap = Transpose(%x, %perm_021)", "%y = Relu(%swap)", "NOT:%t =", "NOT:%r ="});

  // Two unknown dimensions: the element count does not pin them down, so the reshape stays.
  GraphBuilder b2;
  Value x2 = b2.input("x", DType::float32, {-1, -1, 4});
  Value r2 = b2.op("Reshape", {x2, b2.op("Shape", {x2}, {}, "s")}, {}, "r");
  b2.output("y", r2);
  Graph g2 = b2.finish();
  CHECK(run_pass(simplify, g2).stat("identity ops removed") == 0);
}

}  // namespace KILN_TEST_FILE
