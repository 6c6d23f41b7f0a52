// A pass: a name and a pure function `Graph& -> PassResult`.
//
// A pass rewrites the graph it is given and reports what it did as named statistics ("3 folded
// subgraphs") and notes ("declined 'big/Tile': 64 MiB is over the 10 MiB folding budget"). It
// never prints and never aborts: when a precondition fails it leaves that part of the graph as it
// was and says so in a note. Printing, timing and verifying belong to instruments
// (instruments.hpp), which the pass manager runs around every pass.
//
// What passes share beyond the graph travels in a PassContext: the options (the folding
// budget). Analyses that read the final graph, such as the memory plan (plan_memory.hpp), are
// no passes: their callers run them after the pipeline.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <kiln/core/graph.hpp>

namespace kiln::opt {

struct PassOptions {
  // fold-constants never materializes a constant larger than this. Grappler's limit is 10 MiB
  // too: large enough for every shape computation and small weight transform, small enough
  // that a Tile or Fill cannot blow a model up.
  std::int64_t fold_byte_budget = std::int64_t{10} << 20;
};

// What passes read besides the graph.
struct PassContext {
  PassOptions options;
};

// A statistic is a count ("3 folded subgraphs") or a byte size ("arena 5.74 MiB").
enum class StatUnit { count, bytes };

struct Statistic {
  std::string name;
  std::int64_t value = 0;
  StatUnit unit = StatUnit::count;
};

struct PassResult {
  bool changed = false;
  std::vector<Statistic> stats;    // in the order the pass first reported them
  std::vector<std::string> notes;  // one sentence each: declines, assumptions

  // Adds `n` to the count called `name`, creating it (in order) on first use.
  void count(const std::string& name, std::int64_t n = 1) {
    entry(name, StatUnit::count).value += n;
  }
  void bytes(const std::string& name, std::int64_t value) {
    entry(name, StatUnit::bytes).value = value;
  }
  void note(std::string text) { notes.push_back(std::move(text)); }

  // The statistic's value, 0 if the pass never reported it.
  std::int64_t stat(const std::string& name) const {
    for (const Statistic& s : stats) {
      if (s.name == name) return s.value;
    }
    return 0;
  }

 private:
  Statistic& entry(const std::string& name, StatUnit unit) {
    for (Statistic& s : stats) {
      if (s.name == name) return s;
    }
    stats.push_back({name, 0, unit});
    return stats.back();
  }
};

using PassFunction = std::function<PassResult(Graph&, PassContext&)>;

struct Pass {
  std::string name;     // what pipelines and the command line call it: "fold-constants"
  std::string summary;  // one line for `kiln opt --help`
  PassFunction run;
};

using Pipeline = std::vector<Pass>;

}  // namespace kiln::opt
