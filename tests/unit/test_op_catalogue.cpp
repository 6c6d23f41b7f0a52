// The op catalogue's traits (core/op_def.hpp, core/op_traits.hpp): the builder that sets them,
// the catalogue walked against the reference kernels so that a new op cannot lack one, the
// epilogue names, and in-place reuse checked by running every op that allows it in place.
#include "../kernel_coverage.hpp"
#include "../support.hpp"

#include <kiln/core/op_traits.hpp>

#include <fstream>
#include <iterator>
#include <string>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

std::vector<TensorType> infer_any(const InferContext& ctx) { return {ctx.input(0)}; }

// The Errc of the Error `fn` throws (or fails the test).
template <class Fn> Errc error_code(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("no kiln::Error thrown");
  return Errc::internal;
}

}  // namespace

TEST_CASE("the op builder sets each named trait and refuses contradictions") {
  const OpDef relu = op("MyRelu")
                         .inputs(1)
                         .attrs({{"T", {}}})
                         .attrs({{"alpha", 0.5f}})
                         .input_types({"T"})
                         .infer(infer_any)
                         .elementwise()
                         .in_place()
                         .epilogue("MyRelu")
                         .non_negative()
                         .def();
  CHECK(relu.name == "MyRelu");
  CHECK(relu.min_inputs == 1);
  CHECK(relu.max_inputs == 1);
  REQUIRE(relu.attrs.size() == 2);  // attrs() appends
  CHECK(relu.attrs[1].name == "alpha");
  CHECK(relu.input_types == std::vector<std::string>{"T"});
  CHECK(relu.elementwise == Elementwise::unary);
  CHECK(relu.in_place_inputs == std::vector<int>{0});
  CHECK(relu.epilogue == "MyRelu");
  CHECK(relu.non_negative);
  CHECK_FALSE(relu.forwards_inputs);
  CHECK_FALSE(relu.side_effects);
  CHECK_FALSE(relu.nondeterministic);
  CHECK_FALSE(relu.fused_epilogue);
  CHECK(relu.no_kernel_reason.empty());

  const OpDef add = op("MyAdd").inputs(2).infer(infer_any).elementwise().in_place({0, 1}).def();
  CHECK(add.elementwise == Elementwise::binary);
  CHECK(add.in_place_inputs == std::vector<int>{0, 1});
  const OpDef assign = op("MyAssign").inputs(2).infer(infer_any).side_effects().def();
  CHECK(assign.side_effects);
  const OpDef random = op("MyRandom").inputs(1).infer(infer_any).nondeterministic().def();
  CHECK(random.nondeterministic);
  const OpDef concat = op("MyConcat").variadic_inputs(2).infer(infer_any).def();
  CHECK(concat.max_inputs == kVariadic);

  // Contradictions fail when the catalogue is built, not when a graph first uses the op.
  CHECK(error_code([] { op("Three").inputs(3).elementwise(); }) == Errc::internal);
  CHECK(error_code([] { op("Either").inputs(1, 2).elementwise(); }) == Errc::internal);
  CHECK(error_code([] { op("Unary").inputs(1).in_place({1}); }) == Errc::internal);
  OpCatalogue c;
  c.add(op("A").inputs(1).infer(infer_any).epilogue("Step"));
  CHECK(error_code([&] { c.add(op("A").inputs(1).infer(infer_any)); }) == Errc::internal);
  CHECK(error_code([&] { c.add(op("B").inputs(1).infer(infer_any).epilogue("Step")); }) ==
        Errc::internal);
  CHECK(error_code([&] { c.add_epilogue({"Step", "x"}); }) == Errc::internal);
  CHECK(error_code([&] { c.add(op("NoShape").inputs(1)); }) == Errc::internal);
}

