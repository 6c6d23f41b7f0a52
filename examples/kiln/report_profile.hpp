// The measured part of `kiln report` (with --inputs or --profile): where the time of the eager
// run (the imported graph, node by node) and of the optimized run (the compiled plan) goes, op
// by op, and what each pass buys: the pipeline compiled once without it ("leave one pass out"),
// its latency, arena and outputs against the full pipeline's.
//
//   {"backend", "threads", "runs", "inputs": [{"name", "type", "source"}],
//    "eager": {"median_ms", "steps", "by_op": [{"op", "implementation", "count", "ms"}],
//              "slowest": [{"node", "op", "ms"}], "by_node": {node: ms}},
//    "optimized": {... the same, and "arena_bytes"},
//    "max_abs_difference": |eager - optimized| over the outputs,
//    "leave_one_out": [{"pass", "median_ms", "arena_bytes", "steps", "max_abs_difference"} or
//                      {"pass", "error"}]}
//
// Times are medians over the timed runs: of each run's total, and of each step's time (so the
// steps of a mode need not add up to its median exactly). Inputs are
// `kiln bench`'s: the given .npy files, the others generated from a fixed seed.
#pragma once

#include <algorithm>
#include <chrono>
#include <numeric>
#include <string>
#include <vector>

#include <kiln/eager.hpp>
#include <kiln/session.hpp>

#include "bench.hpp"
#include "bench_inputs.hpp"
#include "bench_profile.hpp"
#include "bench_stats.hpp"
#include "json.hpp"
#include "pipeline_flags.hpp"
#include "run.hpp"

