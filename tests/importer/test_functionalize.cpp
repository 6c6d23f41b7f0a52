// TF1 control flow (importers/savedmodel/functionalize.hpp): while_loop frames become While nodes,
// Switch/Merge conds become If nodes, and the result imports and runs like a TF2 graph.
//
// The small graphs are built by hand with the importer's protobuf classes, as TensorFlow 1 lays
// them out, so that the expected values can be worked out on paper. The fixtures under
// tests/fixtures/control_flow/tf1_*_frozen were made by TensorFlow and carry its outputs.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <kiln/eager.hpp>
#include <kiln/model.hpp>
#include <kiln/npy.hpp>

#include "../support.hpp"
#include "importer_test_util.hpp"
#include "savedmodel/functionalize.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;

namespace {

tf::NodeDef* add_node(tf::GraphDef& g, const std::string& name, const std::string& op,
                      const std::vector<std::string>& inputs = {}) {
  tf::NodeDef* n = g.add_node();
  n->set_name(name);
  n->set_op(op);
  for (const std::string& in : inputs) n->add_input(in);
  return n;
}

tf::AttrValue& attr(tf::NodeDef* n, const std::string& key) { return (*n->mutable_attr())[key]; }

// A node whose one type attribute "T" is `dtype` (Enter, Merge, Switch, AddV2, ...).
tf::NodeDef* add_typed(tf::GraphDef& g, const std::string& name, const std::string& op,
                       const std::vector<std::string>& inputs, tf::DataType dtype) {
  tf::NodeDef* n = add_node(g, name, op, inputs);
  attr(n, "T").set_type(dtype);
  return n;
}

void add_placeholder(tf::GraphDef& g, const std::string& name, tf::DataType dtype) {
  attr(add_node(g, name, "Placeholder"), "dtype").set_type(dtype);
}

// A scalar Const; `inputs` may hold control inputs ("^node"), as TF1 ties a body's constants.
void add_scalar(tf::GraphDef& g, const std::string& name, tf::DataType dtype, double value,
                const std::vector<std::string>& inputs = {}) {
  tf::NodeDef* n = add_node(g, name, "Const", inputs);
  attr(n, "dtype").set_type(dtype);
  tf::TensorProto* t = attr(n, "value").mutable_tensor();
  t->set_dtype(dtype);
  if (dtype == tf::DT_FLOAT) {
    t->add_float_val(static_cast<float>(value));
  } else {
    t->add_int_val(static_cast<int>(value));
  }
}

void add_enter(tf::GraphDef& g, const std::string& name, const std::string& input,
               tf::DataType dtype, bool is_constant) {
  tf::NodeDef* n = add_typed(g, name, "Enter", {input}, dtype);
  attr(n, "frame_name").set_s("loop/while_context");
  attr(n, "is_constant").set_b(is_constant);
  attr(n, "parallel_iterations").set_i(10);
}

// i = 0; acc = x; while (i < n) { i = i + 1; acc = acc * 2 }, with n = 5 a loop invariant: the
// frame TF1's while_loop writes (Enter, Merge, LoopCond, Switch, Identity, NextIteration, Exit).
// Expected: i = 5, acc = 32 x.
tf::GraphDef counter_loop() {
  tf::GraphDef g;
  add_placeholder(g, "x", tf::DT_FLOAT);
  add_scalar(g, "zero", tf::DT_INT32, 0);
  add_scalar(g, "n", tf::DT_INT32, 5);
  add_enter(g, "loop/Enter_i", "zero", tf::DT_INT32, false);
  add_enter(g, "loop/Enter_acc", "x", tf::DT_FLOAT, false);
  add_enter(g, "loop/Enter_n", "n", tf::DT_INT32, true);
  add_typed(g, "loop/Merge_i", "Merge", {"loop/Enter_i", "loop/Next_i"}, tf::DT_INT32);
  add_typed(g, "loop/Merge_acc", "Merge", {"loop/Enter_acc", "loop/Next_acc"}, tf::DT_FLOAT);
  add_typed(g, "loop/Less", "Less", {"loop/Merge_i", "loop/Enter_n"}, tf::DT_INT32);
  add_node(g, "loop/LoopCond", "LoopCond", {"loop/Less"});
  add_typed(g, "loop/Switch_i", "Switch", {"loop/Merge_i", "loop/LoopCond"}, tf::DT_INT32);
  add_typed(g, "loop/Switch_acc", "Switch", {"loop/Merge_acc", "loop/LoopCond"}, tf::DT_FLOAT);
  add_typed(g, "loop/Identity_i", "Identity", {"loop/Switch_i:1"}, tf::DT_INT32);
  add_typed(g, "loop/Identity_acc", "Identity", {"loop/Switch_acc:1"}, tf::DT_FLOAT);
  add_scalar(g, "loop/one", tf::DT_INT32, 1, {"^loop/Identity_i"});
  add_scalar(g, "loop/two", tf::DT_FLOAT, 2, {"^loop/Identity_i"});
  add_typed(g, "loop/add", "AddV2", {"loop/Identity_i", "loop/one"}, tf::DT_INT32);
  add_typed(g, "loop/mul", "Mul", {"loop/Identity_acc", "loop/two"}, tf::DT_FLOAT);
  add_typed(g, "loop/Next_i", "NextIteration", {"loop/add"}, tf::DT_INT32);
  add_typed(g, "loop/Next_acc", "NextIteration", {"loop/mul"}, tf::DT_FLOAT);
  add_typed(g, "loop/Exit_i", "Exit", {"loop/Switch_i"}, tf::DT_INT32);
  add_typed(g, "loop/Exit_acc", "Exit", {"loop/Switch_acc"}, tf::DT_FLOAT);
  return g;
}

// y = p ? 10 x : -x, as tf.compat.v1.cond writes it: a pivot Switch(p, p) whose "then" Identity
// holds the branch's constant, one Switch(x, p) per branch, and a Merge(else, then).
tf::GraphDef small_cond() {
  tf::GraphDef g;
  add_placeholder(g, "x", tf::DT_FLOAT);
  add_placeholder(g, "p", tf::DT_BOOL);
  add_typed(g, "cond/Switch", "Switch", {"p", "p"}, tf::DT_BOOL);
  add_typed(g, "cond/switch_t", "Identity", {"cond/Switch:1"}, tf::DT_BOOL);
  add_typed(g, "cond/pred_id", "Identity", {"p"}, tf::DT_BOOL);
  add_typed(g, "cond/mul/Switch", "Switch", {"x", "cond/pred_id"}, tf::DT_FLOAT);
  add_scalar(g, "cond/mul/y", tf::DT_FLOAT, 10, {"^cond/switch_t"});
  add_typed(g, "cond/mul", "Mul", {"cond/mul/Switch:1", "cond/mul/y"}, tf::DT_FLOAT);
  add_typed(g, "cond/Neg/Switch", "Switch", {"x", "cond/pred_id"}, tf::DT_FLOAT);
  add_typed(g, "cond/Neg", "Neg", {"cond/Neg/Switch"}, tf::DT_FLOAT);
  tf::NodeDef* merge = add_typed(g, "cond/Merge", "Merge", {"cond/Neg", "cond/mul"}, tf::DT_FLOAT);
  attr(merge, "N").set_i(2);
  return g;
}

std::string write_graph(const test::TempDir& dir, const tf::GraphDef& g) {
  const std::string path = dir / "model.pb";
  std::ofstream out(path, std::ios::binary);
  REQUIRE(g.SerializeToOstream(&out));
  return path;
}

int count_ops(const tf::GraphDef& g, const std::string& op) {
  int n = 0;
  for (const tf::NodeDef& node : g.node()) n += node.op() == op;
  return n;
}

// Importing `g` for `outputs` fails as unsupported control flow, naming the node, and does not
// call the graph cyclic (the importer's message for a loop it has not been shown how to read).
void require_control_flow_error(const tf::GraphDef& g, const std::vector<std::string>& outputs,
                                const std::string& node) {
  test::TempDir dir;
  const std::string path = write_graph(dir, g);
  try {
    load_graphdef(path).graph_for_tensors(outputs);
    FAIL("the graph imported");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::unsupported);
    CHECK_THAT(std::string(e.what()), Catch::Contains("control flow"));
    CHECK_THAT(std::string(e.what()), !Catch::Contains("cycle"));
    CHECK(e.context().node == node);
  }
}

