// `kiln opt`: run Kiln's optimizer on a model and watch it work, pass by pass.
//
//   kiln opt MODEL                          one statistics line per pass, then a summary
//   kiln opt MODEL --print-ir-after-change  the IR after every pass that changed it
//   kiln opt MODEL --json                   the pipeline report for scripts, nothing else
//   kiln opt MODEL --backend cuda           also: which steps of the plan fall back to the host
//
// The pipeline is a level (-O2 by default) or a list of pass names (--passes); its first line of
// output names the passes it runs, as compile() runs them at that level. The graph keeps the
// shapes the model declares (a batch of ?), and the memory plan, made from the final graph, takes
// every unknown dimension as 1. With --batch N the inputs are given a batch of N (other unknown
// dimensions 1) before the first pass, as compile() gives them the shapes of the inputs it runs
// on: shape computations then fold, and an RNN's loop sees the shapes it runs with. The
// verifier runs on the input and after every pass, whatever the flags.
#pragma once

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <kiln/optimizer/optimizer.hpp>
#include <kiln/plan.hpp>

#include "model_graph.hpp"
#include "pipeline_flags.hpp"
#include "report_json.hpp"

namespace kiln::cli {

struct OptFlags {
  ModelFlags model;
  PipelineFlags pipeline;  // -O, --passes, --batch
  bool print_ir_before_all = false, print_ir_after_all = false, print_ir_after_change = false;
  bool stats = false, timing = false, json = false;
  std::string dot_dir, memory_plan;
  std::string backend;  // list the plan's fallbacks on this backend ("": no plan is made)
};

// Every pass with its one-line summary, for the end of `kiln opt --help`.
inline std::string passes_help() {
  std::string text = "passes:\n";
  for (const opt::Pass& pass : opt::all_passes()) {
    text += "  " + pass.name + std::string(pass.name.size() < 16 ? 16 - pass.name.size() : 1, ' ') +
            pass.summary + "\n";
  }
  return text;
}

inline CLI::App* add_opt_command(CLI::App& kiln, OptFlags& flags) {
  CLI::App* opt = kiln.add_subcommand(
      "opt", "optimize a model pass by pass: statistics, IR dumps, DOT files, memory plan");
  add_model_flags(*opt, flags.model, "signature to optimize (default serving_default)");
  add_outputs_flag(*opt, flags.model);
  add_pipeline_flags(*opt, flags.pipeline);
  opt->add_flag("--print-ir-before-all", flags.print_ir_before_all, "the IR before every pass");
  opt->add_flag("--print-ir-after-all", flags.print_ir_after_all, "the IR after every pass");
  opt->add_flag("--print-ir-after-change", flags.print_ir_after_change,
                "the IR after every pass that changed it");
  opt->add_flag("--stats", flags.stats, "one line per pass and a summary (the default output)");
  opt->add_flag("--timing", flags.timing, "wall time per pass");
  opt->add_option("--dot-dir", flags.dot_dir,
                  "a Graphviz file per pass in D (00-input.dot, 01-fold-constants.dot, ..)")
      ->type_name("D");
  opt->add_option("--memory-plan", flags.memory_plan, "the memory plan as an SVG picture")
      ->type_name("F");
  opt->add_option("--backend", flags.backend,
                  "make the plan for backend B too (as the memory plan's shapes) and list the "
                  "steps that fall back to the reference kernels (on the host, for cuda)")
      ->type_name("B");
  opt->add_flag("--json", flags.json,
                "the pipeline report as JSON on stdout; other output goes to stderr");
  opt->footer(passes_help());
  return opt;
}

namespace opt_detail {

inline std::string signed_delta(long long before, long long after) {
  return (after >= before ? "+" : "") + std::to_string(after - before);
}

// The plan of the optimized graph on `backend`, with the memory plan's input shapes, and its
// steps that fall back: what a compile for that backend would run where. Making a plan needs no
// device, so this works for cuda on any machine.
inline void print_fallbacks(std::ostream& text, const Graph& graph,
                            const opt::MemoryPlanRequest& request, const Backend& backend) {
  Graph concrete = graph;
  for (const Graph::Port& port : graph.inputs()) {
    Node& node = concrete.node(port.value.node);
    if (node.has_attr("shape")) node.attrs["shape"] = opt::planned_input_shape(graph, port, request);
  }
  opt::infer_types_with_values(concrete);
  PlanOptions options;
  options.backend = backend;
  options.threads = 1;
  const Plan plan(std::move(concrete), options);
  text << "backend '" << backend_name(backend) << "': " << plan.steps().size() << " steps, "
       << plan.fallback_count() << " on reference kernels";
  if (find_backend(backend.name())->device.present()) {
    text << " on the host (" << plan.copy_count() << " host-device copies per run)";
  }
  text << "\n";
  for (const Plan::StepInfo& s : plan.steps()) {
    if (s.fallback) text << "  " << s.node << " (" << s.op << "): " << s.implementation << "\n";
  }
}

}  // namespace opt_detail

inline int opt(const OptFlags& flags) {
  using namespace opt_detail;
  if (flags.print_ir_after_all && flags.print_ir_after_change) {
    throw UsageError(Error(Errc::invalid_argument,
                           "give --print-ir-after-all or --print-ir-after-change, not both"));
  }
  const opt::Pipeline pipeline = chosen_pipeline(flags.pipeline);
  std::optional<Backend> backend;  // a backend this program lacks is bad usage, before any work
  if (!flags.backend.empty()) backend = chosen_backend(flags.backend);
  Graph graph = graph_from_flags(flags.model);

  opt::PassManager manager(pipeline);
  const opt::MemoryPlanRequest memory_request = apply_batch(graph, flags.pipeline);

  // With --json, stdout carries the JSON only: everything meant for people goes to stderr.
  const bool json = flags.json;
  std::ostream& text = json ? std::cerr : std::cout;
  text << "pipeline: " << opt::pipeline_text(pipeline) << "\n";
  const bool before = flags.print_ir_before_all;
  const bool after_all = flags.print_ir_after_all;
  const bool after_change = flags.print_ir_after_change;
  if (before || after_all || after_change) {
    opt::PrintIR::Options print;
    print.before = before;
    print.after = after_all      ? opt::PrintIR::After::all
                  : after_change ? opt::PrintIR::After::changed
                                 : opt::PrintIR::After::never;
    manager.add_instrument(std::make_shared<opt::PrintIR>(text, print));
  }
  // Statistics are what `kiln opt` prints when no other output is asked for.
  const bool stats =
      flags.stats || !(before || after_all || after_change || flags.timing || json);
  if (stats) manager.add_instrument(std::make_shared<opt::PassStatistics>(text, true));
  if (flags.timing) manager.add_instrument(std::make_shared<opt::PassTiming>(text));
  if (!flags.dot_dir.empty()) manager.add_instrument(std::make_shared<opt::DotDump>(flags.dot_dir));
  // Last, so that the dumps above still show a graph that a pass broke.
  manager.add_instrument(std::make_shared<opt::VerifyEach>());

  const std::size_t nodes_before = graph.size();
  opt::PipelineReport report = manager.run(graph);
  // The memory plan is an analysis of the final graph, not a pass.
  const opt::PlannedMemory planned = opt::plan_memory(graph, memory_request);
  report.memory = planned.plan;

  if (!flags.memory_plan.empty()) {
    if (!report.memory) {
      throw Error(Errc::invalid_argument, "no memory plan to draw: " + planned.why_none);
    }
    const std::string& file = flags.memory_plan;
    std::ofstream out(file);
    out << opt::memory_plan_svg(*report.memory, model_title(flags.model.path));
    if (!out) throw Error(Errc::io_error, "cannot write the memory plan").file(file);
  }

  if (json) std::cout << json_text(report_json(report));
  if (stats) {
    const auto b = static_cast<long long>(nodes_before);
    const auto a = static_cast<long long>(graph.size());
    text << "total: " << b << " -> " << a << " nodes (" << signed_delta(b, a) << "), "
         << report.passes.size() << " passes, " << opt::report_detail::milliseconds(report.total_ms)
         << "\n";
    if (report.memory) {
      text << "memory plan for " << planned_inputs(graph, memory_request) << ": arena "
           << opt::format_bytes(report.memory->arena_bytes) << ", lower bound "
           << opt::format_bytes(report.memory->lower_bound_bytes) << ", naive "
           << opt::format_bytes(report.memory->naive_bytes) << "\n";
      // Nodes whose shapes the data decides: outside the arena, sized when they run.
      for (const opt::DynamicStep& d : report.memory->dynamic) {
        text << "dynamic step " << graph.node(d.node).name << " (" << graph.node(d.node).op
             << "): " << d.why << "\n";
      }
    } else {
      text << "no memory plan: " << planned.why_none << "\n";
    }
  }
  if (backend) {
    if (!report.memory) throw Error(Errc::invalid_argument, "no plan to make: " + planned.why_none);
    print_fallbacks(text, graph, memory_request, *backend);
  }
  if (!flags.dot_dir.empty()) {
    text << "wrote " << pipeline.size() + 1 << " DOT files to " << flags.dot_dir << "\n";
  }
  if (!flags.memory_plan.empty()) text << "wrote " << flags.memory_plan << "\n";

  // A pass that threw was undone and the run went on; the command still says it went wrong.
  for (const opt::PassRecord& r : report.passes) {
    if (!r.failure.empty()) {
      std::cerr << "kiln: pass '" << r.name << "' failed and was undone: " << r.failure << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace kiln::cli
