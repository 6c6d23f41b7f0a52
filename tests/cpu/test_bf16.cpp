// bf16 (Options::precision): the bf16-products pass (which products turn bfloat16 and where the
// Casts go, checked on any machine) and the cpu backend's bfloat16 kernels, against
// hand-derived numbers (values that bfloat16 rounds, whose exact products are known both ways),
// against TensorFlow's float32 outputs and accuracy on the bundled digits model, and the refusal
// on a backend or CPU without bf16. On a CPU without AVX512_BF16 or AMX the tests that compute
// say "skipped: ..." (CTest reports them as skipped) after checking that compile() refuses with
// that reason.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>

#include <kiln/core/builder.hpp>
#include <kiln/optimizer/bf16_products.hpp>
#include <kiln/optimizer/pass_manager.hpp>
#include <kiln/npy.hpp>
#include <kiln/savedmodel.hpp>
#include <kiln/session.hpp>

#include "../conformance_cases.hpp"
#include "cpu_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;

namespace {

// bfloat16 keeps 8 significant bits: 1 + 2^-9 and 1 + 2^-10 both round to 1, 2 stays 2.
constexpr float kRoundsToOne = 1.f + 1.f / 512;
constexpr float kWeight = 1.f + 1.f / 1024;

// "" when the cpu backend computes in bf16 here, else why not.
std::string bf16_unavailable() {
  return require_backend(Backend::cpu).precision_unavailable(Precision::bf16);
}

// Whether the test can compute; if not, it checks compile()'s refusal and says it skipped.
bool can_compute_bf16(const Graph& graph) {
  const std::string why = bf16_unavailable();
  if (why.empty()) return true;
  try {
    compile(graph, Options().backend(Backend::cpu).precision(Precision::bf16));
    FAIL("compile() accepted bf16 on a CPU without it");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::unsupported);
    CHECK_THAT(e.what(), Catch::Contains("AVX512_BF16 or AMX"));
  }
  std::cout << "skipped: " << why << "\n";
  return false;
}

Tensor filled(const Shape& shape, float value) {
  Tensor t(DType::float32, shape);
  std::fill(t.data<float>(), t.data<float>() + t.num_elements(), value);
  return t;
}

// The nodes of `graph` (by name) that compute in bfloat16.
std::set<std::string> bf16_nodes(const Graph& graph) {
  std::set<std::string> names;
  for (const Node& node : graph.nodes()) {
    if (node.op != "Cast" && node.attr_or<DType>("T", DType::float32) == DType::bfloat16) {
      names.insert(node.name);
    }
  }
  return names;
}
std::set<std::string> bf16_nodes(const CompiledModel& net) { return bf16_nodes(net.plan()->plan().graph()); }

int count_op(const Graph& graph, const std::string& op) {
  int n = 0;
  for (const Node& node : graph.nodes()) n += node.op == op;
  return n;
}

}  // namespace

TEST_CASE("a bf16 matrix product rounds its input and weights to bfloat16 and sums in float32",
          "[cpu][bf16]") {
  // x [2, 64] times constant weights [64, 32] of 1 + 2^-10. Row 0 holds 1 + 2^-9, row 1 holds 2.
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2, 64});
  b.output("y", b.op("MatMul", {x, b.constant("w", filled({64, 32}, kWeight))}, {}, "product"));
  const Graph graph = b.finish();
  if (!can_compute_bf16(graph)) return;

  Tensor in(DType::float32, {2, 64});
  std::fill(in.data<float>(), in.data<float>() + 64, kRoundsToOne);
  std::fill(in.data<float>() + 64, in.data<float>() + 128, 2.f);
  const CompiledModel bf16 = compile(graph, Options().threads(1).precision(Precision::bf16));
  const CompiledModel f32 = compile(graph, Options().threads(1));
  INFO("bf16 plan:\n" << bf16.plan()->plan().summary());
  CHECK(bf16_nodes(bf16) == std::set<std::string>{"product"});
  CHECK(bf16_nodes(f32).empty());

  // bf16: 64 products of 1 x 1, and of 2 x 1, summed exactly in float32.
  std::vector<float> rounded(32, 64.f);
  rounded.resize(64, 128.f);
  test::check_equal(bf16.run({{"x", in}}).at("y"), Tensor::from_vector<float>({2, 32}, rounded));
  // f32: 64 (1 + 2^-9)(1 + 2^-10) = 64.18756..., 128 (1 + 2^-10) = 128.125.
  const Tensor exact = f32.run({{"x", in}}).at("y");
  CHECK(exact.data<float>()[0] == Approx(64.0 * (1 + 1.0 / 512) * (1 + 1.0 / 1024)).epsilon(1e-6));
  CHECK(exact.data<float>()[32] == Approx(128.0 * (1 + 1.0 / 1024)).epsilon(1e-6));
}

