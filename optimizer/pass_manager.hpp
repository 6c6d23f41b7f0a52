// The pass manager: runs a pipeline of passes over a graph, with instruments around every pass,
// and returns what happened as data (a PipelineReport) for tools and scripts.
//
//   opt::PassManager pm(opt::pipeline_for_level("O2"));       // or parse_pipeline("simplify,fuse")
//   pm.add_instrument(std::make_shared<opt::PassStatistics>(std::cout));
//   opt::PipelineReport report = pm.run(graph);  // data: report.passes, report.memory
//
// Runs are deterministic: passes are pure functions of the graph and the options, and iterate in
// node order. A pass that throws despite the rule that passes never abort is undone (the graph
// is restored from a snapshot), so one bug cannot corrupt a model; then, as the manager's
// OnPassFailure says, the run either stops with a kiln::Error naming the pass, or records the
// failure in the report and goes on with the unchanged graph (or, for a caller that discards
// the graph on failure, stops without undoing). The VerifyEach instrument catches
// passes that return a broken graph.
#pragma once

#include <chrono>
#include <exception>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "memory_plan.hpp"
#include "pass.hpp"

namespace kiln::opt {

// What a pass manager does when a pass throws (after restoring the graph from before it).
enum class OnPassFailure {
  fail,               // throw a kiln::Error that names the pass
  undo_and_continue,  // record the failure in the PassRecord and run the next pass
  // Throw without undoing, for a caller that drops the graph when a pass fails (compile()'s
  // own copy). No snapshot then shares the constants, so a pass may reuse the memory of one it
  // replaces: fold-affine scales weights in place when nothing else holds them.
  fail_and_discard,
};

// What one run of one pass did.
struct PassRecord {
  std::string name;
  std::size_t index = 0;  // position in the pipeline
  std::size_t nodes_before = 0;
  std::size_t nodes_after = 0;
  double ms = 0;
  PassResult result;
  std::string failure;  // non-empty when the pass threw and was undone
};

namespace report_detail {

inline std::string milliseconds(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, ms < 0.1 ? "%.2f ms" : "%.1f ms", ms);
  return text;
}

}  // namespace report_detail

// "fold-constants: 427 -> 165 nodes (-262), 3 folded subgraphs, 0.8 ms". Counts that stayed at
// zero are left out of the line (the JSON has them all); byte sizes are always shown.
inline std::string stats_line(const PassRecord& record) {
  const long long before = static_cast<long long>(record.nodes_before);
  const long long after = static_cast<long long>(record.nodes_after);
  const long long delta = after - before;
  std::string line = record.name + ": " + std::to_string(before) + " -> " + std::to_string(after) +
                     " nodes (" + (delta < 0 ? "" : "+") + std::to_string(delta) + ")";
  for (const Statistic& s : record.result.stats) {
    if (s.unit == StatUnit::bytes)
      line += ", " + s.name + " " + format_bytes(s.value);
    else if (s.value != 0)
      line += ", " + std::to_string(s.value) + " " + s.name;
  }
  line += ", " + report_detail::milliseconds(record.ms);
  if (!record.failure.empty()) line += ", FAILED and undone: " + record.failure;
  return line;
}

// Everything a pipeline run did, pass by pass, and the memory plan if the caller made one for
// the final graph (plan_memory.hpp).
struct PipelineReport {
  std::vector<PassRecord> passes;
  std::optional<MemoryPlan> memory;
  double total_ms = 0;

  // "pass 'fuse-epilogue' failed and was undone: ...", one per pass that threw.
  std::vector<std::string> failures() const {
    std::vector<std::string> lines;
    for (const PassRecord& r : passes) {
      if (!r.failure.empty()) {
        lines.push_back("pass '" + r.name + "' failed and was undone: " + r.failure);
      }
    }
    return lines;
  }

  // One stats_line() per pass.
  std::string stats_text() const {
    std::string text;
    for (const PassRecord& r : passes) text += stats_line(r) + "\n";
    return text;
  }
};

// Something that watches a pipeline run: printing, timing, verifying, drawing. Instruments see
// the graph between passes but never change it; they may throw (VerifyEach does) to stop a run.
class Instrument {
 public:
  virtual ~Instrument() = default;
  virtual void before_pipeline(const Pipeline&, const Graph&) {}
  virtual void before_pass(const Pass&, const Graph&) {}
  virtual void after_pass(const Pass&, const Graph&, const PassRecord&) {}
  virtual void after_pipeline(const Graph&, const PipelineReport&) {}
};

