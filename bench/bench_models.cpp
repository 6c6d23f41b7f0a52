// Eager versus optimized, model by model: BM_Eager/<model> runs the imported graph node by node
// (EagerInterpreter: one kernel per op, fresh buffers, no fusion), BM_Optimized/<model> runs it
// compiled at O2 (kiln::compile). Both use the same backend, threads and inputs, so
//
//   compare.py filters ./kiln_bench BM_Eager BM_Optimized
//
// shows what the graph optimizations buy on each model. Times are per run (wall clock: the
// kernels run on several threads); items_per_second counts samples (batch per run).
// Which models and settings: bench_support.hpp.
#include "bench_support.hpp"

#include <kiln/eager.hpp>

namespace kiln::bench {
namespace {

void eager(benchmark::State& state, const BenchModel& m, const Settings& s) {
  Prepared& p = prepared("eager/" + m.name, m, s, [&](const Prepared& ready) {
    auto interpreter = std::make_shared<EagerInterpreter>(ready.graph, s.backend, s.threads);
    interpreter->run(ready.feeds);  // prepares each node's kernel, as a first call would
    return std::shared_ptr<void>(interpreter);
  });
  if (!p.error.empty()) {
    state.SkipWithError(p.error.c_str());
    return;
  }
  const auto& interpreter = *static_cast<const EagerInterpreter*>(p.runner.get());
  for (auto _ : state) {
    NamedTensors out = interpreter.run(p.feeds);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * s.batch);
}

void optimized(benchmark::State& state, const BenchModel& m, const Settings& s) {
  const Prepared& p = prepared("optimized/" + m.name, m, s, [&](const Prepared& ready) {
    return compile_prepared(ready,
                            Options().backend(s.backend).threads(s.threads).level(OptLevel::O2));
  });
  time_compiled(state, p, s);
}

}  // namespace
}  // namespace kiln::bench

int main(int argc, char** argv) {
  using namespace kiln::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    const Settings settings = settings_from_env();
    describe(settings);
    // Eager and optimized of one model side by side, so that each model is loaded once.
    for (const BenchModel& m : all_models()) {
      benchmark::RegisterBenchmark(("BM_Eager/" + m.name).c_str(), eager, m, settings)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("BM_Optimized/" + m.name).c_str(), optimized, m, settings)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  } catch (const std::exception& e) {
    std::cerr << "kiln_bench: " << e.what() << "\n";
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
