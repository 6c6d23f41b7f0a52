// What O2 does to loops: a Keras LSTM made by TensorFlow loses its TensorLists, its constant
// weights move into the body, its input projection leaves the loop, its gates fuse, and then
// the whole loop becomes one _FusedLSTMSequence step; TensorFlow's stored outputs say the
// result is still right.
// Hand-built loops check the compiled loop itself: rows updated in place, the iteration bound,
// and branches picked at run time, against hand-derived numbers.
#include "helpers.hpp"

#include <kiln/model.hpp>
#include <kiln/session.hpp>

#include "../conformance_cases.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

const test::ConformanceCase& fixture(const std::string& label) {
  static const std::vector<test::ConformanceCase> cases = test::fixture_cases();
  for (const test::ConformanceCase& each : cases) {
    if (each.label == label) return each;
  }
  throw Error(Errc::not_found, "fixture " + label + " is missing");
}

const test::ConformanceCase& keras_lstm() { return fixture("control_flow/keras_lstm"); }

// The sum of a statistic over every pass of a plan's pipeline.
std::int64_t stat(const opt::PipelineReport& report, const std::string& name) {
  std::int64_t total = 0;
  for (const auto& pass : report.passes) total += pass.result.stat(name);
  return total;
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
    CHECK(plan->plan().dynamic_count() == 0);
    std::vector<std::string> ops;
    bool has_list = false;
    collect_ops(plan->plan().graph(), ops, has_list);
    CHECK_FALSE(has_list);
    CHECK(contains(ops, "_FusedLSTMSequence"));  // the loop, gates and rows included
    CHECK_FALSE(contains(ops, "While"));
    CHECK_FALSE(contains(ops, "Split"));
    const opt::PipelineReport& report = plan->optimization();
    CHECK(stat(report, "products hoisted out of loops") == 1);
    CHECK(stat(report, "LSTM steps fused") == 1);
    CHECK(stat(report, "LSTM loops fused") == 1);
    CHECK(stat(report, "input lists read as tensors") + stat(report, "output lists written as tensors") == 2);
    CHECK(stat(report, "constants moved into loops") == 4);  // kernels, bias, the bound on the steps
  }
}

// Every Keras LSTM fixture without a mask becomes _FusedLSTMSequence nodes; the masked one keeps
// its loops (its steps select between old and new states). The cpu conformance tests run the
// same fixtures on the cpu kernel.
// keras_rnn_mix reads the backward layer's final c state, keras_lstm_stack every step's h of
// two layers, and its second and third layers' zero states are sized by the layer before.
TEST_CASE("fuse-lstm-loop: every unmasked Keras LSTM runs as one op and matches TensorFlow") {
  struct Expect {
    const char* fixture;
    std::int64_t fused, loops_left;
  };
  for (const Expect& e : {Expect{"keras_lstm", 1, 0}, Expect{"keras2_lstm", 1, 0},
                          Expect{"keras_rnn_mix", 2, 1}, Expect{"keras_lstm_stack", 3, 0},
                          Expect{"keras_stacked_masked", 0, 2}, Expect{"keras_gru", 0, 2}}) {
    CAPTURE(e.fixture);
    const test::ConformanceCase& c = fixture(std::string("control_flow/") + e.fixture);
    const CompiledModel net = compile(c.graph(), Options().backend(Backend::reference).level(OptLevel::O2));
    const NamedTensors inputs = c.inputs();
    test::check_outputs_close(net.run(inputs), c.expected(), 1e-5, 1e-5);
    InputShapes shapes;
    for (const auto& [name, t] : inputs) shapes[name] = t.shape();
    const auto plan = net.plan(shapes);
    CHECK(stat(plan->optimization(), "LSTM loops fused") == e.fused);
    std::vector<std::string> ops;
    bool has_list = false;
    collect_ops(plan->plan().graph(), ops, has_list);
    CHECK(std::count(ops.begin(), ops.end(), "While") == e.loops_left);  // SimpleRNN, GRU stay
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
