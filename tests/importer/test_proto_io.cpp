// Reading saved_model.pb / .pbtxt and frozen GraphDefs: every corpus file, every constant in
// them, and broken or hostile files (BAD_INPUTS 1, 4, 5, 13).
#include <catch2/catch.hpp>

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <set>

#include "importer_test_util.hpp"
#include "savedmodel/proto_io.hpp"
#include "savedmodel/tensor_proto.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::importer;
using namespace kiln::test;

namespace {

// Decodes every Const node's value in the graph and its functions; returns how many decoded.
// Only strings may be refused (Kiln tensors hold numbers).
int decode_all_constants(const tf::GraphDef& graph, int& strings) {
  int decoded = 0;
  auto visit = [&](const tf::NodeDef& node) {
    if (node.op() != "Const") return;
    INFO("node " << node.name());
    const auto value = node.attr().find("value");
    REQUIRE(value != node.attr().end());
    try {
      tensor_from_proto(value->second.tensor(), ImportLimits{});
      ++decoded;
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(e.code() == Errc::unsupported);
      CHECK(value->second.tensor().dtype() == tf::DT_STRING);
      ++strings;
    }
  };
  for (const auto& node : graph.node()) visit(node);
  for (const auto& function : graph.library().function()) {
    for (const auto& node : function.node_def()) visit(node);
  }
  return decoded;
}

const tf::SignatureDef& signature(const tf::MetaGraphDef& meta_graph, const std::string& key) {
  const auto it = meta_graph.signature_def().find(key);
  REQUIRE(it != meta_graph.signature_def().end());
  return it->second;
}

std::string tensor_name(const tf::SignatureDef& sig, bool input, const std::string& key) {
  const auto& map = input ? sig.inputs() : sig.outputs();
  const auto it = map.find(key);
  REQUIRE(it != map.end());
  return it->second.name();
}

}  // namespace

// ---- The corpus ------------------------------------------------------------------------------

TEST_CASE("every corpus saved_model.pb parses, with graphs and decodable constants") {
  for (const std::string& model : corpus_models()) {
    INFO("model " << model);
    const tf::SavedModel saved = read_saved_model(corpus(model), ImportLimits{});
    REQUIRE(saved.meta_graphs_size() >= 1);
    for (const auto& meta_graph : saved.meta_graphs()) {
      CHECK(meta_graph.graph_def().node_size() > 0);
      CHECK(meta_graph.meta_info_def().stripped_op_list().op_size() > 0);
      CHECK_FALSE(meta_graph.signature_def().empty());
      int strings = 0;
      CHECK(decode_all_constants(meta_graph.graph_def(), strings) > 0);
    }
  }
}

TEST_CASE("corpus SavedModels carry the signatures their README describes") {
  const tf::SavedModel tf2 = read_saved_model(corpus("half_plus_two_tf2"), ImportLimits{});
  const auto& serving = signature(tf2.meta_graphs(0), "serving_default");
  CHECK(tensor_name(serving, false, "y") == "StatefulPartitionedCall_5:0");
  CHECK(tf2.meta_graphs(0).meta_info_def().stripped_default_attrs());
  CHECK(tf2.meta_graphs(0).object_graph_def().nodes_size() > 0);
  CHECK(tf2.meta_graphs(0).meta_info_def().tags(0) == "serve");

  const tf::SavedModel tf1 = read_saved_model(corpus("half_plus_two_tf1"), ImportLimits{});
  const auto& tf1_serving = signature(tf1.meta_graphs(0), "serving_default");
  CHECK(tensor_name(tf1_serving, true, "x") == "x:0");
  CHECK(tensor_name(tf1_serving, false, "y") == "y:0");
  CHECK(tf1.meta_graphs(0).saver_def().restore_op_name() == "save/restore_all");

  const tf::SavedModel multi = read_saved_model(corpus("keras_multi_io_tf23"), ImportLimits{});
  const auto& outputs = signature(multi.meta_graphs(0), "serving_default").outputs();
  REQUIRE(outputs.size() == 2);
  std::set<std::string> names;
  for (const auto& [key, info] : outputs) names.insert(info.name());
  CHECK(names == std::set<std::string>{"StatefulPartitionedCall:0", "StatefulPartitionedCall:1"});

  const tf::SavedModel constants =
      read_saved_model(corpus("captured_constants_tf24"), ImportLimits{});
  const auto& sigs = constants.meta_graphs(0).signature_def();
  CHECK(sigs.count("serving_default") == 0);
  for (const char* key : {"add", "get_const_scalar", "get_const_vector", "get_const_matrix",
                          "get_variable"}) {
    CHECK(sigs.count(key) == 1);
  }
}

