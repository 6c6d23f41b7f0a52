// fuse: before/expected pairs. Folded weights and biases are worked out by hand in comments.
#include "helpers.hpp"

#include <numeric>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::ir;
using test::run_pass;

namespace {
const opt::Pass fuse = opt::fuse_pass();

Attrs conv_attrs(const char* padding = "VALID") {
  return {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string(padding)}};
}

Tensor vec(std::vector<float> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor::from_vector<float>({n}, v);
}

// FusedBatchNormV3 in inference mode over `x`, returning output 0.
Value batch_norm(GraphBuilder& b, Value x, const std::string& name, std::vector<float> gamma,
                 std::vector<float> beta, std::vector<float> mean, std::vector<float> variance,
                 float epsilon, bool training = false) {
  std::vector<Value> outs = b.op_outputs(
      "FusedBatchNormV3",
      {x, b.constant(name + "/gamma", vec(gamma)), b.constant(name + "/beta", vec(beta)),
       b.constant(name + "/mean", vec(mean)), b.constant(name + "/variance", vec(variance))},
      {{"epsilon", epsilon}, {"is_training", training}}, name);
  return outs[0];
}

Attrs fused_attrs(Attrs attrs, Strings steps) {
  attrs["num_args"] =
      std::accumulate(steps.begin(), steps.end(), std::int64_t{0},
                      [](std::int64_t n, const std::string& s) {
                        return n + (s == "ScaleShift" ? 2 : s == "BiasAdd" || s == "Add" ? 1 : 0);
                      });
  attrs["fused_ops"] = std::move(steps);
  return attrs;
}

// Random feeds, then O0 and the fused graph within `tolerance` of each other.
void check_same_outputs(const Graph& before, const Graph& after, double tolerance) {
  const NamedTensors feeds = test::random_feeds(before, 11, 2);
  test::check_outputs_close(run_eager(after, feeds), run_eager(before, feeds), tolerance,
                            tolerance);
}
}  // namespace

TEST_CASE("fuse absorbs BiasAdd and Relu into Conv2D") {
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 3, 3, 2});
    Value w = b.constant("conv/kernel", test::random_tensor({2, 2, 2, 3}, 1));
    Value conv = b.op("Conv2D", {x, w}, conv_attrs(), "conv/Conv2D");
    Value biased =
        b.op("BiasAdd", {conv, b.constant("conv/bias", vec({0.5f, -1, 2}))}, {}, "conv/BiasAdd");
    b.output("y", b.op("Relu", {biased}, {}, "conv/Relu"));
    return b.finish();
  };
  auto expected = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 3, 3, 2});
    Value w = b.constant("conv/kernel", test::random_tensor({2, 2, 2, 3}, 1));
    Value bias = b.constant("conv/bias", vec({0.5f, -1, 2}));  // reused as it is
    b.output("y", b.op("_FusedConv2D", {x, w, bias}, fused_attrs(conv_attrs(), {"BiasAdd", "Relu"}),
                       "conv/Relu"));
    Graph g = b.finish();
    g.node(g.at("conv/Relu")).replaced = {"conv/Conv2D", "conv/BiasAdd", "conv/Relu"};
    return g;
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("fused nodes") == 1);
  CHECK(result.stat("biases absorbed") == 1);
  CHECK(result.stat("activations fused") == 1);
  CHECK(print_graph(g) == print_graph(expected()));
  check_same_outputs(before(), g, 0.0);  // the same arithmetic in the same order
}

