// Random ops through the optimizer: stateless ones fold, stateful ones never fold or merge, a
// random op that cannot reach an output goes and the statistics say so, and dropout at rate 0
// loses its random mask.
#include "helpers.hpp"

#include <kiln/session.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::ir;

namespace {

// tf.nn.dropout(x, rate) as TensorFlow writes it: a uniform mask compared with the rate, the
// kept values scaled by 1 / (1 - rate).
std::string dropout_graph(const std::string& rate, const std::string& scale) {
  return R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2,3]}
      %shape = Const() {dtype = int32, value = int32[2] {2, 3}}
      %uniform = RandomUniform(%shape) {dtype = float32, T = int32, seed = 0, seed2 = 0}
      %rate = Const() {dtype = float32, value = float32[] {)" + rate + R"(}}
      %keep = GreaterEqual(%uniform, %rate) {T = float32}
      %scale = Const() {dtype = float32, value = float32[] {)" + scale + R"(}}
      %scaled = Mul(%x, %scale) {T = float32}
      %zeros = Const() {dtype = float32, value = float32[] {0}}
      %y = SelectV2(%keep, %scaled, %zeros) {T = float32}
      outputs: y = %y
    })";
}

// The same as TensorFlow 2.3 and older wrote it: the mask cast to floats and multiplied in.
const char* const kCastDropout = R"(
  graph {
    inputs: x = %x
    %x = Placeholder() {dtype = float32, shape = [2,3]}
    %shape = Const() {dtype = int32, value = int32[2] {2, 3}}
    %key = Const() {dtype = int64, value = int64[1] {7}}
    %ctr = Const() {dtype = int64, value = int64[2] {0, 9}}
    %alg = Const() {dtype = int32, value = int32[] {1}}
    %uniform = StatelessRandomUniformV2(%shape, %key, %ctr, %alg) {dtype = float32, Tshape = int32}
    %rate = Const() {dtype = float32, value = float32[] {0}}
    %keep = Less(%rate, %uniform) {T = float32}
    %mask = Cast(%keep) {SrcT = bool, DstT = float32, Truncate = false}
    %y = Mul(%mask, %x) {T = float32}
    outputs: y = %y
  })";

std::size_t count_op(const Graph& g, const std::string& op) {
  std::size_t n = 0;
  for (const Node& node : g.nodes()) n += node.op == op;
  return n;
}

}  // namespace

TEST_CASE("dropout at rate 0: the random mask is decided and its random op removed") {
  const opt::PassResult result = test::check_pass(opt::simplify_pass(), dropout_graph("0", "1"), R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2,3]}
      outputs: y = %x
    })");
  CHECK(result.stat("selects on decided random masks removed") == 1);
  CHECK(result.stat("products with one removed") == 1);
  CHECK(result.stat("random ops removed") == 1);
  const std::string note =
      "removed random op 'uniform' (RandomUniform): it cannot reach a graph output";
  CHECK(std::count(result.notes.begin(), result.notes.end(), note) == 1);
}

TEST_CASE("a mask cast to numbers, with the random value on the right, is decided too") {
  // 0 < u is not decided (u may be 0); -1 < u is.
  Graph undecided = parse_graph(kCastDropout);
  opt::PassContext context;
  opt::simplify(undecided, context);
  CHECK(count_op(undecided, "StatelessRandomUniformV2") == 1);

  std::string text = kCastDropout;
  text.replace(text.find("float32[] {0}"), 13, "float32[] {-1}");
  Graph decided = parse_graph(text);
  const opt::PassResult result = opt::simplify(decided, context);
  CHECK(count_op(decided, "StatelessRandomUniformV2") == 0);
  CHECK(count_op(decided, "Mul") == 0);
  CHECK(result.stat("products with one removed") == 1);
  // A stateless op is no random op to the optimizer: a function of its inputs, gone silently.
  CHECK(result.stat("random ops removed") == 0);
}

TEST_CASE("dropout at rate 0.5 keeps its random mask") {
  Graph g = parse_graph(dropout_graph("0.5", "2"));
  const std::string before = ir(g);
  opt::PassContext context;
  const opt::PassResult result = opt::simplify(g, context);
  CHECK(ir(g) == before);
  CHECK(result.stat("random ops removed") == 0);
}

