// The graph a command works on: a SavedModel signature's (--signature_def, serving_default by
// default), or a frozen GraphDef's from its placeholders to its sinks (or to --outputs).
#pragma once

#include <string>
#include <vector>

#include "model_files.hpp"

namespace kiln::cli {

inline Graph graph_from_flags(const ModelFlags& flags) {
  Model model = open_model(flags.path, flags.tag_set);
  if (model.is_frozen_graph()) {
    std::vector<std::string> outputs = split(flags.outputs, ',');
    if (outputs.empty()) outputs = model.sink_nodes();
    return model.graph_for_tensors(outputs);
  }
  if (!flags.outputs.empty()) {
    throw Error(Errc::invalid_argument,
                "--outputs is for frozen graphs; a SavedModel's outputs are its signature's");
  }
  return model.graph(flags.signature_def.empty() ? "serving_default" : flags.signature_def);
}

}  // namespace kiln::cli