TEST_CASE("both corpus frozen graphs parse") {
  const tf::GraphDef mlp = read_graph_def(corpus("frozen/mlp_tf2_frozen.pb"), ImportLimits{});
  std::map<std::string, std::string> op_of;
  for (const auto& node : mlp.node()) op_of[node.name()] = node.op();
  CHECK(op_of["x"] == "Placeholder");
  CHECK(op_of["Identity"] == "Identity");
  int strings = 0;
  CHECK(decode_all_constants(mlp, strings) > 0);

  const tf::GraphDef cnn = read_graph_def(corpus("frozen/cnn_tf1_frozen.pb"), ImportLimits{});
  int placeholders = 0;
  for (const auto& node : cnn.node()) {
    if (node.op() != "Placeholder") continue;
    ++placeholders;
    const Shape shape = shape_from_proto(node.attr().at("shape").shape());
    CHECK(shape.str() == "[?,32,32,3]");  // a batch of 32x32 RGB images
  }
  CHECK(placeholders == 1);
  CHECK(decode_all_constants(cnn, strings) > 0);
  CHECK_FALSE(cnn.has_versions());  // old frozen graphs carry no VersionDef
}

TEST_CASE("saved_model.pbtxt is read when there is no saved_model.pb") {
  tf::SavedModel binary = read_saved_model(corpus("half_plus_two_tf1"), ImportLimits{});
  binary.DiscardUnknownFields();  // text cannot carry fields Kiln's protos leave out
  std::string text;
  REQUIRE(google::protobuf::TextFormat::PrintToString(binary, &text));
  // A field TensorFlow has and Kiln's protos leave out (NodeDef.experimental_debug_info) is
  // skipped, as it is in binary files.
  text += "meta_graphs { graph_def { node { name: \"extra\" op: \"NoOp\" "
          "experimental_debug_info { original_node_names: \"a\" } } } }\n";
  TempDir dir;
  write_bytes(dir / "saved_model.pbtxt", text);
  const SavedModelFile file = find_saved_model_file(dir.path());
  CHECK(file.text);
  const tf::SavedModel parsed = read_saved_model(dir.path(), ImportLimits{});
  REQUIRE(parsed.meta_graphs_size() == 2);
  CHECK(google::protobuf::util::MessageDifferencer::Equals(parsed.meta_graphs(0),
                                                          binary.meta_graphs(0)));
  CHECK(parsed.meta_graphs(1).graph_def().node(0).name() == "extra");

  // With both present, the binary file wins (as in TensorFlow).
  write_bytes(dir / "saved_model.pb", read_bytes(corpus("half_plus_two_tf1/saved_model.pb")));
  CHECK_FALSE(find_saved_model_file(dir.path()).text);

  TempDir bad;
  write_bytes(bad / "saved_model.pbtxt", "meta_graphs { graph_def { node { name: \"x\" ");
  require_error([&] { read_saved_model(bad.path(), ImportLimits{}); }, Errc::parse_error,
                {"saved_model.pbtxt", "text format", "line 1"});
}

TEST_CASE("a frozen graph in text format is read by its .pbtxt name") {
  const tf::GraphDef graph = read_graph_def(corpus("frozen/mlp_tf2_frozen.pb"), ImportLimits{});
  std::string text;
  REQUIRE(google::protobuf::TextFormat::PrintToString(graph, &text));
  TempDir dir;
  write_bytes(dir / "graph.pbtxt", text);
  CHECK(read_graph_def(dir / "graph.pbtxt", ImportLimits{}).node_size() == graph.node_size());
}

// ---- Broken files (BAD_INPUTS 1 and 5) -------------------------------------------------------

