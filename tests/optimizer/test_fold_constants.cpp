// fold-constants: IR text in, expected IR text out. Folded values are computed by hand in comments.
#include "helpers.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::ir;
using test::run_pass;

namespace {
const opt::Pass fold = opt::fold_constants_pass();

Value int_vector(GraphBuilder& b, const std::string& name, std::vector<std::int32_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return b.constant(name, Tensor::from_vector<std::int32_t>({n}, v));
}
}  // namespace

TEST_CASE("fold-constants evaluates constant subgraphs and keeps their names") {
  const opt::PassResult result = test::check_pass(fold, R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2]}
      %a = Const() {dtype = float32, value = float32[2] {1, 2}}
      %c = Const() {dtype = float32, value = float32[2] {3, 5}}
      %sum = AddV2(%a, %c) {T = float32}             // {4, 7}
      %two = Const() {dtype = float32, value = float32[] {2}}
      %scaled = Mul(%sum, %two) {T = float32}        // {8, 14}
      %k = Const() {dtype = float32, value = float32[] {3}}
      %other = Neg(%k) {T = float32}                 // -3
      %m = Mul(%x, %scaled) {T = float32}
      %y = AddV2(%m, %other) {T = float32}
      outputs: y = %y
    })", R"(
    graph {
      inputs: x = %x
      %other = Const() {dtype = float32, value = float32[] {-3}}
      %scaled = Const() {dtype = float32, value = float32[2] {8, 14}}
      %x = Placeholder() {dtype = float32, shape = [2]}
      %m = Mul(%x, %scaled) {T = float32}
      %y = AddV2(%m, %other) {T = float32}
      outputs: y = %y
    })");
  CHECK(result.stat("folded nodes") == 3);
  CHECK(result.stat("folded subgraphs") == 2);  // {sum, scaled} and {other}
  CHECK(result.stat("inputs removed") == 5);    // a, c, two, k, and sum once scaled folded
}

TEST_CASE("fold-constants answers Shape, Size and Rank from static types") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2, 3});
  Value shape = b.op("Shape", {x}, {}, "shape");
  Value size = b.op("Size", {x}, {{"out_type", DType::int64}}, "size");
  Value rank = b.op("Rank", {x}, {}, "rank");
  b.output("shape", shape);
  b.output("size", size);
  b.output("rank", rank);
  b.output("x", b.op("Relu", {x}, {}, "r"));
  Graph g = b.finish();
  const opt::PassResult result = run_pass(fold, g);
  CHECK(result.stat("shapes resolved") == 3);
  test::check_ir(ir(g), {"%rank = Const() {dtype = int32, value = int32[] {2}}",
                         "%shape = Const() {dtype = int32, value = int32[2] {2, 3}}",
                         "%size = Const() {dtype = int64, value = int64[] {6}}"});
}

TEST_CASE("fold-constants makes the target of Keras' Flatten static") {
  // Reshape(x, Pack(StridedSlice(Shape(x), [0], [1], [1], shrink), -1)) with x: [?,2,2,3].
  // The batch size is known only when the graph runs, so the target [batch, -1] cannot be
  // computed, but [-1, 12] (2*2*3 = 12) asks for the same reshape.
  const std::string before = R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [?,2,2,3]}
      %flatten/Shape = Shape(%x) {T = float32, out_type = int32}
      %flatten/begin = Const() {dtype = int32, value = int32[1] {0}}
      %flatten/end = Const() {dtype = int32, value = int32[1] {1}}
      %flatten/stride = Const() {dtype = int32, value = int32[1] {1}}
      %flatten/strided_slice = StridedSlice(%flatten/Shape, %flatten/begin, %flatten/end,
                                            %flatten/stride)
          {Index = int32, T = int32, begin_mask = 0, ellipsis_mask = 0, end_mask = 0,
           new_axis_mask = 0, shrink_axis_mask = 1}
      %flatten/minus_one = Const() {dtype = int32, value = int32[] {-1}}
      %flatten/Reshape/shape = Pack(%flatten/strided_slice, %flatten/minus_one)
          {N = 2, T = int32, axis = 0}
      %flatten/Reshape = Reshape(%x, %flatten/Reshape/shape) {T = float32, Tshape = int32}
      outputs: y = %flatten/Reshape
    })";
  const Graph g0 = parse_graph(before);
  CHECK(g0.node(g0.at("flatten/Reshape")).outputs[0].str() == "float32[?,?]");

  const opt::PassResult result = test::check_pass(fold, before, R"(
    graph {
      inputs: x = %x
      %flatten/Reshape/shape = Const() {dtype = int32, value = int32[2] {-1, 12}}
      %x = Placeholder() {dtype = float32, shape = [?,2,2,3]}
      %flatten/Reshape = Reshape(%x, %flatten/Reshape/shape) {T = float32, Tshape = int32}
      outputs: y = %flatten/Reshape
    })");
  CHECK(result.stat("reshape targets made static") == 1);

  // The pass's output itself, for its types and for running it.
  Graph g = parse_graph(before);
  run_pass(fold, g);
  CHECK(g.node(g.at("flatten/Reshape")).outputs[0].str() == "float32[?,12]");
  const Tensor in = test::random_tensor({3, 2, 2, 3}, 7);
  CHECK(run_eager(g, {{"x", in}}).at("y").shape() == Shape{3, 12});
}