TEST_CASE("every catalogue op has a reference kernel, or says why it needs none") {
  const std::vector<test::BackendKernels> backends = {
      test::backend_kernels("reference", reference::kernel_table())};
  const std::vector<test::CoverageRow> rows = test::kernel_coverage(backends);
  CHECK(rows.size() == op_catalogue().all().size());
  for (const std::string& op : test::missing_kernels(rows, 0)) {
    FAIL_CHECK("op " << op << " has no reference kernel (give it one in kernels/reference/, "
                              "or .no_kernel(reason) in its catalogue entry)");
  }
  for (const std::string& op : test::unknown_ops(backends[0])) {
    FAIL_CHECK("the reference kernel table serves " << op << ", which the catalogue lacks");
  }
  // An op that needs no kernel has none: the reason must be true.
  for (const test::CoverageRow& row : rows) {
    if (!row.no_kernel_reason.empty()) {
      INFO(row.op << ": " << row.no_kernel_reason);
      CHECK_FALSE(row.served[0]);
    }
  }
  // The walk sees what a hand list would: ops from every family, and the graph-level ones.
  for (const char* op : {"Placeholder", "Reshape", "Identity"}) {
    INFO(op);
    CHECK_FALSE(test::no_kernel_reason(*op_catalogue().find(op)).empty());
  }
  for (const char* op : {"Const", "Erfc", "GatherV2", "Conv2D", "_FusedMatMul", "Einsum"}) {
    INFO(op);
    CHECK(test::no_kernel_reason(*op_catalogue().find(op)).empty());
  }
}

TEST_CASE("the fusable activations are the ops with an epilogue name, plus three patterns") {
  // Worked out from TensorFlow's remapper and oneDNN's post-ops, not from the catalogue.
  CHECK(ops_where([](const OpDef& d) { return !d.epilogue.empty(); }) ==
        std::vector<std::string>{"Elu", "LeakyRelu", "Relu", "Relu6", "Sigmoid", "Tanh"});
  CHECK(op_catalogue().epilogue_activations() ==
        std::vector<std::string>{"Elu", "GeluApproximate", "GeluExact", "LeakyRelu", "Relu",
                                 "Relu6", "Sigmoid", "Swish", "Tanh"});
  CHECK(epilogue_name("Relu6") == "Relu6");
  CHECK(epilogue_name("Erfc").empty());
  CHECK(epilogue_name("NoSuchOp").empty());
  CHECK(is_epilogue_activation("Tanh"));
  CHECK_FALSE(is_epilogue_activation("Swish"));  // a step, but no op of that name
  CHECK(is_epilogue_activation_step("Swish"));
  CHECK_FALSE(is_epilogue_activation_step("BiasAdd"));  // a step, but not an activation
  // An op fused as an activation is applied to each element on its own.
  for (const std::string& name : ops_where([](const OpDef& d) { return !d.epilogue.empty(); })) {
    INFO(name);
    CHECK(op_catalogue().find(name)->elementwise == Elementwise::unary);
  }
  CHECK(has_fused_epilogue("_FusedConv2D"));
  CHECK_FALSE(has_fused_epilogue("_FusedLayerNorm"));
}

TEST_CASE("every catalogue epilogue activation has a reference function, and no other does") {
  for (const std::string& step : op_catalogue().epilogue_activations()) {
    INFO(step);
    CHECK(reference::epilogue_activations().count(step) == 1);
  }
  for (const auto& [step, function] : reference::epilogue_activations()) {
    INFO(step);
    CHECK(op_catalogue().is_epilogue_activation(step));
    CHECK(function.f32 != nullptr);
    CHECK(function.f64 != nullptr);
  }
}

TEST_CASE("ops Kiln does not know count as having side effects; its own ops say which do") {
  for (const char* op : {"AssignVariableOp", "PrintV2", "SomeNewRandomOp"}) {
    INFO(op);
    CHECK(has_side_effects(op));
    CHECK(is_nondeterministic(op));
    CHECK_FALSE(is_check(op));  // nobody knows that dropping it is harmless
  }
  // The checks are the catalogue's only side effects, the stateful random ops its only
  // nondeterministic ops; the stateless random ops are functions of their inputs.
  const std::vector<std::string> checks = {"Assert", "CheckNumerics", "CheckNumericsV2"};
  CHECK(ops_where([](const OpDef& d) { return d.side_effects; }) == checks);
  CHECK(ops_where([](const OpDef& d) { return d.check; }) == checks);
  CHECK(ops_where([](const OpDef& d) { return d.nondeterministic; }) ==
        std::vector<std::string>{"RandomStandardNormal", "RandomUniform", "RandomUniformInt",
                                 "TruncatedNormal"});
  CHECK_FALSE(is_nondeterministic("StatelessRandomUniformV2"));
  CHECK(is_check("Assert"));
  CHECK(op("MyCheck").inputs(1).infer(infer_any).check().def().side_effects);
}

