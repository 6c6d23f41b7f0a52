// fuse on the pieces of a Transformer encoder: layer normalization spelled out in small nodes,
// EinsumDense-style projections (BatchMatMulV2 with shared weights, a Reshape that splits the
// channels into heads, a [heads, size] bias), attention's scale, and a residual Add behind a
// Reshape. Expected values are worked out by hand in the comments.
#include "helpers.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::ir;
using test::run_pass;

namespace {
const opt::Pass fuse = opt::fuse_pass();

Tensor floats(Shape shape, std::vector<float> values) {
  return Tensor::from_vector<float>(std::move(shape), std::move(values));
}
Value axes(GraphBuilder& b, const std::string& name, std::int32_t axis = -1) {
  return b.constant(name, Tensor::from<std::int32_t>({1}, {axis}));
}
Attrs keep_dims() { return {{"keep_dims", true}}; }

void check_same_outputs(const Graph& before, const Graph& after, double tolerance,
                        std::int64_t unknown_dim = 2) {
  const NamedTensors feeds = test::random_feeds(before, 21, unknown_dim);
  test::check_outputs_close(run_eager(after, feeds), run_eager(before, feeds), tolerance,
                            tolerance);
}

// Keras 3's LayerNormalization(epsilon) over the last axis of `x`, node for node:
//   y = x * m + (-mean * m + beta),  m = rsqrt(variance + epsilon) * gamma
Value keras3_layer_norm(GraphBuilder& b, Value x, Value gamma, Value beta, float epsilon) {
  Value mean = b.op("Mean", {x, axes(b, "axes")}, keep_dims(), "mean");
  Value neg = b.op("Neg", {mean}, {}, "neg");
  Value diff = b.op("SquaredDifference", {x, mean}, {}, "diff");
  Value variance = b.op("Mean", {diff, axes(b, "axes_1")}, keep_dims(), "variance");
  Value shifted =
      b.op("AddV2", {variance, b.constant("epsilon", Tensor::scalar(epsilon))}, {}, "shifted");
  Value rsqrt = b.op("Rsqrt", {shifted}, {}, "rsqrt");
  Value m = b.op("Mul", {rsqrt, gamma}, {}, "mul");
  Value mean_m = b.op("Mul", {neg, m}, {}, "mul_1");
  Value offset = b.op("AddV2", {mean_m, beta}, {}, "add_1");
  Value x_m = b.op("Mul", {x, m}, {}, "mul_2");
  return b.op("AddV2", {x_m, offset}, {}, "y");
}

Graph keras3_graph(Shape x_shape = {-1, 2, 4}) {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, std::move(x_shape));
  Value gamma = b.constant("gamma", floats({1, 1, 4}, {1, 2, 3, 4}));
  Value beta = b.constant("beta", floats({1, 1, 4}, {0, 1, 0, -1}));
  b.output("y", keras3_layer_norm(b, x, gamma, beta, 2.75f));
  return b.finish();
}
}  // namespace

TEST_CASE("fuse turns Keras 3's spelled-out LayerNormalization into _FusedLayerNorm") {
  Graph g = keras3_graph();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("layer norms fused") == 1);
  // gamma and beta were [1, 1, 4]: the fused node gets [4] constants of its own.
  CHECK(ir(g) ==
        "graph {\n"
        "  inputs: x = %x\n"
        "  %axes = Const() {dtype = int32, value = int32[1] {-1}}\n"
        "  %axes_1 = Const() {dtype = int32, value = int32[1] {-1}}\n"
        "  %beta = Const() {dtype = float32, value = float32[1,1,4] {0, 1, 0, -1}}\n"
        "  %epsilon = Const() {dtype = float32, value = float32[] {2.75}}\n"
        "  %gamma = Const() {dtype = float32, value = float32[1,1,4] {1, 2, 3, 4}}\n"
        "  %x = Placeholder() {dtype = float32, shape = [?,2,4]}\n"
        "  %y/offset = Const() {dtype = float32, value = float32[4] {0, 1, 0, -1}}\n"
        "  %y/scale = Const() {dtype = float32, value = float32[4] {1, 2, 3, 4}}\n"
        "  %y = _FusedLayerNorm(%x, %y/scale, %y/offset) {T = float32, epsilon = 2.75} "
        "loc(fused[\"mean\", \"neg\", \"diff\", \"variance\", \"shifted\", \"rsqrt\", \"mul\", "
        "\"mul_1\", \"add_1\", \"mul_2\", \"y\"])\n"
        "  outputs: y = %y\n"
        "}\n");
  // Row {1, 2, 3, 4}: mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, and
  // 1 / sqrt(1.25 + 2.75) = 0.5: (x - 2.5) * 0.5 = {-0.75, -0.25, 0.25, 0.75}, times gamma
  // {1, 2, 3, 4} plus beta {0, 1, 0, -1} = {-0.75, 0.5, 0.75, 2}. Row {2, 2, 2, 2}: x - mean is
  // 0, so y = beta.
  const NamedTensors out = run_eager(g, {{"x", floats({1, 2, 4}, {1, 2, 3, 4, 2, 2, 2, 2})}});
  test::check_close(out.at("y"), floats({1, 2, 4}, {-0.75f, 0.5f, 0.75f, 2, 0, 1, 0, -1}));
  check_same_outputs(keras3_graph(), g, 1e-5);
}

