// O2 against O0 on whole networks: miniature ResNet, MobileNetV2 and EfficientNet blocks built
// by hand, and (with the SavedModel importer linked in) the TensorFlow-made fixture models.
//
// Tolerance: 1e-5 + 1e-5 * |O0|, as the issue asks. Fusion folds BatchNorms and scales into
// weights, which changes float32 rounding; on these small nets that stays well inside it.
#include "helpers.hpp"

#ifdef KILN_TEST_WITH_IMPORTER
#include <filesystem>

#include <kiln/model.hpp>
#include <kiln/npy.hpp>
#include <kiln/session.hpp>

#include "../conformance_cases.hpp"
#endif

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

class NetBuilder {
 public:
  explicit NetBuilder(std::uint32_t seed) : seed_(seed) {}

  GraphBuilder b;

  Value conv(Value x, std::int64_t k, std::int64_t out, std::int64_t stride,
             const std::string& name, bool depthwise = false) {
    const std::int64_t in = b.graph().type_of(x).shape.dim(3);
    const float scale = 1.0f / std::sqrt(static_cast<float>(k * k * (depthwise ? 1 : in)));
    Attrs attrs{{"strides", Ints{1, stride, stride, 1}}, {"padding", std::string("SAME")}};
    if (depthwise) {
      return b.op("DepthwiseConv2dNative",
                  {x, weights(name + "/depthwise_kernel", {k, k, in, 1}, scale)}, attrs, name);
    }
    return b.op("Conv2D", {x, weights(name + "/kernel", {k, k, in, out}, scale)}, attrs, name);
  }

  Value bn(Value x, const std::string& name) {
    const std::int64_t c = b.graph().type_of(x).shape.dim(3);
    return b.op_outputs(
        "FusedBatchNormV3",
        {x, weights(name + "/gamma", {c}, 0.5f, 1.5f), weights(name + "/beta", {c}, -0.5f, 0.5f),
         weights(name + "/mean", {c}, -0.5f, 0.5f), weights(name + "/variance", {c}, 0.5f, 1.5f)},
        {{"epsilon", 0.001f}, {"is_training", false}}, name)[0];
  }

  Value weights(const std::string& name, Shape shape, float scale) {
    return weights(name, std::move(shape), -scale, scale);
  }
  Value weights(const std::string& name, Shape shape, float lo, float hi) {
    return b.constant(name, test::random_tensor(std::move(shape), seed_++, lo, hi));
  }

  // Global average pooling and a dense layer: the classifier head.
  Value head(Value x, std::int64_t classes) {
    const std::int64_t c = b.graph().type_of(x).shape.dim(3);
    Value pooled = b.op(
        "Mean", {x, b.constant("pool/axes", Tensor::from<std::int32_t>({2}, {1, 2}))}, {}, "pool");
    Value logits =
        b.op("MatMul", {pooled, weights("head/kernel", {c, classes}, 1.0f / std::sqrt(float(c)))},
             {}, "head/MatMul");
    return b.op("BiasAdd", {logits, weights("head/bias", {classes}, 0.1f)}, {}, "head/BiasAdd");
  }

 private:
  std::uint32_t seed_;
};

// ResNet: a stem conv, an identity block and a projection block.
Graph mini_resnet() {
  NetBuilder n(100);
  Value x = n.b.input("image", DType::float32, {-1, 8, 8, 3});
  Value y = n.b.op("Relu", {n.bn(n.conv(x, 3, 8, 1, "stem/conv"), "stem/bn")}, {}, "stem/relu");
  // Identity block: two convs, then Add(input) and ReLU.
  Value a = n.b.op("Relu", {n.bn(n.conv(y, 1, 4, 1, "b1/conv1"), "b1/bn1")}, {}, "b1/relu1");
  Value c = n.bn(n.conv(a, 3, 8, 1, "b1/conv2"), "b1/bn2");
  y = n.b.op("Relu", {n.b.op("AddV2", {y, c}, {}, "b1/add")}, {}, "b1/out");
  // Projection block: a strided shortcut conv beside the main branch.
  Value shortcut = n.bn(n.conv(y, 1, 16, 2, "b2/conv0"), "b2/bn0");
  Value m = n.b.op("Relu", {n.bn(n.conv(y, 1, 4, 2, "b2/conv1"), "b2/bn1")}, {}, "b2/relu1");
  m = n.bn(n.conv(m, 3, 16, 1, "b2/conv2"), "b2/bn2");
  y = n.b.op("Relu", {n.b.op("AddV2", {shortcut, m}, {}, "b2/add")}, {}, "b2/out");
  n.b.output("logits", n.head(y, 5));
  return n.b.finish();
}

