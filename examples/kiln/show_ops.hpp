// `kiln show MODEL --ops`: every TensorFlow op the model's signature reaches, how many nodes use
// it, and how Kiln runs it on each backend this program has. It answers "does my model load?"
// before anything is imported for real, so a model with missing ops gets its whole list.
#pragma once

#include <algorithm>
#include <iomanip>
#include <iostream>

#include <kiln/backend_registry.hpp>
#include <kiln/core/ops.hpp>

#include "backend_plugins.hpp"
#include "json.hpp"
#include "model_files.hpp"

namespace kiln::cli {

// How one backend runs a Kiln op: "kernel" (its own), "fallback" (the reference kernel, on the
// host), "none" (no kernel at all), or "-" when no kernel is needed (views, graph-level ops).
inline std::string backend_support(const BackendDef& backend, const OpDef& def) {
  if (def.forwards_inputs || !def.no_kernel_reason.empty()) return "-";
  if (backend.has_kernel(def.name)) return "kernel";
  if (backend.reference_fallback && reference::backend_def().has_kernel(def.name)) return "fallback";
  return "none";
}

// What Kiln makes of a TensorFlow op: the Kiln op it runs as (itself, or what the importer turns
// it into), or nothing when Kiln lacks it.
inline const OpDef* kiln_op_for(const OpUse& use) {
  return op_catalogue().find(use.becomes.empty() ? use.op : use.becomes);
}

inline std::vector<OpUse> census_of(const Model& model, const ModelFlags& flags) {
  if (model.is_frozen_graph()) return model.op_census_for_tensors(model.sink_nodes());
  return model.op_census(flags.signature_def.empty() ? "serving_default" : flags.signature_def);
}

inline int show_ops(const ModelFlags& flags, bool json) {
  const Model model = open_model(flags.path, flags.tag_set);
  const std::vector<OpUse> uses = census_of(model, flags);
  load_all_backend_plugins();  // a column for every backend there is
  const std::vector<const BackendDef*> backends = registered_backends();

  std::size_t missing_ops = 0, missing_nodes = 0, nodes = 0;
  Json rows = Json::array();
  for (const OpUse& use : uses) {
    nodes += use.nodes;
    Json row = {{"op", use.op}, {"nodes", use.nodes}};
    if (use.becomes == "inlined") {
      row["status"] = "inlined";
    } else if (const OpDef* def = kiln_op_for(use)) {
      row["status"] = use.becomes.empty() ? "supported" : "becomes " + use.becomes;
      for (const BackendDef* b : backends) row["backends"][b->name] = backend_support(*b, *def);
    } else {
      row["status"] = "missing";
      ++missing_ops;
      missing_nodes += use.nodes;
    }
    rows.push_back(std::move(row));
  }
  const std::string verdict =
      missing_ops == 0 ? "every op is supported"
                       : std::to_string(missing_ops) + " op type" + (missing_ops == 1 ? "" : "s") +
                             " missing (" + std::to_string(missing_nodes) + " node" +
                             (missing_nodes == 1 ? "" : "s") + ")";
  if (json) {
    std::cout << json_text({{"ops", rows},
                            {"op_types", uses.size()},
                            {"nodes", nodes},
                            {"missing_op_types", missing_ops},
                            {"missing_nodes", missing_nodes}});
    return 0;
  }
  std::size_t width = 2;
  for (const OpUse& use : uses) width = std::max(width, use.op.size());
  std::cout << std::left << std::setw(static_cast<int>(width)) << "op" << "  " << std::right
            << std::setw(6) << "nodes" << "  " << std::left << std::setw(18) << "status";
  for (const BackendDef* b : backends) std::cout << "  " << std::setw(9) << b->name;
  std::cout << "\n";
  for (const Json& row : rows) {
    std::cout << std::left << std::setw(static_cast<int>(width)) << row["op"].get<std::string>()
              << "  " << std::right << std::setw(6) << row["nodes"].get<std::size_t>() << "  "
              << std::left << std::setw(18) << row["status"].get<std::string>();
    if (row.contains("backends")) {
      for (const BackendDef* b : backends) {
        std::cout << "  " << std::setw(9) << row["backends"][b->name].get<std::string>();
      }
    }
    std::cout << "\n";
  }
  std::cout << uses.size() << " op types, " << nodes << " nodes: " << verdict << "\n";
  return 0;
}

}  // namespace kiln::cli
