// Helpers for the optimizer's tests: run one pass, compare IR, compare what two graphs compute.
#pragma once

#include "../support.hpp"

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <kiln/core/builder.hpp>
#include <kiln/core/print.hpp>
#include <kiln/eager.hpp>
#include <kiln/optimizer/instruments.hpp>
#include <kiln/optimizer/pass_manager.hpp>
#include <kiln/optimizer/pipelines.hpp>
#include <kiln/optimizer/plan_memory.hpp>

namespace kiln::test {

// Runs `pass` on `graph` (in place) with the given options, as the pass manager would.
inline opt::PassResult run_pass(const opt::Pass& pass, Graph& graph,
                                opt::PassOptions options = {}) {
  opt::PassContext context;
  context.options = std::move(options);
  return pass.run(graph, context);
}

// The IR without types, so that expected texts stay short.
inline std::string ir(const Graph& g) {
  PrintOptions o;
  o.show_types = false;
  return print_graph(g, o);
}

// MLIR FileCheck in miniature: every pattern must occur in `text`, each after the end of the
// previous one's match (as FileCheck's CHECK lines). A pattern starting with "NOT:" must not
// occur anywhere.
inline void check_ir(const std::string& text, const std::vector<std::string>& patterns) {
  std::size_t next = 0;
  for (const std::string& p : patterns) {
    INFO("pattern: " << p << "\nIR:\n" << text);
    if (p.rfind("NOT:", 0) == 0) {
      CHECK(text.find(p.substr(4)) == std::string::npos);
      continue;
    }
    const std::size_t at = text.find(p, next);
    CHECK(at != std::string::npos);
    if (at != std::string::npos) next = at + p.size();
  }
}

// A float32 tensor of the given shape with deterministic pseudo-random values in [lo, hi].
inline Tensor random_tensor(Shape shape, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::float32, std::move(shape));
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.num_elements(); ++i) p[i] = dist(rng);
  return t;
}

// Random feeds for every input of `graph`: unknown dimensions become `unknown_dim`.
inline NamedTensors random_feeds(const Graph& graph, std::uint32_t seed,
                                 std::int64_t unknown_dim = 2) {
  NamedTensors feeds;
  for (const Graph::Port& port : graph.inputs()) {
    const TensorType& t = graph.type_of(port.value);
    std::vector<std::int64_t> dims = t.shape.dims();
    for (std::int64_t& d : dims) d = d < 0 ? unknown_dim : d;
    REQUIRE(t.dtype == DType::float32);
    feeds[port.name] = random_tensor(Shape(dims), seed++);
  }
  return feeds;
}

// Every output of `actual` within atol + rtol * |expected| of `expected`'s.
inline void check_outputs_close(const NamedTensors& actual, const NamedTensors& expected,
                                double atol, double rtol) {
  REQUIRE(actual.size() == expected.size());
  for (const auto& [name, tensor] : expected) {
    INFO("output " << name);
    REQUIRE(actual.count(name));
    check_close(actual.at(name), tensor, atol, rtol);
  }
}

// What the O2-versus-O0 comparison found.
struct LevelComparison {
  opt::PipelineReport report;
  Graph optimized;
};

// Optimizes a copy of `graph` with `pipeline` (verifying after every pass) and plans its memory
// (report.memory), runs both graphs
// eagerly on `feeds` and checks every output within atol + rtol * |O0|. O0 is the graph as
// imported, so this is the "O2 matches O0" check for any model, hand-built or imported.
inline LevelComparison check_pipeline_preserves_outputs(const Graph& graph,
                                                        const NamedTensors& feeds,
                                                        const opt::Pipeline& pipeline,
                                                        double atol = 1e-5, double rtol = 1e-5) {
  LevelComparison result{{}, graph};
  opt::PassManager pm(pipeline);
  pm.add_instrument(std::make_shared<opt::VerifyEach>());
  result.report = pm.run(result.optimized);
  result.report.memory = opt::plan_memory(result.optimized).plan;  // as compile() plans it
  for (const opt::PassRecord& r : result.report.passes) {
    INFO("pass " << r.name << ": " << r.failure);
    CHECK(r.failure.empty());
  }
  const NamedTensors expected = run_eager(graph, feeds);
  const NamedTensors actual = run_eager(result.optimized, feeds);
  check_outputs_close(actual, expected, atol, rtol);
  return result;
}

inline LevelComparison check_o2_matches_o0(const Graph& graph, const NamedTensors& feeds,
                                           double atol = 1e-5, double rtol = 1e-5) {
  return check_pipeline_preserves_outputs(graph, feeds, opt::o2(), atol, rtol);
}

// Nodes of `graph` with the given op.
inline int count_ops(const Graph& graph, const std::string& op) {
  return static_cast<int>(std::count_if(graph.nodes().begin(), graph.nodes().end(),
                                        [&](const Node& n) { return n.op == op; }));
}

}  // namespace kiln::test
