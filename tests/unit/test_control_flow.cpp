// Structured control flow (While, If) and tensor lists, on graphs built by hand with results
// derived by hand: the interpreters, compiled plans, type inference through regions, the text
// form and the verifier.
#include "../support.hpp"

#include <kiln/core/builder.hpp>
#include <kiln/core/dot.hpp>
#include <kiln/core/parse.hpp>
#include <kiln/core/print.hpp>
#include <kiln/eager.hpp>
#include <kiln/session.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

// while (i <= n) { acc = acc * i; i = i + 1 }, from i = 1: acc ends as acc * n!.
Graph factorial_loop() {
  GraphBuilder cond;
  Value i = cond.input("i", DType::int32, Shape{});
  cond.input("acc", DType::float32);
  Value n = cond.input("n", DType::int32, Shape{});
  cond.output("go", cond.op("LessEqual", {i, n}));

  GraphBuilder body;
  Value bi = body.input("i", DType::int32, Shape{});
  Value acc = body.input("acc", DType::float32);
  Value bn = body.input("n", DType::int32, Shape{});
  body.output("i", body.op("AddV2", {bi, body.constant("one", Tensor::scalar<std::int32_t>(1))}));
  body.output("acc", body.op("Mul", {acc, body.op("Cast", {bi}, {{"DstT", DType::float32}})}));
  body.output("n", bn);

  GraphBuilder b;
  Value x = b.input("x", DType::float32, Shape{2});
  Value limit = b.input("n", DType::int32, Shape{});
  Value start = b.constant("start", Tensor::scalar<std::int32_t>(1));
  const std::vector<Value> out = b.control_flow("While", {start, x, limit},
                                                {cond.finish(), body.finish()},
                                                {{"T", DTypes{DType::int32, DType::float32, DType::int32}}}, "loop");
  b.output("y", out[1]);
  b.output("trips", out[0]);
  return b.finish();
}

NamedTensors factorial_feeds(std::int32_t n) {
  return {{"x", Tensor::from<float>({2}, {1, -0.5f})}, {"n", Tensor::scalar<std::int32_t>(n)}};
}

// If (p) { x * 2 } else { x - 1 }
Graph branchy() {
  GraphBuilder then_branch;
  Value a = then_branch.input("a", DType::float32);
  then_branch.output("r", then_branch.op("Mul", {a, then_branch.constant("two", Tensor::scalar<float>(2))}));
  GraphBuilder else_branch;
  Value c = else_branch.input("a", DType::float32);
  else_branch.output("r", else_branch.op("Sub", {c, else_branch.constant("one", Tensor::scalar<float>(1))}));
  GraphBuilder b;
  Value p = b.input("p", DType::boolean, Shape{});
  Value x = b.input("x", DType::float32, Shape{3});
  b.output("y", b.control_flow("If", {p, x}, {then_branch.finish(), else_branch.finish()},
                               {{"Tin", DTypes{DType::float32}}, {"Tout", DTypes{DType::float32}}}, "choose")[0]);
  return b.finish();
}

}  // namespace

TEST_CASE("a While loop runs its body until its condition fails, eagerly and compiled") {
  const Graph g = factorial_loop();
  // 5! = 120: [1, -0.5] -> [120, -60]; the counter stops at 6.
  const NamedTensors eager = run_eager(g, factorial_feeds(5));
  test::check_close(eager.at("y"), Tensor::from<float>({2}, {120, -60}));
  test::check_equal(eager.at("trips"), Tensor::scalar<std::int32_t>(6));
  for (OptLevel level : {OptLevel::O0, OptLevel::O2}) {
    const CompiledModel net = compile(g, Options().backend(Backend::reference).level(level));
    // 3! = 6 and 0 trips (n = 0: the condition fails at once).
    test::check_close(net.run(factorial_feeds(3)).at("y"), Tensor::from<float>({2}, {6, -3}));
    test::check_close(net.run(factorial_feeds(0)).at("y"), Tensor::from<float>({2}, {1, -0.5f}));
  }
}