namespace kiln::cli {

struct ProfileFlags {
  std::string inputs;  // name=file.npy,...
  bool profile = false;
  int runs = 10;
  std::string backend = backend_name(default_backend());
  int threads = 0;
};

inline void add_profile_flags(CLI::App& command, ProfileFlags& flags) {
  command
      .add_option("--inputs", flags.inputs,
                  "run the model on these inputs (name=file.npy,...; the others are generated as\n"
                  "kiln bench generates them) and add the profile to the page")
      ->type_name("LIST");
  command.add_flag("--profile", flags.profile,
                   "add the profile with generated inputs: per-op times of the eager and the\n"
                   "optimized runs, and each pass left out of the pipeline in turn");
  command.add_option("--runs", flags.runs, "timed runs per measurement")
      ->type_name("R")
      ->check(in_range(1, 100000))
      ->capture_default_str();
  add_backend_flag(command, flags.backend);
  add_threads_flag(command, flags.threads);
}

namespace profile_detail {

using clock = std::chrono::steady_clock;

struct Timed {
  double median_ms = 0;
  std::vector<double> step_ms;  // per step, the median over the timed runs
  std::vector<Tensor> outputs;  // of the first run, in the order of its graph's outputs
  NamedTensors named;           // the same by output name
};

// One untimed run (whose outputs are kept), then `runs` timed ones. Medians, not sums: on a
// busy machine one run that waited for the processor would otherwise dominate every step.
template <class RunOnce>
Timed timed_runs(int runs, RunOnce run_once) {
  Timed t;
  t.outputs = run_once(nullptr);
  std::vector<double> times;
  std::vector<std::vector<double>> per_step;  // per step, its time in each run
  for (int i = 0; i < runs; ++i) {
    std::vector<double> step_ms;
    const auto start = clock::now();
    run_once(&step_ms);
    times.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
    per_step.resize(step_ms.size());
    for (std::size_t s = 0; s < step_ms.size(); ++s) per_step[s].push_back(step_ms[s]);
  }
  t.median_ms = summarize(times).median_ms;
  for (std::vector<double>& each : per_step) t.step_ms.push_back(summarize(each).median_ms);
  return t;
}

inline NamedTensors by_name(const Graph& g, const std::vector<Tensor>& outputs) {
  NamedTensors out;
  for (std::size_t i = 0; i < outputs.size() && i < g.outputs().size(); ++i) {
    out[g.outputs()[i].name] = outputs[i];
  }
  return out;
}

// The part of a mode's JSON that both share: times by op and the ten slowest steps.
inline Json steps_json(const std::vector<std::string>& nodes, const std::vector<std::string>& ops,
                       const std::vector<std::string>& implementations, const Timed& t) {
  Json by_op = Json::array();
  for (const OpTime& g : op_times(ops, implementations, t.step_ms)) {
    by_op.push_back({{"op", g.op}, {"implementation", g.implementation}, {"count", g.count},
                     {"ms", g.ms}});
  }
  std::vector<std::size_t> order(std::min(nodes.size(), t.step_ms.size()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return t.step_ms[a] > t.step_ms[b]; });
  order.resize(std::min<std::size_t>(order.size(), 10));
  Json slowest = Json::array();
  for (std::size_t s : order) {
    slowest.push_back({{"node", nodes[s]}, {"op", ops[s]}, {"ms", t.step_ms[s]}});
  }
  // Every step's time by node name, for the picture (a graph's nodes are its steps' names).
  Json by_node = Json::object();
  for (std::size_t s = 0; s < nodes.size() && s < t.step_ms.size(); ++s) {
    by_node[nodes[s]] = by_node.value(nodes[s], 0.0) + t.step_ms[s];
  }
  return {{"median_ms", t.median_ms}, {"steps", nodes.size()}, {"by_op", by_op},
          {"slowest", slowest}, {"by_node", by_node}};
}

inline Json eager_json(const Graph& graph, const NamedTensors& feeds, const ProfileFlags& flags,
                       Backend backend, Timed& t) {
  const EagerInterpreter interpreter(graph, backend, flags.threads);
  const std::vector<Tensor> inputs = inputs_in_order(graph, feeds);
  t = timed_runs(flags.runs, [&](std::vector<double>* ms) { return interpreter.run(inputs, ms); });
  t.named = by_name(graph, t.outputs);
  std::vector<std::string> nodes, ops, implementations;
  for (NodeId id : interpreter.steps()) {
    nodes.push_back(graph.node(id).name);
    ops.push_back(graph.node(id).op);
    implementations.push_back("eager, " + backend_name(backend));
  }
  return steps_json(nodes, ops, implementations, t);
}

// Compiles `graph` with `pipeline` and times its plan for the fed shapes.
inline Json optimized_json(const Graph& graph, const opt::Pipeline& pipeline,
                           const NamedTensors& feeds, const ProfileFlags& flags, Backend backend,
                           Timed& t) {
  const CompiledModel net =
      compile(graph, Options().backend(backend).threads(flags.threads).pipeline(pipeline));
  InputShapes shapes;
  for (const auto& [name, tensor] : feeds) shapes[name] = tensor.shape();
  const std::shared_ptr<const CompiledPlan> compiled = net.plan(shapes);
  const Plan& plan = compiled->plan();
  const std::vector<Tensor> inputs = inputs_in_order(plan.graph(), feeds);
  t = timed_runs(flags.runs, [&](std::vector<double>* ms) { return compiled->run(inputs, ms); });
  std::vector<std::string> nodes, ops, implementations;
  for (const Plan::StepInfo& step : plan.steps()) {
    nodes.push_back(step.node);
    ops.push_back(step.op + step.epilogue);
    implementations.push_back(step.implementation);
  }
  Json json = steps_json(nodes, ops, implementations, t);
  json["arena_bytes"] = plan.memory_plan().arena_bytes;
  t.named = by_name(plan.graph(), t.outputs);
  return json;
}

}  // namespace profile_detail

// The profile, or null when neither --inputs nor --profile asks for one. `imported` is the graph
// as imported (before --batch).
inline Json profile_json(const Graph& imported, const opt::Pipeline& pipeline,
                         const PipelineFlags& pipeline_flags, const ProfileFlags& flags) {
  using namespace profile_detail;
  if (flags.inputs.empty() && !flags.profile) return nullptr;
  const Backend backend = chosen_backend(flags.backend);
  const NamedTensors given = read_inputs(flags.inputs);
  const std::int64_t batch = pipeline_flags.batch > 0 ? pipeline_flags.batch : 1;
  const NamedTensors feeds = bench_feeds(imported, given, batch);
  const Graph graph = with_fed_shapes(imported, feeds);

  Json inputs = Json::array();
  for (const auto& [name, tensor] : feeds) {
    inputs.push_back({{"name", name},
                      {"type", std::string(dtype_name(tensor.dtype())) + tensor.shape().str()},
                      {"source", given.count(name) ? "file" : "generated"}});
  }
  Timed eager, optimized;
  Json json = {{"backend", backend_name(backend)},
               {"threads", detail::threads_used(backend, flags.threads)},
               {"runs", flags.runs},
               {"inputs", inputs}};
  json["eager"] = eager_json(graph, feeds, flags, backend, eager);
  json["optimized"] = optimized_json(graph, pipeline, feeds, flags, backend, optimized);
  json["max_abs_difference"] = detail::max_abs_difference(eager.named, optimized.named);

  Json left_out = Json::array();
  std::vector<std::string> done;
  for (const opt::Pass& pass : pipeline) {
    if (std::find(done.begin(), done.end(), pass.name) != done.end()) continue;
    done.push_back(pass.name);
    opt::Pipeline without;
    for (const opt::Pass& p : pipeline) {
      if (p.name != pass.name) without.push_back(p);
    }
    try {
      Timed t;
      const Json run = optimized_json(graph, without, feeds, flags, backend, t);
      left_out.push_back({{"pass", pass.name},
                          {"median_ms", run["median_ms"]},
                          {"arena_bytes", run["arena_bytes"]},
                          {"steps", run["steps"]},
                          {"max_abs_difference",
                           detail::max_abs_difference(t.named, optimized.named)}});
    } catch (const Error& e) {  // some models need a pass to know their shapes
      left_out.push_back({{"pass", pass.name}, {"error", e.what()}});
    }
  }
  json["leave_one_out"] = left_out;
  return json;
}

}  // namespace kiln::cli
