// The IR reader: parse_graph() undoes print_graph(), and bad text says where and what.
#include "../support.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <kiln/core/builder.hpp>
#include <kiln/core/parse.hpp>
#include <kiln/core/print.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

PrintOptions lossless() {
  PrintOptions o;
  o.lossless = true;
  return o;
}

template <class T> std::vector<T> elements(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

// Node ids may differ (the text is in name order); everything else must match by name.
void check_same_graph(const Graph& a, const Graph& b) {
  REQUIRE(a.size() == b.size());
  for (const Node& na : a.nodes()) {
    INFO("node " << na.name);
    REQUIRE(b.find(na.name));
    const Node& nb = b.node(b.at(na.name));
    CHECK(na.op == nb.op);
    REQUIRE(na.inputs.size() == nb.inputs.size());
    for (std::size_t i = 0; i < na.inputs.size(); ++i) {
      CHECK(a.value_name(na.inputs[i]) == b.value_name(nb.inputs[i]));
    }
    REQUIRE(na.control_inputs.size() == nb.control_inputs.size());
    for (std::size_t i = 0; i < na.control_inputs.size(); ++i) {
      CHECK(a.node(na.control_inputs[i]).name == b.node(nb.control_inputs[i]).name);
    }
    CHECK(na.outputs == nb.outputs);
    CHECK(na.replaced == nb.replaced);
    REQUIRE(na.attrs.size() == nb.attrs.size());
    for (const auto& [key, value] : na.attrs) {
      INFO("attr " << key);
      REQUIRE(nb.has_attr(key));
      const AttrValue& other = nb.attrs.find(key)->second;
      CHECK(value.index() == other.index());
      if (const Tensor* t = std::get_if<Tensor>(&value)) {
        const Tensor& u = std::get<Tensor>(other);
        CHECK(t->dtype() == u.dtype());
        CHECK(t->shape() == u.shape());
        CHECK(t->byte_size() == u.byte_size());
        CHECK(std::memcmp(t->raw(), u.raw(), std::min(t->byte_size(), u.byte_size())) == 0);
      } else {
        CHECK(attr_text(value, TextStyle::lossless) == attr_text(other, TextStyle::lossless));
      }
    }
  }
  auto same_ports = [&](const std::vector<Graph::Port>& pa, const std::vector<Graph::Port>& pb) {
    REQUIRE(pa.size() == pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) {
      CHECK(pa[i].name == pb[i].name);
      CHECK(a.value_name(pa[i].value) == b.value_name(pb[i].value));
    }
  };
  same_ports(a.inputs(), b.inputs());
  same_ports(a.outputs(), b.outputs());
}

// A graph with every feature the printer writes: TensorFlow names that need quotes, every
// attribute kind (including the ones whose brief text is ambiguous), tensors of every dtype,
// unknown dimensions and ranks, several outputs, control edges, ports and provenance.
Graph everything() {
  GraphBuilder b;
  Value x = b.input("serving_default_x:0", DType::float32, {-1, 3});
  Value w = b.constant("dense/kernel", Tensor::from<float>({3, 2}, {0.1f, -2.5f, 1e-8f, 3.4e38f, 7, -0.0f}));
  Value mm = b.op("MatMul", {x, w}, {}, "model/dense/MatMul");
  std::vector<Value> split = b.op_outputs("IdentityN", {mm, mm}, {{"T", DTypes{DType::float32, DType::float32}}}, "pair");
  Value r = b.op("Relu", {split[1]}, {}, "relu \"odd\" name");
  b.control(r, split[0]);
  b.output("out:0", r);
  b.output("second", split[0]);
  Graph g = b.finish();

  Node& n = g.node(g.at("model/dense/MatMul"));
  n.replaced = {"model/dense/MatMul", "model/dense/BiasAdd"};
  n.attrs["a_int"] = std::int64_t{-9007199254740993};
  n.attrs["a_float_integral"] = 1.0f;
  n.attrs["a_float"] = 0.1f;
  n.attrs["a_float_inf"] = -std::numeric_limits<float>::infinity();
  n.attrs["a_string"] = std::string("pad \"x\"\\ \n\x01 end");
  n.attrs["a_type"] = DType::bfloat16;
  n.attrs["a_shape_known"] = Shape{2, 3};
  n.attrs["a_shape_scalar"] = Shape{};
  n.attrs["a_shape_partial"] = Shape{-1, 3};
  n.attrs["a_shape_unknown_rank"] = Shape::unknown_rank();
  n.attrs["a_ints"] = Ints{1, -2, 3};
  n.attrs["a_ints_empty"] = Ints{};
  n.attrs["a_floats"] = Floats{1.0f, 0.5f, 2.0f};
  n.attrs["a_floats_empty"] = Floats{};
  n.attrs["a_strings"] = Strings{"SAME", ""};
  n.attrs["a_strings_empty"] = Strings{};
  n.attrs["a_types"] = DTypes{DType::int8, DType::boolean};
  n.attrs["a_types_empty"] = DTypes{};
  n.attrs["a_shapes"] = Shapes{Shape{1}, Shape::unknown_rank(), Shape{}};
  n.attrs["a_shapes_empty"] = Shapes{};
  n.attrs["t_f64"] = Tensor::from<double>({2}, {0.1, 1e300});
  n.attrs["t_f16"] = Tensor::from<half>({3}, {half(0.1f), half(65504.0f), half(-6e-8f)});
  n.attrs["t_bf16"] = Tensor::from<bfloat16>({2}, {bfloat16(3.14159f), bfloat16(-1e30f)});
  n.attrs["t_i8"] = Tensor::from<std::int8_t>({2}, {-128, 127});
  n.attrs["t_u8"] = Tensor::from<std::uint8_t>({2}, {0, 255});
  n.attrs["t_i32"] = Tensor::from<std::int32_t>({1, 2}, {-2147483647 - 1, 2147483647});
  n.attrs["t_i64"] = Tensor::from<std::int64_t>({}, {9007199254740993});
  n.attrs["t_bool"] = Tensor::from<bool>({3}, {true, false, true});
  n.attrs["t_empty"] = Tensor(DType::float32, Shape{0, 4});
  std::vector<float> many(40);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = 1.0f / static_cast<float>(i + 3);
  n.attrs["t_long"] = Tensor::from_vector<float>({5, 8}, many);
  g.node(g.at("pair")).outputs[1].shape = Shape::unknown_rank();
  return g;
}

}  // namespace

