// space-to-batch-to-dilation: the two chains TensorFlow exports for a dilated convolution (as
// tf.nn.atrous_conv2d and Keras's dilated Conv1D write them) become one dilated convolution that
// computes the same values. The SpaceToBatchND/BatchToSpaceND kernels the "before" graph runs
// are checked against TensorFlow elsewhere (tests/reference/test_array_tail_tf.cpp).
#include "helpers.hpp"

#include <kiln/core/parse.hpp>
#include <kiln/eager.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

const opt::Pass pass = opt::space_to_batch_to_dilation_pass();

// x = 0, 1, 2, ... in `shape`, scaled down so that sums stay small.
Tensor ramp(Shape shape) {
  Tensor t(DType::float32, shape);
  for (std::int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = 0.125f * static_cast<float>(i % 17);
  return t;
}

// The graph of `text`, with the attributes TensorFlow leaves at their defaults filled in (as
// the importer fills them), so that the texts below show only what matters.
Graph parse_with_defaults(const char* text) {
  ParseOptions options;
  options.infer_types = false;
  Graph graph = parse_graph(text, options);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    Node& n = graph.node(static_cast<NodeId>(i));
    fill_default_attrs(n, *op_catalogue().find(n.op));
  }
  infer_types(graph);
  return graph;
}

std::vector<std::string> ops_of(const Graph& g) {
  std::vector<std::string> ops;
  for (const Node& n : g.nodes()) {
    if (n.op != "Const" && n.op != "Placeholder") ops.push_back(n.op);
  }
  return ops;
}

// Runs the pass on `text`'s graph; checks that the outputs for `x` did not change.
Graph rewrite_and_compare(const char* text, Shape x_shape) {
  Graph graph = parse_with_defaults(text);
  const NamedTensors feeds = {{"x", ramp(x_shape)}};
  const NamedTensors before = run_eager(graph, feeds);
  const opt::PassResult result = test::run_pass(pass, graph);
  CHECK(result.stat("convolutions dilated") == 1);
  verify(graph);
  const NamedTensors after = run_eager(graph, feeds);
  REQUIRE(before.size() == 1);
  REQUIRE(after.size() == 1);
  test::check_close(after.begin()->second, before.begin()->second, 1e-6, 1e-6);
  return graph;
}

}  // namespace

TEST_CASE("space-to-batch-to-dilation: an atrous 3x3 convolution, SAME, rate 2") {
  // 9 + 2 + 2 = 13 is not a multiple of the rate, so TensorFlow pads one more row and column at
  // the end and crops them again: padding (2, 3) minus crops (0, 1) is SAME's (2, 2).
  const Graph g = rewrite_and_compare(R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [1, 9, 9, 1]}
      %filter = Const() {dtype = float32, value = float32[3, 3, 1, 1] {1, -2, 3, 0.5, 1, -1, 2, 0.25, -0.5}}
      %block = Const() {dtype = int32, value = int32[2] {2, 2}}
      %pads = Const() {dtype = int32, value = int32[2, 2] {2, 3, 2, 3}}
      %crops = Const() {dtype = int32, value = int32[2, 2] {0, 1, 0, 1}}
      %s2b = SpaceToBatchND(%x, %block, %pads) {T = float32, Tblock_shape = int32, Tpaddings = int32}
      %conv = Conv2D(%s2b, %filter) {T = float32, strides = [1, 1, 1, 1], padding = "VALID"}
      %b2s = BatchToSpaceND(%conv, %block, %crops) {T = float32, Tblock_shape = int32, Tcrops = int32}
      outputs: y = %b2s
    })", Shape{1, 9, 9, 1});
  CHECK(ops_of(g) == std::vector<std::string>{"Conv2D"});
  const Node& conv = g.node(g.at("conv"));
  CHECK(conv.attr<Ints>("dilations") == Ints{1, 2, 2, 1});
  CHECK(conv.attr<std::string>("padding") == "EXPLICIT");
  CHECK(conv.attr<Ints>("explicit_paddings") == Ints{0, 0, 2, 2, 2, 2, 0, 0});
  CHECK(g.outputs()[0].value.node == g.at("conv"));
}

TEST_CASE("space-to-batch-to-dilation: Keras's dilated Conv1D through ExpandDims and Squeeze") {
  const Graph g = rewrite_and_compare(R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2, 16, 1]}
      %filter = Const() {dtype = float32, value = float32[1, 3, 1, 1] {1, -2, 0.5}}
      %block = Const() {dtype = int32, value = int32[1] {2}}
      %pads = Const() {dtype = int32, value = int32[1, 2] {2, 2}}
      %crops = Const() {dtype = int32, value = int32[1, 2] {0, 0}}
      %axis = Const() {dtype = int32, value = int32[1] {-3}}
      %s2b = SpaceToBatchND(%x, %block, %pads) {T = float32, Tblock_shape = int32, Tpaddings = int32}
      %expand = ExpandDims(%s2b, %axis) {T = float32, Tdim = int32}
      %conv = Conv2D(%expand, %filter) {T = float32, strides = [1, 1, 1, 1], padding = "VALID"}
      %squeeze = Squeeze(%conv) {T = float32, squeeze_dims = [-3]}
      %b2s = BatchToSpaceND(%squeeze, %block, %crops) {T = float32, Tblock_shape = int32, Tcrops = int32}
      outputs: y = %b2s
    })", Shape{2, 16, 1});
  CHECK(ops_of(g) == std::vector<std::string>{"ExpandDims", "Conv2D", "Squeeze"});
  const Node& conv = g.node(g.at("conv"));
  CHECK(conv.attr<Ints>("dilations") == Ints{1, 1, 2, 1});
  CHECK(conv.attr<Ints>("explicit_paddings") == Ints{0, 0, 0, 0, 2, 2, 0, 0});
}

TEST_CASE("space-to-batch-to-dilation leaves a strided convolution alone") {
  Graph graph = parse_with_defaults(R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [1, 8, 8, 1]}
      %filter = Const() {dtype = float32, value = float32[1, 1, 1, 1] {2}}
      %block = Const() {dtype = int32, value = int32[2] {2, 2}}
      %pads = Const() {dtype = int32, value = int32[2, 2] {0, 0, 0, 0}}
      %s2b = SpaceToBatchND(%x, %block, %pads) {T = float32, Tblock_shape = int32, Tpaddings = int32}
      %conv = Conv2D(%s2b, %filter) {T = float32, strides = [1, 2, 2, 1], padding = "VALID"}
      %b2s = BatchToSpaceND(%conv, %block, %pads) {T = float32, Tblock_shape = int32, Tcrops = int32}
      outputs: y = %b2s
    })");
  const opt::PassResult result = test::run_pass(pass, graph);
  CHECK_FALSE(result.changed);
  CHECK(ops_of(graph) == std::vector<std::string>{"SpaceToBatchND", "Conv2D", "BatchToSpaceND"});
}

}  // namespace KILN_TEST_FILE
