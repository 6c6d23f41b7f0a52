// `kiln opt --json`: the pass manager's report as JSON.
//
// The optimizer keeps its report as plain structs (opt::PipelineReport) so that Kiln's headers
// need no JSON library; writing them out is the tool's job, here.
//
//   {"passes": [{"name", "nodes_before", "nodes_after", "ms", "changed", "stats": {name: count},
//                "notes": [...], "failure" (only when the pass threw and was undone)}, ...],
//    "total_ms", "memory": {"arena_bytes", "naive_bytes", "lower_bound_bytes", "tensors",
//                           "in_place"} or null without a memory plan}
#pragma once

#include <kiln/optimizer/optimizer.hpp>

#include "json.hpp"

namespace kiln::cli {

inline Json pass_record_json(const opt::PassRecord& record) {
  Json stats = Json::object();
  for (const opt::Statistic& s : record.result.stats) stats[s.name] = s.value;
  Json json = {{"name", record.name},
               {"nodes_before", record.nodes_before},
               {"nodes_after", record.nodes_after},
               {"ms", record.ms},
               {"changed", record.result.changed},
               {"stats", stats},
               {"notes", record.result.notes}};
  if (!record.failure.empty()) json["failure"] = record.failure;
  return json;
}

inline Json memory_plan_json(const opt::MemoryPlan& plan) {
  return {{"arena_bytes", plan.arena_bytes},
          {"naive_bytes", plan.naive_bytes},
          {"lower_bound_bytes", plan.lower_bound_bytes},
          {"tensors", plan.tensors.size()},
          {"in_place", plan.count(opt::PlannedTensor::Kind::in_place)},
          {"dynamic_steps", plan.dynamic.size()}};
}

inline Json report_json(const opt::PipelineReport& report) {
  Json passes = Json::array();
  for (const opt::PassRecord& record : report.passes) passes.push_back(pass_record_json(record));
  return {{"passes", passes},
          {"total_ms", report.total_ms},
          {"memory", report.memory ? memory_plan_json(*report.memory) : Json(nullptr)}};
}

}  // namespace kiln::cli