TEST_CASE("fuse recognizes tf.nn.batch_normalization's LayerNormalization (Keras 2)") {
  // y = x * m + (beta - mean * m); gamma and beta are [C] and serve the fused node as they are.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 3});
    Value mean = b.op("Mean", {x, axes(b, "axes", 1)}, keep_dims(), "mean");
    Value diff = b.op("SquaredDifference", {mean, x}, {}, "diff");  // either order
    Value variance = b.op("Mean", {diff, axes(b, "axes_1")}, keep_dims(), "variance");
    Value shifted =
        b.op("AddV2", {b.constant("epsilon", Tensor::scalar(1e-3f)), variance}, {}, "shifted");
    Value m = b.op(
        "Mul",
        {b.op("Rsqrt", {shifted}, {}, "rsqrt"), b.constant("gamma", floats({3}, {0.5f, 1, 2}))}, {},
        "mul");
    Value x_m = b.op("Mul", {m, x}, {}, "mul_1");
    Value mean_m = b.op("Mul", {mean, m}, {}, "mul_2");
    Value sub = b.op("Sub", {b.constant("beta", floats({3}, {1, 0, -1})), mean_m}, {}, "sub");
    b.output("y", b.op("AddV2", {x_m, sub}, {}, "y"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("layer norms fused") == 1);
  test::check_ir(ir(g), {"%y = _FusedLayerNorm(%x, %gamma, %beta) {T = float32, epsilon = 0.001}",
                         "NOT:%y/scale", "NOT:%y/offset"});
  check_same_outputs(before(), g, 1e-5);
}

TEST_CASE("fuse gives a LayerNormalization without scale and offset ones and zeros") {
  // x * m - mean * m with m = rsqrt(variance + epsilon).
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {2, 3});
    Value mean = b.op("Mean", {x, axes(b, "axes")}, keep_dims(), "mean");
    Value variance =
        b.op("Mean", {b.op("SquaredDifference", {x, mean}, {}, "diff"), axes(b, "axes_1")},
             keep_dims(), "variance");
    Value m =
        b.op("Rsqrt",
             {b.op("Add", {variance, b.constant("epsilon", Tensor::scalar(0.5f))}, {}, "shifted")},
             {}, "rsqrt");
    b.output("y",
             b.op("Sub", {b.op("Mul", {x, m}, {}, "x_m"), b.op("Mul", {m, mean}, {}, "mean_m")}, {},
                  "y"));
    return b.finish();
  };
  Graph g = before();
  CHECK(run_pass(fuse, g).stat("layer norms fused") == 1);
  test::check_ir(ir(g), {"%y/offset = Const() {dtype = float32, value = float32[3] {0, 0, 0}}",
                         "%y/scale = Const() {dtype = float32, value = float32[3] {1, 1, 1}}",
                         "%y = _FusedLayerNorm(%x, %y/scale, %y/offset) {T = float32, "
                         "epsilon = 0.5}"});
  // Row {1, 2, 3}: mean 2, variance 2/3, 1 / sqrt(2/3 + 1/2) = 0.9258201: {-0.9258201, 0,
  // 0.9258201}. Row {0, 0, 6}: mean 2, variance 8, 1 / sqrt(8.5) = 0.3429972: {-0.6859943,
  // -0.6859943, 1.3719887}.
  const NamedTensors out = run_eager(g, {{"x", floats({2, 3}, {1, 2, 3, 0, 0, 6})}});
  test::check_close(
      out.at("y"),
      floats({2, 3}, {-0.9258201f, 0, 0.9258201f, -0.6859943f, -0.6859943f, 1.3719887f}), 1e-6,
      1e-6);
  check_same_outputs(before(), g, 1e-5);
}

