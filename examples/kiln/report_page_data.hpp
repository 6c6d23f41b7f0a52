// Everything `kiln report` puts on its page, as one JSON document that the page's script reads:
//
//   {"title", "pipeline": [pass names], "planned_for": "image [1,8,8,1]", "page_nodes",
//    "lines": [every distinct IR line, once],
//    "stages": [{"title", "same_as" (index of an identical earlier stage, or null),
//                "graph" (report_graph_json.hpp; null when same_as is set), "ir": [line ids],
//                "nodes", "constant_bytes", "memory": {arena, naive, lower bound} or null,
//                "origin": {name: what the pass before made of it},
//                "fate": {name: what the pass after does to it},
//                "fused_into": {name: the node the pass after fused it into}}],
//    "passes": [kiln opt --json's pass record + "diff": [[0, first, count] kept lines of the
//               stage before | [1, line] removed | [2, line] added]],
//    "total_ms", "memory": kiln opt --json's memory object, "memory_svg", "profile" or null}
//
// Stages are graphs; passes are what happened between two of them (pass k: stage k-1 -> k).
#pragma once

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <kiln/optimizer/optimizer.hpp>

#include "json.hpp"
#include "report_diff.hpp"
#include "report_graph_json.hpp"
#include "report_json.hpp"
#include "report_stages.hpp"

namespace kiln::cli {

namespace page_data_detail {

// Every IR line gets an id, so that stages share the lines they have in common.
class LineTable {
 public:
  std::vector<int> intern(const std::string& text) {
    std::vector<int> ids;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      auto [it, added] = ids_.emplace(line, static_cast<int>(lines_.size()));
      if (added) lines_.push_back(line);
      ids.push_back(it->second);
    }
    return ids;
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::unordered_map<std::string, int> ids_;
  std::vector<std::string> lines_;
};

inline std::int64_t constant_bytes(const Graph& g) {
  std::int64_t total = 0;
  for (const Node& n : g.nodes()) {
    if (n.op != "Const" || !n.has_attr("value")) continue;
    if (const Tensor* t = std::get_if<Tensor>(&n.attrs.find("value")->second)) total += static_cast<std::int64_t>(t->byte_size());
  }
  return total;
}

// Kept runs become one entry each: a 2,000-line graph where a pass changed ten lines is a short
// list.
inline Json diff_json(const std::vector<DiffLine>& script) {
  Json diff = Json::array();
  for (std::size_t i = 0; i < script.size();) {
    if (script[i].kind == DiffLine::Kind::kept) {
      std::size_t j = i;
      while (j < script.size() && script[j].kind == DiffLine::Kind::kept) ++j;
      diff.push_back({0, script[i].line, j - i});
      i = j;
    } else {
      diff.push_back({script[i].kind == DiffLine::Kind::removed ? 1 : 2, script[i].line});
      ++i;
    }
  }
  return diff;
}

inline Json string_map_json(const std::map<std::string, std::string>& map) {
  Json json = Json::object();
  for (const auto& [key, value] : map) json[key] = value;
  return json;
}

}  // namespace page_data_detail

struct PageInputs {
  std::string title;
  opt::Pipeline pipeline;
  const std::vector<Stage>* stages = nullptr;
  const opt::PipelineReport* report = nullptr;
  opt::MemoryPlanRequest memory_request;
  std::string planned_for;  // "image [1,8,8,1]"
  int page_nodes = 250;     // the page draws larger graphs a band of layers at a time
  Json profile;             // null without one
};

inline Json page_data(const PageInputs& in) {
  using namespace page_data_detail;
  const std::vector<Stage>& stages = *in.stages;
  LineTable lines;
  std::vector<std::vector<int>> ir;
  Json stages_json = Json::array();
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const Stage& stage = stages[k];
    ir.push_back(lines.intern(stage.ir));
    Json s = {{"title", stage.title}, {"ir", ir.back()}, {"nodes", stage.graph.size()},
              {"constant_bytes", constant_bytes(stage.graph)}};
    // A pass that changed nothing leaves the same picture: the page shows the earlier one.
    std::optional<std::size_t> same_as;
    for (std::size_t j = k; j-- > 0 && !same_as;) {
      if (stages_json[j]["same_as"].is_null() && stages[j].ir == stage.ir) same_as = j;
      if (!same_as && stages[j].ir != stage.ir) break;
    }
    s["same_as"] = same_as ? Json(*same_as) : Json(nullptr);
    s["graph"] = same_as ? Json(nullptr) : graph_json(stage.graph);
    const opt::PlannedMemory planned = opt::plan_memory(stage.graph, in.memory_request);
    s["memory"] = planned.plan ? memory_plan_json(*planned.plan) : Json(nullptr);
    s["origin"] = Json::object();
    s["fate"] = Json::object();
    s["fused_into"] = Json::object();
    if (k > 0) {
      const NodeChanges changes = node_changes(stages[k - 1].graph, stage.graph);
      s["origin"] = string_map_json(changes.origin);
      stages_json[k - 1]["fate"] = string_map_json(changes.fate);
      stages_json[k - 1]["fused_into"] = string_map_json(changes.fused_into);
    }
    stages_json.push_back(std::move(s));
  }

  Json passes = Json::array();
  for (const opt::PassRecord& record : in.report->passes) {
    Json pass = pass_record_json(record);
    const std::size_t k = record.index + 1;
    pass["diff"] = diff_json(diff_lines(ir[k - 1], ir[k]));
    passes.push_back(std::move(pass));
  }

  Json pipeline = Json::array();
  for (const opt::Pass& pass : in.pipeline) pipeline.push_back(pass.name);
  const Json summary = report_json(*in.report);
  return {{"title", in.title},
          {"pipeline", pipeline},
          {"planned_for", in.planned_for},
          {"page_nodes", in.page_nodes},
          {"lines", lines.lines()},
          {"stages", stages_json},
          {"passes", passes},
          {"total_ms", in.report->total_ms},
          {"memory", summary["memory"]},
          {"memory_svg", in.report->memory ? opt::memory_plan_svg(*in.report->memory, in.title) : ""},
          {"profile", in.profile}};
}

}  // namespace kiln::cli