// MobileNetV2: an inverted residual block (expand, depthwise, project, Add) with ReLU6.
Graph mini_mobilenet_v2() {
  NetBuilder n(200);
  Value x = n.b.input("image", DType::float32, {-1, 8, 8, 3});
  Value y = n.b.op("Relu6", {n.bn(n.conv(x, 3, 8, 2, "stem/conv"), "stem/bn")}, {}, "stem/relu6");
  Value e = n.b.op("Relu6", {n.bn(n.conv(y, 1, 24, 1, "block/expand"), "block/expand_bn")}, {},
                   "block/expand_relu");
  Value d =
      n.b.op("Relu6", {n.bn(n.conv(e, 3, 24, 1, "block/depthwise", true), "block/depthwise_bn")},
             {}, "block/depthwise_relu");
  Value p = n.bn(n.conv(d, 1, 8, 1, "block/project"), "block/project_bn");
  y = n.b.op("AddV2", {y, p}, {}, "block/add");
  n.b.output("logits", n.head(y, 4));
  return n.b.finish();
}

// EfficientNet: swish everywhere and a squeeze-and-excitation block.
Graph mini_efficientnet() {
  NetBuilder n(300);
  auto swish = [&](Value v, const std::string& name) {
    return n.b.op("Mul", {v, n.b.op("Sigmoid", {v}, {}, name + "/Sigmoid")}, {}, name + "/mul");
  };
  Value x = n.b.input("image", DType::float32, {-1, 8, 8, 3});
  Value y = swish(n.bn(n.conv(x, 3, 8, 1, "stem/conv"), "stem/bn"), "stem/swish");
  Value d = swish(n.bn(n.conv(y, 3, 8, 1, "block/dwconv", true), "block/bn"), "block/swish");
  // Squeeze and excitation: pool, reduce (swish), expand (sigmoid), scale.
  Value s = n.b.op("Mean", {d, n.b.constant("se/axes", Tensor::from<std::int32_t>({2}, {1, 2}))},
                   {{"keep_dims", true}}, "se/squeeze");
  s = swish(
      n.b.op("BiasAdd", {n.conv(s, 1, 2, 1, "se/reduce"), n.weights("se/reduce/bias", {2}, 0.1f)}),
      "se/reduce_swish");
  s = n.b.op("Sigmoid",
             {n.b.op("BiasAdd",
                     {n.conv(s, 1, 8, 1, "se/expand"), n.weights("se/expand/bias", {8}, 0.1f)})},
             {}, "se/expand_sigmoid");
  Value excited = n.b.op("Mul", {d, s}, {}, "se/excite");
  Value p = n.bn(n.conv(excited, 1, 8, 1, "block/project"), "block/project_bn");
  y = n.b.op("AddV2", {p, y}, {}, "block/add");
  n.b.output("logits", n.head(y, 4));
  return n.b.finish();
}

std::int64_t stat(const opt::PipelineReport& report, const std::string& pass,
                  const std::string& name) {
  std::int64_t total = 0;
  for (const opt::PassRecord& r : report.passes) {
    if (r.name == pass) total += r.result.stat(name);
  }
  return total;
}

}  // namespace

TEST_CASE("O2 matches O0 on a miniature ResNet, and fuses all of it") {
  const Graph g = mini_resnet();
  const test::LevelComparison c = test::check_o2_matches_o0(g, test::random_feeds(g, 1));
  CHECK(stat(c.report, "fold-affine", "BatchNorms folded") == 6);
  CHECK(stat(c.report, "fuse-epilogue", "activations fused") == 5);
  CHECK(stat(c.report, "fuse-epilogue", "residual adds fused") == 2);
  CHECK(test::count_ops(c.optimized, "_FusedConv2D") == 6);
  CHECK(test::count_ops(c.optimized, "_FusedMatMul") == 1);
  REQUIRE(c.report.memory);
  CHECK(c.report.memory->arena_bytes == c.report.memory->lower_bound_bytes);
}