TEST_CASE("fuse folds an inference BatchNorm into the filter and bias") {
  // 1x1 convolution, one input channel, two output channels: filter {1, 2}.
  // epsilon 1: s = gamma / sqrt(variance + 1) = {4 / sqrt(3 + 1), 3 / sqrt(0 + 1)} = {2, 3}
  // filter' = filter * s = {2, 6}
  // bias' = (0 - mean) * s + beta = {-1*2 + 0.5, 1*3 + 0} = {-1.5, 3}
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
    Value conv = b.op("Conv2D", {x, b.constant("w", Tensor::from<float>({1, 1, 1, 2}, {1, 2}))},
                      conv_attrs(), "conv");
    Value bn = batch_norm(b, conv, "bn", {4, 3}, {0.5f, 0}, {1, -1}, {3, 0}, 1.0f);
    b.output("y", b.op("Relu6", {bn}, {}, "relu6"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("BatchNorms folded") == 1);
  CHECK(result.stat("activations fused") == 1);
  CHECK(ir(g) ==
        "graph {\n"
        "  inputs: x = %x\n"
        "  %bn/beta = Const() {dtype = float32, value = float32[2] {0.5, 0}}\n"
        "  %bn/bias = Const() {dtype = float32, value = float32[2] {-1.5, 3}}\n"
        "  %bn/filter = Const() {dtype = float32, value = float32[1,1,1,2] {2, 6}}\n"
        "  %bn/gamma = Const() {dtype = float32, value = float32[2] {4, 3}}\n"
        "  %bn/mean = Const() {dtype = float32, value = float32[2] {1, -1}}\n"
        "  %bn/variance = Const() {dtype = float32, value = float32[2] {3, 0}}\n"
        "  %x = Placeholder() {dtype = float32, shape = [?,2,2,1]}\n"
        "  %relu6 = _FusedConv2D(%x, %bn/filter, %bn/bias) {T = float32, data_format = "
        "\"NHWC\", dilations = [1, 1, 1, 1], epsilon = 0.0001, explicit_paddings = [], fused_ops = "
        "[\"BiasAdd\", \"Relu6\"], leakyrelu_alpha = 0.2, num_args = 1, padding = \"VALID\", "
        "strides = [1, 1, 1, 1], use_cudnn_on_gpu = true} loc(fused[\"conv\", \"bn\", \"relu6\"])\n"
        "  outputs: y = %relu6\n"
        "}\n");
  check_same_outputs(before(), g, 1e-6);
  // %w is gone: nothing else held its memory, which now holds the folded filter. The parameters
  // the fused node no longer needs are simplify's to remove.
  run_pass(opt::simplify_pass(), g);
  test::check_ir(ir(g), {"NOT:%bn/gamma", "NOT:%bn/beta", "NOT:%bn/mean", "NOT:%bn/variance"});
}

TEST_CASE("fold-affine scales a filter in place only when nothing else can see it") {
  // The filter {1, 2} of the test above, read through Identity as an imported variable is, and
  // the same BatchNorm: the folded filter is {2, 6}.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
    Value w = b.op("Identity", {b.constant("w", Tensor::from<float>({1, 1, 1, 2}, {1, 2}))}, {},
                   "w/read");
    Value conv = b.op("Conv2D", {x, w}, conv_attrs(), "conv");
    b.output("y", batch_norm(b, conv, "bn", {4, 3}, {0.5f, 0}, {1, -1}, {3, 0}, 1.0f));
    return b.finish();
  };
  const Tensor folded = Tensor::from<float>({1, 1, 1, 2}, {2, 6});
  const Tensor original = Tensor::from<float>({1, 1, 1, 2}, {1, 2});
  const opt::Pass fold = opt::fold_affine_pass();
  SECTION("the graph alone holds the filter: its memory takes the folded one") {
    Graph g = before();
    const void* bytes = g.node(g.at("w")).attr<Tensor>("value").raw();
    CHECK(run_pass(fold, g).stat("weights scaled in place") == 1);
    const Tensor& filter = g.node(g.at("bn/filter")).attr<Tensor>("value");
    test::check_close(filter, folded);
    CHECK(filter.raw() == bytes);
    CHECK_FALSE(g.find("w"));  // the Const and its read are absorbed into the fused node
    CHECK_FALSE(g.find("w/read"));
    CHECK_NOTHROW(verify(g));
    check_same_outputs(before(), g, 1e-6);
  }
  SECTION("another graph shares the filter: it is copied, and the other graph keeps it") {
    Graph g = before();
    const Graph other = g;
    CHECK(run_pass(fold, g).stat("weights scaled in place") == 0);
    test::check_close(g.node(g.at("bn/filter")).attr<Tensor>("value"), folded);
    test::check_close(other.node(other.at("w")).attr<Tensor>("value"), original);
  }
  SECTION("a filter two convolutions read is copied for each") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
    Value w = b.constant("w", original);
    Value a = batch_norm(b, b.op("Conv2D", {x, w}, conv_attrs(), "a"), "a_bn", {4, 3}, {0, 0},
                         {0, 0}, {3, 0}, 1.0f);  // scales {2, 3}
    Value c = batch_norm(b, b.op("Conv2D", {x, w}, conv_attrs(), "c"), "c_bn", {1, 1}, {0, 0},
                         {0, 0}, {3, 0}, 1.0f);  // scales {0.5, 1}
    b.output("y", b.op("AddV2", {a, c}, {}, "add"));
    Graph g = b.finish();
    CHECK(run_pass(fold, g).stat("weights scaled in place") == 0);
    test::check_close(g.node(g.at("a_bn/filter")).attr<Tensor>("value"), folded);
    test::check_close(g.node(g.at("c_bn/filter")).attr<Tensor>("value"),
                      Tensor::from<float>({1, 1, 1, 2}, {0.5f, 2}));
  }
}

