// The graph a command works on: a SavedModel signature's (--signature_def, serving_default by
// default), or a frozen GraphDef's from its placeholders to its sinks (or to --outputs).
#pragma once

#include <string>
#include <vector>

#include "model_files.hpp"

namespace kiln::cli {

inline Graph graph_from_args(const Args& args) {
  Model model = open_model(args.positional().at(0), args.get("tag_set"));
  if (model.is_frozen_graph()) {
    std::vector<std::string> outputs = split(args.get("outputs"), ',');
    if (outputs.empty()) outputs = model.sink_nodes();
    return model.graph_for_tensors(outputs);
  }
  if (args.has("outputs")) {
    throw Error(Errc::invalid_argument,
                "--outputs is for frozen graphs; a SavedModel's outputs are its signature's");
  }
  return model.graph(args.get("signature_def", "serving_default"));
}

}  // namespace kiln::cli