TEST_CASE("a non-negative output: the op's trait, or a fused node's last step") {
  Node relu;
  relu.op = "Relu";
  CHECK(has_non_negative_output(relu));
  relu.op = "Tanh";
  CHECK_FALSE(has_non_negative_output(relu));
  Node fused;
  fused.op = "_FusedConv2D";
  fused.attrs.emplace("fused_ops", Strings{"BiasAdd", "Relu6"});
  CHECK(has_non_negative_output(fused));
  fused.attrs["fused_ops"] = Strings{"Relu", "Add"};  // the residual may be negative
  CHECK_FALSE(has_non_negative_output(fused));
  fused.attrs["fused_ops"] = Strings{"BiasAdd", "Swish"};
  CHECK_FALSE(has_non_negative_output(fused));
}

// ---- In place -------------------------------------------------------------------------------

namespace {

struct Example {
  std::vector<Tensor> inputs;
  Attrs attrs;
};

Tensor floats(Shape shape, float start, float step) {
  std::vector<float> values(static_cast<std::size_t>(shape.num_elements()));
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = start + step * static_cast<float>(i) * (i % 2 ? -1.0f : 1.0f);
  }
  return Tensor::from_vector<float>(std::move(shape), values);
}

// Two [2, 3] operands of the first of float32, int32 and bool the op takes, with signs mixed
// and no zero.
Example elementwise_example(const std::string& op, int arity) {
  const DType dtype = test::first_accepted_dtype(op);
  std::vector<Tensor> in;
  for (int i = 0; i < arity; ++i) {
    if (dtype == DType::boolean) {
      in.push_back(Tensor::from<bool>({2, 3}, {true, false, i == 0, true, i == 1, false}));
    } else if (dtype == DType::int32) {
      in.push_back(i == 0 ? Tensor::from<std::int32_t>({2, 3}, {-7, 5, 12, -1, 3, -40})
                          : Tensor::from<std::int32_t>({2, 3}, {3, -2, 1, 5, -4, 2}));
    } else {
      in.push_back(floats({2, 3}, i == 0 ? -1.5f : 0.75f, 0.5f));
    }
  }
  return {in, {}};
}

// Worked examples for the ops that run in place without being elementwise.
Example special_example(const std::string& op) {
  const Tensor x = floats({2, 3}, -1.5f, 0.5f);
  const Tensor vec = floats({3}, 0.5f, 0.25f);
  const Tensor a = floats({2, 2}, 1.0f, 0.5f);
  const Tensor image = floats({1, 2, 2, 1}, -1.0f, 0.5f);
  const Tensor filter = floats({1, 1, 1, 3}, 0.5f, 0.25f);
  const Tensor residual4 = floats({1, 2, 2, 3}, 0.25f, 0.5f);
  const Attrs conv = {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("VALID")},
                      {"fused_ops", Strings{"Add", "Tanh"}}, {"num_args", std::int64_t{1}}};
  if (op == "BiasAdd" || op == "BiasAddV1") return {{x, vec}, {}};
  if (op == "ClipByValue") {
    return {{x, Tensor::from<float>({}, {-0.75f}), floats({2, 3}, 1.0f, 0.25f)}, {}};
  }
  if (op == "CheckNumerics" || op == "CheckNumericsV2") {
    return {{x}, {{"message", std::string("finite")}}};
  }
  if (op == "_FusedLayerNorm") return {{x, vec, vec}, {{"epsilon", 0.001f}}};
  if (op == "_FusedMatMul" || op == "_FusedBatchMatMulV2") {
    return {{a, floats({2, 3}, 0.5f, 0.25f), vec, x},
            {{"fused_ops", Strings{"BiasAdd", "Add", "Relu"}}, {"num_args", std::int64_t{2}}}};
  }
  if (op == "_FusedConv2D" || op == "_FusedDepthwiseConv2dNative") {
    return {{image, filter, residual4}, conv};
  }
  return {};
}

