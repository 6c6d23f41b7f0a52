// What each optimizer pass buys: every model compiled at O2, and at O2 with one pass left out.
//
//   BM_Ablation/<model>/O2                 the full pipeline (opt::o2())
//   BM_Ablation/<model>/no-fold-constants  O2 without fold-constants
//   BM_Ablation/<model>/no-simplify        ... without either simplify
//   BM_Ablation/<model>/no-fold-affine     ... without fold-affine (and so on for each pass)
//
// The variants are made from opt::o2() itself, so a pass added there shows up here. The memory
// plan is no pass: a compiled plan always makes its own. A variant that cannot be
// compiled (some models need folding to learn their shapes) is reported as an error, with why.
// Counters: `steps` (kernels per run) and `fallbacks` (steps on reference kernels).
// Models and settings: bench_support.hpp.
#include "bench_support.hpp"

namespace kiln::bench {
namespace {

// O2 without the passes called `dropped` (none: the full O2).
opt::Pipeline o2_without(const std::string& dropped) {
  opt::Pipeline pipeline;
  for (opt::Pass& pass : opt::o2()) {
    if (pass.name != dropped) pipeline.push_back(std::move(pass));
  }
  return pipeline;
}

// "O2" and one "no-<pass>" per distinct pass of O2.
std::vector<std::string> variants() {
  std::vector<std::string> names = {"O2"};
  for (const opt::Pass& pass : opt::o2()) {
    const std::string name = "no-" + pass.name;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

void ablation(benchmark::State& state, const BenchModel& m, const std::string& variant,
              const Settings& s) {
  const Prepared& p = prepared(m.name + "/" + variant, m, s, [&](const Prepared& ready) {
    const std::string dropped = variant == "O2" ? "" : variant.substr(3);
    return compile_prepared(
        ready, Options().backend(s.backend).threads(s.threads).pipeline(o2_without(dropped)));
  });
  const CompiledModel* net = time_compiled(state, p, s);
  if (!net) return;
  const Plan& plan = net->plan()->plan();
  state.counters["steps"] = static_cast<double>(plan.steps().size());
  state.counters["fallbacks"] = static_cast<double>(plan.fallback_count());
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
    for (const BenchModel& m : all_models()) {
      for (const std::string& variant : variants()) {
        const std::string name = "BM_Ablation/" + m.name + "/" + variant;
        benchmark::RegisterBenchmark(name.c_str(), ablation, m, variant, settings)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "kiln_bench_passes: " << e.what() << "\n";
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