// The tensors of a fixture folder ("inputs" or "outputs"), named as the files say ("__" is "/").
NamedTensors load_folder(const fs::path& dir) {
  NamedTensors tensors;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().stem().string();
    for (std::size_t at; (at = name.find("__")) != std::string::npos;) name.replace(at, 2, "/");
    tensors[name] = load_npy(entry.path().string());
  }
  return tensors;
}

}  // namespace

TEST_CASE("a TF1 counter loop becomes one While that runs", "[functionalize]") {
  const tf::GraphDef tf1 = counter_loop();
  REQUIRE(importer::has_v1_control_flow(tf1));

  const tf::GraphDef functional = importer::functionalize_control_flow(tf1, "counter_loop");
  CHECK(count_ops(functional, "While") == 1);
  CHECK(functional.library().function_size() == 2);  // cond and body
  CHECK_FALSE(importer::has_v1_control_flow(functional));
  for (const tf::FunctionDef& f : functional.library().function()) {
    CHECK(f.signature().input_arg_size() == 3);  // i, acc and the invariant n
  }

  test::TempDir dir;
  const Graph graph =
      load_graphdef(write_graph(dir, tf1)).graph_for_tensors({"loop/Exit_i", "loop/Exit_acc"});
  const NamedTensors out = run_eager(graph, {{"x", Tensor::scalar<float>(1.5f)}});
  test::check_equal(out.at("loop/Exit_i"), Tensor::scalar<std::int32_t>(5));
  test::check_equal(out.at("loop/Exit_acc"), Tensor::scalar<float>(48.0f));  // 1.5 * 2^5
}