TEST_CASE("SavedModel folders that are missing, empty, files, or chunked") {
  TempDir dir;
  require_error([&] { read_saved_model(dir / "absent", ImportLimits{}); }, Errc::not_found,
                {"absent", "does not exist"});
  require_error([&] { read_saved_model(dir.path(), ImportLimits{}); }, Errc::not_found,
                {dir.path(), "no saved_model.pb"});
  require_error([&] { read_saved_model(corpus("keras_mlp_tf211/saved_model.pb"), ImportLimits{}); },
                Errc::invalid_argument, {"saved_model.pb", "not a folder"});

  write_bytes(dir / "saved_model.cpb", "riegeli chunks");
  require_error([&] { read_saved_model(dir.path(), ImportLimits{}); }, Errc::unsupported,
                {"saved_model.cpb", "chunked"});

  fs::create_directory(dir / "saved_model.pb");  // a directory named like the file
  require_error([&] { read_saved_model(dir.path(), ImportLimits{}); }, Errc::io_error,
                {"saved_model.pb", "directory"});
}

TEST_CASE("empty, truncated and garbage saved_model.pb files") {
  TempDir dir;
  const std::string path = dir / "saved_model.pb";
  const std::string original = read_bytes(corpus("keras_mlp_tf211/saved_model.pb"));

  write_bytes(path, "");
  require_error([&] { read_saved_model(dir.path(), ImportLimits{}); }, Errc::parse_error,
                {path, "empty"});

  // Cut in half: the first meta graph's length runs past the end of the file.
  write_bytes(path, original.substr(0, original.size() / 2));
  require_error([&] { read_saved_model(dir.path(), ImportLimits{}); }, Errc::parse_error,
                {path, "meta_graphs[0]", "runs past the end of the file", "truncated"});

  for (std::uint32_t seed : {1u, 2u, 3u, 4u, 5u}) {
    std::string garbage(2000, '\0');
    std::uint32_t state = seed;
    for (char& c : garbage) {
      state = state * 1103515245u + 12345u;
      c = static_cast<char>(state >> 24);
    }
    write_bytes(path, garbage);
    INFO("seed " << seed);
    require_error([&] { read_saved_model(dir.path(), ImportLimits{}); }, Errc::parse_error,
                  {path});
  }

  // A frozen GraphDef saved under the SavedModel name: its fields are not SavedModel's.
  write_bytes(path, read_bytes(corpus("frozen/mlp_tf2_frozen.pb")));
  require_error([&] { read_saved_model(dir.path(), ImportLimits{}); }, Errc::parse_error,
                {path, "not a SavedModel"});
}

TEST_CASE("broken frozen graph files") {
  TempDir dir;
  const std::string original = read_bytes(corpus("frozen/cnn_tf1_frozen.pb"));
  write_bytes(dir / "cut.pb", original.substr(0, original.size() - 1000));
  require_error([&] { read_graph_def(dir / "cut.pb", ImportLimits{}); }, Errc::parse_error,
                {"cut.pb", "node[", "truncated"});
  write_bytes(dir / "empty.pb", "");
  require_error([&] { read_graph_def(dir / "empty.pb", ImportLimits{}); }, Errc::parse_error,
                {"empty.pb", "empty"});
  require_error([&] { read_graph_def(dir / "absent.pb", ImportLimits{}); }, Errc::not_found,
                {"absent.pb"});
  require_error([&] { read_graph_def(dir.path(), ImportLimits{}); }, Errc::io_error,
                {dir.path(), "directory"});
  require_error(
      [&] { read_graph_def(corpus("keras_mlp_tf211/saved_model.pb"), ImportLimits{}); },
      Errc::parse_error, {"saved_model.pb", "not a GraphDef but a SavedModel"});
}