TEST_CASE("fuse folds following Mul, Add and Sub by constants into MatMul") {
  // y = ((x W + b) * {2, 0.5}) - 1, with W = [[1, 2], [3, 4]], b = {1, -1}
  //   W' = W with column 0 times 2 and column 1 times 0.5 = [[2, 1], [6, 2]]
  //   b' = b * {2, 0.5} - 1 = {1, -1.5}
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2});
    Value mm =
        b.op("MatMul", {x, b.constant("W", Tensor::from<float>({2, 2}, {1, 2, 3, 4}))}, {}, "mm");
    Value biased = b.op("BiasAdd", {mm, b.constant("b", vec({1, -1}))}, {}, "biased");
    Value scaled = b.op("Mul", {b.constant("s", vec({2, 0.5f})), biased}, {}, "scaled");
    b.output("y", b.op("Sub", {scaled, b.constant("one", Tensor::scalar(1.0f))}, {}, "shifted"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("scales folded") == 1);
  CHECK(result.stat("biases absorbed") == 2);
  test::check_ir(ir(g),
                 {"%shifted/bias = Const() {dtype = float32, value = float32[2] {1, -1.5}}",
                  "%shifted/weights = Const() {dtype = float32, value = float32[2,2] {2, 1, 6, 2}}",
                  "%shifted = _FusedMatMul(%x, %shifted/weights, %shifted/bias) {T = float32, "
                  "epsilon = 0.0001, fused_ops = [\"BiasAdd\"], leakyrelu_alpha = 0.2, "
                  "num_args = 1, transpose_a = false, transpose_b = false} "
                  "loc(fused[\"mm\", \"biased\", \"scaled\", \"shifted\"])"});
  check_same_outputs(before(), g, 1e-6);
}

TEST_CASE("fuse scales the rows of transposed MatMul weights") {
  // transpose_b: W is [N, K] = [[1, 2], [3, 4]]; output channel n is row n. Mul {10, -1}:
  // W' = [[10, 20], [-3, -4]].
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 2});
  Value mm = b.op("MatMul", {x, b.constant("W", Tensor::from<float>({2, 2}, {1, 2, 3, 4}))},
                  {{"transpose_b", true}}, "mm");
  b.output("y", b.op("Mul", {mm, b.constant("s", vec({10, -1}))}, {}, "y"));
  Graph g = b.finish();
  const Graph original = g;
  run_pass(fuse, g);
  test::check_ir(ir(g),
                 {"%y/weights = Const() {dtype = float32, value = float32[2,2] {10, 20, -3, -4}}",
                  "%y = _FusedMatMul(%x, %y/weights) {T = float32, epsilon = 0.0001, "
                  "fused_ops = [], leakyrelu_alpha = 0.2, num_args = 0, transpose_a = false, "
                  "transpose_b = true}"});
  check_same_outputs(original, g, 1e-6);
}