TEST_CASE("a loop that runs past the iteration bound fails with an error naming the loop") {
  const Graph g = factorial_loop();
  const CompiledModel net = compile(g, Options().backend(Backend::reference).max_loop_iterations(4));
  CHECK_NOTHROW(net.run(factorial_feeds(4)));  // exactly 4 trips
  try {
    net.run(factorial_feeds(5));
    FAIL("a fifth trip was allowed");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::limit_exceeded);
    CHECK(e.context().node == "loop");
    CHECK(std::string(e.what()).find("at most 4 iterations") != std::string::npos);
  }
}

TEST_CASE("If runs the branch its condition picks") {
  const Graph g = branchy();
  const Tensor x = Tensor::from<float>({3}, {1, 2, -3});
  EagerInterpreter eager(g);
  test::check_close(eager.run({{"p", Tensor::scalar<bool>(true)}, {"x", x}}).at("y"),
                    Tensor::from<float>({3}, {2, 4, -6}));
  const CompiledModel net = compile(g, Options().backend(Backend::reference));
  test::check_close(net.run({{"p", Tensor::scalar<bool>(false)}, {"x", x}}).at("y"),
                    Tensor::from<float>({3}, {0, 1, -4}));
}

TEST_CASE("a loop variable whose shape changes is widened to unknown dimensions") {
  // while (i < 3) { x = concat(x, x) }: [1,2] -> [8,2] after three trips, [?,2] for inference.
  GraphBuilder cond;
  Value i = cond.input("i", DType::int32, Shape{});
  cond.input("x", DType::float32);
  cond.output("go", cond.op("Less", {i, cond.constant("three", Tensor::scalar<std::int32_t>(3))}));
  GraphBuilder body;
  Value bi = body.input("i", DType::int32, Shape{});
  Value bx = body.input("x", DType::float32);
  body.output("i", body.op("AddV2", {bi, body.constant("one", Tensor::scalar<std::int32_t>(1))}));
  body.output("x", body.op("ConcatV2", {bx, bx, body.constant("axis", Tensor::scalar<std::int32_t>(0))},
                           {{"N", std::int64_t{2}}, {"T", DType::float32}}));
  GraphBuilder b;
  Value x = b.input("x", DType::float32, Shape{1, 2});
  const std::vector<Value> out = b.control_flow(
      "While", {b.constant("zero", Tensor::scalar<std::int32_t>(0)), x}, {cond.finish(), body.finish()},
      {{"T", DTypes{DType::int32, DType::float32}}}, "grow");
  b.output("y", out[1]);
  Graph g = b.finish();
  CHECK(g.type_of(out[1]).shape == Shape({kUnknownDim, 2}));
  CHECK(g.type_of(out[0]).shape == Shape{});
  // Inference also gave the body's argument the widened shape.
  const Graph& grown = *g.node(g.at("grow")).regions.at(1);
  CHECK(grown.type_of(grown.inputs().at(1).value).shape == Shape({kUnknownDim, 2}));
  const Tensor y = run_eager(g, {{"x", Tensor::from<float>({1, 2}, {3, 4})}}).at("y");
  REQUIRE(y.shape() == Shape({8, 2}));
  CHECK(y.data<float>()[14] == 3);
  CHECK(y.data<float>()[15] == 4);
}

TEST_CASE("regions print as nested graphs and read back") {
  const Graph g = factorial_loop();
  PrintOptions lossless;
  lossless.lossless = true;
  const std::string text = print_graph(g, lossless);
  CHECK(text.find(") regions {\n    cond: graph {\n") != std::string::npos);
  CHECK(text.find("    body: graph {\n") != std::string::npos);
  const Graph back = parse_graph(text);
  CHECK(print_graph(back, lossless) == text);
  test::check_close(run_eager(back, factorial_feeds(4)).at("y"), Tensor::from<float>({2}, {24, -12}));
}

TEST_CASE("the DOT writer draws a loop's regions as clusters beside it") {
  const std::string dot = to_dot(factorial_loop(), "factorial");
  CHECK(dot.find("compound=true") != std::string::npos);
  // One cluster per region, labelled with the loop and the region's role; its nodes have ids of
  // their own (the loop is node n3 of the graph, its body's first node n3r1_n0).
  CHECK(dot.find("subgraph cluster_n3r0_ {") != std::string::npos);
  CHECK(dot.find("label=\"loop / cond\"") != std::string::npos);
  CHECK(dot.find("label=\"loop / body\"") != std::string::npos);
  CHECK(dot.find("n3r1_n0 [label=\"i\\nPlaceholder\"") != std::string::npos);
  CHECK(dot.find("n3 -> n3r1_n0 [style=dotted, arrowhead=none, lhead=cluster_n3r1_]") != std::string::npos);
  CHECK(dot.find("n3r1_out1 [label=\"acc\"") != std::string::npos);
}

