// `kiln report`: the whole compilation of a model on one self-contained HTML page.
//
//   kiln report MODEL -o report.html [-O2 | --passes LIST] [--batch N] [--page-nodes N]
//               [--profile | --inputs x=x.npy,...] [--runs R] [--backend B] [--threads T]
//
// The page shows the graph before the first pass and after every pass as pictures you can pan,
// zoom and click (laid out here, by report_layout.hpp: no Graphviz needed to view it; loop and
// branch bodies open as graphs of their own), what each pass removed, folded or fused, the IR
// text of every stage with its diff against the stage before, the passes' statistics and
// timings, and the memory plan beside its lower bound and the naive size. With --inputs or
// --profile it also runs the model: a per-op profile of the eager and the optimized runs, and
// what each pass buys (report_profile.hpp).
//
// The parts, one job each: report_stages.hpp keeps the graph of every stage, report_diff.hpp
// says what a pass changed, report_layout.hpp places nodes, report_graph_json.hpp and
// report_page_data.hpp turn it all into the page's data, report_html.hpp makes the page from
// the files in report/ (page.html, report.css, report.js).
//
// An address can open the page at a pass, a side and a node: report.html#stage=12&side=before
// &node=NAME (&view=ir|passes|memory|profile for another tab).
//
// It runs what `kiln opt` runs (the same pipelines, --batch and memory plan), with one more
// instrument that keeps every stage (report_stages.hpp).
#pragma once

#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <kiln/optimizer/optimizer.hpp>

#include "model_graph.hpp"
#include "pipeline_flags.hpp"
#include "report_html.hpp"
#include "report_page_data.hpp"
#include "report_profile.hpp"
#include "report_stages.hpp"

namespace kiln::cli {

struct ReportFlags {
  ModelFlags model;
  PipelineFlags pipeline;  // -O, --passes, --batch
  std::string output;      // -o
  int page_nodes = 250;    // graphs larger than this are drawn a band of layers at a time
  ProfileFlags profile;    // --inputs, --profile, --runs, --backend, --threads
};

inline CLI::App* add_report_command(CLI::App& kiln, ReportFlags& flags) {
  CLI::App* report = kiln.add_subcommand(
      "report", "one self-contained HTML page showing the whole compilation of a model");
  add_model_flags(*report, flags.model, "signature to show (default serving_default)");
  add_outputs_flag(*report, flags.model);
  report->add_option("-o,--output", flags.output, "the HTML file to write")
      ->type_name("FILE")
      ->required();
  add_pipeline_flags(*report, flags.pipeline);
  report->add_option("--page-nodes", flags.page_nodes,
                     "draw larger graphs a band of layers at a time, about N nodes per band")
      ->type_name("N")
      ->check(in_range(10, 100000))
      ->capture_default_str();
  add_profile_flags(*report, flags.profile);
  report->footer(
      "The page needs no network and no Graphviz: open it in any browser. Graphs are laid out\n"
      "by Kiln; large ones are shown a page of layers at a time.");
  return report;
}

inline int report(const ReportFlags& flags) {
  const opt::Pipeline pipeline = chosen_pipeline(flags.pipeline);
  chosen_backend(flags.profile.backend);  // a wrong --backend is wrong even without --profile
  const Graph imported = graph_from_flags(flags.model);
  Graph graph = imported;
  const opt::MemoryPlanRequest memory_request = apply_batch(graph, flags.pipeline);

  auto stages = std::make_shared<StageRecorder>();
  opt::PassManager manager(pipeline);
  manager.add_instrument(stages);
  manager.add_instrument(std::make_shared<opt::VerifyEach>());
  opt::PipelineReport run = manager.run(graph);
  const opt::PlannedMemory planned = opt::plan_memory(graph, memory_request);
  run.memory = planned.plan;

  PageInputs page;
  page.title = model_title(flags.model.path);
  page.pipeline = pipeline;
  page.stages = &stages->stages();
  page.report = &run;
  page.memory_request = memory_request;
  page.page_nodes = flags.page_nodes;
  page.planned_for = planned.plan ? planned_inputs(graph, memory_request) : planned.why_none;
  page.profile = profile_json(imported, pipeline, flags.pipeline, flags.profile);

  std::ofstream out(flags.output);
  out << report_html(page_data(page));
  if (!out) throw Error(Errc::io_error, "cannot write the report").file(flags.output);
  std::cout << "wrote " << flags.output << ": " << stages->stages().size() << " stages, "
            << imported.size() << " -> " << graph.size() << " nodes\n";
  for (const std::string& failure : run.failures()) std::cerr << "kiln: " << failure << "\n";
  return run.failures().empty() ? 0 : 1;
}

}  // namespace kiln::cli