TEST_CASE("fuse leaves a layer normalization alone when a precondition fails, and says why") {
  SECTION("statistics over another axis than the last are no LayerNormalization") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 4});
    Value mean = b.op("Mean", {x, axes(b, "axes", 1)}, keep_dims(), "mean");
    Value variance =
        b.op("Mean", {b.op("SquaredDifference", {x, mean}, {}, "diff"), axes(b, "axes_1", 1)},
             keep_dims(), "variance");
    Value m = b.op(
        "Rsqrt", {b.op("AddV2", {variance, b.constant("e", Tensor::scalar(1.0f))}, {}, "shifted")},
        {}, "rsqrt");
    b.output("y", b.op("Sub", {b.op("Mul", {x, m}, {}, "x_m"), b.op("Mul", {mean, m}, {}, "mm")},
                       {}, "y"));
    Graph g = b.finish();
    const std::string original = ir(g);
    CHECK(run_pass(fuse, g).stat("layer norms fused") == 0);
    CHECK(ir(g) == original);
  }
  SECTION("a statistic read outside the pattern") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 4});
    Value y = keras3_layer_norm(b, x, b.constant("gamma", floats({4}, {1, 2, 3, 4})),
                                b.constant("beta", floats({4}, {0, 1, 0, -1})), 1e-3f);
    b.output("y", y);
    b.output("variance", Value{b.graph().at("variance"), 0});
    Graph g = b.finish();
    const opt::PassResult result = run_pass(fuse, g);
    CHECK(result.stat("layer norms fused") == 0);
    REQUIRE(result.notes.size() == 1);
    CHECK(result.notes[0] ==
          "'mean': layer normalization not fused: 'variance' is read outside the layer "
          "normalization");
  }
  SECTION("a scale that is not constant") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 4});
    Value gamma = b.input("gamma", DType::float32, {4});
    b.output("y",
             keras3_layer_norm(b, x, gamma, b.constant("beta", floats({4}, {0, 1, 0, -1})), 1e-3f));
    Graph g = b.finish();
    const opt::PassResult result = run_pass(fuse, g);
    CHECK(result.stat("layer norms fused") == 0);
    REQUIRE(result.notes.size() == 1);
    CHECK(result.notes[0] ==
          "'mean': layer normalization not fused: the normalizing factor multiplies something "
          "else than x and the mean");
  }
}

