// Every fixture model (and the shared corpus), compiled at O2 on the cpu backend, gives
// TensorFlow's stored outputs (tests/fixtures/make_fixtures.py).
//
// Tolerance |kiln - tf| <= 1e-4 + 1e-4 * |tf|, ten times the reference interpreter's: oneDNN
// sums convolutions and matrix products in another order (blocked, vectorized, split across
// threads), fusion folds BatchNorm into the weights, and oneDNN's exp/tanh/erf are its own
// polynomial approximations. All of these move results by float32 roundings, not more.
#include <kiln/session.hpp>

#include "../conformance_cases.hpp"
#include "cpu_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;
using test::first_line;
using test::kFixtures;
using test::read_npy_dir;

namespace {

constexpr double kTolerance = 1e-4;

void check_compiled(const Graph& graph, const NamedTensors& inputs, const NamedTensors& expected) {
  const CompiledModel net =
      compile(graph, Options().backend(Backend::cpu).level(OptLevel::O2).threads(2));
  const NamedTensors actual = net.run(inputs);
  InputShapes shapes;
  for (const auto& [name, tensor] : inputs) shapes[name] = tensor.shape();
  INFO(net.plan(shapes)->plan().summary());
  test::check_outputs_close(actual, expected, kTolerance, kTolerance);
}

}  // namespace

TEST_CASE("fixture models compiled at O2 on cpu match TensorFlow", "[cpu][conformance]") {
  for (const test::ConformanceCase& c : test::fixture_cases()) {
    SECTION(c.label) { check_compiled(c.graph(), c.inputs(), c.expected()); }
  }
}

TEST_CASE("the trained digits CNN keeps TensorFlow's accuracy on cpu", "[cpu][conformance]") {
  const fs::path dir = kFixtures / "models" / "digits_cnn";
  const CompiledModel net = compile(load_saved_model((dir / "saved_model").string()),
                                    Options().signature(first_line(dir / "signature_def.txt")));
  const Tensor probs = net.run(read_npy_dir(dir / "inputs")).at("output_0");
  const Tensor labels = load_npy((dir / "test_labels.npy").string());
  int correct = 0;
  for (std::int64_t row = 0; row < probs.dim(0); ++row) {
    const float* p = probs.data<float>() + row * 10;
    correct += std::max_element(p, p + 10) - p == labels.data<std::int64_t>()[row];
  }
  // tf_accuracy.txt: 0.980556, i.e. 353 of 360.
  CHECK(correct == 353);
}

TEST_CASE("corpus SavedModels compiled at O2 on cpu match TensorFlow", "[cpu][conformance]") {
  for (const test::ConformanceCase& c : test::corpus_saved_model_cases()) {
    SECTION(c.label) { check_compiled(c.graph(), c.inputs(), c.expected()); }
  }
}

TEST_CASE("a Conv -> ReLU -> BatchNorm CNN runs its BatchNorms as oneDNN post-ops",
          "[cpu][conformance]") {
  // keras_bn_cnn_tf210 writes every BatchNorm after the ReLU: fuse-epilogue makes each a
  // ScaleShift step, which oneDNN runs as a binary mul and a binary add after the eltwise.
  int cases = 0;
  for (const test::ConformanceCase& c : test::corpus_saved_model_cases()) {
    if (c.label.rfind("keras_bn_cnn_tf210/", 0) != 0) continue;
    ++cases;
    SECTION(c.label) {
      check_compiled(c.graph(), c.inputs(), c.expected());
      const CompiledModel net = compile(c.graph(), Options().backend(Backend::cpu).threads(2));
      InputShapes shapes;
      for (const auto& [name, tensor] : c.inputs()) shapes[name] = tensor.shape();
      const Plan& plan = net.plan(shapes)->plan();
      int batch_norms = 0;
      for (const Node& n : plan.graph().nodes()) {
        batch_norms += n.op.rfind("FusedBatchNorm", 0) == 0;
      }
      CHECK(batch_norms == 0);
      const std::string summary = plan.summary();
      INFO(summary);
      std::size_t post_ops = 0;
      const std::string scale_shift = "binary_mul, binary_add";
      for (std::size_t at = summary.find(scale_shift); at != std::string::npos;
           at = summary.find(scale_shift, at + 1)) {
        ++post_ops;
      }
      CHECK(post_ops == 3);
    }
  }
  CHECK(cases > 0);
}

}  // namespace KILN_TEST_FILE
