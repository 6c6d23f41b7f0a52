// Writing a Kiln graph as a TensorFlow SavedModel that Kiln (and the importer's readers) load
// again: how a quantized model is kept without calibrating it anew.
//
//   kiln::save_saved_model("model_int8/", quantized.graph);   // then kiln::load_saved_model
//
// The folder gets one saved_model.pb: a MetaGraphDef tagged "serve" whose GraphDef holds every
// node with its attributes and every weight as a Const (no variables/ folder, no checkpoint),
// and one signature whose inputs and outputs are the graph's ports under their names; loops and
// conditionals keep their bodies as functions of the graph's library. The graph must have its
// types inferred.
// Part of the compiled `kiln::savedmodel` component.
#pragma once

#include <string>

#include "core/graph.hpp"

namespace kiln {

void save_saved_model(const std::string& dir, const Graph& graph,
                      const std::string& signature_key = "serving_default");

}  // namespace kiln