TEST_CASE("O2 matches O0 on a miniature MobileNetV2") {
  const Graph g = mini_mobilenet_v2();
  const test::LevelComparison c = test::check_o2_matches_o0(g, test::random_feeds(g, 2));
  CHECK(stat(c.report, "fold-affine", "BatchNorms folded") == 4);
  CHECK(stat(c.report, "fuse-epilogue", "activations fused") == 3);
  CHECK(stat(c.report, "fuse-epilogue", "residual adds fused") == 1);
  CHECK(test::count_ops(c.optimized, "_FusedDepthwiseConv2dNative") == 1);
  REQUIRE(c.report.memory);
  CHECK(c.report.memory->arena_bytes == c.report.memory->lower_bound_bytes);
}

TEST_CASE("O2 matches O0 on a miniature EfficientNet with squeeze-and-excitation") {
  const Graph g = mini_efficientnet();
  const test::LevelComparison c = test::check_o2_matches_o0(g, test::random_feeds(g, 3));
  CHECK(stat(c.report, "fold-affine", "BatchNorms folded") == 3);
  CHECK(stat(c.report, "fuse-epilogue", "activations fused") == 4);  // 3 swish and the SE sigmoid
  CHECK(test::count_ops(c.optimized, "Sigmoid") == 0);
  CHECK(test::count_ops(c.optimized, "Mul") == 1);  // the excitation itself
}

#ifdef KILN_TEST_WITH_IMPORTER
// The TensorFlow-made fixtures (tests/fixtures/models). Needs the compiled importer: define
// KILN_TEST_WITH_IMPORTER and link kiln::savedmodel to run these.
TEST_CASE("O2 matches O0 and TensorFlow on the fixture models") {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "models";
  for (const char* name :
       {"conv_bn_relu", "digits_cnn", "mlp", "se_swish", "sepconv_residual", "tf1_graph",
        "transformer_block", "transformer_keras3"}) {
    SECTION(name) {
      const fs::path dir = root / name;
      const Graph g = load_saved_model((dir / "saved_model").string()).graph("serving_default");
      NamedTensors feeds, expected;
      for (const auto& f : fs::directory_iterator(dir / "inputs"))
        feeds[f.path().stem().string()] = load_npy(f.path().string());
      for (const auto& f : fs::directory_iterator(dir / "outputs"))
        expected[f.path().stem().string()] = load_npy(f.path().string());
      const test::LevelComparison c = test::check_o2_matches_o0(g, feeds);
      test::check_outputs_close(run_eager(c.optimized, feeds), expected, 1e-5, 1e-4);
    }
  }
}
#endif

#ifdef KILN_TEST_WITH_IMPORTER
// Keras' CNN written Conv -> ReLU -> BatchNorm (tests/fixtures/corpus_models/keras_bn_cnn_tf210):
// its three BatchNorms follow activations, so none folds into weights; each becomes a ScaleShift
// step of the fused node before it.
TEST_CASE("no BatchNorm survives O2 on a Conv -> ReLU -> BatchNorm CNN, which matches TensorFlow") {
  int cases = 0;
  for (const test::ConformanceCase& c : test::corpus_saved_model_cases()) {
    if (c.label.rfind("keras_bn_cnn_tf210/", 0) != 0) continue;
    ++cases;
    SECTION(c.label) {
      const Graph g = c.graph();
      CHECK(test::count_ops(g, "FusedBatchNormV3") == 3);
      const NamedTensors inputs = c.inputs();
      InputShapes shapes;
      for (const auto& [name, tensor] : inputs) shapes[name] = tensor.shape();
      const CompiledModel net = compile(g, Options().backend(Backend::reference));
      const std::shared_ptr<const CompiledPlan> plan = net.plan(shapes);
      for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
        CHECK(test::count_ops(plan->plan().graph(), op) == 0);
      }
      CHECK(stat(plan->optimization(), "fuse-epilogue", "BatchNorms after activations") == 3);
      test::check_outputs_close(net.run(inputs), c.expected(), 1e-5, 1e-4);
    }
  }
  CHECK(cases > 0);
}
#endif

}  // namespace KILN_TEST_FILE
