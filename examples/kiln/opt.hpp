// `kiln opt`: run Kiln's optimizer on a model and watch it work, pass by pass.
//
//   kiln opt MODEL                          one statistics line per pass, then a summary
//   kiln opt MODEL --print-ir-after-change  the IR after every pass that changed it
//   kiln opt MODEL --json                   the pipeline report for scripts, nothing else
//
// The pipeline is a level (-O2 by default) or a list of pass names (--passes); its first line of
// output names the passes it runs, as compile() runs them at that level. The graph keeps the
// shapes the model declares (a batch of ?), and the memory plan, made from the final graph, takes
// every unknown dimension as 1. With --batch N the inputs are given a batch of N (other unknown
// dimensions 1) before the first pass, as compile() gives them the shapes of the inputs it runs
// on: shape computations then fold, and an RNN's loop sees the shapes it runs with. The
// verifier runs on the input and after every pass, whatever the flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <kiln/optimizer/optimizer.hpp>

#include "levels.hpp"
#include "model_graph.hpp"
#include "report_json.hpp"

namespace kiln::cli {

struct OptFlags {
  ModelFlags model;
  std::string passes;               // empty: the level's pipeline
  std::vector<std::string> levels;  // the values of -O
  std::int64_t batch = 0;           // 0: unknown dimensions are planned as 1
  bool print_ir_before_all = false, print_ir_after_all = false, print_ir_after_change = false;
  bool stats = false, timing = false, json = false;
  std::string dot_dir, memory_plan;
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
  add_level_flag(*opt, flags.levels);
  opt->add_option("--passes", flags.passes,
                  "the pipeline as pass names, e.g. fold-constants,simplify,fuse\n"
                  "(fuse: the group of O2's fusion passes)")
      ->type_name("LIST");
  opt->add_option("--batch", flags.batch,
                  "optimize and plan for a batch of N (default: the declared shapes)")
      ->type_name("N")
      ->check(in_range(1, 999999999));
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
  opt->add_flag("--json", flags.json,
                "the pipeline report as JSON on stdout; other output goes to stderr");
  opt->footer(passes_help());
  return opt;
}

namespace opt_detail {

inline opt::Pipeline chosen_pipeline(const OptFlags& flags) {
  if (flags.passes.empty()) return opt::pipeline_for_level(chosen_level(flags.levels));
  if (!flags.levels.empty()) {
    throw UsageError(
        Error(Errc::invalid_argument, "give --passes or a level (-O0, -O1, -O2), not both"));
  }
  return from_command_line([&] { return opt::parse_pipeline(flags.passes); });
}

// --batch N: every input whose first dimension is unknown is planned with N there (its other
// unknown dimensions stay at MemoryPlanRequest::unknown_dim_default).
inline void plan_for_batch(const Graph& graph, std::int64_t batch,
                           opt::MemoryPlanRequest& options) {
  for (const Graph::Port& port : graph.inputs()) {
    const Shape& declared = graph.type_of(port.value).shape;
    if (!declared.has_rank() || declared.rank() == 0 || declared.dim(0) != kUnknownDim) continue;
    std::vector<std::int64_t> dims = declared.dims();
    for (std::int64_t& d : dims) d = d == kUnknownDim ? options.unknown_dim_default : d;
    dims[0] = batch;
    options.input_shapes[port.name] = Shape(dims);
  }
  if (options.input_shapes.empty()) {
    throw Error(Errc::invalid_argument, "--batch: no input has an unknown batch dimension");
  }
}

// "image [1,8,8,1]": what each input was planned for.
inline std::string planned_inputs(const Graph& graph, const opt::MemoryPlanRequest& options) {
  std::string text;
  for (const Graph::Port& port : graph.inputs()) {
    text += (text.empty() ? "" : ", ") + port.name + " " +
            opt::planned_input_shape(graph, port, options).str();
  }
  return text;
}

// What the memory plan's picture is titled: the model's name, not where it sits on this disk
// ("digits_cnn" for models/digits_cnn/saved_model, "model" for frozen/model.pb).
inline std::string model_title(const std::string& path) {
  std::filesystem::path p = std::filesystem::path(path).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  if (p.filename() == "saved_model" && p.has_parent_path()) p = p.parent_path();
  return std::filesystem::is_directory(path) ? p.filename().string() : p.stem().string();
}

inline std::string signed_delta(long long before, long long after) {
  return (after >= before ? "+" : "") + std::to_string(after - before);
}

}  // namespace opt_detail

inline int opt(const OptFlags& flags) {
  using namespace opt_detail;
  if (flags.print_ir_after_all && flags.print_ir_after_change) {
    throw UsageError(Error(Errc::invalid_argument,
                           "give --print-ir-after-all or --print-ir-after-change, not both"));
  }
  const opt::Pipeline pipeline = chosen_pipeline(flags);
  Graph graph = graph_from_flags(flags.model);

  opt::PassManager manager(pipeline);
  opt::MemoryPlanRequest memory_request;
  if (flags.batch > 0) {
    plan_for_batch(graph, flags.batch, memory_request);
    for (const Graph::Port& port : graph.inputs()) {
      auto it = memory_request.input_shapes.find(port.name);
      if (it != memory_request.input_shapes.end()) graph.node(port.value.node).attrs["shape"] = it->second;
    }
    opt::infer_types_with_values(graph);
  }

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
