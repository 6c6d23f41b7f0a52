// Run-time checks through the optimizer: an Assert that only a control edge reaches survives
// every level and fails the run naming itself; CheckNumerics names its message; drop-checks
// removes both, on request only.
#include "helpers.hpp"

#include <kiln/session.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

// y = Identity(x) after Assert(all(x > 0), x): how TensorFlow guards a value, the check reached
// only through a control edge, from a graph output.
const char* const kGuarded = R"(
  graph {
    inputs: x = %x
    %x = Placeholder() {dtype = float32, shape = [3]}
    %zero = Const() {dtype = float32, value = float32[] {0}}
    %positive = Greater(%x, %zero) {T = float32}
    %axes = Const() {dtype = int32, value = int32[1] {0}}
    %all = All(%positive, %axes) {Tidx = int32, keep_dims = false}
    %guard = Assert(%all, %x) {T = [float32], summarize = 2}
    %y = Identity(%x, ^%guard) {T = float32}
    outputs: y = %y
  })";

// y = Relu(CheckNumerics(x)).
const char* const kNumerics = R"(
  graph {
    inputs: x = %x
    %x = Placeholder() {dtype = float32, shape = [3]}
    %numerics = CheckNumerics(%x) {T = float32, message = "x_is_finite"}
    %y = Relu(%numerics) {T = float32}
    outputs: y = %y
  })";

Tensor vector3(float a, float b, float c) { return Tensor::from<float>({3}, {a, b, c}); }

// The Error running `model` on x throws, or a failed test.
Error run_error(const CompiledModel& model, const Tensor& x) {
  try {
    model.run({{"x", x}});
  } catch (const Error& e) {
    return e;
  }
  FAIL("no kiln::Error thrown");
  return Error(Errc::internal, "unreachable");
}

}  // namespace

TEST_CASE("an Assert reached only through a control edge survives every level") {
  for (const char* level : {"O0", "O1", "O2"}) {
    INFO(level);
    const CompiledModel model =
        compile(parse_graph(kGuarded), Options().backend(Backend::reference).level(level));
    const NamedTensors ok = model.run({{"x", vector3(1, 2, 3)}});
    test::check_equal(ok.at("y"), vector3(1, 2, 3));
    const Error e = run_error(model, vector3(1, -2, 3));
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(e.context().node == "guard");
    CHECK(e.context().op == "Assert");
    CHECK(e.message() == "assertion failed");
    CHECK(e.context().found == "[1 -2...]");  // summarize = 2
  }
  // simplify keeps it: the Identity that waits on it is a graph output, so it stays as well.
  Graph g = parse_graph(kGuarded);
  opt::PassContext context;
  opt::simplify(g, context);
  REQUIRE(g.find("guard"));
  CHECK(g.node(g.at("y")).control_inputs == std::vector<NodeId>{g.at("guard")});
}

TEST_CASE("CheckNumerics passes finite values on and names its message otherwise") {
  const CompiledModel model =
      compile(parse_graph(kNumerics), Options().backend(Backend::reference));
  test::check_equal(model.run({{"x", vector3(-1, 0, 2)}}).at("y"), vector3(0, 0, 2));
  const Error e = run_error(model, vector3(1, NAN, INFINITY));
  CHECK(e.context().node == "numerics");
  CHECK(e.message() == "x_is_finite : Tensor had Inf and NaN values");
}

TEST_CASE("drop_checks leaves the checks out of the plan, on request only") {
  CHECK_FALSE(Options().drop_checks());
  CHECK(Options().drop_checks(true).passes().front().name == "drop-checks");
  CHECK(Options().level("O0").drop_checks(true).passes().size() == 1);

  const Options dropping = Options().backend(Backend::reference).drop_checks(true);
  const CompiledModel guarded = compile(parse_graph(kGuarded), dropping);
  test::check_equal(guarded.run({{"x", vector3(1, -2, 3)}}).at("y"), vector3(1, -2, 3));
  const CompiledModel numerics = compile(parse_graph(kNumerics), dropping);
  const Tensor y = numerics.run({{"x", vector3(-1, NAN, 2)}}).at("y");
  CHECK(std::isnan(y.data<float>()[1]));
  const opt::PipelineReport& report = numerics.plan()->optimization();
  REQUIRE(!report.passes.empty());
  CHECK(report.passes.front().name == "drop-checks");
  CHECK(report.passes.front().result.stat("checks dropped") == 1);
  for (const Graph::Port& port : numerics.plan()->plan().graph().outputs()) {
    CHECK(numerics.plan()->plan().graph().node(port.value.node).op == "Relu");
  }
}

TEST_CASE("drop-checks: readers read the checked value, waiters wait on what the check waited on") {
  const opt::PassResult result = test::check_pass(opt::drop_checks_pass(), R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [3]}
      %first = CheckNumerics(%x) {T = float32, message = "a"}
      %second = CheckNumericsV2(%first) {T = float32, message = "b"}
      %zero = Const() {dtype = float32, value = float32[] {0}}
      %axes = Const() {dtype = int32, value = int32[1] {0}}
      %all = All(%cond, %axes) {Tidx = int32, keep_dims = false}
      %cond = Greater(%second, %zero) {T = float32}
      %earlier = Assert(%all, %x) {T = [float32], summarize = 3}
      %guard = Assert(%all, %second, ^%earlier) {T = [float32], summarize = 3}
      %y = Relu(%second, ^%guard) {T = float32}
      outputs: y = %y, raw = %second
    })", R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [3]}
      %zero = Const() {dtype = float32, value = float32[] {0}}
      %axes = Const() {dtype = int32, value = int32[1] {0}}
      %cond = Greater(%x, %zero) {T = float32}
      %all = All(%cond, %axes) {Tidx = int32, keep_dims = false}
      %y = Relu(%x) {T = float32}
      outputs: y = %y, raw = %x
    })");
  CHECK(result.changed);
  CHECK(result.stat("checks dropped") == 4);
  REQUIRE(result.notes.size() == 1);
  CHECK(result.notes[0] ==
        "dropped on request: first (CheckNumerics), second (CheckNumericsV2), earlier (Assert), "
        "guard (Assert)");
  // A graph without checks is left alone, and says nothing.
  Graph plain = parse_graph(kNumerics);
  opt::PassContext context;
  opt::drop_checks(plain, context);
  const opt::PassResult nothing = opt::drop_checks(plain, context);
  CHECK_FALSE(nothing.changed);
  CHECK(nothing.notes.empty());
}

TEST_CASE("drop-checks keeps the order of the side effects a check waited on") {
  // The Relu waited on the check, which waited on `log`: the Relu waits on `log` now.
  Graph g = parse_graph(R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [3]}
      %numerics = CheckNumerics(%x, ^%log) {T = float32, message = "m"}
      %log = NoOp()
      %y = Relu(%x, ^%numerics) {T = float32}
      outputs: y = %y
    })");
  opt::PassContext context;
  opt::drop_checks(g, context);
  CHECK_FALSE(g.find("numerics"));
  CHECK(g.node(g.at("y")).control_inputs == std::vector<NodeId>{g.at("log")});
}

}  // namespace KILN_TEST_FILE
