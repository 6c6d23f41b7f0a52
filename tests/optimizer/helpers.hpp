// Helpers for the optimizer's tests: run one pass, compare IR, compare what two graphs compute.
#pragma once

#include "../support.hpp"

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <kiln/core/builder.hpp>
#include <kiln/core/parse.hpp>
#include <kiln/core/print.hpp>
#include <kiln/core/verify.hpp>
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

// The lines of two texts as a diff: "  " in both, "- " only in `expected`, "+ " only in `actual`.
// A longest common subsequence of lines keeps the unchanged lines aligned.
inline std::string line_diff(const std::string& expected, const std::string& actual) {
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  const std::vector<std::string> e = lines(expected), a = lines(actual);
  // common[i][j]: length of the longest common subsequence of e[i..] and a[j..].
  std::vector<std::vector<std::size_t>> common(e.size() + 1, std::vector<std::size_t>(a.size() + 1, 0));
  for (std::size_t i = e.size(); i-- > 0;) {
    for (std::size_t j = a.size(); j-- > 0;) {
      common[i][j] = e[i] == a[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
    }
  }
  std::string diff;
  std::size_t i = 0, j = 0;
  while (i < e.size() || j < a.size()) {
    if (i < e.size() && j < a.size() && e[i] == a[j]) {
      diff += "  " + e[i++] + "\n";
      ++j;
    } else if (i < e.size() && (j == a.size() || common[i + 1][j] >= common[i][j + 1])) {
      diff += "- " + e[i++] + "\n";  // what was expected comes first, then what came instead
    } else {
      diff += "+ " + a[j++] + "\n";
    }
  }
  return diff;
}

// A pass test as text in, expected text out (MLIR's FileCheck on a whole function): parses
// `input_ir`, runs `pass` on it, verifies the result and compares its IR without types with
// `expected_ir`. Both texts go through parse_graph() and the printer, so indentation, comments
// and the order of nodes in the test are free. Nodes written without types get them inferred.
// A mismatch shows a line diff ("- expected", "+ actual"). Returns the pass's result, for stats.
inline opt::PassResult check_pass(const opt::Pass& pass, const std::string& input_ir,
                                  const std::string& expected_ir, opt::PassOptions options = {}) {
  Graph g = parse_graph(input_ir);
  REQUIRE_NOTHROW(verify(g));
  const opt::PassResult result = run_pass(pass, g, std::move(options));
  CHECK_NOTHROW(verify(g));
  const std::string actual = ir(g);
  const std::string expected = ir(parse_graph(expected_ir));
  INFO("pass " << pass.name << ", IR diff (- expected, + actual):\n" << line_diff(expected, actual));
  CHECK(actual == expected);
  return result;
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
