// Golden tests for the IR printer and the DOT writer.
#include "../support.hpp"

#include <kiln/core/builder.hpp>
#include <kiln/core/dot.hpp>
#include <kiln/core/print.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {
Graph dense_layer() {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 2});
  Value w = b.constant("dense/kernel", Tensor::from<float>({2, 2}, {1, 0, 0, 1}));
  Value bias = b.constant("dense/bias", Tensor::from<float>({2}, {0.5f, -1}));
  Value mm = b.op("MatMul", {x, w}, {}, "dense/MatMul");
  Value add = b.op("BiasAdd", {mm, bias}, {}, "dense/BiasAdd");
  b.output("y", b.op("Relu", {add}, {}, "dense/Relu"));
  return b.finish();
}
}  // namespace

TEST_CASE("the printer writes one SSA line per node in a stable order") {
  const std::string expected =
      "graph {\n"
      "  inputs: x = %x\n"
      "  %dense/bias = Const() {dtype = float32, value = float32[2] {0.5, -1}} : float32[2]\n"
      "  %dense/kernel = Const() {dtype = float32, value = float32[2,2] {1, 0, 0, 1}} : float32[2,2]\n"
      "  %x = Placeholder() {dtype = float32, shape = [?,2]} : float32[?,2]\n"
      "  %dense/MatMul = MatMul(%x, %dense/kernel) {T = float32, grad_a = false, grad_b = false, "
      "transpose_a = false, transpose_b = false} : float32[?,2]\n"
      "  %dense/BiasAdd = BiasAdd(%dense/MatMul, %dense/bias) {T = float32, data_format = \"NHWC\"}"
      " : float32[?,2]\n"
      "  %dense/Relu = Relu(%dense/BiasAdd) {T = float32} : float32[?,2]\n"
      "  outputs: y = %dense/Relu\n"
      "}\n";
  CHECK(print_graph(dense_layer()) == expected);
}

TEST_CASE("printing does not depend on the order nodes were added in") {
  GraphBuilder b1;
  Value x1 = b1.input("x", DType::float32, {2});
  b1.output("p", b1.op("Relu", {x1}, {}, "p"));
  b1.output("q", b1.op("Neg", {x1}, {}, "q"));
  GraphBuilder b2;
  Value x2 = b2.input("x", DType::float32, {2});
  Value q = b2.op("Neg", {x2}, {}, "q");
  b2.output("p", b2.op("Relu", {x2}, {}, "p"));
  b2.output("q", q);
  CHECK(print_graph(b1.finish()) == print_graph(b2.finish()));
}

TEST_CASE("control edges, multiple outputs and provenance are printed") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2});
  std::vector<Value> pair = b.op_outputs("IdentityN", {x, x}, {{"T", DTypes{DType::float32, DType::float32}}}, "pair");
  Value r = b.op("Relu", {pair[1]}, {}, "r");
  b.control(r, pair[0]);
  b.output("y", r);
  Graph g = b.finish();
  g.node(g.at("r")).replaced = {"conv", "bn"};
  const std::string text = print_graph(g);
  CHECK(text.find("%pair = IdentityN(%x, %x) {T = [float32, float32]} : (float32[2], float32[2])") !=
        std::string::npos);
  CHECK(text.find("%r = Relu(%pair:1, ^%pair) {T = float32} : float32[2] loc(fused[\"conv\", \"bn\"])") !=
        std::string::npos);
}

TEST_CASE("the DOT writer draws nodes, typed edges and outputs") {
  const std::string dot = to_dot(dense_layer(), "dense");
  CHECK(dot.rfind("digraph \"dense\" {", 0) == 0);
  CHECK(dot.find("label=\"dense/MatMul\\nMatMul\"") != std::string::npos);
  CHECK(dot.find("[label=\"float32[?,2]\"]") != std::string::npos);
  CHECK(dot.find("label=\"y\", shape=ellipse") != std::string::npos);
  CHECK(dot.back() == '\n');
}

}  // namespace KILN_TEST_FILE