TEST_CASE("fuse handles a depthwise convolution with BatchNorm, residual Add and ReLU") {
  // MobileNet's inverted residual ends like this. Depthwise filter [1,1,2,1]: output channel c
  // comes from input channel c. BN with gamma 1, beta 0, mean 0, variance 3, epsilon 1:
  // s = 1 / 2 for both channels, so filter' = {0.5 * 2, 0.5 * -4} = {1, -2}, bias' = {0, 0}.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 2, 2});
    Value dw = b.op("DepthwiseConv2dNative",
                    {x, b.constant("dw/w", Tensor::from<float>({1, 1, 2, 1}, {2, -4}))},
                    conv_attrs("SAME"), "dw");
    Value bn = batch_norm(b, dw, "bn", {1, 1}, {0, 0}, {0, 0}, {3, 3}, 1.0f);
    Value sum = b.op("AddV2", {x, bn}, {}, "add");
    b.output("y", b.op("Relu", {sum}, {}, "relu"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("residual adds fused") == 1);
  test::check_ir(ir(g),
                 {"%bn/bias = Const() {dtype = float32, value = float32[2] {0, 0}}",
                  "%bn/filter = Const() {dtype = float32, value = float32[1,1,2,1] {1, -2}}",
                  "%relu = _FusedDepthwiseConv2dNative(%x, %bn/filter, %bn/bias, %x)",
                  "fused_ops = [\"BiasAdd\", \"Add\", \"Relu\"]",
                  "loc(fused[\"dw\", \"bn\", \"add\", \"relu\"])"});
  check_same_outputs(before(), g, 1e-6);
}

TEST_CASE("a residual Add joins the chain whose main op comes later") {
  // ResNet's projection block: Add(bn(conv_shortcut(x)), bn(conv_main(relu(conv_first(x))))).
  // conv_main runs after the shortcut chain, so the shortcut's result already exists when the
  // fused conv_main runs: the Add goes there, and the shortcut chain ends at its BatchNorm.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 3, 3, 2});
    Value sc = b.op("Conv2D", {x, b.constant("sc/w", test::random_tensor({1, 1, 2, 4}, 2))},
                    conv_attrs(), "shortcut/conv");
    Value sc_bn = batch_norm(b, sc, "shortcut/bn", {1, 2, 3, 4}, {0, 0, 1, 1}, {0, 1, 0, 1},
                             {1, 1, 1, 1}, 0.001f);
    Value c1 = b.op("Conv2D", {x, b.constant("c1/w", test::random_tensor({1, 1, 2, 2}, 3))},
                    conv_attrs(), "first/conv");
    Value r1 = b.op("Relu", {c1}, {}, "first/relu");
    Value c2 = b.op("Conv2D", {r1, b.constant("c2/w", test::random_tensor({1, 1, 2, 4}, 4))},
                    conv_attrs(), "main/conv");
    Value c2_bn = batch_norm(b, c2, "main/bn", {1, 1, 1, 1}, {0, 0, 0, 0}, {0, 0, 0, 0},
                             {1, 1, 1, 1}, 0.001f);
    Value sum = b.op("AddV2", {sc_bn, c2_bn}, {}, "add");
    b.output("y", b.op("Relu", {sum}, {}, "out"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("fused nodes") == 3);
  CHECK(result.stat("residual adds fused") == 1);
  const Node& out = g.node(g.at("out"));
  CHECK(out.op == "_FusedConv2D");
  CHECK(out.attr<Strings>("fused_ops") == Strings{"BiasAdd", "Add", "Relu"});
  CHECK(g.node(out.inputs.at(3).node).name == "shortcut/bn");  // the residual
  CHECK(out.replaced == std::vector<std::string>{"main/conv", "main/bn", "add", "out"});
  CHECK(g.node(g.at("shortcut/bn")).attr<Strings>("fused_ops") == Strings{"BiasAdd"});
  check_same_outputs(before(), g, 1e-5);
}

TEST_CASE("fuse recognizes swish and GELU") {
  struct Case {
    const char* name;
    std::function<Value(GraphBuilder&, Value)> activation;
    const char* step;
  };
  auto c = [](GraphBuilder& b, const char* name, float v) {
    return b.constant(name, Tensor::scalar(v));
  };
  const std::vector<Case> cases = {
      {"swish",
       [](GraphBuilder& b, Value y) {
         return b.op("Mul", {y, b.op("Sigmoid", {y})});
       },
       "Swish"},
      {"keras swish, sigmoid(1 * y) * y",
       [c](GraphBuilder& b, Value y) {
         return b.op("Mul", {b.op("Sigmoid", {b.op("Mul", {c(b, "beta", 1), y})}), y});
       },
       "Swish"},
      {"gelu, 0.5 y (1 + erf(y / sqrt 2))",
       [c](GraphBuilder& b, Value y) {
         Value erf = b.op("Erf", {b.op("RealDiv", {y, c(b, "sqrt2", 1.41421356f)})});
         Value one_plus = b.op("AddV2", {c(b, "one", 1), erf});
         return b.op("Mul", {b.op("Mul", {c(b, "half", 0.5f), y}), one_plus});
       },
       "GeluExact"},
      {"gelu, y * (0.5 * (1 + erf(y * 0.7071)))",
       [c](GraphBuilder& b, Value y) {
         Value erf = b.op("Erf", {b.op("Mul", {y, c(b, "rsqrt2", 0.70710678f)})});
         Value one_plus = b.op("AddV2", {erf, c(b, "one", 1)});
         return b.op("Mul", {y, b.op("Mul", {one_plus, c(b, "half", 0.5f)})});
       },
       "GeluExact"},
      {"gelu, tanh form with Pow",
       [c](GraphBuilder& b, Value y) {
         Value cube = b.op("Pow", {y, c(b, "three", 3)});
         Value inner = b.op("AddV2", {y, b.op("Mul", {c(b, "k", 0.044715f), cube})});
         Value t = b.op("Tanh", {b.op("Mul", {c(b, "s", 0.7978845608f), inner})});
         return b.op("Mul",
                     {b.op("Mul", {c(b, "half", 0.5f), y}), b.op("AddV2", {c(b, "one", 1), t})});
       },
       "GeluApproximate"},
  };
  for (const Case& test_case : cases) {
    SECTION(test_case.name) {
      auto before = [&] {
        GraphBuilder b;
        Value x = b.input("x", DType::float32, {-1, 3});
        Value mm =
            b.op("MatMul", {x, b.constant("W", test::random_tensor({3, 4}, 5))}, {}, "dense");
        Value biased =
            b.op("BiasAdd", {mm, b.constant("b", vec({0.1f, -0.2f, 0.3f, 0}))}, {}, "bias");
        b.output("y", test_case.activation(b, biased));
        return b.finish();
      };
      Graph g = before();
      const opt::PassResult result = run_pass(fuse, g);
      CHECK(result.stat("activations fused") == 1);
      run_pass(opt::simplify_pass(), g);
      CHECK(g.size() == 4);  // x, W, b and the fused node: nothing of the activation is left
      const Node& fused = g.node(g.outputs()[0].value.node);
      CHECK(fused.op == "_FusedMatMul");
      CHECK(fused.attr<Strings>("fused_ops") == Strings{"BiasAdd", test_case.step});
      check_same_outputs(before(), g, 1e-6);
    }
  }
}

TEST_CASE("fuse recognizes TensorFlow's erfc form of GELU when Kiln has Erfc") {
  if (!op_catalogue().find("Erfc")) return;  // the op is not in the catalogue yet
  auto c = [](GraphBuilder& b, const char* name, float v) {
    return b.constant(name, Tensor::scalar(v));
  };
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 3});
  Value y = b.op("MatMul", {x, b.constant("W", test::random_tensor({3, 4}, 5))}, {}, "dense");
  // 0.5 * y * erfc(-y * 0.7071067811865476)
  Value erfc = b.op("Erfc", {b.op("Mul", {b.op("Neg", {y}), c(b, "rsqrt2", 0.70710678f)})});
  b.output("y", b.op("Mul", {b.op("Mul", {c(b, "half", 0.5f), y}), erfc}));
  Graph g = b.finish();
  const Graph original = g;
  run_pass(fuse, g);
  CHECK(g.node(g.outputs()[0].value.node).attr<Strings>("fused_ops") == Strings{"GeluExact"});
  check_same_outputs(original, g, 1e-6);
}