TEST_CASE("fuse folds EinsumDense projections and attention's scale into BatchMatMulV2") {
  // Keras 3's attention on x [?, 2, 4] with 2 heads of size 2: each projection is
  // BatchMatMulV2(x, W[4, 4]) -> Reshape [?, 2, 2, 2] -> AddV2 of a [2, 2] bias, and the scores
  // Einsum(q, k) are scaled by 0.5 afterwards. The scale moves onto q, whose chain folds it:
  //   Wq' = Wq * 0.5 = {0.5, 1, ..., 8}, bq' = {1, -1, 2, 0} * 0.5 = {0.5, -0.5, 1, 0}
  // and k keeps Wk with its [2, 2] bias flattened to the 4 channels {0, 1, 2, 3}.
  std::vector<float> wq(16), wk(16);
  for (int i = 0; i < 16; ++i) {
    wq[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
    wk[static_cast<std::size_t>(i)] = static_cast<float>(i % 5) - 2;
  }
  auto before = [&] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 4});
    Value heads = b.constant("heads", Tensor::from<std::int32_t>({4}, {-1, 2, 2, 2}));
    auto project = [&](const std::string& name, const std::vector<float>& w,
                       std::vector<float> bias) {
      Value mm = b.op("BatchMatMulV2", {x, b.constant(name + "/W", floats({4, 4}, w))}, {},
                      name + "/MatMul");
      Value split = b.op("Reshape", {mm, heads}, {}, name + "/Reshape");
      return b.op("AddV2", {split, b.constant(name + "/b", floats({2, 2}, std::move(bias)))}, {},
                  name + "/Add");
    };
    Value q = project("query", wq, {1, -1, 2, 0});
    Value k = project("key", wk, {0, 1, 2, 3});
    Value scores =
        b.op("Einsum", {q, k},
             {{"equation", std::string("BTNH,BSNH->BNTS")}, {"N", std::int64_t{2}}}, "einsum");
    Value scaled = b.op("Mul", {scores, b.constant("scale", Tensor::scalar(0.5f))}, {}, "scaled");
    b.output("y", b.op("Softmax", {scaled}, {}, "softmax"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("scales moved to projections") == 1);
  CHECK(result.stat("fused nodes") == 2);
  test::check_ir(
      ir(g),
      {"%key/Add/bias = Const() {dtype = float32, value = float32[4] {0, 1, 2, 3}}",
       "%scaled/bias = Const() {dtype = float32, value = float32[4] {0.5, -0.5, 1, 0}}",
       "%scaled/weights = Const() {dtype = float32, value = float32[4,4] {0.5, 1, 1.5, 2, 2.5, 3, "
       "3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8}}",
       "%key/Add = _FusedBatchMatMulV2(%x, %key/W, %key/Add/bias) {T = float32, adj_x = false, "
       "adj_y = false, epsilon = 0.0001, fused_ops = [\"BiasAdd\"]",
       "loc(fused[\"key/MatMul\", \"key/Add\"])", "%key/Reshape = Reshape(%key/Add, %heads)",
       "%scaled = _FusedBatchMatMulV2(%x, %scaled/weights, %scaled/bias)",
       "loc(fused[\"query/MatMul\", \"query/Add\", \"scaled\"])",
       "%query/Reshape = Reshape(%scaled, %heads)",
       "%einsum = Einsum(%query/Reshape, %key/Reshape)", "%softmax = Softmax(%einsum)"});
  CHECK(g.node(g.at("scaled")).outputs[0].str() == "float32[?,2,4]");
  check_same_outputs(before(), g, 1e-5);
}

TEST_CASE("a residual Add behind a reshape gets the reshape undone") {
  // Keras' Dense on [?, 4, 3] as Tensordot: MatMul on [?, 3], Reshape to [?, 4, 2], BiasAdd,
  // then the block's residual Add with r [?, 4, 2]. The fused node computes on [?, 2], so it
  // reads r through a new Reshape to [-1, 2] (a view), and the old Reshape follows the node.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 3});
    Value r = b.input("r", DType::float32, {-1, 4, 2});
    Value mm = b.op("MatMul", {x, b.constant("W", test::random_tensor({3, 2}, 4))}, {}, "mm");
    Value shaped =
        b.op("Reshape", {mm, b.constant("shape", Tensor::from<std::int32_t>({3}, {-1, 4, 2}))}, {},
             "reshape");
    Value biased =
        b.op("BiasAdd", {shaped, b.constant("bias", floats({2}, {0.5f, -0.5f}))}, {}, "bias_add");
    b.output("y", b.op("AddV2", {r, biased}, {}, "y"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("residual adds fused") == 1);
  test::check_ir(
      ir(g), {"%y/residual/shape = Const() {dtype = int32, value = int32[2] {-1, 2}}",
              "%y/residual = Reshape(%r, %y/residual/shape)",
              "%y = _FusedMatMul(%x, %W, %bias, %y/residual)", "fused_ops = [\"BiasAdd\", \"Add\"]",
              "%reshape = Reshape(%y, %shape)", "outputs: y = %reshape"});
  // Eight rows of x make two [4, 2] blocks, as r's batch of 2.
  const NamedTensors feeds = {{"x", test::random_tensor({8, 3}, 8)},
                              {"r", test::random_tensor({2, 4, 2}, 9)}};
  test::check_outputs_close(run_eager(g, feeds), run_eager(before(), feeds), 0.0, 0.0);
}

TEST_CASE("a scalar scale stays where it is unless a projection can take it") {
  SECTION("no operand comes from a projection with constant weights") {
    GraphBuilder b;
    Value q = b.input("q", DType::float32, {-1, 2, 2});
    Value k = b.input("k", DType::float32, {-1, 2, 2});
    Value scores = b.op("BatchMatMulV2", {q, k}, {{"adj_y", true}}, "scores");
    b.output("y", b.op("Mul", {scores, b.constant("scale", Tensor::scalar(0.5f))}, {}, "y"));
    Graph g = b.finish();
    const std::string original = ir(g);
    CHECK(run_pass(fuse, g).stat("scales moved to projections") == 0);
    CHECK(ir(g) == original);
  }
  SECTION("the product is read by something else too") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2});
    Value q = b.op("MatMul", {x, b.constant("W", test::random_tensor({2, 2}, 3))}, {}, "q");
    Value scores = b.op("MatMul", {q, x}, {{"transpose_b", true}}, "scores");
    b.output("y", b.op("Mul", {scores, b.constant("scale", Tensor::scalar(0.5f))}, {}, "y"));
    b.output("scores", scores);
    Graph g = b.finish();
    CHECK(run_pass(fuse, g).stat("scales moved to projections") == 0);
    test::check_ir(ir(g), {"%y = Mul(%scores, %scale)"});
  }
  SECTION("a factor that is not one number") {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2});
    Value q = b.op("MatMul", {x, b.constant("W", test::random_tensor({2, 2}, 3))}, {}, "q");
    Value scores = b.op("MatMul", {q, x}, {{"transpose_b", true}}, "scores");
    b.output("y", b.op("Mul", {scores, b.input("s", DType::float32, {})}, {}, "y"));
    Graph g = b.finish();
    CHECK(run_pass(fuse, g).stat("scales moved to projections") == 0);
  }
}

