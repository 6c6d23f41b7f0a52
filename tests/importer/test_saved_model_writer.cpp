// kiln::save_saved_model on graphs with loops and conditionals: each control-flow fixture, written
// by Kiln and loaded again, still gives the outputs TensorFlow stored for it, both as imported and
// after O2 (whose loops carry hoisted products, fused LSTM gates and constants moved into
// their bodies: the graphs `kiln quantize` saves).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <optional>

#include <kiln/optimizer/optimizer.hpp>
#include <kiln/saved_model_writer.hpp>
#include <kiln/session.hpp>

#include "../conformance_cases.hpp"
#include "../support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
namespace fs = std::filesystem;

namespace {

// `graph` saved into a fresh folder and loaded back.
Graph saved_and_loaded(const Graph& graph) {
  const fs::path dir = fs::temp_directory_path() / ("kiln_writer_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  save_saved_model(dir.string(), graph);
  Graph loaded = load_saved_model(dir.string()).graph("serving_default");
  fs::remove_all(dir);
  return loaded;
}

int count_regions(const Graph& graph) {
  int regions = 0;
  for (const Node& node : graph.nodes()) {
    for (const auto& region : node.regions) regions += 1 + count_regions(*region);
  }
  return regions;
}

// TensorFlow's outputs within the conformance tests' tolerance.
constexpr double kTolerance = 1e-5;

}  // namespace

TEST_CASE("loops and conditionals saved by Kiln load again and match TensorFlow", "[writer]") {
  for (const test::ConformanceCase& c : test::fixture_cases()) {
    if (c.label.rfind("control_flow/", 0) != 0) continue;
    SECTION(c.label) {
      const Graph imported = c.graph();
      const NamedTensors inputs = c.inputs();
      const Graph loaded = saved_and_loaded(imported);
      CHECK(count_regions(loaded) == count_regions(imported));
      test::check_outputs_close(run_eager(loaded, inputs), c.expected(), kTolerance, kTolerance);

      InputShapes shapes;
      for (const auto& [name, t] : inputs) shapes[name] = t.shape();
      const Options reference = Options().backend(Backend::reference);
      const Graph optimized =
          compile(imported, Options(reference).level(OptLevel::O2)).plan(shapes)->plan().graph();
      const Graph loaded_optimized = saved_and_loaded(optimized);
      CHECK(count_regions(loaded_optimized) == count_regions(optimized));
      const CompiledModel net = compile(loaded_optimized, Options(reference).level(OptLevel::O0));
      test::check_outputs_close(net.run(inputs), c.expected(), kTolerance, kTolerance);
    }
  }
}

// `kiln quantize` optimizes for the declared shapes, whose batch is unknown: a Keras LSTM's
// TensorLists then stay, its input product is not hoisted, and fuse-epilogue fuses that product
// with the recurrent one's sum. Saved and loaded, then compiled for a batch, the product must
// still leave the loop.
TEST_CASE("an LSTM optimized before its batch was known still gets its input product hoisted",
          "[writer]") {
  std::optional<test::ConformanceCase> lstm;
  for (const test::ConformanceCase& c : test::fixture_cases()) {
    if (c.label == "control_flow/keras_lstm") lstm = c;
  }
  REQUIRE(lstm);
  Graph graph = lstm->graph();
  opt::PassManager(opt::pipeline_for_level("O2")).run(graph);
  const Graph loaded = saved_and_loaded(graph);
  bool fused_sum = false;
  for (const Node& n : loaded.nodes()) {
    for (const auto& region : n.regions) {
      for (const Node& m : region->nodes()) {
        fused_sum = fused_sum || (m.op == "_FusedMatMul" &&
                                  m.attr<Strings>("fused_ops") == Strings{"Add"});
      }
    }
  }
  CHECK(fused_sum);  // the form this test is about

  const NamedTensors inputs = lstm->inputs();
  InputShapes shapes;
  for (const auto& [name, t] : inputs) shapes[name] = t.shape();
  const CompiledModel net =
      compile(loaded, Options().backend(Backend::reference).level(OptLevel::O2));
  const auto plan = net.plan(shapes);
  std::int64_t hoisted = 0;
  for (const auto& pass : plan->optimization().passes) {
    hoisted += pass.result.stat("products hoisted out of loops");
  }
  CHECK(hoisted == 1);
  test::check_outputs_close(net.run(inputs), lstm->expected(), kTolerance, kTolerance);
}

}  // namespace KILN_TEST_FILE
