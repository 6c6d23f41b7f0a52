#include "savedmodel/checkpoint_keys.hpp"

#include <unordered_map>
#include <vector>

#include <kiln/core/error.hpp>

#include "savedmodel/proto/checkpoint.pb.h"
#include "savedmodel/tensor_names.hpp"

namespace kiln::importer {
namespace {

// The nodes of one graph or function body, by name, and how its tensor names are written.
struct Body {
  std::unordered_map<std::string, const tf::NodeDef*> nodes;
  bool is_function = false;

  template <class NodeList> Body(const NodeList& list, bool function) : is_function(function) {
    for (const tf::NodeDef& n : list) nodes.emplace(n.name(), &n);
  }
  const tf::NodeDef* find(const std::string& name) const {
    auto it = nodes.find(name);
    return it == nodes.end() ? nullptr : it->second;
  }
};

// The strings of a Const's DT_STRING value (RestoreV2's tensor_names input), read in place: a
// saver's list names every variable, and each variable looks one up.
const google::protobuf::RepeatedPtrField<std::string>* string_constant(const tf::NodeDef& node) {
  auto it = node.attr().find("value");
  if (node.op() != "Const" || it == node.attr().end() || !it->second.has_tensor()) return nullptr;
  return &it->second.tensor().string_val();
}

// Follows `ref` back through Identity nodes to a RestoreV2 output, and returns the name of the
// tensor that output reads; "" if the value does not come from a RestoreV2.
std::string restored_tensor_name(const Body& body, std::string ref) {
  for (int hops = 0; hops < 64; ++hops) {  // a chain longer than this is not a saver's
    const TensorRef r = parse_tensor_ref(ref, body.is_function);
    const tf::NodeDef* node = r.is_arg ? nullptr : body.find(r.node);
    if (!node) return "";
    if (node->op() == "Identity" && node->input_size() > 0) {
      ref = node->input(0);
      continue;
    }
    if (node->op() != "RestoreV2" || node->input_size() < 2) return "";
    const tf::NodeDef* names = body.find(parse_tensor_ref(node->input(1), body.is_function).node);
    if (!names) return "";
    const google::protobuf::RepeatedPtrField<std::string>* keys = string_constant(*names);
    if (!keys || r.index < 0 || r.index >= keys->size()) return "";
    return keys->Get(r.index);
  }
  return "";
}

// Calls on_assign(target ref, checkpoint key) for every assignment from a RestoreV2 in `body`.
template <class F> void for_each_restore(const Body& body, F on_assign) {
  for (const auto& [name, node] : body.nodes) {
    const std::string& op = node->op();
    if ((op != "Assign" && op != "AssignVariableOp") || node->input_size() < 2) continue;
    const std::string key = restored_tensor_name(body, node->input(1));
    if (!key.empty()) on_assign(node->input(0), key);
  }
}

const tf::FunctionDef* find_function(const tf::GraphDef& graph, const std::string& name) {
  for (const tf::FunctionDef& f : graph.library().function()) {
    if (f.signature().name() == name) return &f;
  }
  return nullptr;
}

// Calls `on_capture(capture node name, object node id)` for every variable handle that a
// function call of the main graph captures and the object graph binds.
template <class F> void for_each_bound_capture(const tf::MetaGraphDef& meta, F on_capture) {
  const auto& functions = meta.object_graph_def().concrete_functions();
  const Body main(meta.graph_def().node(), false);
  for (const auto& [name, node] : main.nodes) {
    auto f = node->attr().find("f");
    if (f == node->attr().end() || !f->second.has_func()) continue;
    auto bound = functions.find(f->second.func().name());
    if (bound == functions.end()) continue;
    std::vector<std::string> inputs;
    for (const std::string& in : node->input()) {
      if (in.empty() || in[0] != '^') inputs.push_back(in);
    }
    const auto& objects = bound->second.bound_inputs();
    if (static_cast<std::size_t>(objects.size()) > inputs.size()) continue;
    // The captures are the call's last inputs, in the order of bound_inputs.
    const std::size_t first = inputs.size() - static_cast<std::size_t>(objects.size());
    for (int i = 0; i < objects.size(); ++i) {
      const std::string capture = parse_tensor_ref(inputs[first + i], false).node;
      const tf::NodeDef* handle = main.find(capture);
      if (handle && handle->op() == "VarHandleOp") on_capture(capture, objects.Get(i));
    }
  }
}

}  // namespace

bool has_bound_captures(const tf::MetaGraphDef& meta) {
  bool any = false;
  for_each_bound_capture(meta, [&](const std::string&, int) { any = true; });
  return any;
}

std::map<std::string, std::string> object_graph_checkpoint_keys(const tf::MetaGraphDef& meta,
                                                                const TensorBundle& bundle,
                                                                const std::string& file) {
  std::map<std::string, std::string> keys;
  const char* const object_graph_key = "_CHECKPOINTABLE_OBJECT_GRAPH";
  if (!has_bound_captures(meta) || !bundle.contains(object_graph_key)) return keys;
  const std::vector<std::string> serialized = bundle.read_strings(object_graph_key);
  tf::TrackableObjectGraph objects;
  if (serialized.size() != 1 || !objects.ParseFromString(serialized[0])) {
    throw Error(Errc::parse_error, "the checkpoint's object graph is not a TrackableObjectGraph")
        .file(file)
        .node(object_graph_key);
  }
  for_each_bound_capture(meta, [&](const std::string& capture, int object) {
    if (object < 0 || object >= objects.nodes_size()) {
      throw Error(Errc::invalid_graph, "a captured variable names an object the checkpoint lacks")
          .file(file)
          .node(capture)
          .found("object " + std::to_string(object) + " of " +
                 std::to_string(objects.nodes_size()));
    }
    for (const tf::SerializedTensor& attribute : objects.nodes(object).attributes()) {
      if (attribute.name() == "VARIABLE_VALUE") keys[capture] = attribute.checkpoint_key();
    }
  });
  return keys;
}

std::map<std::string, std::string> checkpoint_keys(const tf::MetaGraphDef& meta,
                                                   const std::string& file) {
  std::map<std::string, std::string> keys;
  const std::string& restore_op = meta.saver_def().restore_op_name();
  if (restore_op.empty()) return keys;
  const tf::GraphDef& graph = meta.graph_def();
  const Body main(graph.node(), false);
  const tf::NodeDef* restore = main.find(parse_tensor_ref(restore_op, false).node);
  if (!restore) {
    throw Error(Errc::not_found, "the saver's restore op is not in the graph")
        .file(file)
        .node(restore_op);
  }

  auto func = restore->attr().find("f");
  const bool tf2_call = func != restore->attr().end() && func->second.has_func();
  if (!tf2_call) {
    // TF1: the restore op is a NoOp over assignments in the main graph itself.
    for_each_restore(main, [&](const std::string& target, const std::string& key) {
      keys[parse_tensor_ref(target, false).node] = key;
    });
    return keys;
  }

  const std::string& callee_name = func->second.func().name();
  const tf::FunctionDef* callee = find_function(graph, callee_name);
  if (!callee) {
    throw Error(Errc::not_found, "the restore function is missing from the library")
        .file(file)
        .node(restore->name())
        .found(callee_name);
  }
  std::unordered_map<std::string, int> arg_index;
  for (int i = 0; i < callee->signature().input_arg_size(); ++i) {
    arg_index[callee->signature().input_arg(i).name()] = i;
  }
  std::vector<std::string> caller_inputs;
  for (const std::string& in : restore->input()) {
    if (in.empty() || in[0] != '^') caller_inputs.push_back(in);
  }
  const Body body(callee->node_def(), true);
  for_each_restore(body, [&](const std::string& target, const std::string& key) {
    auto it = arg_index.find(parse_tensor_ref(target, true).node);
    if (it == arg_index.end() || static_cast<std::size_t>(it->second) >= caller_inputs.size()) return;
    keys[parse_tensor_ref(caller_inputs[static_cast<std::size_t>(it->second)], false).node] = key;
  });
  return keys;
}

}  // namespace kiln::importer
