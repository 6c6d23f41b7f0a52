// The graph at every stage of a pipeline run, for `kiln report`: an instrument that keeps a copy
// of the graph before the first pass and after each pass (copies are cheap: constants are
// shared handles), with its IR text.
#pragma once

#include <string>
#include <vector>

#include <kiln/core/print.hpp>
#include <kiln/optimizer/pass_manager.hpp>

namespace kiln::cli {

struct Stage {
  std::string title;  // "input", or the pass that made it
  Graph graph;
  std::string ir;     // print_graph(graph)
};

class StageRecorder : public opt::Instrument {
 public:
  void before_pipeline(const opt::Pipeline&, const Graph& graph) override {
    stages_.push_back({"input", graph, print_graph(graph)});
  }
  void after_pass(const opt::Pass& pass, const Graph& graph, const opt::PassRecord&) override {
    stages_.push_back({pass.name, graph, print_graph(graph)});
  }

  // stages()[0] is the input, stages()[k] the graph after pass k.
  const std::vector<Stage>& stages() const { return stages_; }

 private:
  std::vector<Stage> stages_;
};

}  // namespace kiln::cli