TEST_CASE("fuse keeps LeakyRelu's alpha") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
  Value conv = b.op("Conv2D", {x, b.constant("w", Tensor::from<float>({1, 1, 1, 1}, {3}))},
                    conv_attrs(), "conv");
  b.output("y", b.op("LeakyRelu", {conv}, {{"alpha", 0.3f}}, "leaky"));
  Graph g = b.finish();
  const Graph original = g;
  run_pass(fuse, g);
  const Node& fused = g.node(g.at("leaky"));
  CHECK(fused.attr<Strings>("fused_ops") == Strings{"LeakyRelu"});
  CHECK(fused.attr<float>("leakyrelu_alpha") == 0.3f);
  check_same_outputs(original, g, 0.0);
}

TEST_CASE("fuse declines when a precondition fails, and says why") {
  SECTION("a BatchNorm in training mode") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {2, 2, 2, 1});
    Value conv = b.op("Conv2D", {x, b.constant("w", Tensor::from<float>({1, 1, 1, 2}, {1, 2}))},
                      conv_attrs(), "conv");
    b.output("y",
             batch_norm(b, conv, "bn", {1, 1}, {0, 0}, {0, 0}, {1, 1}, 0.001f, /*training=*/true));
    Graph g = b.finish();
    const std::string text = print_graph(g);
    const opt::PassResult result = run_pass(fuse, g);
    CHECK(!result.changed);
    CHECK(result.stat("declined") == 1);
    REQUIRE(result.notes.size() == 1);
    CHECK(result.notes[0] ==
          "'bn': BatchNorm not folded: is_training is true (it normalizes with batch statistics)");
    CHECK(print_graph(g) == text);
  }
  SECTION("weights that are not constant") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2});
    Value w = b.input("w", DType::float32, {2, 2});
    b.output("y", b.op("Relu", {b.op("MatMul", {x, w}, {}, "mm")}, {}, "relu"));
    Graph g = b.finish();
    const opt::PassResult result = run_pass(fuse, g);
    CHECK(!result.changed);
    REQUIRE(result.notes.size() == 1);
    CHECK(result.notes[0] == "'mm': the weights are not constant");
  }
  SECTION("an NCHW convolution") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {1, 1, 2, 2});
    Attrs attrs = conv_attrs();
    attrs["data_format"] = std::string("NCHW");
    Value conv =
        b.op("Conv2D", {x, b.constant("w", Tensor::from<float>({1, 1, 1, 1}, {2}))}, attrs, "conv");
    b.output("y", b.op("Relu", {conv}, {}, "relu"));
    Graph g = b.finish();
    const opt::PassResult result = run_pass(fuse, g);
    CHECK(!result.changed);
    REQUIRE(result.notes.size() == 1);
    CHECK(result.notes[0] == "'conv': only NHWC convolutions are fused");
  }
  SECTION("an intermediate that is read elsewhere stops the chain") {
    // The BiasAdd's result is also a graph output, so the Relu cannot take its place.
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2});
    Value mm =
        b.op("MatMul", {x, b.constant("W", Tensor::from<float>({2, 2}, {1, 0, 0, 1}))}, {}, "mm");
    Value biased = b.op("BiasAdd", {mm, b.constant("b", vec({1, 2}))}, {}, "biased");
    b.output("logits", biased);
    b.output("y", b.op("Relu", {biased}, {}, "relu"));
    Graph g = b.finish();
    const Graph original = g;
    run_pass(fuse, g);
    CHECK(g.node(g.at("biased")).op == "_FusedMatMul");
    CHECK(g.node(g.at("biased")).attr<Strings>("fused_ops") == Strings{"BiasAdd"});
    CHECK(g.node(g.at("relu")).op == "Relu");
    check_same_outputs(original, g, 0.0);
  }
  SECTION("a residual that would broadcast") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2});
    Value r = b.input("r", DType::float32, {1, 2});
    Value mm =
        b.op("MatMul", {x, b.constant("W", Tensor::from<float>({2, 2}, {1, 0, 0, 1}))}, {}, "mm");
    b.output("y", b.op("AddV2", {mm, r}, {}, "add"));
    Graph g = b.finish();
    const std::string text = print_graph(g);
    CHECK(!run_pass(fuse, g).changed);
    CHECK(print_graph(g) == text);
  }
}

