// Malformed graphs (BAD_INPUTS.md cases 2-4, 6-15, 17-19): each import fails with a kiln::Error
// that names the file and the node, op or attribute at fault, and nothing crashes.
//
// Each case builds a small SavedModel or GraphDef with the importer's own protobuf classes,
// breaks one thing, writes it to a temporary folder and loads it through the public API.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <kiln/model.hpp>

#include "savedmodel/proto/saved_model.pb.h"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;

namespace {

// A fresh, empty folder under the system's temporary directory.
fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("kiln_bad_graphs_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

tf::NodeDef* add_node(tf::GraphDef& g, const std::string& name, const std::string& op,
                      std::vector<std::string> inputs = {}) {
  tf::NodeDef* n = g.add_node();
  n->set_name(name);
  n->set_op(op);
  for (const std::string& in : inputs) n->add_input(in);
  return n;
}

void set_type(tf::NodeDef* n, const std::string& key, int dtype) {
  (*n->mutable_attr())[key].set_type(static_cast<tf::DataType>(dtype));
}

// x = Placeholder(float, [2]); c = Const(float [2] {1, 2}); y = AddV2(x, c)
tf::GraphDef small_graph() {
  tf::GraphDef g;
  tf::NodeDef* x = add_node(g, "x", "Placeholder");
  set_type(x, "dtype", 1);
  (*x->mutable_attr())["shape"].mutable_shape()->add_dim()->set_size(2);
  tf::NodeDef* c = add_node(g, "c", "Const");
  set_type(c, "dtype", 1);
  tf::TensorProto* value = (*c->mutable_attr())["value"].mutable_tensor();
  value->set_dtype(tf::DT_FLOAT);
  value->mutable_tensor_shape()->add_dim()->set_size(2);
  value->add_float_val(1);
  value->add_float_val(2);
  tf::NodeDef* y = add_node(g, "y", "AddV2", {"x", "c"});
  set_type(y, "T", 1);
  return g;
}

// Writes `graph` as a SavedModel with tags {serve} and a serving_default signature x -> y.
fs::path write_saved_model(const std::string& name, const tf::GraphDef& graph,
                           const std::string& output = "y:0") {
  tf::SavedModel model;
  tf::MetaGraphDef* meta = model.add_meta_graphs();
  meta->mutable_meta_info_def()->add_tags("serve");
  *meta->mutable_graph_def() = graph;
  tf::SignatureDef& sig = (*meta->mutable_signature_def())["serving_default"];
  sig.set_method_name("tensorflow/serving/predict");
  tf::TensorInfo& in = (*sig.mutable_inputs())["x"];
  in.set_name("x:0");
  in.set_dtype(tf::DT_FLOAT);
  tf::TensorInfo& out = (*sig.mutable_outputs())["y"];
  out.set_name(output);
  out.set_dtype(tf::DT_FLOAT);
  const fs::path dir = temp_dir(name);
  std::ofstream file(dir / "saved_model.pb", std::ios::binary);
  model.SerializeToOstream(&file);
  return dir;
}

// Loads the SavedModel and imports serving_default; returns the error that must come.
Error import_error(const fs::path& dir) {
  try {
    load_saved_model(dir.string()).graph("serving_default");
  } catch (const Error& e) {
    return e;
  }
  FAIL("the malformed model was accepted");
  return Error(Errc::internal, "unreachable");
}

bool mentions(const Error& e, const std::string& text) {
  return std::string(e.what()).find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("the unbroken model imports (so the failures below are the breakage's)") {
  const fs::path dir = write_saved_model("valid", small_graph());
  Graph g = load_saved_model(dir.string()).graph("serving_default");
  CHECK(g.size() == 3);
}

TEST_CASE("case 2: a signature naming a missing tensor, a missing tag set, a missing graph") {
  Error e = import_error(write_saved_model("missing_output", small_graph(), "nowhere:0"));
  CHECK(e.code() == Errc::invalid_graph);
  CHECK(e.context().input == "nowhere");
  CHECK(mentions(e, "saved_model") == false);  // the file is named by folder
  CHECK(e.context().file.find("missing_output") != std::string::npos);

  const fs::path dir = write_saved_model("tags", small_graph());
  LoadOptions gpu;
  gpu.tags = {"gpu"};
  try {
    load_saved_model(dir.string(), gpu);
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(err.code() == Errc::not_found);
    CHECK(err.context().found == "serve");  // says which tag sets exist
  }
  CHECK(import_error(write_saved_model("no_graph", tf::GraphDef())).code() == Errc::invalid_graph);
}

TEST_CASE("case 3: duplicate node and function names") {
  tf::GraphDef g = small_graph();
  add_node(g, "c", "Const");
  CHECK(mentions(import_error(write_saved_model("dup_node", g)), "two nodes share one name"));

  tf::GraphDef h = small_graph();
  h.mutable_library()->add_function()->mutable_signature()->set_name("f");
  h.mutable_library()->add_function()->mutable_signature()->set_name("f");
  CHECK(mentions(import_error(write_saved_model("dup_function", h)), "two functions share one name"));
}

TEST_CASE("cases 6 and 7: dangling inputs and output indices out of range") {
  tf::GraphDef g = small_graph();
  g.mutable_node(2)->set_input(1, "ghost");
  Error e = import_error(write_saved_model("dangling", g));
  CHECK(e.context().node == "y");
  CHECK(e.context().input == "ghost");

  tf::GraphDef h = small_graph();
  h.mutable_node(2)->set_input(1, "c:7");
  Error r = import_error(write_saved_model("index", h));
  CHECK(r.context().node == "y");
  CHECK(r.context().input == "c:7");
}

TEST_CASE("cases 9 and 10: cycles and a node that consumes itself") {
  tf::GraphDef g = small_graph();
  tf::NodeDef* a = add_node(g, "a", "Relu", {"b"});
  set_type(a, "T", 1);
  tf::NodeDef* b = add_node(g, "b", "Relu", {"a"});
  set_type(b, "T", 1);
  g.mutable_node(2)->set_input(1, "a");
  CHECK(mentions(import_error(write_saved_model("cycle", g)), "cycle"));

  tf::GraphDef self = small_graph();
  self.mutable_node(2)->set_input(1, "y");
  Error e = import_error(write_saved_model("self", self));
  CHECK(mentions(e, "cycle"));
  CHECK(e.context().node == "y");
}

namespace {
// Adds function `name` with one float input "a" and one output returning `body_output`;
// `body` fills its nodes.
tf::FunctionDef* add_function(tf::GraphDef& g, const std::string& name) {
  tf::FunctionDef* f = g.mutable_library()->add_function();
  f->mutable_signature()->set_name(name);
  tf::OpDef::ArgDef* in = f->mutable_signature()->add_input_arg();
  in->set_name("a");
  in->set_type(tf::DT_FLOAT);
  tf::OpDef::ArgDef* out = f->mutable_signature()->add_output_arg();
  out->set_name("out");
  out->set_type(tf::DT_FLOAT);
  return f;
}
tf::NodeDef* add_call(google::protobuf::RepeatedPtrField<tf::NodeDef>* nodes, const std::string& name,
                      const std::string& callee, const std::string& input) {
  tf::NodeDef* call = nodes->Add();
  call->set_name(name);
  call->set_op("PartitionedCall");
  call->add_input(input);
  (*call->mutable_attr())["f"].mutable_func()->set_name(callee);
  return call;
}
}  // namespace

TEST_CASE("case 8: recursion, direct and through another function; case 4: deep nesting") {
  tf::GraphDef g = small_graph();
  add_call(g.mutable_node(), "call", "f", "x");
  g.mutable_node(2)->set_input(0, "call:0");
  tf::FunctionDef* f = add_function(g, "f");
  add_call(f->mutable_node_def(), "inner", "g", "a");
  (*f->mutable_ret())["out"] = "inner:output:0";
  tf::FunctionDef* h = add_function(g, "g");
  add_call(h->mutable_node_def(), "back", "f", "a");
  (*h->mutable_ret())["out"] = "back:output:0";
  Error e = import_error(write_saved_model("recursion", g));
  CHECK(mentions(e, "calls itself"));

  // f0 calls f1 calls f2 ... f199: no recursion, but far deeper than any real model.
  tf::GraphDef deep = small_graph();
  add_call(deep.mutable_node(), "call", "f0", "x");
  deep.mutable_node(2)->set_input(0, "call:0");
  for (int i = 0; i < 200; ++i) {
    tf::FunctionDef* fi = add_function(deep, "f" + std::to_string(i));
    if (i == 199) {
      (*fi->mutable_ret())["out"] = "a";
    } else {
      add_call(fi->mutable_node_def(), "next", "f" + std::to_string(i + 1), "a");
      (*fi->mutable_ret())["out"] = "next:output:0";
    }
  }
  Error d = import_error(write_saved_model("deep", deep));
  CHECK(d.code() == Errc::limit_exceeded);
}

TEST_CASE("case 11: every unsupported op is reported at once, with counts and places") {
  tf::GraphDef g = small_graph();
  add_node(g, "u1", "FrobnicateV2", {"x"});
  add_node(g, "u2", "FrobnicateV2", {"u1"});
  add_node(g, "u3", "Zorch", {"u2"});
  g.mutable_node(2)->set_input(0, "u3");
  Error e = import_error(write_saved_model("unsupported", g));
  CHECK(e.code() == Errc::unsupported);
  CHECK(mentions(e, "2 op types are not supported by Kiln (3 nodes)"));
  CHECK(mentions(e, "FrobnicateV2 x2: main graph node 'u1'; main graph node 'u2'"));
  CHECK(mentions(e, "Zorch x1: main graph node 'u3'"));
}

TEST_CASE("cases 12 and 13: dtypes that contradict T, invalid and string dtypes") {
  tf::GraphDef g = small_graph();
  set_type(g.mutable_node(2), "T", 3);  // AddV2<int32> of float tensors
  Error e = import_error(write_saved_model("t_mismatch", g));
  CHECK(e.code() == Errc::type_mismatch);
  CHECK(e.context().node == "y");

  for (int bad : {0, 7, 999}) {  // DT_INVALID, DT_STRING, not a DataType at all
    tf::GraphDef h = small_graph();
    set_type(h.mutable_node(2), "T", bad);
    Error err = import_error(write_saved_model("dtype_" + std::to_string(bad), h));
    CHECK(err.context().node == "y");
    CHECK(err.context().attr == "T");
  }

  tf::GraphDef ref = small_graph();
  set_type(ref.mutable_node(2), "T", 101);  // DT_FLOAT_REF: TF1's reference type means float
  CHECK_NOTHROW(load_saved_model(write_saved_model("ref_dtype", ref).string()).graph("serving_default"));
}

TEST_CASE("cases 14 and 15: negative dimensions, absurd ranks, overflowing element counts") {
  tf::GraphDef g = small_graph();
  (*g.mutable_node(0)->mutable_attr())["shape"].mutable_shape()->mutable_dim(0)->set_size(-7);
  CHECK(import_error(write_saved_model("negative_dim", g)).context().node == "x");

  tf::GraphDef rank = small_graph();
  tf::TensorShapeProto* s = (*rank.mutable_node(0)->mutable_attr())["shape"].mutable_shape();
  for (int i = 0; i < 100; ++i) s->add_dim()->set_size(1);
  CHECK(import_error(write_saved_model("rank", rank)).code() == Errc::limit_exceeded);

  tf::GraphDef huge = small_graph();
  tf::TensorProto* v = (*huge.mutable_node(1)->mutable_attr())["value"].mutable_tensor();
  v->mutable_tensor_shape()->mutable_dim(0)->set_size(std::int64_t{1} << 40);
  v->mutable_tensor_shape()->add_dim()->set_size(std::int64_t{1} << 40);
  Error e = import_error(write_saved_model("overflow", huge));
  CHECK(e.code() == Errc::limit_exceeded);
  CHECK(e.context().node == "c");
}

TEST_CASE("cases 17-19: values that drive shape inference are checked, not trusted") {
  // A Conv2D with stride 0.
  tf::GraphDef g = small_graph();
  tf::NodeDef* conv = add_node(g, "conv", "Conv2D", {"x", "c"});
  set_type(conv, "T", 1);
  (*conv->mutable_attr())["padding"].set_s("SAME");
  for (int i = 0; i < 4; ++i) (*conv->mutable_attr())["strides"].mutable_list()->add_i(i == 1 ? 0 : 1);
  g.mutable_node(2)->set_input(0, "conv");
  Error e = import_error(write_saved_model("stride0", g));
  CHECK(e.context().node == "conv");

  // A reduction over axis 5 of a rank-1 tensor.
  tf::GraphDef h = small_graph();
  tf::NodeDef* axis = add_node(h, "axis", "Const");
  set_type(axis, "dtype", 3);
  tf::TensorProto* a = (*axis->mutable_attr())["value"].mutable_tensor();
  a->set_dtype(tf::DT_INT32);
  a->add_int_val(5);
  tf::NodeDef* sum = add_node(h, "sum", "Sum", {"x", "axis"});
  set_type(sum, "T", 1);
  h.mutable_node(2)->set_input(0, "sum");
  Error s = import_error(write_saved_model("axis", h));
  CHECK(s.context().node == "sum");
}

TEST_CASE("case 22: model files that resolve outside the model folder are refused") {
  // A copy of a real model whose checkpoint data is a symlink to a file outside the folder.
  const fs::path dir = temp_dir("escape");
  const fs::path source = fs::path(KILN_CORPUS_DIR) / "half_plus_two_tf1";
  fs::copy(source, dir / "model", fs::copy_options::recursive);
  const fs::path outside = dir / "outside.data";
  fs::copy_file(source / "variables" / "variables.data-00000-of-00001", outside);
  const fs::path shard = dir / "model" / "variables" / "variables.data-00000-of-00001";
  fs::remove(shard);
  fs::create_symlink(outside, shard);
  try {
    load_saved_model((dir / "model").string());
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(mentions(e, "outside the model folder"));
  }
}

}  // namespace KILN_TEST_FILE
