// What O2 does to loops: a Keras LSTM made by TensorFlow loses its TensorLists, its constant
// weights move into the body, its input projection leaves the loop and its gates fuse, and the
// loop runs as a compiled plan step; TensorFlow's stored outputs say the result is still right.
// Hand-built loops check the compiled loop itself: rows updated in place, the iteration bound,
// and branches picked at run time, against hand-derived numbers.
#include "helpers.hpp"

#include <kiln/model.hpp>
#include <kiln/session.hpp>

#include "../conformance_cases.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

const test::ConformanceCase& keras_lstm() {
  static const test::ConformanceCase c = [] {
    for (const test::ConformanceCase& each : test::fixture_cases()) {
      if (each.label == "control_flow/keras_lstm") return each;
    }
    throw Error(Errc::not_found, "fixture control_flow/keras_lstm is missing");
  }();
  return c;
}

// Every op of the graph and of every region inside it.
void collect_ops(const Graph& g, std::vector<std::string>& ops, bool& has_list) {
  for (const Node& n : g.nodes()) {
    ops.push_back(n.op);
    for (const TensorType& t : n.outputs) has_list = has_list || t.dtype == DType::variant;
    for (const auto& region : n.regions) collect_ops(*region, ops, has_list);
  }
}

bool contains(const std::vector<std::string>& ops, const std::string& op) {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

// rows[i] = 2 * i for i in [0, n), written one row per trip into a [4] tensor: the body
// updates its rows with TensorScatterUpdate, which a compiled loop does in place.
Graph fill_rows() {
  GraphBuilder cond;
  Value i = cond.input("i", DType::int32, Shape{});
  cond.input("rows", DType::float32, Shape{4});
  Value n = cond.input("n", DType::int32, Shape{});
  cond.output("go", cond.op("Less", {i, n}));

  GraphBuilder body;
  Value bi = body.input("i", DType::int32, Shape{});
  Value rows = body.input("rows", DType::float32, Shape{4});
  Value bn = body.input("n", DType::int32, Shape{});
  Value where = body.op("Reshape", {bi, body.constant("where", Tensor::from<std::int32_t>({2}, {1, 1}))});
  Value twice = body.op("Mul", {body.op("Cast", {bi}, {{"DstT", DType::float32}}),
                                body.constant("two", Tensor::from<float>({1}, {2}))});
  body.output("i", body.op("AddV2", {bi, body.constant("one", Tensor::scalar<std::int32_t>(1))}));
  body.output("rows", body.op("TensorScatterUpdate", {rows, where, twice}));
  body.output("n", bn);

  GraphBuilder b;
  Value start = b.constant("start", Tensor::scalar<std::int32_t>(0));
  Value init = b.input("init", DType::float32, Shape{4});
  Value limit = b.input("n", DType::int32, Shape{});
  const std::vector<Value> out =
      b.control_flow("While", {start, init, limit}, {cond.finish(), body.finish()},
                     {{"T", DTypes{DType::int32, DType::float32, DType::int32}}}, "loop");
  b.output("rows", out[1]);
  b.output("trips", out[0]);
  return b.finish();
}

}  // namespace

TEST_CASE("O2 compiles a Keras LSTM: no lists, weights in the body, projection hoisted, gates fused") {
  const test::ConformanceCase& c = keras_lstm();
  {
    const CompiledModel net = compile(c.graph(), Options().backend(Backend::reference).level(OptLevel::O2));
    const NamedTensors inputs = c.inputs();
    const NamedTensors out = net.run(inputs);
    for (const auto& [name, expected] : c.expected()) test::check_close(out.at(name), expected, 1e-5, 1e-5);

    InputShapes shapes;
    for (const auto& [name, t] : inputs) shapes[name] = t.shape();
    const auto plan = net.plan(shapes);
    CAPTURE(plan->summary());
    CHECK(plan->plan().dynamic_count() == 0);  // the loop is a step like any other
    std::vector<std::string> ops;
    bool has_list = false;
    collect_ops(plan->plan().graph(), ops, has_list);
    CHECK_FALSE(has_list);
    CHECK(contains(ops, "_FusedLSTMGates"));
    CHECK(contains(ops, "TensorScatterUpdate"));  // the output rows
    CHECK_FALSE(contains(ops, "Split"));
    const opt::PipelineReport& report = plan->optimization();
    std::int64_t hoisted = 0, fused = 0, lists = 0, sunk = 0;
    for (const auto& pass : report.passes) {
      hoisted += pass.result.stat("products hoisted out of loops");
      fused += pass.result.stat("LSTM steps fused");
      lists += pass.result.stat("input lists read as tensors") +
               pass.result.stat("output lists written as tensors");
      sunk += pass.result.stat("constants moved into loops");
    }
    CHECK(hoisted == 1);
    CHECK(fused == 1);
    CHECK(lists == 2);
    CHECK(sunk == 4);  // kernel, recurrent kernel, bias and the bound on the steps
  }
}

TEST_CASE("a compiled loop updates its rows in place and counts its trips") {
  const Graph g = fill_rows();
  const Tensor init = Tensor::from<float>({4}, {-1, -1, -1, -1});
  {
    const CompiledModel net = compile(g, Options().backend(Backend::reference).level(OptLevel::O2));
    const NamedTensors three = net.run({{"init", init}, {"n", Tensor::scalar<std::int32_t>(3)}});
    test::check_close(three.at("rows"), Tensor::from<float>({4}, {0, 2, 4, -1}));
    test::check_equal(three.at("trips"), Tensor::scalar<std::int32_t>(3));
    // The plan is reused with another trip count; the initial rows are the input's again.
    const NamedTensors none = net.run({{"init", init}, {"n", Tensor::scalar<std::int32_t>(0)}});
    test::check_close(none.at("rows"), init);
    InputShapes shapes = {{"init", Shape{4}}, {"n", Shape{}}};
    CHECK(net.plan(shapes)->plan().dynamic_count() == 0);
    // One row past the end: the scatter says so.
    CHECK_THROWS_WITH(net.run({{"init", init}, {"n", Tensor::scalar<std::int32_t>(5)}}),
                      Catch::Matchers::Contains("outside the shape") && Catch::Matchers::Contains("region 'loop/body'"));
  }
}

TEST_CASE("a compiled loop stops at the iteration bound with an error") {
  const Graph g = fill_rows();
  const CompiledModel net =
      compile(g, Options().backend(Backend::reference).level(OptLevel::O2).max_loop_iterations(2));
  const NamedTensors feeds = {{"init", Tensor::from<float>({4}, {0, 0, 0, 0})},
                              {"n", Tensor::scalar<std::int32_t>(3)}};
  try {
    net.run(feeds);
    FAIL("the loop ran past its bound");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::limit_exceeded);
    CHECK(e.context().node == "loop");
    CHECK_THAT(e.what(), Catch::Matchers::Contains("at most 2 iterations"));
  }
}

}  // namespace KILN_TEST_FILE
