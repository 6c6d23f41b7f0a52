// `kiln opt`: run Kiln's optimizer on a model and watch it work, pass by pass.
//
//   kiln opt MODEL                          one statistics line per pass, then a summary
//   kiln opt MODEL --print-ir-after-change  the IR after every pass that changed it
//   kiln opt MODEL --json                   the pipeline report for scripts, nothing else
//
// The pipeline is a level (-O2 by default) or a list of pass names (--passes); its first line of
// output names the passes it runs, as compile() runs them at that level. The graph keeps the
// shapes the model declares (a batch of ?); the memory plan, made from the final graph, is for
// the declared shapes with every unknown dimension taken as 1, or for a batch of N with
// --batch N. The verifier runs on the input and after every pass, whatever the flags.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <kiln/optimizer/optimizer.hpp>

#include "levels.hpp"
#include "model_graph.hpp"

namespace kiln::cli {

inline const char* const kOptUsage =
    "usage: kiln opt DIR|GRAPH.pb [--signature_def S] [--tag_set T] [--outputs node[:k],...]\n"
    "                [--passes LIST | -O0 | -O1 | -O2] [--batch N]\n"
    "                [--print-ir-before-all] [--print-ir-after-all | --print-ir-after-change]\n"
    "                [--stats] [--timing] [--dot-dir D] [--memory-plan plan.svg] [--json]\n"
    "\n"
    "  -O0, -O1, -O2     the pipeline of a level (default -O2)\n"
    "  --passes LIST     the pipeline as pass names, e.g. fold-constants,simplify,fuse\n"
    "                    (fuse: the group of O2's fusion passes)\n"
    "  --batch N         plan memory for a batch of N (default: unknown sizes are 1)\n"
    "  --print-ir-...    the IR before every pass, after every pass, or after those that\n"
    "                    changed it\n"
    "  --stats           one line per pass and a summary (the default output)\n"
    "  --timing          wall time per pass\n"
    "  --dot-dir D       a Graphviz file per pass in D (00-input.dot, 01-fold-constants.dot, ..)\n"
    "  --memory-plan F   the memory plan as an SVG picture\n"
    "  --json            the pipeline report as JSON on stdout; other output goes to stderr\n";

// The usage, then every pass with its one-line summary.
inline std::string opt_help() {
  std::string text = std::string(kOptUsage) + "\npasses:\n";
  for (const opt::Pass& pass : opt::all_passes()) {
    text += "  " + pass.name + std::string(pass.name.size() < 16 ? 16 - pass.name.size() : 1, ' ') +
            pass.summary + "\n";
  }
  return text;
}

// Parses `kiln opt`'s command line (argv[first] onwards).
inline Args opt_args(int argc, char** argv, int first) {
  return args_with_levels(
      argc, argv, first,
      {"tag_set", "signature_def", "outputs", "passes", "batch", "dot-dir", "memory-plan"},
      {"print-ir-before-all", "print-ir-after-all", "print-ir-after-change", "stats", "timing",
       "json", "help", "h"});
}

namespace opt_detail {

inline opt::Pipeline chosen_pipeline(const Args& args) {
  if (!args.has("passes")) return opt::pipeline_for_level(chosen_level(args));
  if (has_level_flag(args)) {
    throw Error(Errc::invalid_argument, "give --passes or a level (-O0, -O1, -O2), not both");
  }
  return opt::parse_pipeline(args.get("passes"));
}

// --batch N: every input whose first dimension is unknown is planned with N there (its other
// unknown dimensions stay at MemoryPlanRequest::unknown_dim_default).
inline void plan_for_batch(const Graph& graph, const std::string& text,
                           opt::MemoryPlanRequest& options) {
  const bool digits = !text.empty() && text.size() <= 9 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  const std::int64_t batch = digits ? std::atoll(text.c_str()) : 0;
  if (batch <= 0) {
    throw Error(Errc::invalid_argument, "--batch takes a positive number").found(text);
  }
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

inline int opt(const Args& args) {
  using namespace opt_detail;
  if (args.has("help") || args.has("h")) {
    std::cout << opt_help();
    return 0;
  }
  if (args.positional().size() != 1) throw Error(Errc::invalid_argument, opt_help());
  if (args.has("print-ir-after-all") && args.has("print-ir-after-change")) {
    throw Error(Errc::invalid_argument,
                "give --print-ir-after-all or --print-ir-after-change, not both");
  }
  const opt::Pipeline pipeline = chosen_pipeline(args);
  Graph graph = graph_from_args(args);

  opt::PassManager manager(pipeline);
  opt::MemoryPlanRequest memory_request;
  if (args.has("batch")) plan_for_batch(graph, args.get("batch"), memory_request);

  // With --json, stdout carries the JSON only: everything meant for people goes to stderr.
  const bool json = args.has("json");
  std::ostream& text = json ? std::cerr : std::cout;
  text << "pipeline: " << opt::pipeline_text(pipeline) << "\n";
  const bool before = args.has("print-ir-before-all");
  const bool after_all = args.has("print-ir-after-all");
  const bool after_change = args.has("print-ir-after-change");
  if (before || after_all || after_change) {
    opt::PrintIR::Options print;
    print.before = before;
    print.after = after_all      ? opt::PrintIR::After::all
                  : after_change ? opt::PrintIR::After::changed
                                 : opt::PrintIR::After::never;
    manager.add_instrument(std::make_shared<opt::PrintIR>(text, print));
  }
  // Statistics are what `kiln opt` prints when no other output is asked for.
  const bool stats = args.has("stats") || !(before || after_all || after_change ||
                                            args.has("timing") || json);
  if (stats) manager.add_instrument(std::make_shared<opt::PassStatistics>(text, true));
  if (args.has("timing")) manager.add_instrument(std::make_shared<opt::PassTiming>(text));
  if (args.has("dot-dir")) {
    manager.add_instrument(std::make_shared<opt::DotDump>(args.get("dot-dir")));
  }
  // Last, so that the dumps above still show a graph that a pass broke.
  manager.add_instrument(std::make_shared<opt::VerifyEach>());

  const std::size_t nodes_before = graph.size();
  opt::PipelineReport report = manager.run(graph);
  // The memory plan is an analysis of the final graph, not a pass.
  const opt::PlannedMemory planned = opt::plan_memory(graph, memory_request);
  report.memory = planned.plan;

  if (args.has("memory-plan")) {
    if (!report.memory) {
      throw Error(Errc::invalid_argument, "no memory plan to draw: " + planned.why_none);
    }
    const std::string file = args.get("memory-plan");
    std::ofstream out(file);
    out << opt::memory_plan_svg(*report.memory, model_title(args.positional()[0]));
    if (!out) throw Error(Errc::io_error, "cannot write the memory plan").file(file);
  }

  if (json) std::cout << report.to_json();
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
    } else {
      text << "no memory plan: " << planned.why_none << "\n";
    }
  }
  if (args.has("dot-dir")) {
    text << "wrote " << pipeline.size() + 1 << " DOT files to " << args.get("dot-dir") << "\n";
  }
  if (args.has("memory-plan")) text << "wrote " << args.get("memory-plan") << "\n";

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