TEST_CASE("bf16 convolutions compute in bfloat16, and one over 3 channels stays float32",
          "[cpu][bf16]") {
  // Three 1x1 convolutions of an input of 1 + 2^-9 with filters of 1 + 2^-10: one over 16
  // channels and a depthwise one (bf16), and one over 3 channels (float32: bf16_products.hpp).
  GraphBuilder b;
  const Attrs valid = {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("VALID")}};
  Value x = b.input("x", DType::float32, {1, 4, 4, 16});
  b.output("full", b.op("Conv2D", {x, b.constant("w", filled({1, 1, 16, 8}, kWeight))}, valid, "full"));
  b.output("depthwise", b.op("DepthwiseConv2dNative",
                             {x, b.constant("dw", filled({1, 1, 16, 1}, kWeight))}, valid, "depthwise"));
  Value three = b.input("rgb", DType::float32, {1, 4, 4, 3});
  b.output("rgb_conv",
           b.op("Conv2D", {three, b.constant("w3", filled({1, 1, 3, 8}, kWeight))}, valid, "rgb_conv"));
  const Graph graph = b.finish();
  if (!can_compute_bf16(graph)) return;

  const CompiledModel net = compile(graph, Options().threads(1).precision(Precision::bf16));
  INFO("plan:\n" << net.plan()->plan().summary());
  CHECK(bf16_nodes(net) == std::set<std::string>{"full", "depthwise"});
  const NamedTensors out =
      net.run({{"x", filled({1, 4, 4, 16}, kRoundsToOne)}, {"rgb", filled({1, 4, 4, 3}, kRoundsToOne)}});
  const double product = (1 + 1.0 / 512) * (1 + 1.0 / 1024);
  test::check_equal(out.at("full"), filled({1, 4, 4, 8}, 16.f));       // 16 x (1 x 1)
  test::check_equal(out.at("depthwise"), filled({1, 4, 4, 16}, 1.f));   // 1 x 1
  test::check_close(out.at("rgb_conv"), filled({1, 4, 4, 8}, static_cast<float>(3 * product)), 1e-6, 1e-6);
}

TEST_CASE("bf16 digits CNN stays within one point of float32 accuracy and near TensorFlow's outputs",
          "[cpu][bf16]") {
  const fs::path dir = test::kFixtures / "models" / "digits_cnn";
  const Model model = load_saved_model((dir / "saved_model").string());
  const Options options = Options().signature(test::first_line(dir / "signature_def.txt")).threads(2);
  const Tensor images = load_npy((dir / "inputs" / "image.npy").string());
  const Tensor labels = load_npy((dir / "test_labels.npy").string());
  const Tensor tf_probs = load_npy((dir / "outputs" / "output_0.npy").string());  // TensorFlow, f32
  if (!can_compute_bf16(model.graph(options.signature()))) return;

  const CompiledModel net = compile(model, Options(options).precision(Precision::bf16));
  INFO("plan:\n" << net.plan()->plan().summary());
  CHECK(bf16_nodes(net).size() >= 2);  // the dense layers at least
  const Tensor probs = net.run({{"image", images}}).at("output_0");

  int correct = 0;
  double max_error = 0;
  for (std::int64_t row = 0; row < probs.dim(0); ++row) {
    const float* p = probs.data<float>() + row * 10;
    correct += std::max_element(p, p + 10) - p == labels.data<std::int64_t>()[row];
    for (int c = 0; c < 10; ++c) {
      max_error = std::max(max_error, std::fabs(static_cast<double>(p[c]) - tf_probs.data<float>()[row * 10 + c]));
    }
  }
  const double accuracy = correct / 360.0;
  INFO("bf16 accuracy " << accuracy << ", largest |bf16 - TensorFlow| over the probabilities " << max_error);
  CHECK(std::fabs(accuracy - 353.0 / 360.0) <= 0.01);  // TensorFlow's f32: tf_accuracy.txt
  CHECK(max_error < 0.05);   // probabilities: bfloat16's 8 bits, not garbage
  CHECK(max_error > 1e-6);   // and really not float32
}