class PassManager {
 public:
  explicit PassManager(Pipeline pipeline, PassOptions options = {})
      : pipeline_(std::move(pipeline)), options_(std::move(options)) {}

  PassOptions& options() { return options_; }
  const Pipeline& pipeline() const { return pipeline_; }

  // Undo and continue by default: `kiln opt` shows what every pass did, then fails.
  PassManager& on_failure(OnPassFailure policy) {
    on_failure_ = policy;
    return *this;
  }

  PassManager& add_instrument(std::shared_ptr<Instrument> instrument) {
    instruments_.push_back(std::move(instrument));
    return *this;
  }

  // Runs every pass in order on `graph`, which is rewritten in place.
  PipelineReport run(Graph& graph) const {
    using clock = std::chrono::steady_clock;
    PipelineReport report;
    PassContext context;
    context.options = options_;
    for (const auto& i : instruments_) i->before_pipeline(pipeline_, graph);
    for (std::size_t k = 0; k < pipeline_.size(); ++k) {
      const Pass& pass = pipeline_[k];
      for (const auto& i : instruments_) i->before_pass(pass, graph);
      PassRecord record;
      record.name = pass.name;
      record.index = k;
      record.nodes_before = graph.size();
      std::optional<Graph> snapshot;  // cheap: constants are shared handles
      if (on_failure_ != OnPassFailure::fail_and_discard) snapshot = graph;
      const auto start = clock::now();
      try {
        record.result = pass.run(graph, context);
        run_in_regions(pass, graph, context, record.result);
      } catch (const std::exception& e) {
        if (on_failure_ == OnPassFailure::fail_and_discard) throw failure_of(pass, e);
        graph = std::move(*snapshot);
        if (on_failure_ == OnPassFailure::fail) throw failure_of(pass, e);
        record.result = PassResult{};
        record.failure = e.what();
      }
      record.ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
      record.nodes_after = graph.size();
      report.total_ms += record.ms;
      report.passes.push_back(record);
      for (const auto& i : instruments_) i->after_pass(pass, graph, report.passes.back());
    }
    for (const auto& i : instruments_) i->after_pipeline(graph, report);
    return report;
  }

 private:
  // A pass rewrites the bodies of loops and branches as it rewrites the graph: each region is a
  // graph of its own and gets the same pass (and its regions theirs). Counts add up in the
  // pass's statistics, and a note says how each body it changed shrank or grew.
  static void run_in_regions(const Pass& pass, Graph& graph, PassContext& context, PassResult& total) {
    for (std::size_t id = 0; id < graph.size(); ++id) {
      Node& node = graph.node(static_cast<NodeId>(id));
      for (std::size_t r = 0; r < node.regions.size(); ++r) {
        const std::string where = node.name + "/" + ops::control_flow::region_role(node, r);
        Graph region = *node.regions[r];
        const std::size_t before = region.size();
        PassResult inner;
        try {
          inner = pass.run(region, context);
          run_in_regions(pass, region, context, inner);
        } catch (Error& e) {
          e.within(node.name, ops::control_flow::region_role(node, r));
          throw;
        }
        bool changed = region.size() != before;
        for (const Statistic& s : inner.stats) {
          if (s.unit == StatUnit::bytes) {
            total.bytes(s.name, total.stat(s.name) + s.value);
          } else {
            total.count(s.name, s.value);
            changed = changed || s.value != 0;
          }
        }
        for (const std::string& note : inner.notes) total.note(where + ": " + note);
        if (changed) {
          total.note(where + ": " + std::to_string(before) + " -> " + std::to_string(region.size()) + " nodes");
        }
        node.regions[r] = std::make_shared<const Graph>(std::move(region));
      }
    }
  }

  // The error a failing pass stops the run with: the pass's name, then what it threw.
  static Error failure_of(const Pass& pass, const std::exception& e) {
    const std::string prefix = "optimizer pass '" + pass.name + "' failed: ";
    if (const auto* error = dynamic_cast<const Error*>(&e)) {
      return Error(error->code(), prefix + error->message(), error->context());
    }
    return Error(Errc::internal, prefix + e.what());
  }

  Pipeline pipeline_;
  PassOptions options_;
  OnPassFailure on_failure_ = OnPassFailure::undo_and_continue;
  std::vector<std::shared_ptr<Instrument>> instruments_;
};

}  // namespace kiln::opt