TEST_CASE("fold-constants resolves known parts of a partly known shape") {
  // tf.reshape(x, tf.concat([tf.shape(x)[1:3], [-1]], 0)) with x: [?,4,5,2]: the slice picks
  // 4 and 5, both known, so the target is [4, 5, -1] although the shape as a whole is not.
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 4, 5, 2});
  Value shape = b.op("Shape", {x}, {}, "shape");
  Value middle =
      b.op("StridedSlice",
           {shape, int_vector(b, "b", {1}), int_vector(b, "e", {3}), int_vector(b, "s", {1})}, {},
           "middle");
  Value target = b.op(
      "ConcatV2",
      {middle, int_vector(b, "rest", {-1}), b.constant("axis", Tensor::scalar<std::int32_t>(0))},
      {{"N", std::int64_t{2}}, {"T", DType::int32}}, "target");
  b.output("y", b.op("Reshape", {x, target}, {}, "y"));
  Graph g = b.finish();
  const opt::PassResult result = run_pass(fold, g);
  CHECK(result.stat("shapes resolved") == 1);  // middle, from the type of x
  CHECK(result.stat("folded nodes") == 2);     // then target, whose inputs are all constant
  test::check_ir(ir(g), {"%target = Const() {dtype = int32, value = int32[3] {4, 5, -1}}",
                         "%y = Reshape(%x, %target)", "NOT:Shape(", "NOT:StridedSlice("});
}

TEST_CASE("fold-constants leaves a reshape alone when two sizes are unknown") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, -1, 3});
  Value shape = b.op("Shape", {x}, {}, "shape");
  Value two =
      b.op("StridedSlice",
           {shape, int_vector(b, "b", {0}), int_vector(b, "e", {2}), int_vector(b, "s", {1})}, {},
           "two");
  Value target =
      b.op("ConcatV2",
           {two, int_vector(b, "c", {3}), b.constant("axis", Tensor::scalar<std::int32_t>(0))},
           {{"N", std::int64_t{2}}, {"T", DType::int32}}, "target");
  b.output("y", b.op("Reshape", {x, target}, {}, "y"));
  Graph g = b.finish();
  const std::string text = print_graph(g);
  const opt::PassResult result = run_pass(fold, g);
  CHECK(!result.changed);
  CHECK(print_graph(g) == text);
}

TEST_CASE("fold-constants never materializes a constant over the budget") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {64, 64});
  Value one = b.constant("one", Tensor::from<float>({1, 1}, {1}));
  Value big = b.op("Tile", {one, int_vector(b, "multiples", {64, 64})}, {}, "big");  // 16 KiB
  b.output("y", b.op("Mul", {x, big}, {}, "y"));
  Graph g = b.finish();
  const std::string text = print_graph(g);
  opt::PassOptions options;
  options.fold_byte_budget = 4096;
  const opt::PassResult result = run_pass(fold, g, options);
  CHECK(!result.changed);
  CHECK(result.stat("declined over budget") == 1);
  REQUIRE(result.notes.size() == 1);
  CHECK(result.notes[0] == "declined 'big' (Tile): 16 KiB is over the 4 KiB folding budget");
  CHECK(print_graph(g) == text);

  // Within the default budget (10 MiB) it folds.
  CHECK(run_pass(fold, g).stat("folded nodes") == 1);
}

TEST_CASE("fold-constants never folds graph inputs, not even those with defaults") {
  GraphBuilder b;
  Value x = b.input_with_default("x", Tensor::from<float>({2}, {1, -2}));
  b.output("y", b.op("Relu", {x}, {}, "y"));
  Graph g = b.finish();
  const std::string text = print_graph(g);
  CHECK(!run_pass(fold, g).changed);
  CHECK(print_graph(g) == text);
  test::check_close(run_eager(g, {{"x", Tensor::from<float>({2}, {-5, 5})}}).at("y"),
                    Tensor::from<float>({2}, {0, 5}));
}