TEST_CASE("lossless text reads back as an equal graph and prints identically") {
  const Graph g = everything();
  const std::string text = print_graph(g, lossless());
  const Graph back = parse_graph(text);
  check_same_graph(g, back);
  CHECK(print_graph(back, lossless()) == text);
  CHECK(print_graph(back) == print_graph(g));
}

TEST_CASE("the lossless text names kinds only where the brief text is ambiguous") {
  const std::string text = print_graph(everything(), lossless());
  for (const char* part :
       {"a_float_integral = 1.0,", "a_float = 0.1,", "a_float_inf = -inf,", "a_int = -9007199254740993,",
        "a_shape_known = [2,3] : shape,", "a_shape_scalar = [] : shape,", "a_shape_partial = [?,3],",
        "a_shape_unknown_rank = <unknown>,", "a_ints_empty = [],", "a_floats = [1.0, 0.5, 2.0],",
        "a_floats_empty = [] : list(float),", "a_strings_empty = [] : list(string),",
        "a_shapes = [[1], <unknown>, []],", "a_string = \"pad \\\"x\\\"\\\\ \\x0a\\x01 end\",",
        "t_i64 = int64[] {9007199254740993}", "t_u8 = uint8[2] {0, 255}", "t_empty = float32[0,4] {}",
        "%\"relu \\\"odd\\\" name\" = Relu(%pair:1, ^%pair)", "outputs: \"out:0\" = %\"relu",
        "inputs: \"serving_default_x:0\" = %\"serving_default_x:0\"", ": (float32[?,2], float32<unknown>)"}) {
    INFO(part << "\n" << text);
    CHECK(text.find(part) != std::string::npos);
  }
  CHECK(text.find("...") == std::string::npos);  // the 40-element tensor is written in full
}

TEST_CASE("parsed values have the kinds and the exact values written") {
  const Graph back = parse_graph(print_graph(everything(), lossless()));
  const Node& n = back.node(back.at("model/dense/MatMul"));
  CHECK(n.attr<float>("a_float_integral") == 1.0f);
  CHECK(n.attr<float>("a_float") == 0.1f);
  CHECK(n.attr<std::int64_t>("a_int") == -9007199254740993);
  CHECK(n.attr<std::string>("a_string") == "pad \"x\"\\ \n\x01 end");
  CHECK(n.attr<Shape>("a_shape_known") == Shape{2, 3});
  CHECK(n.attr<Shape>("a_shape_scalar") == Shape{});
  CHECK(n.attr<Floats>("a_floats_empty").empty());
  CHECK(elements<double>(n.attr<Tensor>("t_f64")) == std::vector<double>{0.1, 1e300});
  CHECK(elements<std::int64_t>(n.attr<Tensor>("t_i64")) == std::vector<std::int64_t>{9007199254740993});
  CHECK(n.attr<Tensor>("t_bf16").data<bfloat16>()[0].bits == bfloat16(3.14159f).bits);
  CHECK(n.attr<Tensor>("t_f16").data<half>()[2].bits == half(-6e-8f).bits);
  const Node& w = back.node(back.at("dense/kernel"));
  CHECK(elements<float>(w.attr<Tensor>("value")) ==
        std::vector<float>{0.1f, -2.5f, 1e-8f, 3.4e38f, 7, -0.0f});
  CHECK(std::signbit(w.attr<Tensor>("value").data<float>()[5]));
}