TEST_CASE("fuse folds Keras' unfused BatchNorm, folded or not") {
  // Keras 3 writes BatchNorm as x * (gamma * rsqrt(variance + eps)) + (beta - mean * that).
  // gamma {2, 3}, beta {1, 0}, mean {1, 2}, variance {3, 8}, epsilon 1:
  //   s = {2 / 2, 3 / 3} = {1, 1}... with the filter {1, 2}: filter' = {1, 2};
  //   shift = beta - mean * s = {0, -2}
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
    Value conv = b.op("Conv2D", {x, b.constant("w", Tensor::from<float>({1, 1, 1, 2}, {1, 2}))},
                      conv_attrs(), "conv");
    Value add = b.op("AddV2",
                     {b.constant("variance", vec({3, 8})), b.constant("eps", Tensor::scalar(1.0f))},
                     {}, "bn/batchnorm/add");
    Value mul = b.op(
        "Mul", {b.op("Rsqrt", {add}, {}, "bn/batchnorm/Rsqrt"), b.constant("gamma", vec({2, 3}))},
        {}, "bn/batchnorm/mul");
    Value mul_1 = b.op("Mul", {conv, mul}, {}, "bn/batchnorm/mul_1");
    Value mul_2 = b.op("Mul", {b.constant("mean", vec({1, 2})), mul}, {}, "bn/batchnorm/mul_2");
    Value sub = b.op("Sub", {b.constant("beta", vec({1, 0})), mul_2}, {}, "bn/batchnorm/sub");
    b.output("y", b.op("AddV2", {mul_1, sub}, {}, "bn/batchnorm/add_1"));
    return b.finish();
  };
  SECTION("as imported: fuse reads the parameters through their constant subgraphs") {
    Graph g = before();
    const opt::PassResult result = run_pass(fuse, g);
    CHECK(result.stat("BatchNorms folded") == 1);
    test::check_ir(
        ir(g), {"%bn/batchnorm/add_1/bias = Const() {dtype = float32, value = float32[2] {0, -2}}",
                "%bn/batchnorm/add_1 = _FusedConv2D(%x, %bn/batchnorm/add_1/filter, "
                "%bn/batchnorm/add_1/bias)"});
    check_same_outputs(before(), g, 1e-6);
  }
  SECTION("after fold-constants: a per-channel scale, then a per-channel shift") {
    Graph g = before();
    run_pass(opt::fold_constants_pass(), g);
    test::check_ir(ir(g), {"%bn/batchnorm/mul_1 = Mul(%conv, %bn/batchnorm/mul)",
                           "%bn/batchnorm/add_1 = AddV2(%bn/batchnorm/mul_1, %bn/batchnorm/sub)"});
    const opt::PassResult result = run_pass(fuse, g);
    CHECK(result.stat("BatchNorms folded") == 1);
    CHECK(result.stat("scales folded") == 0);
    CHECK(result.stat("biases absorbed") == 0);
    check_same_outputs(before(), g, 1e-6);
  }
}