TEST_CASE("fold-constants gives every used output of a multi-output node a constant") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2});
  Value pairs = b.constant("pairs", Tensor::from<float>({3, 2}, {1, 2, 3, 4, 5, 6}));
  std::vector<Value> rows = b.op_outputs("Unpack", {pairs}, {{"num", std::int64_t{3}}}, "rows");
  Value sum = b.op("AddV2", {b.op("Mul", {x, rows[0]}, {}, "m"), rows[2]}, {}, "y");
  b.output("y", sum);
  Graph g = b.finish();
  const opt::PassResult result = run_pass(fold, g);
  CHECK(result.stat("folded nodes") == 1);
  // rows:1 is read by nobody, so it gets no constant.
  CHECK(ir(g) ==
        "graph {\n"
        "  inputs: x = %x\n"
        "  %rows = Const() {dtype = float32, value = float32[2] {1, 2}}\n"
        "  %rows/output_2 = Const() {dtype = float32, value = float32[2] {5, 6}}\n"
        "  %x = Placeholder() {dtype = float32, shape = [2]}\n"
        "  %m = Mul(%x, %rows) {T = float32}\n"
        "  %y = AddV2(%m, %rows/output_2) {T = float32}\n"
        "  outputs: y = %y\n"
        "}\n");
}

TEST_CASE("a node that cannot be evaluated is declined with a note") {
  // 1 / 0 in integers has no value: TensorFlow's kernel fails, so the reference kernel throws,
  // and folding must leave the node for run time (where it will fail the same way).
  GraphBuilder b;
  Value x = b.input("x", DType::int32, {1});
  Value q = b.op("FloorDiv",
                 {b.constant("n", Tensor::from<std::int32_t>({1}, {1})),
                  b.constant("d", Tensor::from<std::int32_t>({1}, {0}))},
                 {}, "q");
  b.output("y", b.op("AddV2", {x, q}, {}, "y"));
  Graph g = b.finish();
  const std::string text = print_graph(g);
  const opt::PassResult result = run_pass(fold, g);
  CHECK(result.stat("not evaluable") == 1);
  CHECK(!result.changed);
  REQUIRE(result.notes.size() == 1);
  CHECK(result.notes[0] == "could not evaluate 'q' (FloorDiv): integer division by zero");
  CHECK(print_graph(g) == text);
}

TEST_CASE("fold-constants makes Keras' Tensordot reshapes static") {
  // Dense on x: [?,8,16]: Reshape(x, [Prod(Shape(x)[free]), Prod(Shape(x)[axes])]) with
  // free = [0, 1] and axes = [2]: the first element is ? * 8, unknown, the second 16. With
  // one unknown element, [-1, 16] asks for the same reshape. The result goes back to
  // Concat(Shape(x)[free], [32]) = [?, 8, 32], which becomes [-1, 8, 32].
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 8, 16});
  auto ints = [&](const std::string& name, std::vector<std::int32_t> v) {
    return b.constant(name,
                      Tensor::from_vector<std::int32_t>({static_cast<std::int64_t>(v.size())}, v));
  };
  Value zero = b.constant("axis", Tensor::scalar<std::int32_t>(0));
  Value shape = b.op("Shape", {x}, {}, "shape");
  Value free_dims = b.op("GatherV2", {shape, ints("free", {0, 1}), zero}, {}, "gather_free");
  Value axis_dims = b.op("GatherV2", {shape, ints("axes", {2}), zero}, {}, "gather_axes");
  Value rows = b.op("Prod", {free_dims, ints("prod_axis", {0})}, {}, "rows");
  Value cols = b.op("Prod", {axis_dims, ints("prod_axis_1", {0})}, {}, "cols");
  Value stack = b.op("Pack", {rows, cols}, {{"N", std::int64_t{2}}}, "stack");
  Value flat = b.op("Reshape", {x, stack}, {}, "flat");
  Value mm = b.op("MatMul", {flat, b.constant("W", Tensor(DType::float32, {16, 32}))}, {}, "mm");
  Value back = b.op("ConcatV2", {free_dims, ints("out", {32}), zero},
                    {{"N", std::int64_t{2}}, {"T", DType::int32}}, "concat");
  b.output("y", b.op("Reshape", {mm, back}, {}, "y"));
  Graph g = b.finish();
  CHECK(g.node(g.at("y")).outputs[0].str() == "float32[?,?,?]");

  const opt::PassResult result = run_pass(fold, g);
  CHECK(result.stat("reshape targets made static") == 2);
  CHECK(result.stat("shapes resolved") == 1);  // cols = 16, known from the type
  test::check_ir(ir(g), {"%concat = Const() {dtype = int32, value = int32[3] {-1, 8, 32}}",
                         "%stack = Const() {dtype = int32, value = int32[2] {-1, 16}}",
                         "NOT:Shape(", "NOT:GatherV2(", "NOT:Prod("});
  CHECK(g.node(g.at("y")).outputs[0].str() == "float32[?,8,32]");
  const Tensor in = test::random_tensor({3, 8, 16}, 5);
  CHECK(run_eager(g, {{"x", in}}).at("y").shape() == Shape{3, 8, 32});
}