TEST_CASE("a random op on a dead branch goes, and kiln opt --stats says so") {
  Graph g = parse_graph(R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2]}
      %shape = Const() {dtype = int32, value = int32[1] {2}}
      %noise = RandomStandardNormal(%shape) {dtype = float32, T = int32, seed = 3, seed2 = 4}
      %noisy = AddV2(%x, %noise) {T = float32}
      %y = Relu(%x) {T = float32}
      outputs: y = %y
    })");
  std::ostringstream text;
  opt::PassManager manager(opt::o1());
  manager.add_instrument(std::make_shared<opt::PassStatistics>(text, true));
  manager.run(g);
  CHECK(count_op(g, "RandomStandardNormal") == 0);
  const std::string stats = text.str();
  INFO(stats);
  CHECK(stats.find("1 random ops removed") != std::string::npos);
  CHECK(stats.find("note: removed random op 'noise' (RandomStandardNormal): it cannot reach a "
                   "graph output") != std::string::npos);
}

TEST_CASE("stateless random ops fold; stateful ones neither fold nor merge") {
  Graph g = parse_graph(R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [3]}
      %shape = Const() {dtype = int32, value = int32[1] {3}}
      %seed = Const() {dtype = int64, value = int64[2] {1, 2}}
      %stateless = StatelessRandomNormal(%shape, %seed) {dtype = float32, T = int32, Tseed = int64}
      %a = RandomUniform(%shape) {dtype = float32, T = int32, seed = 5, seed2 = 7}
      %b = RandomUniform(%shape) {dtype = float32, T = int32, seed = 5, seed2 = 7}
      %ab = AddV2(%a, %b) {T = float32}
      %sum = AddV2(%ab, %stateless) {T = float32}
      %y = AddV2(%x, %sum) {T = float32}
      outputs: y = %y
    })");
  const Tensor expected_normal = test::run_op1(
      "StatelessRandomNormal",
      {Tensor::from<std::int32_t>({1}, {3}), Tensor::from<std::int64_t>({2}, {1, 2})},
      {{"dtype", DType::float32}});
  opt::PassManager manager(opt::o1());
  manager.run(g);
  REQUIRE(g.find("stateless"));
  const Node& folded = g.node(g.at("stateless"));
  REQUIRE(folded.op == "Const");
  test::check_equal(folded.attr<Tensor>("value"), expected_normal);
  CHECK(count_op(g, "RandomUniform") == 2);  // equal seeds, but TensorFlow runs each
}

TEST_CASE("a compiled model reproduces TensorFlow's first run on every run") {
  Graph g = parse_graph(R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [4]}
      %shape = Const() {dtype = int32, value = int32[1] {4}}
      %seeded = RandomUniform(%shape) {dtype = float32, T = int32, seed = 5, seed2 = 7}
      %free = RandomUniform(%shape) {dtype = float32, T = int32, seed = 0, seed2 = 0}
      %y = AddV2(%x, %seeded) {T = float32}
      %z = AddV2(%x, %free) {T = float32}
      outputs: y = %y, z = %z
    })");
  const CompiledModel model = compile(g, Options().backend(Backend::reference));
  const Tensor zero = Tensor::from<float>({4}, {0, 0, 0, 0});
  const NamedTensors first = model.run({{"x", zero}});
  const NamedTensors second = model.run({{"x", zero}});
  // RandomUniform(seed=5, seed2=7) in a fresh TensorFlow session: the generator test's values.
  const Tensor expected = test::run_op1("RandomUniform", {Tensor::from<std::int32_t>({1}, {4})},
                                        {{"dtype", DType::float32}, {"T", DType::int32},
                                         {"seed", std::int64_t{5}}, {"seed2", std::int64_t{7}}});
  test::check_equal(first.at("y"), expected);
  test::check_equal(second.at("y"), expected);
  // Unseeded: new numbers on every run, all in [0, 1).
  bool differs = false;
  for (std::int64_t i = 0; i < 4; ++i) {
    const float a = first.at("z").data<float>()[i], b = second.at("z").data<float>()[i];
    CHECK((a >= 0 && a < 1 && b >= 0 && b < 1));
    differs = differs || a != b;
  }
  CHECK(differs);
}

TEST_CASE("dropout at rate 0 compiles to no random op at all") {
  const CompiledModel model =
      compile(parse_graph(dropout_graph("0", "1")), Options().backend(Backend::reference));
  CHECK(count_op(model.plan()->plan().graph(), "RandomUniform") == 0);
  const Tensor x = Tensor::from<float>({2, 3}, {1, -2, 3, NAN, 5, -6});
  const Tensor y = model.run({{"x", x}}).at("y");
  for (std::int64_t i = 0; i < 6; ++i) {
    const float a = y.data<float>()[i], e = x.data<float>()[i];
    CHECK((a == e || (std::isnan(a) && std::isnan(e))));
  }
}

}  // namespace KILN_TEST_FILE