TEST_CASE("bf16-products keeps bfloat16 between products and casts only at the edges", "[bf16]") {
  // x -> a (fused, ReLU) -> b (fused, residual a) -> c (plain) -> Relu -> y, and a also -> "a_out";
  // p: a product of two inputs (weights computed at run time) stays float32.
  GraphBuilder g;
  const Attrs same = {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("SAME")}};
  auto fused = [&](const std::string& name, Value in, std::vector<Value> args, Strings steps) {
    std::vector<Value> inputs{in, g.constant(name + "/w", filled({1, 1, 16, 16}, 0.5f))};
    inputs.insert(inputs.end(), args.begin(), args.end());
    Attrs attrs = same;
    attrs["fused_ops"] = steps;
    attrs["num_args"] = static_cast<std::int64_t>(args.size());
    return g.op("_FusedConv2D", inputs, attrs, name);
  };
  Value x = g.input("x", DType::float32, {1, 4, 4, 16});
  Value a = fused("a", x, {g.constant("a/bias", filled({16}, 1.f))}, {"BiasAdd", "Relu"});
  Value b_out = fused("b", a, {g.constant("b/bias", filled({16}, 1.f)), a}, {"BiasAdd", "Add"});
  Value c = g.op("Conv2D", {b_out, g.constant("c/w", filled({1, 1, 16, 16}, 0.5f))}, same, "c");
  g.output("y", g.op("Relu", {c}));
  g.output("a_out", a);
  Value m = g.input("m", DType::float32, {4, 16});
  g.output("p", g.op("MatMul", {m, m}, {{"transpose_b", true}}, "p"));
  Graph graph = g.finish();

  const opt::PipelineReport report = opt::PassManager(opt::Pipeline{opt::bf16_products_pass()}).run(graph);
  CHECK(bf16_nodes(graph) == std::set<std::string>{"a", "b", "c"});
  const NodeId id_a = *graph.find("a"), id_b = *graph.find("b");
  const Node& node_a = graph.node(id_a);
  const Node& node_b = graph.node(id_b);
  // a's output goes to b (bf16) and to the graph's outputs: a, fused, writes float32 itself, and
  // b reads it through the one Cast to bf16 it shares with b's residual; x gets the other Cast.
  CHECK(node_a.attr_or<bool>("_float32_output", false));
  CHECK(graph.type_of({id_a, 0}).dtype == DType::float32);
  CHECK(graph.node(node_b.inputs[0].node).op == "Cast");
  CHECK(node_b.inputs[0] == node_b.inputs[3]);
  // b has a residual added in place, so it writes bfloat16; c reads it as it is.
  CHECK_FALSE(node_b.attr_or<bool>("_float32_output", false));
  CHECK(graph.node(*graph.find("c")).inputs[0] == Value{id_b, 0});
  // c (plain) writes bfloat16 and the Relu reads it through a Cast back to float32.
  CHECK(count_op(graph, "Cast") == 3);
  for (const Graph::Port& port : graph.outputs()) CHECK(graph.type_of(port.value).dtype == DType::float32);
  // Weights and biases became bfloat16 constants.
  CHECK(graph.type_of(node_b.inputs[1]).dtype == DType::bfloat16);
  CHECK(graph.type_of(node_b.inputs[2]).dtype == DType::bfloat16);
  CHECK(report.passes.at(0).result.changed);
}

TEST_CASE("a backend without bf16 refuses it at compile time, saying why", "[cpu][bf16]") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {1, 4});
  b.output("y", b.op("MatMul", {x, b.constant("w", filled({4, 2}, 1.f))}));
  const Graph graph = b.finish();
  try {
    compile(graph, Options().backend(Backend::reference).precision(Precision::bf16));
    FAIL("the reference backend accepted bf16");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::unsupported);
    CHECK_THAT(e.what(), Catch::Contains("cannot compute in bf16") &&
                             Catch::Contains("backend 'reference' computes in float32 only"));
  }
  CHECK(precision_from_name("bfloat16") == Precision::bf16);
  CHECK_THROWS_AS(precision_from_name("fp8"), Error);
}

}  // namespace KILN_TEST_FILE
