// GraphDef (and its function library) -> Kiln IR.
//
// Import is demand-driven: it starts from the requested outputs and pulls in only what they
// reach, so training traces, savers and unused signatures in the same file are never looked at.
// Along the way it
//   * inlines PartitionedCall / StatefulPartitionedCall and direct function calls, naming each
//     inlined node "<call node>/<body node>" and refusing recursion and absurd nesting;
//   * turns function-body tensor names ("node:out_arg:k") into flat output indices, with the
//     OpDefs of the MetaGraphDef's stripped_op_list;
//   * replaces each variable (VarHandleOp, VariableV2) by a Const holding its checkpoint value,
//     and ReadVariableOp by Identity, so the result is a pure dataflow graph;
//   * restores the attributes TensorFlow 2 strips when they equal their default;
//   * drops control edges: they order stateful ops (variable reads, asserts) that an imported
//     inference graph no longer has;
//   * collects every op Kiln lacks and reports them all at once, with counts and locations.
// The walk keeps its own stack, so a long chain of nodes cannot overflow the C++ stack.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <kiln/core/graph.hpp>
#include <kiln/model.hpp>
#include <kiln/savedmodel.hpp>

#include "savedmodel/proto/graph.pb.h"

namespace kiln::importer {

// The value of a main-graph variable node, from the checkpoint. Throws if it has none.
using VariableReader = std::function<Tensor(const tf::NodeDef& variable)>;

// A named graph input or output, and the main-graph tensor ("node:k") behind it. An input may
// name any tensor, as in TensorFlow's feeds: one that is not a Placeholder is cut from what
// computes it and becomes a Placeholder of `dtype` and `shape`.
struct PortRequest {
  std::string name;
  std::string tensor;
  std::optional<DType> dtype = std::nullopt;
  Shape shape = Shape::unknown_rank();
};

struct GraphImportOptions {
  const tf::OpList* op_list = nullptr;  // stripped_op_list; null for bare GraphDefs
  VariableReader read_variable;         // empty: variables are an error
  ImportLimits limits;
  std::string file;                     // for error messages
};

// Builds the graph computing `outputs`. Each input request becomes a graph input port. With `placeholders_as_inputs`, every
// Placeholder the outputs reach also becomes an input port, named after its node. The result has
// inferred types and has passed the verifier.
Graph import_graph(const tf::GraphDef& graph, const std::vector<PortRequest>& inputs,
                   const std::vector<PortRequest>& outputs, const GraphImportOptions& options,
                   bool placeholders_as_inputs = false);

// The ops import_graph would meet on the same walk, sorted by name, each with its node count.
// Ops Kiln lacks are counted rather than refused, variables are not read, and the result is not
// type-checked: only the graph's structure must be sound.
std::vector<OpUse> census_ops(const tf::GraphDef& graph, const std::vector<PortRequest>& inputs,
                              const std::vector<PortRequest>& outputs,
                              const GraphImportOptions& options);

}  // namespace kiln::importer
