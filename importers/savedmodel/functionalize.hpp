// TensorFlow 1 control flow -> TensorFlow 2 functional control flow, on the GraphDef itself.
//
// A TF1 graph spells a loop as a "frame" of dataflow primitives:
//
//   x0 -> Enter -> Merge -> Switch --(:1, true)--> body ... -> NextIteration -> back into Merge
//                    \         ^  \--(:0, false)--> Exit -> x_final
//                     cond -> LoopCond
//
// Enter moves a value into the frame (is_constant: a loop invariant), Merge picks the first value
// or the next iteration's, LoopCond is the condition, and Switch routes each loop variable to the
// body or out through Exit. A tf.compat.v1.cond is Switch(x, pred) on every value a branch uses,
// and one Merge per result that forwards whichever branch ran. The graph has back edges and
// "dead" values, neither of which Kiln's IR has.
//
// functionalize_control_flow() rewrites each loop frame into one `While` node, whose cond and body
// become new FunctionDefs in the library, and each Switch/Merge conditional into one `If` node
// with then/else functions: the form TensorFlow 2 writes, which the importer already reads.
// Constructs are rewritten innermost first, so an inner loop or cond is a single node by the time
// its enclosing body is cut out. TensorArrayV3 ops become TensorList ops first: the TensorArray's
// "flow" scalar, which orders its reads and writes, becomes the list value itself (DT_VARIANT),
// and the resource handle disappears.
//
// Node names are kept where they can be: an Exit becomes an Identity of the While's output and a
// cond's Merge an Identity of the If's, under their old names, so requested outputs still resolve.
// Function bodies copy their nodes under their original names.
#pragma once

#include <string>
#include <vector>

#include "savedmodel/proto/graph.pb.h"

namespace kiln::importer {

// True when the main graph uses TF1 (v1) control flow or TensorArrayV3 ops.
bool has_v1_control_flow(const tf::GraphDef& graph);

// A copy of `graph` in which every while_loop frame is one `While` node, every Switch/Merge
// conditional an `If` node, and TensorArrayV3 ops are TensorList ops. Throws kiln::Error
// (Errc::unsupported, its message starting "control flow:", naming the node) for what it cannot
// convert. `op_list` (a MetaGraphDef's stripped_op_list, may be null) only spells the tensor names
// inside the new functions the way the importer resolves them. With `needed` (main-graph tensor
// names, "node:k"), the copy keeps only the nodes they depend on, so that control flow no
// requested output reaches (a training loop beside the serving graph) cannot fail the import.
tf::GraphDef functionalize_control_flow(const tf::GraphDef& graph, const std::string& file,
                                        const tf::OpList* op_list = nullptr,
                                        const std::vector<std::string>& needed = {});

}  // namespace kiln::importer