TEST_CASE("a TF1 Switch/Merge cond becomes one If that takes either branch", "[functionalize]") {
  const tf::GraphDef tf1 = small_cond();
  REQUIRE(importer::has_v1_control_flow(tf1));
  const tf::GraphDef functional = importer::functionalize_control_flow(tf1, "small_cond");
  CHECK(count_ops(functional, "If") == 1);
  CHECK(count_ops(functional, "Switch") == 0);  // the cond's Switches are gone with it

  test::TempDir dir;
  const Graph graph = load_graphdef(write_graph(dir, tf1)).graph_for_tensors({"cond/Merge"});
  const Tensor x = Tensor::from<float>({2}, {1.5f, -4.0f});
  const NamedTensors then = run_eager(graph, {{"x", x}, {"p", Tensor::scalar<bool>(true)}});
  test::check_equal(then.at("cond/Merge"), Tensor::from<float>({2}, {15.0f, -40.0f}));
  const NamedTensors otherwise = run_eager(graph, {{"x", x}, {"p", Tensor::scalar<bool>(false)}});
  test::check_equal(otherwise.at("cond/Merge"), Tensor::from<float>({2}, {-1.5f, 4.0f}));
}

TEST_CASE("control flow that is not a TF1 loop or cond is refused by name", "[functionalize]") {
  SECTION("a Merge with no Switch behind its inputs") {
    tf::GraphDef g;
    add_placeholder(g, "a", tf::DT_FLOAT);
    add_placeholder(g, "b", tf::DT_FLOAT);
    add_typed(g, "merge", "Merge", {"a", "b"}, tf::DT_FLOAT);
    require_control_flow_error(g, {"merge"}, "merge");
  }
  SECTION("a NextIteration feeding a Merge outside any frame (no Enter)") {
    tf::GraphDef g;
    add_placeholder(g, "x", tf::DT_FLOAT);
    add_typed(g, "merge", "Merge", {"x", "next"}, tf::DT_FLOAT);
    add_typed(g, "double", "AddV2", {"merge", "merge"}, tf::DT_FLOAT);
    add_typed(g, "next", "NextIteration", {"double"}, tf::DT_FLOAT);
    require_control_flow_error(g, {"double"}, "merge");
  }
  SECTION("a body value read outside its loop without an Exit") {
    tf::GraphDef g = counter_loop();
    add_typed(g, "leak", "Identity", {"loop/mul"}, tf::DT_FLOAT);
    require_control_flow_error(g, {"leak"}, "leak");
  }
}

TEST_CASE("control flow the outputs do not reach is left alone", "[functionalize]") {
  // A Merge no Switch explains, beside a plain output: the import only needs the output.
  tf::GraphDef g = small_cond();
  add_typed(g, "stray", "Merge", {"x", "x"}, tf::DT_FLOAT);
  add_typed(g, "plain", "Neg", {"x"}, tf::DT_FLOAT);
  test::TempDir dir;
  const Graph graph = load_graphdef(write_graph(dir, g)).graph_for_tensors({"plain"});
  const NamedTensors out = run_eager(graph, {{"x", Tensor::from<float>({1}, {2.0f})}});
  test::check_equal(out.at("plain"), Tensor::from<float>({1}, {-2.0f}));
}

TEST_CASE("TF1 fixtures made by TensorFlow match its outputs", "[functionalize][conformance]") {
  const fs::path fixtures = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "control_flow";
  for (const char* name :
       {"tf1_while_frozen", "tf1_cond_frozen", "tf1_nested_frozen", "tf1_dynamic_rnn_frozen"}) {
    SECTION(name) {
      const fs::path dir = fixtures / name;
      const NamedTensors expected = load_folder(dir / "outputs");
      std::vector<std::string> outputs;
      for (const auto& [output, value] : expected) outputs.push_back(output);
      const Graph graph = load_graphdef((dir / "model.pb").string()).graph_for_tensors(outputs);
      const NamedTensors actual = run_eager(graph, load_folder(dir / "inputs"));
      for (const auto& [output, value] : expected) {
        INFO(output);
        test::check_close(actual.at(output), value, 1e-5, 1e-5);
      }
    }
  }
}

}  // namespace KILN_TEST_FILE