TEST_CASE("fuse turns a zero Pad before a VALID convolution into explicit padding") {
  // Keras' ZeroPadding2D((1, 2)) then a 3x3 VALID depthwise convolution, as in MobileNetV2.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 4, 4, 2});
    Value pads =
        b.constant("pad/paddings", Tensor::from<std::int32_t>({4, 2}, {0, 0, 1, 2, 1, 2, 0, 0}));
    Value padded = b.op("Pad", {x, pads}, {}, "pad");
    Attrs attrs = conv_attrs("VALID");
    attrs["strides"] = Ints{1, 2, 2, 1};
    Value dw =
        b.op("DepthwiseConv2dNative",
             {padded, b.constant("dw/w", test::random_tensor({3, 3, 2, 1}, 9))}, attrs, "dw");
    b.output("y", b.op("Relu6", {dw}, {}, "relu6"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("pads absorbed") == 1);
  test::check_ir(ir(g), {"%relu6 = _FusedDepthwiseConv2dNative(%x, %dw/w)",
                         "explicit_paddings = [0, 0, 1, 2, 1, 2, 0, 0]", "padding = \"EXPLICIT\"",
                         "loc(fused[\"pad\", \"dw\", \"relu6\"])", "NOT:= Pad("});
  check_same_outputs(before(), g, 0.0);
}

TEST_CASE("fuse folds a Pad into a MaxPool only when the padded values cannot be negative") {
  auto build = [](bool after_relu) {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 4, 4, 1});
    Value v = after_relu ? b.op("Relu", {x}, {}, "relu") : b.op("Neg", {x}, {}, "neg");
    Value pads =
        b.constant("paddings", Tensor::from<std::int32_t>({4, 2}, {0, 0, 1, 1, 1, 1, 0, 0}));
    Value padded = b.op("Pad", {v, pads}, {}, "pool_pad");
    b.output("y", b.op("MaxPool", {padded},
                       {{"ksize", Ints{1, 3, 3, 1}},
                        {"strides", Ints{1, 2, 2, 1}},
                        {"padding", std::string("VALID")}},
                       "pool"));
    return b.finish();
  };
  Graph g = build(true);
  CHECK(run_pass(fuse, g).stat("pads absorbed") == 1);
  test::check_ir(ir(g), {"%pool = MaxPool(%relu)", "padding = \"EXPLICIT\"",
                         "loc(fused[\"pool_pad\", \"pool\"])"});
  check_same_outputs(build(true), g, 0.0);
  // Negative values would lose to the zeros of the Pad but win against MaxPool's -infinity.
  Graph h = build(false);
  CHECK(!run_pass(fuse, h).changed);
}

