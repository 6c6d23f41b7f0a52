// Whole models on the GPU: every fixture and corpus SavedModel compiled at O2 for cuda gives
// TensorFlow's stored outputs, and one compiled model serves several threads at once. These need
// a device and report themselves skipped without one.
//
// Tolerance |kiln - tf| <= 1e-3 + 1e-3 * |tf|, ten times the cpu suite's: cuBLASLt tiles and
// splits its sums, the device kernels use CUDA's exp/tanh/erf, and a model chains dozens of them.
// The plan's host fallbacks (concat, pad, gather, ...) run the reference kernels and add nothing.
#include <kiln/session.hpp>
#include <thread>

#include "../conformance_cases.hpp"
#include "../support.hpp"
#include "cuda_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

constexpr double kTolerance = 1e-3;

void check_on_cuda(const Graph& graph, const NamedTensors& inputs, const NamedTensors& expected) {
  const CompiledModel net = compile(graph, Options().backend(test::cuda).level(OptLevel::O2));
  NamedTensors actual;
  try {
    actual = net.run(inputs);
  } catch (const Error& e) {
    // Data-dependent shapes are refused on device backends for now (plan.hpp).
    if (e.code() == Errc::unsupported &&
        std::string(e.what()).find("cannot run") != std::string::npos) {
      WARN("not on cuda: " << e.what());
      return;
    }
    throw;
  }
  InputShapes shapes;
  for (const auto& [name, tensor] : inputs) shapes[name] = tensor.shape();
  INFO(net.plan(shapes)->plan().summary());
  test::check_outputs_close(actual, expected, kTolerance, kTolerance);
}

}  // namespace

TEST_CASE("fixture and corpus models compiled at O2 on cuda match TensorFlow", "[cuda][gpu]") {
  KILN_REQUIRE_CUDA_DEVICE();
  std::vector<test::ConformanceCase> cases = test::fixture_cases();
  for (test::ConformanceCase& c : test::corpus_saved_model_cases()) cases.push_back(std::move(c));
  for (const test::ConformanceCase& c : cases) {
    SECTION(c.label) { check_on_cuda(c.graph(), c.inputs(), c.expected()); }
  }
}

TEST_CASE("one model compiled for cuda runs from several threads at once", "[cuda][gpu]") {
  KILN_REQUIRE_CUDA_DEVICE();
  const test::ConformanceCase c = test::fixture_cases().front();
  const CompiledModel net = compile(c.graph(), Options().backend(test::cuda));
  const NamedTensors inputs = c.inputs();
  const NamedTensors expected = net.run(inputs);
  std::vector<NamedTensors> results(4);
  std::vector<std::thread> threads;
  for (NamedTensors& r : results) {
    threads.emplace_back([&net, &inputs, &r] {
      for (int i = 0; i < 5; ++i) r = net.run(inputs);  // each thread its own instance and stream
    });
  }
  for (std::thread& t : threads) t.join();
  for (const NamedTensors& r : results) {
    for (const auto& [key, want] : expected) test::check_close(r.at(key), want, 0, 0);
  }
}

}  // namespace KILN_TEST_FILE