TEST_CASE("the wire-format walk names the field at fault") {
  // GraphDef { node { name: <0xff 0xfe> } }: a proto3 string must be UTF-8.
  const std::string bad_name("\x0a\x04\x0a\x02\xff\xfe", 6);
  tf::GraphDef graph;
  // libprotobuf logs this one to stderr; keep the test output clean.
  google::protobuf::LogHandler* previous = google::protobuf::SetLogHandler(nullptr);
  const Error e = expect_error(
      [&] { parse_binary_proto(bad_name, graph, ImportLimits{}, "g.pb", "GraphDef"); });
  google::protobuf::SetLogHandler(previous);
  check_error(e, Errc::parse_error, {"g.pb", "node[0].name", "UTF-8", "byte 4"});
  // Wire type 7 does not exist.
  CHECK_THAT(diagnose_wire_format(std::string("\x0f", 1), *tf::GraphDef::descriptor(), 100),
             Catch::Contains("invalid wire type 7"));
  // Field number 0 does not exist.
  CHECK_THAT(diagnose_wire_format(std::string("\x02\x00", 2), *tf::GraphDef::descriptor(), 100),
             Catch::Contains("invalid field number 0"));
  // node[0] says 5 bytes, 1 follows.
  CHECK_THAT(diagnose_wire_format(std::string("\x0a\x05\x0a", 3), *tf::GraphDef::descriptor(), 100),
             Catch::Contains("node[0]: length 5 runs past the end of the file"));
  // Well-formed data: nothing to report.
  CHECK(diagnose_wire_format(std::string("\x0a\x03\x0a\x01x", 5), *tf::GraphDef::descriptor(),
                             100).empty());
}

// ---- Limits (BAD_INPUTS 4) -------------------------------------------------------------------

TEST_CASE("deeply nested attr lists stop at the nesting limit") {
  // node.attr["f"] = func { attr["f"] = func { ... } }, 400 levels; each level is two messages
  // (NameAttrList, then the map entry and AttrValue), so 1200+ nested messages in all.
  tf::GraphDef graph;
  tf::NodeDef* node = graph.add_node();
  node->set_name("deep");
  node->set_op("NoOp");
  tf::AttrValue* value = &(*node->mutable_attr())["f"];
  for (int level = 0; level < 400; ++level) {
    tf::NameAttrList* func = value->mutable_func();
    func->set_name("f" + std::to_string(level));
    value = &(*func->mutable_attr())["f"];
  }
  const std::string bytes = graph.SerializeAsString();
  tf::GraphDef parsed;
  require_error([&] { parse_binary_proto(bytes, parsed, ImportLimits{}, "deep.pb", "GraphDef"); },
                Errc::parse_error,
                {"deep.pb", "node[0].attr[0].value.func.attr[0]", "max_nesting_depth"});

  ImportLimits generous;
  generous.max_nesting_depth = 1500;
  parse_binary_proto(bytes, parsed, generous, "deep.pb", "GraphDef");
  CHECK(parsed.node(0).attr().at("f").func().name() == "f0");

  // The text form nests the same way.
  std::string text;
  REQUIRE(google::protobuf::TextFormat::PrintToString(graph, &text));
  TempDir dir;
  write_bytes(dir / "deep.pbtxt", text);
  require_error([&] { read_graph_def(dir / "deep.pbtxt", ImportLimits{}); }, Errc::parse_error,
                {"deep.pbtxt", "text format"});
  CHECK(read_graph_def(dir / "deep.pbtxt", generous).node_size() == 1);
}

TEST_CASE("file size and node count limits name the file and the limit") {
  ImportLimits few_nodes;
  few_nodes.max_nodes = 10;
  require_error([&] { read_saved_model(corpus("keras_mlp_tf211"), few_nodes); },
                Errc::limit_exceeded, {"saved_model.pb", "max_nodes"});
  require_error([&] { read_graph_def(corpus("frozen/mlp_tf2_frozen.pb"), few_nodes); },
                Errc::limit_exceeded, {"mlp_tf2_frozen.pb", "max_nodes"});

  ImportLimits small_files;
  small_files.max_file_bytes = 1000;
  require_error([&] { read_saved_model(corpus("keras_mlp_tf211"), small_files); },
                Errc::limit_exceeded, {"saved_model.pb", "max_file_bytes"});

  ImportLimits nonsense;
  nonsense.max_nesting_depth = 0;
  require_error([&] { read_saved_model(corpus("keras_mlp_tf211"), nonsense); },
                Errc::invalid_argument, {"ImportLimits"});
}

}  // namespace KILN_TEST_FILE