Node node_for(const std::string& op, const OpDef& def, const Example& example) {
  Node node;
  node.name = "in_place/" + op;
  node.op = op;
  node.attrs = example.attrs;
  for (std::size_t i = 0; i < example.inputs.size() && !def.input_types.empty(); ++i) {
    const std::string& key = def.input_types[std::min(i, def.input_types.size() - 1)];
    if (!key.empty() && !node.has_attr(key)) node.attrs.emplace(key, example.inputs[i].dtype());
  }
  fill_default_attrs(node, def);
  return node;
}

}  // namespace

TEST_CASE("every op that may run in place computes the same in place as out of place") {
  const std::vector<std::string> in_place_ops =
      ops_where([](const OpDef& d) { return may_run_in_place(d.name); });
  // Erfc and Inv were missing from the memory planner's old hand list.
  for (const char* op : {"Erfc", "Inv", "Relu", "AddV2", "BiasAdd", "_FusedConv2D"}) {
    INFO(op);
    CHECK(std::count(in_place_ops.begin(), in_place_ops.end(), op) == 1);
  }
  for (const std::string& op : in_place_ops) {
    INFO(op);
    const OpDef& def = *op_catalogue().find(op);
    const bool elementwise = def.elementwise != Elementwise::no;
    const Example example =
        elementwise ? elementwise_example(op, def.elementwise == Elementwise::unary ? 1 : 2)
                    : special_example(op);
    if (example.inputs.empty()) {
      FAIL_CHECK(op << " may run in place but is not elementwise: add a worked example above");
      continue;
    }
    const Node node = node_for(op, def, example);
    const Tensor expected = reference::evaluate(node, example.inputs).at(0);
    if (elementwise) {
      // Element i from element i: same shape and dtype, so the output fits where an input was.
      CHECK(expected.shape() == example.inputs[0].shape());
      CHECK(expected.dtype() == example.inputs[0].dtype());
    }
    int tried = 0;
    for (int slot : in_place_inputs(node)) {
      const auto k = static_cast<std::size_t>(slot);
      REQUIRE(k < example.inputs.size());
      if (example.inputs[k].byte_size() != expected.byte_size()) continue;  // never planned
      INFO("output written over input " << slot);
      std::vector<Tensor> inputs;
      for (const Tensor& t : example.inputs) inputs.push_back(t.clone());
      std::vector<Tensor> outputs = {
          Tensor::view(expected.dtype(), expected.shape(), inputs[k].raw())};
      reference::kernel_table().at(op)(node, inputs, outputs);
      test::check_close(Tensor::view(expected.dtype(), expected.shape(), inputs[k].raw()),
                        expected, 0.0, 0.0);
      ++tried;
    }
    CHECK(tried > 0);
  }
}

TEST_CASE("the README states how many TensorFlow ops the catalogue holds") {
  // Kiln's own ops (_FusedConv2D, ...) start with an underscore; every other entry is a
  // TensorFlow op under TensorFlow's name.
  std::size_t tensorflow_ops = 0;
  for (const auto& entry : op_catalogue().all()) tensorflow_ops += entry.first.rfind('_', 0) != 0;
  std::ifstream readme(std::string(KILN_SOURCE_DIR) + "/README.md");
  const std::string text((std::istreambuf_iterator<char>(readme)), std::istreambuf_iterator<char>());
  const std::string marker = "Kiln's op catalogue holds **";
  const std::size_t at = text.find(marker);
  REQUIRE(at != std::string::npos);
  CHECK(std::stoul(text.substr(at + marker.size())) == tensorflow_ops);
}

}  // namespace KILN_TEST_FILE