TEST_CASE("fuse looks through a reshape that keeps the channels last") {
  // Keras' Dense on [?,4,3]: MatMul on [?,3], Reshape to [?,4,2], then BiasAdd and ReLU. Both
  // commute with the reshape, so the fused node computes on [?,2] and the Reshape follows it.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 3});
    Value mm = b.op("MatMul", {x, b.constant("W", test::random_tensor({3, 2}, 4))}, {}, "mm");
    Value r =
        b.op("Reshape", {mm, b.constant("shape", Tensor::from<std::int32_t>({3}, {-1, 4, 2}))}, {},
             "reshape");
    Value biased = b.op("BiasAdd", {r, b.constant("bias", vec({0.5f, -0.5f}))}, {}, "bias_add");
    b.output("y", b.op("Relu", {biased}, {}, "relu"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("fused nodes") == 1);
  test::check_ir(ir(g),
                 {"%relu = _FusedMatMul(%x, %W, %bias)", "fused_ops = [\"BiasAdd\", \"Relu\"]",
                  "loc(fused[\"mm\", \"bias_add\", \"relu\"])", "%reshape = Reshape(%relu, %shape)",
                  "outputs: y = %reshape"});
  CHECK(g.node(g.at("relu")).outputs[0].str() == "float32[?,2]");
  CHECK(g.node(g.at("reshape")).outputs[0].str() == "float32[?,4,2]");
  // Four rows of x make one [1,4,2] output.
  const NamedTensors feeds = {{"x", test::random_tensor({4, 3}, 8)}};
  test::check_outputs_close(run_eager(g, feeds), run_eager(before(), feeds), 0.0, 0.0);
}

TEST_CASE("fuse-epilogue turns a BatchNorm after the activation into a ScaleShift step") {
  // Conv -> ReLU -> BatchNorm, as Keras tutorials write it. 1x1 convolution, one input channel,
  // two output channels; epsilon 1:
  //   s = gamma / sqrt(variance + 1) = {4 / sqrt(3 + 1), 3 / sqrt(0 + 1)} = {2, 3}
  //   t = beta - mean * s = {0.5 - 1 * 2, 0 - (-1) * 3} = {-1.5, 3}
  // The filter stays as it is: the ReLU between them keeps the BatchNorm out of the weights.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
    Value conv = b.op("Conv2D", {x, b.constant("w", Tensor::from<float>({1, 1, 1, 2}, {1, 2}))},
                      conv_attrs(), "conv");
    Value relu = b.op("Relu", {conv}, {}, "relu");
    b.output("y", batch_norm(b, relu, "bn", {4, 3}, {0.5f, 0}, {1, -1}, {3, 0}, 1.0f));
    return b.finish();
  };
  auto expected = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
    Value w = b.constant("w", Tensor::from<float>({1, 1, 1, 2}, {1, 2}));
    // The BatchNorm's parameters stay behind for simplify.
    b.constant("bn/gamma", vec({4, 3}));
    b.constant("bn/beta", vec({0.5f, 0}));
    b.constant("bn/mean", vec({1, -1}));
    b.constant("bn/variance", vec({3, 0}));
    Value scale = b.constant("bn/scale", vec({2, 3}));
    Value shift = b.constant("bn/shift", vec({-1.5f, 3}));
    b.output("y", b.op("_FusedConv2D", {x, w, scale, shift},
                       fused_attrs(conv_attrs(), {"Relu", "ScaleShift"}), "bn"));
    Graph g = b.finish();
    g.node(g.at("bn")).replaced = {"conv", "relu", "bn"};
    return g;
  };
  Graph g = before();
  const opt::PassResult result = run_pass(opt::fuse_epilogue_pass(), g);
  CHECK(result.stat("activations fused") == 1);
  CHECK(result.stat("BatchNorms after activations") == 1);
  CHECK(result.stat("fused nodes") == 1);
  CHECK(print_graph(g) == print_graph(expected()));
  check_same_outputs(before(), g, 1e-6);
  run_pass(opt::simplify_pass(), g);
  test::check_ir(ir(g), {"NOT:%bn/gamma", "NOT:FusedBatchNorm"});
}

TEST_CASE("the whole fusion puts bias, activation and either BatchNorm form into one node") {
  // Conv2D -> BiasAdd -> Relu6 -> BatchNorm, the BatchNorm as FusedBatchNormV3 or as Keras'
  // unfused Mul by a [C] scale and AddV2 of a [C] shift. Both end as [BiasAdd, Relu6,
  // ScaleShift].
  for (bool unfused : {false, true}) {
    SECTION(unfused ? "Mul and AddV2" : "FusedBatchNormV3") {
      auto before = [unfused] {
        GraphBuilder b;
        Value x = b.input("x", DType::float32, {-1, 3, 3, 3});
        Value conv = b.op("Conv2D", {x, b.constant("W", test::random_tensor({2, 2, 3, 2}, 5))},
                          conv_attrs("SAME"), "conv");
        Value biased = b.op("BiasAdd", {conv, b.constant("b", vec({0.5f, -0.5f}))}, {}, "bias");
        Value act = b.op("Relu6", {biased}, {}, "act");
        if (unfused) {
          Value scaled = b.op("Mul", {act, b.constant("s", vec({2, -1}))}, {}, "bn/mul");
          b.output("y", b.op("AddV2", {scaled, b.constant("t", vec({1, 0.25f}))}, {}, "bn/add"));
        } else {
          b.output("y", batch_norm(b, act, "bn", {1, 2}, {0, 1}, {0.5f, 1}, {1, 3}, 0.001f));
        }
        return b.finish();
      };
      Graph g = before();
      run_pass(fuse, g);
      const Node& out = g.node(g.outputs()[0].value.node);
      CHECK(out.op == "_FusedConv2D");
      CHECK(out.attr<Strings>("fused_ops") == Strings{"BiasAdd", "Relu6", "ScaleShift"});
      CHECK(out.replaced.size() == (unfused ? 5u : 4u));
      CHECK(test::count_ops(g, "FusedBatchNormV3") + test::count_ops(g, "Mul") == 0);
      check_same_outputs(before(), g, 1e-6);
    }
  }
}

TEST_CASE("a BatchNorm after an activation that no convolution feeds stays") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 2, 2, 2});
  Value relu = b.op("Relu", {x}, {}, "relu");
  b.output("y", batch_norm(b, relu, "bn", {1, 1}, {0, 0}, {0, 0}, {1, 1}, 0.001f));
  Graph g = b.finish();
  const std::string text = print_graph(g);
  CHECK(!run_pass(fuse, g).changed);
  CHECK(print_graph(g) == text);
}

}  // namespace KILN_TEST_FILE
