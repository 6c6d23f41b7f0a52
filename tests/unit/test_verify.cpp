// The verifier refuses each kind of broken graph, with an error naming the culprit.
#include "../support.hpp"

#include <kiln/core/verify.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

Node make_node(std::string name, std::string op, std::vector<Value> inputs, Attrs attrs,
               std::vector<TensorType> outputs) {
  Node n;
  n.name = std::move(name);
  n.op = std::move(op);
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  n.outputs = std::move(outputs);
  return n;
}

const TensorType kF32x2{DType::float32, Shape{2}};

// c = Const([1, 2]); id = Identity(c): the smallest valid graph, which each test then breaks.
Graph valid_graph() {
  Graph g;
  const NodeId c = g.add(make_node("c", "Const", {},
                                   {{"dtype", DType::float32}, {"value", Tensor::from<float>({2}, {1, 2})}},
                                   {kF32x2}));
  const NodeId id = g.add(make_node("id", "Identity", {{c, 0}}, {{"T", DType::float32}}, {kF32x2}));
  g.outputs().push_back({"y", {id, 0}});
  return g;
}

// Runs the verifier and returns the error it throws (failing the test if it throws none).
Error verify_error(const Graph& g) {
  try {
    verify(g);
  } catch (const Error& e) {
    return e;
  }
  FAIL("the verifier accepted a broken graph");
  return Error(Errc::internal, "unreachable");
}

}  // namespace

TEST_CASE("a valid graph passes") { CHECK_NOTHROW(verify(valid_graph())); }

TEST_CASE("duplicate node names") {
  Graph g = valid_graph();
  CHECK_THROWS_AS(g.add(make_node("c", "NoOp", {}, {}, {})), Error);  // refused at once
  g.node(1).name = "c";  // or smuggled in by hand
  Error e = verify_error(g);
  CHECK(e.code() == Errc::invalid_graph);
  CHECK(e.context().node == "c");
}

TEST_CASE("an input naming a node that does not exist") {
  Graph g = valid_graph();
  g.node(1).inputs[0] = {42, 0};
  Error e = verify_error(g);
  CHECK(e.context().node == "id");
  CHECK(e.message().find("dangling") != std::string::npos);
}

TEST_CASE("an output index the producer does not have") {
  Graph g = valid_graph();
  g.node(1).inputs[0] = {0, 7};  // c:7 on a one-output Const
  Error e = verify_error(g);
  CHECK(e.context().node == "id");
  CHECK(e.context().input == "c:7");
}

TEST_CASE("a dangling control input and a dangling graph output") {
  Graph g = valid_graph();
  g.node(1).control_inputs.push_back(9);
  CHECK(verify_error(g).context().node == "id");
  Graph h = valid_graph();
  h.outputs()[0].value = {5, 0};
  CHECK(verify_error(h).message().find("dangling graph output") != std::string::npos);
}

TEST_CASE("a cycle, and a node that feeds itself") {
  Graph g;
  const NodeId a = g.add(make_node("a", "Identity", {{1, 0}}, {{"T", DType::float32}}, {kF32x2}));
  g.add(make_node("b", "Identity", {{a, 0}}, {{"T", DType::float32}}, {kF32x2}));
  Error e = verify_error(g);
  CHECK(e.message().find("cycle") != std::string::npos);

  Graph self;
  self.add(make_node("loop", "Identity", {{0, 0}}, {{"T", DType::float32}}, {kF32x2}));
  CHECK(verify_error(self).context().node == "loop");
}

TEST_CASE("wrong arity, unknown ops and missing attributes") {
  Graph g = valid_graph();
  g.node(1).inputs.push_back({0, 0});  // Identity with two inputs
  Error arity = verify_error(g);
  CHECK(arity.context().node == "id");
  CHECK(arity.context().expected == "1");
  CHECK(arity.context().found == "2");

  Graph unknown = valid_graph();
  unknown.node(1).op = "FrobnicateV7";
  Error e = verify_error(unknown);
  CHECK(e.code() == Errc::unsupported);
  CHECK(e.context().op == "FrobnicateV7");

  Graph no_value = valid_graph();
  no_value.node(0).attrs.erase("value");
  CHECK(verify_error(no_value).context().attr == "value");
}

TEST_CASE("dtypes that disagree with the op's type attribute or the recorded types") {
  Graph g = valid_graph();
  g.node(1).attrs["T"] = DType::int32;  // Identity<int32> fed a float tensor
  Error e = verify_error(g);
  CHECK(e.code() == Errc::type_mismatch);
  CHECK(e.context().attr == "T");

  Graph recorded = valid_graph();
  recorded.node(1).outputs[0] = {DType::float32, Shape{3}};  // says [3], inference says [2]
  Error r = verify_error(recorded);
  CHECK(r.context().expected == "float32[2]");
  CHECK(r.context().found == "float32[3]");

  Graph const_lies = valid_graph();
  const_lies.node(0).attrs["dtype"] = DType::int64;  // value is float32
  CHECK(verify_error(const_lies).context().node == "c");
}

}  // namespace KILN_TEST_FILE
