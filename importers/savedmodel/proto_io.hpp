// Reading TensorFlow's protobuf files: saved_model.pb / .pbtxt and frozen GraphDefs.
//
// Every reader checks ImportLimits: the file size before reading, the nesting depth while
// parsing (it becomes protobuf's recursion limit), the node count after. When protobuf rejects
// binary data, Kiln walks the wire format itself to say which field broke and at which byte
// ("meta_graphs[0].graph_def.node[12].attr[3].value: length 9000 at byte 5121 runs past the
// end ..."), so a truncated or corrupted file gets a message a person can act on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <kiln/savedmodel.hpp>

#include "savedmodel/proto/graph.pb.h"
#include "savedmodel/proto/saved_model.pb.h"

namespace kiln::importer {

// The file holding a SavedModel's protobuf and its encoding.
struct SavedModelFile {
  std::string path;
  bool text = false;  // saved_model.pbtxt (TextFormat)
};

// saved_model.pb in `dir`, else saved_model.pbtxt. A chunked saved_model.cpb is refused by name
// (Errc::unsupported); a missing folder or file gives Errc::not_found.
SavedModelFile find_saved_model_file(const std::string& dir);

// The SavedModel in `dir`, with at least one MetaGraphDef and at most limits.max_nodes nodes.
tf::SavedModel read_saved_model(const std::string& dir, const ImportLimits& limits);

// A frozen GraphDef: TextFormat if the name ends in ".pbtxt", binary otherwise.
tf::GraphDef read_graph_def(const std::string& path, const ImportLimits& limits);

// Parses binary wire data with limits.max_nesting_depth as the recursion limit. Errors are
// Errc::parse_error naming `file` and saying what the bytes were meant to be (`what`).
void parse_binary_proto(std::string_view bytes, google::protobuf::Message& message,
                        const ImportLimits& limits, const std::string& file,
                        const std::string& what);

// Parses TextFormat. Fields Kiln's protos leave out are skipped, as in binary files.
void parse_text_proto(std::string_view text, google::protobuf::Message& message,
                      const ImportLimits& limits, const std::string& file,
                      const std::string& what);

// Nodes of the graph plus the nodes of every function body in its library.
std::int64_t count_nodes(const tf::GraphDef& graph);

// Where binary data breaks when parsed as `type`: "<field path>: <problem> at byte N", or ""
// when this walk finds nothing wrong. Used to explain a failed parse.
std::string diagnose_wire_format(std::string_view bytes, const google::protobuf::Descriptor& type,
                                 int max_depth);

}  // namespace kiln::importer