TEST_CASE("fold-constants settles a deep stack of Tensordots in one run") {
  // Twelve Dense layers on x: [?,4,8], each a Tensordot like the one above. Layer k's shape
  // computation starts from layer k-1's output type, known only once k-1's reshape back to 3-D
  // is static and the types are inferred again: one sweep per layer, so the pass must go on
  // sweeping until nothing folds (a fixed number of sweeps stopped short of deep models).
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 4, 8});
  Value zero = b.constant("axis", Tensor::scalar<std::int32_t>(0));
  constexpr int kLayers = 12;
  for (int k = 0; k < kLayers; ++k) {
    const std::string p = "dense_" + std::to_string(k) + "/";
    Value shape = b.op("Shape", {x}, {}, p + "shape");
    Value free_dims =
        b.op("GatherV2", {shape, int_vector(b, p + "free", {0, 1}), zero}, {}, p + "gather_free");
    Value axis_dims =
        b.op("GatherV2", {shape, int_vector(b, p + "axes", {2}), zero}, {}, p + "gather_axes");
    Value rows = b.op("Prod", {free_dims, int_vector(b, p + "prod_axis", {0})}, {}, p + "rows");
    Value cols = b.op("Prod", {axis_dims, int_vector(b, p + "prod_axis_1", {0})}, {}, p + "cols");
    Value stack = b.op("Pack", {rows, cols}, {{"N", std::int64_t{2}}}, p + "stack");
    Value flat = b.op("Reshape", {x, stack}, {}, p + "flat");
    Value weights = b.constant(p + "W", test::random_tensor({8, 8}, static_cast<std::uint32_t>(k)));
    Value mm = b.op("MatMul", {flat, weights}, {}, p + "mm");
    Value back = b.op("ConcatV2", {free_dims, int_vector(b, p + "out", {8}), zero},
                      {{"N", std::int64_t{2}}, {"T", DType::int32}}, p + "concat");
    x = b.op("Reshape", {mm, back}, {}, p + "y");
  }
  b.output("y", x);
  Graph g = b.finish();

  const opt::PassResult result = run_pass(fold, g);
  CHECK(result.stat("reshape targets made static") == 2 * kLayers);
  CHECK(g.node(g.at("dense_11/y")).outputs[0].str() == "float32[?,4,8]");
  test::check_ir(ir(g), {"NOT:Shape(", "NOT:GatherV2(", "NOT:Prod(", "NOT:Pack("});
  // The stack computes rows of x times W0 W1 ... W11, here with plain loops.
  const Tensor in = test::random_tensor({3, 4, 8}, 99);
  std::vector<double> rows(in.data<float>(), in.data<float>() + 96);
  for (int k = 0; k < kLayers; ++k) {
    const Tensor w = test::random_tensor({8, 8}, static_cast<std::uint32_t>(k));
    std::vector<double> next(rows.size(), 0.0);
    const float* wk = w.data<float>();
    for (std::size_t r = 0; r < 12; ++r)
      for (std::size_t j = 0; j < 8; ++j)
        for (std::size_t i = 0; i < 8; ++i) next[r * 8 + j] += rows[r * 8 + i] * wk[i * 8 + j];
    rows = next;
  }
  const Tensor out = run_eager(g, {{"x", in}}).at("y");
  REQUIRE(out.shape() == Shape{3, 4, 8});
  for (std::int64_t i = 0; i < 96; ++i) {
    const double want = rows[static_cast<std::size_t>(i)];
    CHECK(std::fabs(out.data<float>()[i] - want) <= 1e-4 + 1e-4 * std::fabs(want));
  }
}

}  // namespace KILN_TEST_FILE
