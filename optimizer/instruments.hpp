// Instruments: how a learner (or a bug hunter) watches the optimizer work. Each wraps every pass
// of a pipeline and writes to the stream or directory it is given; passes never print.
//
//   PrintIR         the IR before and/or after each pass (all passes, or those that changed
//                   something), each dump headed "// -----// IR Dump After <pass> //----- //"
//                   as MLIR heads its dumps
//   PassStatistics  one line per pass: "fold-constants: 427 -> 165 nodes (-262), 3 folded
//                   subgraphs, 0.8 ms", optionally followed by the pass's notes
//   PassTiming      a table of wall time per pass after the pipeline
//   VerifyEach      runs the verifier on the input and after every pass; throws naming the
//                   pass that broke the graph
//   DotDump         a Graphviz file per pass: 00-input.dot, 01-fold-constants.dot, ...
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

#include <kiln/core/dot.hpp>
#include <kiln/core/print.hpp>
#include <kiln/core/verify.hpp>

#include "pass_manager.hpp"

namespace kiln::opt {

class PrintIR : public Instrument {
 public:
  enum class After { never, all, changed };
  struct Options {
    bool before = false;       // dump the graph before every pass
    After after = After::all;  // and after: every pass, or those that changed it
    PrintOptions print;        // what print_graph shows
  };

  static std::shared_ptr<PrintIR> after_all(std::ostream& os) {
    return make(os, false, After::all);
  }
  static std::shared_ptr<PrintIR> after_change(std::ostream& os) {
    return make(os, false, After::changed);
  }
  static std::shared_ptr<PrintIR> before_all(std::ostream& os) {
    return make(os, true, After::never);
  }

  PrintIR(std::ostream& os, Options options) : os_(os), options_(options) {}

  void before_pass(const Pass& pass, const Graph& graph) override {
    if (!options_.before) return;
    os_ << "// -----// IR Dump Before " << pass.name << " //----- //\n"
        << print_graph(graph, options_.print) << "\n";
  }

  void after_pass(const Pass& pass, const Graph& graph, const PassRecord& record) override {
    if (options_.after == After::never) return;
    const bool failed = !record.failure.empty();
    if (options_.after == After::changed && !record.result.changed && !failed) return;
    os_ << "// -----// IR Dump After " << pass.name << (failed ? " Failed" : "") << " //----- //\n"
        << print_graph(graph, options_.print) << "\n";
  }

 private:
  static std::shared_ptr<PrintIR> make(std::ostream& os, bool before, After after) {
    Options o;
    o.before = before;
    o.after = after;
    return std::make_shared<PrintIR>(os, o);
  }

  std::ostream& os_;
  Options options_;
};

class PassStatistics : public Instrument {
 public:
  explicit PassStatistics(std::ostream& os, bool with_notes = false)
      : os_(os), with_notes_(with_notes) {}

  void after_pass(const Pass&, const Graph&, const PassRecord& record) override {
    os_ << stats_line(record) << "\n";
    if (!with_notes_) return;
    for (const std::string& note : record.result.notes) os_ << "  note: " << note << "\n";
  }

 private:
  std::ostream& os_;
  bool with_notes_;
};

class PassTiming : public Instrument {
 public:
  explicit PassTiming(std::ostream& os) : os_(os) {}

  void after_pipeline(const Graph&, const PipelineReport& report) override {
    std::size_t width = 4;
    for (const PassRecord& r : report.passes) width = std::max(width, r.name.size());
    os_ << "// -----// Pass execution timing //----- //\n";
    os_ << row("ms", "share", "pass");
    for (const PassRecord& r : report.passes) {
      const double share = report.total_ms > 0 ? 100.0 * r.ms / report.total_ms : 0.0;
      os_ << row(fixed(r.ms, 3), fixed(share, 1) + "%", r.name);
    }
    os_ << row(fixed(report.total_ms, 3), "100.0%", "total");
  }

 private:
  static std::string fixed(double v, int digits) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", digits, v);
    return text;
  }
  static std::string row(const std::string& ms, const std::string& share, const std::string& name) {
    char text[256];
    std::snprintf(text, sizeof text, "%10s %7s  ", ms.c_str(), share.c_str());
    return text + name + "\n";
  }

  std::ostream& os_;
};

class VerifyEach : public Instrument {
 public:
  void before_pipeline(const Pipeline&, const Graph& graph) override {
    try {
      verify(graph);
    } catch (const Error& e) {
      throw Error(e.code(), "the graph was invalid before any pass ran: " + e.message(),
                  e.context());
    }
  }

  void after_pass(const Pass& pass, const Graph& graph, const PassRecord&) override {
    try {
      verify(graph);
    } catch (const Error& e) {
      // A pass that returns a broken graph is a bug in Kiln, whatever the input was.
      throw Error(Errc::internal, "pass '" + pass.name + "' left an invalid graph: " + e.message(),
                  e.context());
    }
  }
};

class DotDump : public Instrument {
 public:
  explicit DotDump(std::filesystem::path directory) : directory_(std::move(directory)) {}

  void before_pipeline(const Pipeline&, const Graph& graph) override {
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec) {
      throw Error(Errc::io_error, "cannot create the DOT directory: " + ec.message())
          .file(directory_.string());
    }
    write("00-input.dot", graph, "input");
  }

  void after_pass(const Pass& pass, const Graph& graph, const PassRecord& record) override {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%02zu-", record.index + 1);
    write(prefix + pass.name + ".dot", graph, "after " + pass.name);
  }

 private:
  void write(const std::string& file, const Graph& graph, const std::string& title) const {
    const std::filesystem::path path = directory_ / file;
    std::ofstream out(path);
    if (!out) throw Error(Errc::io_error, "cannot write a DOT file").file(path.string());
    out << to_dot(graph, title);
    if (!out) throw Error(Errc::io_error, "cannot write a DOT file").file(path.string());
  }

  std::filesystem::path directory_;
};

}  // namespace kiln::opt
