// Kiln IR back to TensorFlow's protos: the inverse of graph_importer. A control-flow node's
// regions become FunctionDefs of the GraphDef's library, named by its function attributes.
// Every node keeps its name, op and attributes (Kiln's own ops, such as the int8 ones, under
// their `_Kiln` names, which the importer reads back through the op catalogue); a constant's
// value is written whole, as tensor_content.
#pragma once

#include <kiln/core/graph.hpp>

#include "savedmodel/proto/graph.pb.h"

namespace kiln::importer {

void tensor_to_proto(const Tensor& tensor, tf::TensorProto& proto);

tf::GraphDef graph_def_from(const Graph& graph);

}  // namespace kiln::importer
