// Which checkpoint entry holds which variable, read from the graph's own restore operation.
//
// This is what TensorFlow's C++ loader does: it runs the saver's restore op, which reads tensors
// out of the bundle by name (RestoreV2) and assigns each to a variable. Kiln does not run it; it
// reads it. Following every Assign/AssignVariableOp back through Identity nodes to a RestoreV2
// output gives the tensor name that variable is restored from:
//   TF1: save/restore_all -> save/Assign_3(dense/kernel, save/RestoreV2:3)
//   TF2: restore call -> __inference__traced_restore_N: AssignVariableOp(arg_2, Identity_2)
//        with Identity_2 = Identity(RestoreV2:tensors:2); arg_2 is the call's input 2, a
//        VarHandleOp of the main graph.
// Names are never guessed from variable names: those are not unique.
//
// TF2 has a second binding, which TensorFlow's Python loader uses: a function call in the main
// graph passes variable handles as its last inputs (captures), the SavedObjectGraph says which
// object each capture is (SavedConcreteFunction.bound_inputs, object node ids), and the
// checkpoint's own object graph, stored in the bundle under _CHECKPOINTABLE_OBJECT_GRAPH with
// the same node numbering, gives each object's key. tf.saved_model.save of a Keras 3 model needs
// it: its serving function captures handles that no restore op assigns.
#pragma once

#include <map>
#include <string>

#include <kiln/savedmodel.hpp>

#include "savedmodel/proto/saved_model.pb.h"

namespace kiln::importer {

// Main-graph variable node name (VarHandleOp, VariableV2) -> checkpoint key. Empty when the
// graph has no saver. `file` names the SavedModel in errors.
std::map<std::string, std::string> checkpoint_keys(const tf::MetaGraphDef& meta,
                                                   const std::string& file);

// True when a call in the main graph captures objects of the SavedObjectGraph, so that
// object_graph_checkpoint_keys() has something to bind.
bool has_bound_captures(const tf::MetaGraphDef& meta);

// Main-graph variable node name -> checkpoint key, through the object graphs (the second binding
// above), for every variable handle a function call captures.
std::map<std::string, std::string> object_graph_checkpoint_keys(const tf::MetaGraphDef& meta,
                                                                const TensorBundle& bundle,
                                                                const std::string& file);

}  // namespace kiln::importer