TEST_CASE("brief text reads back and prints the same when nothing is elided") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
  Value f = b.constant("f", Tensor::from<float>({1, 1, 1, 2}, {0.5f, -1}));
  Value conv = b.op("Conv2D", {x, f}, {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("SAME")}}, "conv");
  Value lrelu = b.op("LeakyRelu", {conv}, {{"alpha", 1.0f}}, "lrelu");
  b.output("y", b.op("Squeeze", {lrelu}, {{"squeeze_dims", Ints{0}}}, "sq"));
  const Graph g = b.finish();
  const std::string text = print_graph(g);
  const Graph back = parse_graph(text);
  CHECK(print_graph(back) == text);
  // "alpha = 1" and "shape = [?,2,2,1]" and "explicit_paddings = []" take the catalogue's kinds.
  CHECK(back.node(back.at("lrelu")).attr<float>("alpha") == 1.0f);
  CHECK(back.node(back.at("x")).attr<Shape>("shape") == Shape{-1, 2, 2, 1});
  CHECK(back.node(back.at("conv")).attr<Ints>("explicit_paddings").empty());
  check_same_graph(g, back);
}

TEST_CASE("text without types is typed by inference, in any node order, with splats and comments") {
  const Graph g = parse_graph(R"(
    graph {
      // the output first: nodes may refer to nodes defined further down
      outputs: y = %y
      %y = MatMul(%x, %w) {T = float32, transpose_a = false, transpose_b = false}
      %w = Const() {dtype = float32, value = float32[4,2] {0.5}}   // one value for all eight
      %x = Placeholder() {dtype = float32, shape = [?,4]}
      inputs: x = %x
    })");
  CHECK(g.type_of(g.outputs()[0].value).str() == "float32[?,2]");
  CHECK(elements<float>(g.node(g.at("w")).attr<Tensor>("value")) == std::vector<float>(8, 0.5f));
  CHECK(g.node(g.at("x")).attr<Shape>("shape") == Shape{-1, 4});

  // An explicit kind wins over the catalogue and over the text's own look.
  const Graph k = parse_graph("graph { %c = NoOp() {a = [] : list(shape), b = 2 : float, c = [3] : shape} }");
  const Node& c = k.node(k.at("c"));
  CHECK(c.attr<Shapes>("a").empty());
  CHECK(c.attr<float>("b") == 2.0f);
  CHECK(c.attr<Shape>("c") == Shape{3});
  CHECK(c.outputs.empty());
}

namespace {
// The parse error for `text`, which must say where and what was expected.
void check_parse_error(const std::string& text, const std::string& where, const std::string& expected) {
  INFO(text);
  try {
    parse_graph(text);
    FAIL("expected a parse error");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.code() == Errc::parse_error);
    CHECK(e.message() == "IR text, " + where);
    CHECK(e.context().expected.find(expected) != std::string::npos);
  }
}
}  // namespace

TEST_CASE("malformed text is refused with the line, the column and what was expected") {
  check_parse_error("", "line 1, column 1", "'graph'");
  check_parse_error("graph {\n  %a = Relu(%b\n}", "line 3, column 1", "')'");
  check_parse_error("graph {\n  %a = Relu(%b)\n}", "line 2, column 13", "a node defined in this graph");
  check_parse_error("graph {\n  %a = NoOp()\n  %a = NoOp()\n}", "line 3, column 3", "each node defined once");
  check_parse_error("graph {\n  %a = NoOp() {x = }\n}", "line 2, column 20", "an attribute value");
  check_parse_error("graph {\n  %a = NoOp() {x = [1, \"s\"]}\n}", "line 2, column 20",
                    "a list whose items are all of one kind");
  check_parse_error("graph {\n  %a = NoOp() {x = \"open\n}", "line 2, column 25", "'\"' closing the string");
  check_parse_error("graph {\n  %a = NoOp() {x = 1 : lists}\n}", "line 2, column 24", "an attribute kind");
  check_parse_error("graph {\n  %a = NoOp() {x = \"s\" : int}\n}", "line 2, column 20", "a value of kind int");
  check_parse_error("graph { %c = Const() {value = float32[2,3] {1, 2}} }", "line 1, column 31",
                    "6 elements (or one for all)");
  check_parse_error("graph { %c = Const() {value = float32[20] {1, 2, ..., 3}} }", "line 1, column 50",
                    "elided contents");
  check_parse_error("graph { %c = Const() {value = int8[1] {300}} }", "line 1, column 40",
                    "an integer that fits int8");
  check_parse_error("graph { %c = Const() {value = float32[?] {1}} }", "line 1, column 38",
                    "a fully known shape");
  check_parse_error("graph { %c = NoOp() : float33[2] }", "line 1, column 23", "a dtype");
  check_parse_error("graph { %c = NoOp() : float32[-2] }", "line 1, column 31", "a dimension");
  check_parse_error("graph { %c = NoOp(^%d, %d) %d = NoOp() }", "line 1, column 24",
                    "control inputs come after data inputs");
  check_parse_error("graph { inputs x = %x }", "line 1, column 16", "':'");
  check_parse_error("graph { %c = NoOp() } trailing", "line 1, column 23", "the end of the text");
}

}  // namespace KILN_TEST_FILE