TEST_CASE("BatchMatMulV2 joins a chain only with weights shared by the whole batch") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2, 3, 4});
  Value mm =
      b.op("BatchMatMulV2", {x, b.constant("W", test::random_tensor({2, 4, 5}, 1))}, {}, "mm");
  b.output("y", b.op("BiasAdd", {mm, b.constant("bias", test::random_tensor({5}, 2))}, {}, "y"));
  Graph g = b.finish();
  CHECK(run_pass(fuse, g).stat("fused nodes") == 0);
  test::check_ir(ir(g), {"%mm = BatchMatMulV2(%x, %W)", "%y = BiasAdd(%mm, %bias)"});
}

TEST_CASE("fuse reads Keras 2's EinsumDense as a BatchMatMulV2 and fuses its bias") {
  // "abc,cde->abde": x [?, 2, 3] times W [3, 2, 2], whose bytes are the [3, 4] matrix, then a
  // [2, 2] bias; "abcd,cde->abe": the heads [?, 2, 2, 2] as [?, 2, 4] times W2 [4, 3], then a
  // [3] bias. Both become _FusedBatchMatMulV2 with the bias folded.
  auto before = [] {
    GraphBuilder b;
    Value x = b.input("x", DType::float32, {-1, 2, 3});
    Attrs split = {{"equation", std::string("abc,cde->abde")}, {"N", std::int64_t{2}}};
    Value heads = b.op("Einsum", {x, b.constant("W", test::random_tensor({3, 2, 2}, 1))}, split,
                       "proj/einsum");
    heads = b.op("AddV2", {heads, b.constant("proj/bias", test::random_tensor({2, 2}, 2))}, {},
                 "proj/add");
    Attrs merge = {{"equation", std::string("abcd,cde->abe")}, {"N", std::int64_t{2}}};
    Value out = b.op("Einsum", {heads, b.constant("W2", test::random_tensor({2, 2, 3}, 3))}, merge,
                     "out/einsum");
    b.output("y", b.op("AddV2", {out, b.constant("out/bias", test::random_tensor({3}, 4))}, {},
                       "out/add"));
    return b.finish();
  };
  Graph g = before();
  const opt::PassResult result = run_pass(fuse, g);
  CHECK(result.stat("einsums as products") == 2);
  CHECK(result.stat("fused nodes") == 2);
  test::check_ir(ir(g),
                 {"%proj/add = _FusedBatchMatMulV2(%x, %proj/einsum/kernel, %proj/add/bias)",
                  "loc(fused[\"proj/einsum/MatMul\", \"proj/add\"])",
                  "%proj/einsum = Reshape(%proj/add, %proj/einsum/shape)",
                  "%out/einsum/flat = Reshape(%proj/einsum, %out/einsum/flat_shape)",
                  "%out/add = _FusedBatchMatMulV2(%out/einsum/flat, %out/einsum/kernel, %out/bias)",
                  "NOT:Einsum("});
  CHECK(g.node(g.at("out/einsum/flat")).outputs[0].str() == "float32[?,2,4]");
  check_same_outputs(before(), g, 1e-5);
}

}  // namespace KILN_TEST_FILE