TEST_CASE("the verifier refuses a While without its body, naming the region of an error inside") {
  Graph g = factorial_loop();
  Node& loop = g.node(g.at("loop"));
  const auto body = loop.regions.at(1);
  loop.regions.pop_back();
  CHECK_THROWS_WITH(verify(g), Catch::Matchers::Contains("another number of regions"));
  // A body whose result is not a value of the body: reported inside the body.
  Graph broken = *body;
  broken.outputs().at(0).value.index = 7;
  loop.regions.push_back(std::make_shared<const Graph>(std::move(broken)));
  CHECK_THROWS_WITH(verify(g), Catch::Matchers::Contains("region 'loop/body'"));
}

TEST_CASE("tensor lists: made from a tensor, read, written and stacked") {
  // FromTensor([[1,2],[3,4],[5,6]]) then SetItem(1, [9,9]): Stack gives [[1,2],[9,9],[5,6]],
  // GetItem(2) [5,6], Length 3. A reserved list stacks its unset items as zeros.
  GraphBuilder b;
  Value t = b.input("t", DType::float32, Shape{3, 2});
  Value shape = b.constant("shape", Tensor::from<std::int32_t>({1}, {2}));
  Value list = b.op("TensorListFromTensor", {t, shape}, {{"element_dtype", DType::float32}});
  Value nine = b.constant("nine", Tensor::from<float>({2}, {9, 9}));
  Value one = b.constant("one", Tensor::scalar<std::int32_t>(1));
  Value two = b.constant("two", Tensor::scalar<std::int32_t>(2));
  Value written = b.op("TensorListSetItem", {list, one, nine}, {{"element_dtype", DType::float32}});
  b.output("stacked", b.op("TensorListStack", {written, shape}, {{"element_dtype", DType::float32}}));
  b.output("item", b.op("TensorListGetItem", {written, two, shape}, {{"element_dtype", DType::float32}}));
  b.output("length", b.op("TensorListLength", {written}));
  Value reserved = b.op("TensorListReserve", {shape, two}, {{"element_dtype", DType::float32}});
  Value partly = b.op("TensorListSetItem", {reserved, one, nine}, {{"element_dtype", DType::float32}});
  b.output("partly", b.op("TensorListStack", {partly, shape}, {{"element_dtype", DType::float32}}));
  const Graph g = b.finish();
  for (Backend backend : {Backend::reference}) {
    const NamedTensors out =
        compile(g, Options().backend(backend)).run({{"t", Tensor::from<float>({3, 2}, {1, 2, 3, 4, 5, 6})}});
    test::check_close(out.at("stacked"), Tensor::from<float>({3, 2}, {1, 2, 9, 9, 5, 6}));
    test::check_close(out.at("item"), Tensor::from<float>({2}, {5, 6}));
    test::check_equal(out.at("length"), Tensor::scalar<std::int32_t>(3));
    test::check_close(out.at("partly"), Tensor::from<float>({2, 2}, {0, 0, 9, 9}));
  }
}

TEST_CASE("reading past a tensor list's end is an error naming the node") {
  GraphBuilder b;
  Value t = b.input("t", DType::float32, Shape{2, 2});
  Value shape = b.constant("shape", Tensor::from<std::int32_t>({1}, {2}));
  Value list = b.op("TensorListFromTensor", {t, shape}, {{"element_dtype", DType::float32}});
  Value index = b.input("i", DType::int32, Shape{});
  b.output("item", b.op("TensorListGetItem", {list, index, shape}, {{"element_dtype", DType::float32}}, "read"));
  EagerInterpreter eager(b.finish());
  const NamedTensors feeds{{"t", Tensor::from<float>({2, 2}, {1, 2, 3, 4})}, {"i", Tensor::scalar<std::int32_t>(2)}};
  CHECK_THROWS_WITH(eager.run(feeds), Catch::Matchers::Contains("list index out of range") &&
                                          Catch::Matchers::Contains("node 'read'"));
}

}  // namespace KILN_TEST_FILE
