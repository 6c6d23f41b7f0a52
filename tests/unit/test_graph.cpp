// Graph construction and rewriting: the builder, topological order, replace_uses, remove_if.
#include "../support.hpp"

#include <kiln/core/builder.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("the builder fills TensorFlow defaults, derives T and infers types") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 3});
  Value w = b.constant("w", Tensor::from<float>({3, 2}, {1, 2, 3, 4, 5, 6}));
  Value mm = b.op("MatMul", {x, w});
  const Node& node = b.graph().node(mm.node);
  CHECK(node.name == "MatMul");
  CHECK(node.attr<bool>("transpose_a") == false);  // TensorFlow's default, filled in
  CHECK(node.attr<DType>("T") == DType::float32);   // derived from the inputs
  CHECK(node.outputs[0].str() == "float32[?,2]");
  CHECK(b.graph().node(b.op("MatMul", {x, w}).node).name == "MatMul_1");  // TF-style unique names
}

TEST_CASE("the builder reports a bad node at the call that made it") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2, 3});
  Value w = b.constant("w", Tensor::from<float>({2, 2}, {1, 2, 3, 4}));
  try {
    b.op("MatMul", {x, w}, {}, "bad_matmul");  // [2,3] x [2,2]: inner dimensions differ
    FAIL("expected a shape error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::shape_mismatch);
    CHECK(e.context().node == "bad_matmul");
  }
}

TEST_CASE("topological order is deterministic and respects control edges") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2});
  Value a = b.op("Relu", {x}, {}, "a");
  Value c = b.op("Neg", {x}, {}, "c");
  b.control(a, c);  // a must run after c although no data flows
  Graph g = b.finish();
  const std::vector<NodeId> order = g.topological_order();
  auto pos = [&](const char* name) {
    return std::find(order.begin(), order.end(), g.at(name)) - order.begin();
  };
  CHECK(pos("x") < pos("c"));
  CHECK(pos("c") < pos("a"));
}

TEST_CASE("topological order can break ties by another rule") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2});
  b.output("b", b.op("Relu", {x}, {}, "b"));
  b.output("a", b.op("Neg", {x}, {}, "a"));  // added after b: a higher id
  Graph g = b.finish();
  auto names = [&](const std::vector<NodeId>& order) {
    std::vector<std::string> out;
    for (NodeId id : order) out.push_back(g.node(id).name);
    return out;
  };
  CHECK(names(g.topological_order()) == std::vector<std::string>{"x", "b", "a"});
  CHECK(names(g.topological_order([&](NodeId p, NodeId q) { return g.node(p).name > g.node(q).name; })) ==
        std::vector<std::string>{"x", "a", "b"});  // x first: both read it
}

TEST_CASE("replace_uses and remove_if rewrite a graph and renumber it") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2});
  Value id = b.op("Identity", {x}, {}, "id");
  Value r = b.op("Relu", {id}, {}, "r");
  b.output("y", r);
  Graph g = b.finish();

  // Bypass the Identity: Relu reads x directly, then the Identity is dead.
  g.replace_uses({g.at("id"), 0}, {g.at("x"), 0});
  CHECK(g.remove_if([](const Node& n) { return n.op == "Identity"; }) == 1);
  CHECK(g.size() == 2);
  CHECK(!g.find("id"));
  CHECK(g.node(g.at("r")).inputs[0] == Value{g.at("x"), 0});
  CHECK_NOTHROW(verify(g));

  // Removing a node that is still read is a bug, and says so.
  CHECK_THROWS_AS(g.remove_if([](const Node& n) { return n.name == "x"; }), Error);
}

}  // namespace KILN_TEST_FILE
